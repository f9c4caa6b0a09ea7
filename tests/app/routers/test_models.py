"""POST /api/v1/models/summary and GET /api/v1/models/builtin/{name}: status and body."""

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper

from app.main import app
from app.settings import Settings, get_settings
from convcore.networks.graph import analyze, from_layers, report_to_dict
from convcore.networks.layers import Shape
from convcore.networks.zoo import get_architecture

URL = "/api/v1/models/summary"


@pytest.fixture
def client() -> Iterator[TestClient]:
    yield TestClient(app)
    app.dependency_overrides.clear()


def tiny_model(height: int | str = 8, width: int | str = 8) -> bytes:
    """x → Conv 3×3 (pad 1) → Relu, added to a 1×1 Conv of x: an aligned residual pair."""
    w3 = numpy_helper.from_array(np.zeros((2, 1, 3, 3), dtype=np.float32), "w3")
    w1 = numpy_helper.from_array(np.zeros((2, 1, 1, 1), dtype=np.float32), "w1")
    b1 = numpy_helper.from_array(np.zeros((2,), dtype=np.float32), "b1")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w3"], ["a"], name="/conv/Conv", pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["a"], ["r"], name="/relu/Relu"),
            helper.make_node("Conv", ["x", "w1", "b1"], ["s"], name="/proj/Conv"),
            helper.make_node("Add", ["r", "s"], ["y"], name="/Add"),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, height, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[w3, w1, b1],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def field(size: int, stride: int, padding: int) -> dict[str, list[int] | list[bool]]:
    return {"size": [size, size], "stride": [stride, stride], "padding": [padding, padding], "global": [False, False]}


def test_summary_of_an_uploaded_model(client: TestClient) -> None:
    response = client.post(URL, files={"file": ("tiny.onnx", tiny_model(), "application/octet-stream")})
    assert response.status_code == 200
    assert response.json() == {
        "source": "tiny.onnx",
        "input": [1, 8, 8],
        "nodes": [
            {
                "name": "input",
                "op": "input",
                "target": "x",
                "role": "input",
                "inputs": [],
                "output": [1, 8, 8],
                "params": 0,
                "macs": 0,
                "receptive_field": field(1, 1, 0),
                "field": "local",
                "measured": False,
                "aligned": None,
                "offsets": None,
                "notes": [],
                "note": "",
            },
            {
                "name": "/conv/Conv",
                "op": "Conv",
                "target": "conv",
                "role": "window",
                "inputs": ["input"],
                "output": [2, 8, 8],
                "params": 18,
                "macs": 64 * 18,
                "receptive_field": field(3, 1, 1),
                "field": "local",
                "measured": False,
                "aligned": None,
                "offsets": None,
                "notes": [],
                "note": "",
            },
            {
                "name": "/relu/Relu",
                "op": "Relu",
                "target": "relu",
                "role": "pass",
                "inputs": ["/conv/Conv"],
                "output": [2, 8, 8],
                "params": 0,
                "macs": 0,
                "receptive_field": field(3, 1, 1),
                "field": "local",
                "measured": False,
                "aligned": None,
                "offsets": None,
                "notes": [],
                "note": "",
            },
            {
                "name": "/proj/Conv",
                "op": "Conv",
                "target": "proj",
                "role": "window",
                "inputs": ["input"],
                "output": [2, 8, 8],
                "params": 4,
                "macs": 64 * 2,
                "receptive_field": field(1, 1, 0),
                "field": "local",
                "measured": False,
                "aligned": None,
                "offsets": None,
                "notes": [],
                "note": "",
            },
            {
                "name": "/Add",
                "op": "Add",
                "target": "/Add",
                "role": "merge",
                "inputs": ["/relu/Relu", "/proj/Conv"],
                "output": [2, 8, 8],
                "params": 0,
                "macs": 0,
                "receptive_field": field(3, 1, 1),
                "field": "local",
                "measured": False,
                "aligned": True,
                "offsets": [[0.0, 0.0], [0.0, 0.0]],
                "notes": [],
                "note": "",
            },
        ],
        "total_params": 22,
        "total_macs": 64 * 20,
        "main_path": ["input", "/conv/Conv", "/relu/Relu", "/Add"],
    }


def test_symbolic_size_is_fixed_by_the_input_parameter(client: TestClient) -> None:
    data = tiny_model("H", "W")
    response = client.post(URL, files={"file": ("m.onnx", data)})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the input 'x' has no fixed height; export with a fixed input size or give one",
        "code": "invalid_value",
        "params": {},
    }
    response = client.post(URL, params={"input": "1x5x7"}, files={"file": ("m.onnx", data)})
    assert response.status_code == 200
    assert response.json()["nodes"][-1]["output"] == [2, 5, 7]
    response = client.post(URL, params={"input": "5x7"}, files={"file": ("m.onnx", data)})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "input must be CxHxW, e.g. 3x224x224, got '5x7'",
        "code": "invalid_value",
        "params": {},
    }


def test_oversized_upload_is_413(client: TestClient) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(model_max_bytes=100)
    response = client.post(URL, files={"file": ("big.onnx", tiny_model())})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the file is larger than 100 bytes: export with export_params=False (the summary needs no "
        "weights) or a smaller model",
        "code": "model_too_large",
        "params": {"limit": 100},
    }


def test_node_limit_is_422(client: TestClient) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(model_max_nodes=3)
    response = client.post(URL, files={"file": ("m.onnx", tiny_model())})
    assert response.status_code == 422
    assert response.json() == {"detail": "the graph has 4 nodes; the limit is 3", "code": "invalid_value", "params": {}}


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\x89PNG\r\n\x1a\n", "not a valid ONNX model"),
        (tiny_model()[:-40], "not a valid ONNX model"),
        (b"", "not a complete ONNX model"),
    ],
)
def test_hostile_files_are_422_with_a_message(client: TestClient, data: bytes, detail: str) -> None:
    response = client.post(URL, files={"file": ("bad.onnx", data)})
    assert response.status_code == 422
    assert detail in response.json()["detail"]


def test_missing_file_is_422(client: TestClient) -> None:
    response = client.post(URL)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_builtin_equals_the_graph_of_the_zoo(client: TestClient) -> None:
    response = client.get("/api/v1/models/builtin/resnet18", params={"size": 64})
    assert response.status_code == 200
    arch = get_architecture("resnet18")
    expected = report_to_dict(analyze(from_layers(arch.layers, Shape(3, 64, 64), arch.shortcuts)))
    assert response.json() == {"source": "ResNet-18", **expected}
    body = response.json()
    assert body["total_params"] == 11_689_512
    assert [n["aligned"] for n in body["nodes"] if n["role"] == "merge"] == [True] * 8


def test_builtin_unknown_and_bounds(client: TestClient) -> None:
    response = client.get("/api/v1/models/builtin/lenet")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "unknown architecture 'lenet'; choose one of: alexnet, vgg16, resnet18, resnet50, mobilenet_v1",
        "code": "unknown_architecture",
        "params": {"name": "lenet", "names": ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v1"]},
    }
    assert client.get("/api/v1/models/builtin/vgg16", params={"size": 4}).status_code == 422
    too_small = client.get("/api/v1/models/builtin/vgg16", params={"size": 16})
    assert too_small.status_code == 422
    assert too_small.json()["detail"].startswith("layer 30 (max_pool2d), height 1: the pooling window spans 2")
