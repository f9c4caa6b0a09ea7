# convviz: the web app, the REST API and the CLI in one image.
#
#   docker build -t convviz .
#   docker run --rm --read-only --tmpfs /tmp -p 8000:8000 convviz
#
# Two stages: `build` installs the CPU build of torch and the project into a virtual environment;
# the final stage copies that environment and the source tree onto a clean base, so pip's caches,
# build metadata and anything a build step pulled in stay behind. No compiler is installed in either
# stage: every dependency ships a manylinux wheel.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

# torch first and on its own layer: it is most of the image and changes least. The extra index is
# PyTorch's CPU wheel index, so pip never picks the multi-gigabyte CUDA build from PyPI. Its C++
# headers and its own test suite are only needed to build extensions or test torch: ~150 MB dropped.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && rm -rf /opt/venv/lib/python3.11/site-packages/torch/include \
              /opt/venv/lib/python3.11/site-packages/torch/test

WORKDIR /opt/convviz

# The dependencies next, from pyproject.toml alone (empty package directories stand in for the
# source), so editing the code does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app convcore \
    && pip install -e . \
    && rm -rf app convcore

# The project itself, installed in place: app/main.py finds templates/ and static/ next to app/.
COPY app ./app
COPY convcore ./convcore
COPY templates ./templates
COPY static ./static
RUN pip install --no-deps -e . \
    && pip uninstall -y pip setuptools \
    && python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/convviz/app /opt/convviz/convcore

FROM python:3.11-slim

# The root filesystem may be mounted read-only: bytecode is compiled at build time and never written,
# uploads stay in memory (app/middleware.py), and the orchestrator mounts a small memory-backed tmpfs
# on /tmp for anything that asks for a temporary file. One thread per process: several replicas and
# workers share the CPUs. One worker per container: the memory budgets in app/settings.py are per process
# and sized to one process in a 1 GiB replica.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    PATH=/opt/venv/bin:$PATH \
    CONVVIZ_HOST=0.0.0.0 \
    CONVVIZ_PORT=8000 \
    CONVVIZ_WORKERS=1

RUN groupadd --system --gid 10001 convviz \
    && useradd --system --uid 10001 --gid convviz --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin convviz

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/convviz /opt/convviz

WORKDIR /opt/convviz
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CONVVIZ_PORT', '8000') + '/api/v1/health', timeout=4)"]

# `convviz serve` reads host, port and workers from CONVVIZ_HOST, CONVVIZ_PORT and CONVVIZ_WORKERS.
CMD ["convviz", "serve"]
