"""Error bodies: the English ``detail`` for API users, and a stable ``code`` with ``params`` for the pages."""

import io

import numpy as np
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from app.main import app

client = TestClient(app)


def test_a_plain_value_error_has_the_generic_code() -> None:
    response = client.post("/api/v1/models/summary?input=5x7", files={"file": ("m.onnx", b"x")})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "input must be CxHxW, e.g. 3x224x224, got '5x7'",
        "code": "invalid_value",
        "params": {},
    }


def test_a_network_too_deep_for_its_input_names_the_layer_and_axis() -> None:
    response = client.get("/api/v1/architectures/vgg16", params={"size": 8})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "kernel_exceeds_input"
    params = body["params"]
    assert body["detail"].startswith(f"layer {params['layer']} ({params['type']}), {params['axis']} {params['size']}: ")
    assert params["span"] > params["padded"]
    assert (params["layer"], params["type"], params["axis"]) == (23, "max_pool2d", "height")


def test_a_zero_stride_in_a_layer_list_is_too_small() -> None:
    response = client.post(
        "/api/v1/images/feature-maps",
        data={"sample": "house", "layers": '[{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 0}]'},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "layer 0 (conv2d): stride must be between 1 and 4,096, got 0",
        "code": "too_small",
        "params": {"field": "stride", "minimum": 1, "value": 0, "layer": 0, "type": "conv2d"},
    }


def test_the_residual_experiment_limit_gives_both_numbers() -> None:
    response = client.get(
        "/api/v1/experiments/residual", params={"networks": 64, "samples": 64, "width": 128, "depth": 50}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "residual_work_too_large"
    assert body["params"]["work"] == 64 * 64 * 128 * 128 * 50
    assert body["params"]["work"] > body["params"]["limit"]


def test_an_unknown_onnx_operator_is_global_with_a_note_not_a_refusal() -> None:
    graph = helper.make_graph(
        [helper.make_node("Foo", ["x"], ["y"], name="foo", domain="my.ops")],
        "odd",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])],
        initializer=[numpy_helper.from_array(np.zeros(1, dtype=np.float32), "unused")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.ops", 1)])
    response = client.post("/api/v1/models/summary", files={"file": ("m.onnx", model.SerializeToString())})
    assert response.status_code == 200
    foo = response.json()["nodes"][-1]
    assert (foo["name"], foo["field"], foo["macs"]) == ("foo", "global", 0)
    assert foo["receptive_field"] == {"size": [4, 4], "stride": [1, 1], "padding": [0, 0], "global": [True, True]}
    assert foo["notes"] == [
        "operator my.ops::Foo has no known meaning here: counted as global for the receptive field, 0 MACs"
    ]


def test_an_upload_that_is_not_an_image_keeps_its_415() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    response = client.post(
        "/api/v1/images/feature-maps",
        data={"layers": '[{"type": "relu"}]'},
        files={"file": ("a.png", gif.getvalue(), "image/png")},
    )
    assert response.status_code == 415
    assert response.json()["code"] == "not_an_image"


def test_the_openapi_schema_documents_code_and_params() -> None:
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ErrorResponse"]
    assert {"detail", "code", "params"} <= set(schema["properties"])
    assert schema["required"] == ["detail"]
