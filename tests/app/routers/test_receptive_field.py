"""POST /api/v1/receptive-field/region: the input box of an output position, clipped and unclipped."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import app
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import region

client = TestClient(app)
URL = "/api/v1/receptive-field/region"
IMAGE = {"channels": 3, "height": 224, "width": 224}
STEM = [
    {"type": "conv2d", "out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3},
    {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
]


def test_corner_box_runs_into_the_padding() -> None:
    response = client.post(URL, json={"input": IMAGE, "layers": STEM, "position": [0, 0]})
    assert response.status_code == 200
    assert response.json() == {
        "unclipped": {"top": -5, "left": -5, "bottom": 5, "right": 5},
        "clipped": {"top": 0, "left": 0, "bottom": 5, "right": 5},
        "center": [0.0, 0.0],
        "receptive_field": {"size": [11, 11], "stride": [4, 4], "padding": [5, 5], "global": [False, False]},
    }


def test_earlier_layer_and_non_square() -> None:
    body = {"input": IMAGE, "layers": STEM, "position": [10, 3], "layer_index": 0}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.json() == {
        "unclipped": {"top": 17, "left": 3, "bottom": 23, "right": 9},
        "clipped": {"top": 17, "left": 3, "bottom": 23, "right": 9},
        "center": [20.0, 6.0],
        "receptive_field": {"size": [7, 7], "stride": [2, 2], "padding": [3, 3], "global": [False, False]},
    }


def test_box_wholly_in_the_padding_has_no_clipped_part() -> None:
    layers = [{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "padding": 2}]
    body = {"input": {"channels": 1, "height": 4, "width": 4}, "layers": layers, "position": [0, 0]}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.json()["clipped"] is None
    assert response.json()["unclipped"] == {"top": -2, "left": -2, "bottom": -2, "right": -2}


def test_even_field_has_a_half_integer_centre_equal_to_convcore() -> None:
    layers = [{"type": "conv2d", "out_channels": 1, "kernel_size": [2, 4], "stride": [1, 2]}]
    shape = {"channels": 1, "height": 9, "width": 9}
    response = client.post(URL, json={"input": shape, "layers": layers, "position": [3, 2]})
    assert response.status_code == 200
    expected = region(parse_layers(layers), Shape(1, 9, 9), (3, 2))
    assert response.json()["center"] == [3.5, 5.5] == list(expected.center)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"position": [56, 0]}, "output height index must be between 0 and 55, got 56"),
        ({"position": [0, 0], "layer_index": 2}, "layer_index must be between 0 and 1, got 2"),
        (
            {"position": [0, 0], "layers": [{"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 2}]},
            "layer 0 has no receptive field (it follows an upsampling layer)",
        ),
    ],
)
def test_out_of_range_is_422(body: dict[str, Any], detail: str) -> None:
    response = client.post(URL, json={"input": IMAGE, "layers": STEM, **body})
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": "invalid_value", "params": {}}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"position": [-1, 0]}, ["position", 0], "greater_than_equal"),
        ({"position": [0]}, ["position", 1], "missing"),
        ({"input": None, "position": [0, 0]}, ["input"], "model_type"),
    ],
)
def test_bad_body_names_the_field(body: dict[str, Any], loc: list[Any], kind: str) -> None:
    response = client.post(URL, json={"input": IMAGE, "layers": STEM, **body})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][1:] == loc and e["type"] == kind for e in errors), errors
