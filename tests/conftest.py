"""Shared test settings: Hypothesis profiles, torch on one thread, and the CI rule that nothing skips for a
missing tool."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI replays the same examples every run, so a red CI is reproducible; developer runs keep exploring new ones.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if IN_CI else "default")


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> Iterator[None]:
    """torch on one thread in every test process, as in the container (``OMP_NUM_THREADS=1``): ``make test``'s two
    workers already share the two cores, and two threads each made Swin's torch.fx summary 14.6 s instead of 3.1 s
    on the loaded machine. Importing ``app.main`` sets this too, but a run of ``tests/convcore`` alone never does.
    torch is imported here, in the workers, not at the top: the xdist controller would import it (4 s of CPU) before
    starting them."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def require_tool(available: bool, what: str) -> None:
    """Skip when a tool is missing on a developer machine; fail loudly in CI, where it must exist."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing", pytrace=False)
    pytest.skip(f"{what} is not installed")


@pytest.fixture
def secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A readable file beside the working directory, as app/settings.py is beside the server's: what a hostile
    upload would try to make the server read."""
    (tmp_path / "secret.bin").write_bytes(b"TOP-SECRET-" * 8)
    monkeypatch.chdir(tmp_path)
    return "secret.bin"
