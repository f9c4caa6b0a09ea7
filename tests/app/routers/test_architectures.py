"""GET /api/v1/architectures[/{name}]: the zoo and its per-layer tables, equal to /shapes on the same stack."""

import pytest
from fastapi.testclient import TestClient

from app.main import app
from convcore import zoo

client = TestClient(app)
URL = "/api/v1/architectures"
NAMES = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v1"]


def test_list() -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == zoo.list_architectures()
    assert [a["name"] for a in response.json()] == NAMES


# torchvision's parameter counts (resnet50: 25,557,032 including the projection shortcuts).
@pytest.mark.parametrize(
    ("name", "params"),
    [("alexnet", 61_100_840), ("vgg16", 138_357_544), ("resnet18", 11_689_512), ("resnet50", 25_557_032)],
)
def test_totals_match_torchvision(name: str, params: int) -> None:
    response = client.get(f"{URL}/{name}")
    assert response.status_code == 200
    assert response.json()["total_params"] == params


def test_table_equals_shapes_on_the_returned_stack() -> None:
    body = client.get(f"{URL}/vgg16", params={"size": 224}).json()
    shapes = client.post("/api/v1/shapes", json={"input": body["input"], "layers": body["stack"]})
    assert shapes.status_code == 200
    assert body["layers"] == shapes.json()["layers"]
    assert body["warnings"] == shapes.json()["warnings"]
    pool5 = next(row for row in body["layers"] if row["name"] == "features.30")
    assert pool5["receptive_field"] == {"size": [212, 212], "stride": [32, 32], "padding": [90, 90]}
    assert pool5["output"] == {"channels": 512, "height": 7, "width": 7}


def test_metadata_and_shortcuts() -> None:
    response = client.get(f"{URL}/resnet18", params={"size": 64})
    assert response.status_code == 200
    body = response.json()
    arch = zoo.get_architecture("resnet18")
    assert {k: body[k] for k in ("name", "title", "description", "description_ru", "source")} == {
        "name": arch.name,
        "title": arch.title,
        "description": arch.description,
        "description_ru": arch.description_ru,
        "source": arch.source,
    }
    assert body["input"] == {"channels": 3, "height": 64, "width": 64}
    assert body["stack"] == arch.layers
    assert len(body["shortcuts"]) == 8
    projection = next(s for s in body["shortcuts"] if s["layers"])
    assert projection["table"]["layers"][0]["output"] == {"channels": 128, "height": 8, "width": 8}
    assert projection["table"]["layers"][0]["params"] == 64 * 128


def test_unknown_name_is_404_with_the_names() -> None:
    response = client.get(f"{URL}/googlenet")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "unknown architecture 'googlenet'; choose one of: alexnet, vgg16, resnet18, resnet50, mobilenet_v1",
        "code": "unknown_architecture",
        "params": {"name": "googlenet", "names": NAMES},
    }


def test_input_too_small_is_422() -> None:
    response = client.get(f"{URL}/alexnet", params={"size": 32})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "layer 12 (max_pool2d), height 1: the pooling window spans 3 but the padded input is only 1 long: "
        "use a smaller kernel or a larger input",
        "code": "kernel_exceeds_input",
        "params": {"span": 3, "padded": 1, "layer": 12, "type": "max_pool2d", "axis": "height", "size": 1},
    }


@pytest.mark.parametrize("size", ["0", "1000000", "big"])
def test_bad_size_is_422(size: str) -> None:
    response = client.get(f"{URL}/resnet18", params={"size": size})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "size"]
