"""Kubernetes manifests validated offline against the API schemas ``kubernetes-validate`` ships.

Every document of every file under deploy/k8s is checked strictly (unknown fields are errors) against
the oldest and the newest Kubernetes versions the package carries schemas for. If the package is
missing, the import fails and so does this module: the check never silently skips.
"""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from app.settings import Settings
from tests.deploy.conftest import K8S_DIR

# autoscaling/v2 HPAs and policy/v1 PDBs need at least 1.25; the package's newest schemas come last.
VERSIONS = ["1.25.0", kubernetes_validate.latest_version()]
MANIFESTS = sorted(K8S_DIR.glob("*.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def all_documents() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for path in MANIFESTS for doc in documents(path)}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid(path: Path, version: str) -> None:
    docs = documents(path)
    assert docs, f"{path.name} holds no document"
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_validation_rejects_a_broken_manifest() -> None:
    broken = documents(K8S_DIR / "service.yaml")[0]
    broken["spec"]["ports"][0]["port"] = "eighty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_four_resources_exist() -> None:
    kinds = all_documents()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Ingress"} <= set(kinds)
    assert kinds["HorizontalPodAutoscaler"]["apiVersion"] == "autoscaling/v2"


def test_deployment_is_hardened_and_probed() -> None:
    pod = all_documents()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/api/v1/health"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_body_limit_matches_the_app() -> None:
    limit = Settings.model_fields["max_body_bytes"].default
    docs = all_documents()
    (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert int(env["CONVVIZ_MAX_BODY_BYTES"]) == limit
    body_size = docs["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert body_size.endswith("m")
    assert int(body_size[:-1]) * 2**20 == limit
