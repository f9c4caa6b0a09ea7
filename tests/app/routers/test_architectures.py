"""GET /api/v1/architectures[/{name}]: the zoo and its per-layer tables, equal to /shapes on the same stack."""

import pytest
from fastapi.testclient import TestClient

from app.main import app
from convcore.networks import zoo

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
    assert pool5["receptive_field"] == {
        "size": [212, 212],
        "stride": [32, 32],
        "padding": [90, 90],
        "global": [False, False],
    }
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


@pytest.mark.parametrize("name", NAMES)
def test_layer_rows_agree_with_the_builtin_model_nodes(name: str) -> None:
    """/architectures/{name} and /models/builtin/{name} are one engine run: every layer row is its node."""
    body = client.get(f"{URL}/{name}", params={"size": 96}).json()
    nodes = {n["name"]: n for n in client.get(f"/api/v1/models/builtin/{name}", params={"size": 96}).json()["nodes"]}
    assert (body["total_params"], body["total_macs"]) == (
        sum(n["params"] for n in nodes.values()),
        sum(n["macs"] for n in nodes.values()),
    )
    rows = body["layers"] + [row for s in body["shortcuts"] if s["table"] for row in s["table"]["layers"]]
    assert len(rows) == len(nodes) - 1 - len(body["shortcuts"])  # all but the input and the additions
    for row in rows:
        node = nodes[row["name"]]
        assert row["receptive_field"] == node["receptive_field"]
        assert (row["params"], row["macs"]) == (node["params"], node["macs"])
        assert [row["output"][k] for k in ("channels", "height", "width")] == node["output"]


def test_the_classifier_sees_the_whole_input() -> None:
    body = client.get(f"{URL}/resnet18", params={"size": 64}).json()
    pool, fc = body["layers"][-2:]
    whole = {"size": [64, 64], "stride": [32, 32], "padding": [0, 0], "global": [True, True]}
    assert (pool["name"], pool["receptive_field"]) == ("avgpool", whole)
    assert (fc["name"], fc["receptive_field"]) == ("fc", whole)
    last = next(row for row in body["layers"] if row["name"] == "layer4.1.relu_1")
    assert last["receptive_field"]["global"] == [False, False]
