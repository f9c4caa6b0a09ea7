"""POST /api/v1/shapes: exact bodies, convcore agreement, torch's real shapes, and 422s that name the field."""

from typing import Any
from unittest.mock import ANY

import pytest
import torch
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.caching import CACHE, ResponseCache
from app.main import app
from app.reports import report_dict
from app.routers.shapes import INLINE_LAYERS
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import analyze

client = TestClient(app)
URL = "/api/v1/shapes"
STEM = [
    {"type": "conv2d", "name": "conv1", "out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False},
    {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
]


def test_resnet_stem_exact_body() -> None:
    response = client.post(URL, json={"input": {"channels": 3, "height": 224, "width": 224}, "layers": STEM})
    assert response.status_code == 200
    assert response.json() == {
        "layers": [
            {
                "index": 0,
                "type": "conv2d",
                "name": "conv1",
                "output": {"channels": 64, "height": 112, "width": 112},
                "params": 9408,
                "macs": 118013952,
                "receptive_field": {"size": [7, 7], "stride": [2, 2], "padding": [3, 3], "global": [False, False]},
                "unused": [1, 1],
            },
            {
                "index": 1,
                "type": "max_pool2d",
                "name": "",
                "output": {"channels": 64, "height": 56, "width": 56},
                "params": 0,
                "macs": 0,
                "receptive_field": {"size": [11, 11], "stride": [4, 4], "padding": [5, 5], "global": [False, False]},
                "unused": [1, 1],
            },
        ],
        "total_params": 9408,
        "total_macs": 118013952,
        "warnings": [],
    }


def test_without_input_only_receptive_fields() -> None:
    layers = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": [2, 1]}, {"type": "global_avg_pool2d"}]
    response = client.post(URL, json={"layers": layers})
    assert response.status_code == 200
    assert response.json() == {
        "layers": [
            {
                "index": 0,
                "type": "conv2d",
                "name": "",
                "output": None,
                "params": None,
                "macs": None,
                "receptive_field": {"size": [3, 3], "stride": [2, 1], "padding": [0, 0], "global": [False, False]},
                "unused": None,
            },
            {
                "index": 1,
                "type": "global_avg_pool2d",
                "name": "",
                "output": None,
                "params": None,
                "macs": None,
                "receptive_field": None,
                "unused": None,
            },
        ],
        "total_params": None,
        "total_macs": None,
        "warnings": [
            {
                "code": "rf_needs_input",
                "layer": 1,
                "axis": None,
                "count": None,
                "message": "layer 1 (global_avg_pool2d) covers the whole map: give an input size to compute its "
                "receptive field",
            }
        ],
    }


def test_warnings_for_gaps_and_unread_rows() -> None:
    body = {
        "input": {"channels": 1, "height": 10, "width": 9},
        "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": [2, 3], "stride": 3}],
    }
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        {
            "code": "gaps",
            "layer": 0,
            "axis": "height",
            "count": 1,
            "message": "layer 0 (conv2d): stride 3 is larger than the kernel span 2 along the height, so 1 of every "
            "3 input positions are never read",
        },
        {
            "code": "unread",
            "layer": 0,
            "axis": "height",
            "count": 2,
            "message": "layer 0 (conv2d): the floor in the output-size formula leaves the last 2 input row(s) unread "
            "along the height; add padding or change the stride",
        },
    ]


def test_answer_equals_convcore() -> None:
    layers: list[dict[str, Any]] = [
        {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "stride": 2, "padding": "valid", "groups": 1},
        {"type": "batch_norm2d"},
        {"type": "relu"},
        {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": "same", "groups": 32, "dilation": 2},
        {"type": "avg_pool2d", "kernel_size": 2, "ceil_mode": True},
        {"type": "dropout", "p": 0.2},
        {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1},
        {"type": "global_avg_pool2d"},
        {"type": "linear", "out_features": 10},
    ]
    response = client.post(URL, json={"input": {"channels": 3, "height": 65, "width": 40}, "layers": layers})
    assert response.status_code == 200
    assert response.json() == report_dict(analyze(parse_layers(layers), Shape(3, 65, 40)))


@pytest.mark.parametrize(
    ("layers", "detail"),
    [
        (
            [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2}],
            "layer 0 (conv2d): in_channels (3) must be divisible by groups (2)",
        ),
        (
            [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}] * 3,
            "layer 2 (conv2d), height 2: the kernel spans 3 (kernel_size=3, dilation=1) but the padded input is "
            "only 2 long: make the kernel or dilation smaller, or increase padding or the input size",
        ),
        (
            [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": "same"}],
            'layer 0 (conv2d): padding "same" needs stride 1 (torch does not support it for strided convolutions)',
        ),
    ],
)
def test_convcore_rules_are_422(layers: list[dict[str, Any]], detail: str) -> None:
    response = client.post(URL, json={"input": {"channels": 3, "height": 6, "width": 6}, "layers": layers})
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": ANY, "params": ANY}


CONV = {"type": "conv2d", "out_channels": 4, "kernel_size": 3}
SIX = {"channels": 3, "height": 6, "width": 6}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"layers": [{**CONV, "kernel_size": 0}]}, ["layers", 0, "conv2d", "kernel_size"], "greater_than_equal"),
        ({"layers": [{**CONV, "padding": -1}]}, ["layers", 0, "conv2d", "padding"], "greater_than_equal"),
        ({"layers": [{"type": "conv3d"}]}, ["layers", 0], "union_tag_invalid"),
        ({"layers": [{"type": "relu", "inplace": True}]}, ["layers", 0, "relu", "inplace"], "extra_forbidden"),
        ({"layers": [{**CONV, "out_channels": "8"}]}, ["layers", 0, "conv2d", "out_channels"], "int_type"),
        ({"layers": [{**CONV, "bias": 1}]}, ["layers", 0, "conv2d", "bias"], "bool_type"),
        ({"layers": []}, ["layers"], "too_short"),
        ({"layers": "conv"}, ["layers"], "list_type"),
        ({"input": {**SIX, "height": 10**9}, "layers": [CONV]}, ["input", "height"], "less_than_equal"),
        ({"input": {**SIX, "width": 2.5}, "layers": [CONV]}, ["input", "width"], "int_type"),
    ],
)
def test_schema_errors_name_the_field(body: dict[str, Any], loc: list[Any], kind: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][1 : len(loc) + 1] == loc and e["type"] == kind for e in errors), errors


@pytest.mark.parametrize("depth", [INLINE_LAYERS, INLINE_LAYERS + 1])
def test_long_stacks_on_and_off_the_loop(depth: int) -> None:
    """Stacks up to INLINE_LAYERS are analysed on the event loop, longer ones in the thread pool: the same table.

    ``depth`` 3×3 convolutions with padding 1 keep a 4×4 map; layer ``i`` sees ``2i + 3`` pixels per axis."""
    layers = [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1}] * depth
    response = client.post(URL, json={"input": {"channels": 1, "height": 4, "width": 4}, "layers": layers})
    assert response.status_code == 200
    rows = response.json()["layers"]
    assert len(rows) == depth
    assert [row["receptive_field"]["size"] for row in rows] == [[2 * i + 3, 2 * i + 3] for i in range(depth)]
    assert rows[-1]["output"] == {"channels": 2, "height": 4, "width": 4}
    assert response.json()["total_params"] == (1 * 2 * 9 + 2) + (depth - 1) * (2 * 2 * 9 + 2)


def test_too_many_layers_is_422() -> None:
    response = client.post(URL, json={"layers": [{"type": "relu"}] * 1001})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "too_long"


def _torch_shape(layers: list[dict[str, Any]], channels: int, h: int, w: int) -> tuple[int, ...] | None:
    """torch's output shape (C, H, W) of the stack, or None where torch refuses it."""
    modules: list[torch.nn.Module] = []
    c = channels
    for layer in layers:
        kwargs = {k: v for k, v in layer.items() if k != "type"}
        if layer["type"] == "conv2d":
            modules.append(torch.nn.Conv2d(c, **kwargs))
            c = kwargs["out_channels"]
        elif layer["type"] == "conv_transpose2d":
            modules.append(torch.nn.ConvTranspose2d(c, **kwargs))
            c = kwargs["out_channels"]
        elif layer["type"] == "max_pool2d":
            modules.append(torch.nn.MaxPool2d(**kwargs))
        else:
            modules.append(torch.nn.AvgPool2d(**kwargs))
    try:
        with torch.no_grad():
            return tuple(torch.nn.Sequential(*modules)(torch.zeros(1, channels, h, w)).shape[1:])
    except RuntimeError:
        return None


_layer = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("conv2d"),
            "out_channels": st.sampled_from([2, 4]),
            "kernel_size": st.tuples(st.integers(1, 4), st.integers(1, 4)),
            "stride": st.integers(1, 3),
            "padding": st.integers(0, 2),
            "dilation": st.integers(1, 2),
            "groups": st.sampled_from([1, 2]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("conv_transpose2d"),
            "out_channels": st.just(2),
            "kernel_size": st.integers(1, 4),
            "stride": st.integers(1, 3),
            "padding": st.integers(0, 2),
            "output_padding": st.integers(0, 1),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["max_pool2d", "avg_pool2d"]),
            "kernel_size": st.integers(1, 3),
            "stride": st.integers(1, 3),
            "padding": st.integers(0, 1),
            "ceil_mode": st.booleans(),
        }
    ),
)


@given(layers=st.lists(_layer, min_size=1, max_size=4), h=st.integers(1, 20), w=st.integers(1, 20))
def test_output_shapes_match_torch(layers: list[dict[str, Any]], h: int, w: int) -> None:
    expected = _torch_shape(layers, 2, h, w)
    response = client.post(URL, json={"input": {"channels": 2, "height": h, "width": w}, "layers": layers})
    if expected is None or min(expected) < 1:
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], str)
        return
    assert response.status_code == 200, response.json()
    out = response.json()["layers"][-1]["output"]
    assert (out["channels"], out["height"], out["width"]) == expected


def test_repeats_are_answered_from_the_cache_and_errors_are_not_cached() -> None:
    CACHE.clear()
    body = {"input": {"channels": 3, "height": 30, "width": 30}, "layers": STEM}
    first = client.post(URL, json=body)
    key = ("POST", URL, b"", first.request.content)
    assert CACHE.get(key) == (200, "application/json", first.content)
    second = client.post(URL, json=body)
    assert (second.status_code, second.content, second.headers["content-type"]) == (
        200,
        first.content,
        "application/json",
    )
    bad = {"input": {"channels": 3, "height": 2, "width": 2}, "layers": [CONV]}
    assert client.post(URL, json=bad).status_code == 422
    assert CACHE.get(("POST", URL, b"", client.build_request("POST", URL, json=bad).content)) is None


def test_cache_is_bounded() -> None:
    cache = ResponseCache(max_entries=2)
    for i in range(3):
        cache.put(("GET", "/x", str(i).encode(), b""), (200, None, b"%d" % i))
    assert cache.get(("GET", "/x", b"0", b"")) is None
    assert cache.get(("GET", "/x", b"2", b"")) == (200, None, b"2")
