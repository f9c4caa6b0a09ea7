"""POST /api/v1/ops/*: toy-tensor operations equal convcore (and torch), traces bounded, bad input is 422."""

import dataclasses
from typing import Any
from unittest.mock import ANY

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from app.main import app
from app.settings import Settings, get_settings
from convcore.operations import steps as tracing

client = TestClient(app)
URL = "/api/v1/ops"
X = [[[float(7 * i + j) for j in range(7)] for i in range(7)]]
SOBEL = [[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]]
TOL = {"rtol": 1e-12, "atol": 1e-9}


def _torch(values: Any) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def test_conv2d_exact_body() -> None:
    x = [[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]]
    response = client.post(f"{URL}/conv2d", json={"x": x, "weight": [[[[1.0, -1.0], [0.0, 2.0]]]], "bias": [0.5]})
    assert response.status_code == 200
    assert response.json() == {
        "output": [[[1.5, 8.5], [-0.5, 0.5]]],
        "shape": [1, 2, 2],
        "formula": {
            "height": "floor((3 + 2·0 − 1·(2−1) − 1)/1) + 1 = 2",
            "width": "floor((3 + 2·0 − 1·(2−1) − 1)/1) + 1 = 2",
        },
        "indices": None,
        "trace": None,
    }


@pytest.mark.parametrize("method", ["naive", "im2col", "fft", "torch"])
@pytest.mark.parametrize(
    "params",
    [
        {"stride": 2, "padding": 1},
        {"stride": [1, 2], "padding": [2, 0], "dilation": [2, 1]},
        {"padding": "same", "dilation": 2},
        {"padding": "valid"},
    ],
)
def test_conv2d_matches_torch(method: str, params: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 7, 6)), rng.normal(size=(4, 1, 3, 3)), rng.normal(size=4)
    body = {"x": x.tolist(), "weight": w.tolist(), "bias": b.tolist(), "groups": 2, "method": method, **params}
    response = client.post(f"{URL}/conv2d", json=body)
    assert response.status_code == 200, response.json()
    expected = F.conv2d(_torch(x)[None], _torch(w), _torch(b), groups=2, **params)[0]
    output = np.array(response.json()["output"])
    assert output.shape == tuple(expected.shape)
    np.testing.assert_allclose(output, expected.numpy(), **TOL)
    assert response.json()["shape"] == list(expected.shape)


def test_conv2d_flip_is_a_true_convolution() -> None:
    response = client.post(f"{URL}/conv2d", json={"x": X, "weight": SOBEL, "flip": True})
    assert response.status_code == 200
    expected = F.conv2d(_torch(X)[None], _torch(SOBEL).flip(-1, -2))[0]
    np.testing.assert_allclose(np.array(response.json()["output"]), expected.numpy(), **TOL)


def test_conv2d_trace_equals_convcore_and_output() -> None:
    body = {"x": X, "weight": SOBEL, "bias": [0.5], "padding": 1, "stride": 2}
    response = client.post(f"{URL}/conv2d", params={"trace": "true"}, json=body)
    assert response.status_code == 200
    steps = response.json()["trace"]
    expected = tracing.conv2d_trace(np.array(X), np.array(SOBEL), np.array([0.5]), stride=2, padding=1)
    assert steps == [dataclasses.asdict(step) for step in expected]
    assert steps[0] == {
        "out_channel": 0,
        "out_row": 0,
        "out_col": 0,
        "channels": [0] * 9,
        "rows": [-1, -1, -1, 0, 0, 0, 1, 1, 1],
        "cols": [-1, 0, 1, -1, 0, 1, -1, 0, 1],
        "is_padding": [True, True, True, True, False, False, True, False, False],
        "kernel_rows": [0, 0, 0, 1, 1, 1, 2, 2, 2],
        "kernel_cols": [0, 1, 2, 0, 1, 2, 0, 1, 2],
        "weights": [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0],
        "inputs": [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 7.0, 8.0],
        "products": [0.0, 0.0, -0.0, 0.0, 0.0, -2.0, 0.0, 0.0, -8.0],
        "sum": -10.0,
        "bias": 0.5,
        "result": -9.5,
    }
    output = np.array(response.json()["output"])
    assert [s["result"] for s in steps] == output.ravel().tolist()


def test_trace_flag_in_the_body_too() -> None:
    response = client.post(f"{URL}/conv2d", json={"x": X, "weight": SOBEL, "trace": True})
    assert response.status_code == 200
    assert len(response.json()["trace"]) == 25


def test_trace_is_bounded_by_settings() -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(max_trace_steps=10)
    try:
        response = client.post(f"{URL}/conv2d", json={"x": X, "weight": SOBEL, "trace": True})
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the trace would have 25 steps, more than the 10 allowed: reduce the input size or the number of "
        "channels",
        "code": "invalid_value",
        "params": {},
    }


def test_tensor_size_is_bounded_by_settings() -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(max_tensor_elements=40)
    try:
        response = client.post(f"{URL}/conv2d", json={"x": X, "weight": SOBEL})
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 422
    assert response.json() == {
        "detail": "x has 49 elements, more than the limit of 40: send a smaller tensor",
        "code": "invalid_value",
        "params": {},
    }


def test_output_size_is_bounded_before_computing() -> None:
    body = {"x": [[[1.0]]], "weight": [[[[1.0]]]], "padding": 64}
    app.dependency_overrides[get_settings] = lambda: Settings(max_tensor_elements=1000)
    try:
        response = client.post(f"{URL}/conv2d", json=body)
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the output would have shape (1, 129, 129) = 16,641 elements, more than the limit of 1,000: "
        "use a smaller input, a larger stride or less padding",
        "code": "invalid_value",
        "params": {},
    }


def test_conv_transpose2d_matches_torch_with_trace() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=3)
    params = {"stride": [2, 3], "padding": 1, "output_padding": [1, 0], "dilation": 1}
    body = {"x": x.tolist(), "weight": w.tolist(), "bias": b.tolist(), "trace": True, **params}
    response = client.post(f"{URL}/conv_transpose2d", json=body)
    assert response.status_code == 200, response.json()
    expected = F.conv_transpose2d(_torch(x)[None], _torch(w), _torch(b), **params)[0]
    output = np.array(response.json()["output"])
    assert output.shape == tuple(expected.shape)
    np.testing.assert_allclose(output, expected.numpy(), **TOL)
    assert response.json()["formula"] == {
        "height": "(3 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6",
        "width": "(4 − 1)·3 − 2·1 + 1·(2−1) + 0 + 1 = 9",
    }
    steps = tracing.conv_transpose2d_trace(x, w, **params)
    assert response.json()["trace"] == [dataclasses.asdict(step) for step in steps]


def test_max_pool2d_matches_torch_with_indices_and_trace() -> None:
    params = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True}
    response = client.post(f"{URL}/max_pool2d", params={"trace": "true"}, json={"x": X, **params})
    assert response.status_code == 200
    expected, indices = F.max_pool2d(_torch(X)[None], return_indices=True, **params)
    assert response.json()["shape"] == [1, 4, 4]
    np.testing.assert_allclose(np.array(response.json()["output"]), expected[0].numpy(), **TOL)
    assert response.json()["indices"] == indices[0].tolist()
    steps = response.json()["trace"]
    assert steps == [dataclasses.asdict(s) for s in tracing.pool2d_trace("max", np.array(X), **params)]
    assert [s["winner_index"] for s in steps] == indices.ravel().tolist()


def test_avg_pool2d_matches_torch_with_divisors() -> None:
    params = {"kernel_size": [3, 2], "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}
    response = client.post(f"{URL}/avg_pool2d", json={"x": X, "trace": True, **params})
    assert response.status_code == 200
    expected = F.avg_pool2d(_torch(X)[None], **params)[0]
    output = np.array(response.json()["output"])
    assert output.shape == tuple(expected.shape)
    np.testing.assert_allclose(output, expected.numpy(), **TOL)
    steps = response.json()["trace"]
    assert [s["sum"] / s["divisor"] for s in steps] == pytest.approx(expected.ravel().tolist(), rel=1e-12)


def test_global_avg_pool2d_exact_body() -> None:
    response = client.post(f"{URL}/global_avg_pool2d", json={"x": [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 1.0]]]})
    assert response.status_code == 200
    assert response.json() == {
        "output": [[[2.5]], [[0.25]]],
        "shape": [2, 1, 1],
        "formula": None,
        "indices": None,
        "trace": None,
    }


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        (
            "conv2d",
            {"x": X, "weight": [[[[1.0, 2.0]]]], "groups": 2},
            "in_channels (1) must be divisible by groups (2)",
        ),
        (
            "conv2d",
            {"x": [[[1.0, 2.0], [3.0]]], "weight": SOBEL},
            "x must be a rectangular nested list (every row the same length)",
        ),
        (
            "conv2d",
            {"x": X, "weight": SOBEL, "bias": [1.0, 2.0]},
            "bias must have shape (1,) (one per output channel), got (2,)",
        ),
        (
            "conv2d",
            {"x": [[[1.0, 2.0]]], "weight": SOBEL},
            "input 1×2 is too small for an effective kernel of 3 with padding 0: increase padding or the input "
            "size (or use a smaller kernel or dilation)",
        ),
        (
            "conv2d",
            {"x": X, "weight": SOBEL, "stride": 2, "padding": "same"},
            "padding='same' is not supported for strided convolutions (stride=2): use stride 1 or give the "
            "padding as a number",
        ),
        (
            "max_pool2d",
            {"x": X, "kernel_size": 2, "padding": 2},
            "pooling padding must be at most half the kernel size (2 // 2 = 1), got 2: lower padding or use a "
            "larger kernel",
        ),
    ],
)
def test_convcore_rules_are_422(path: str, body: dict[str, Any], detail: str) -> None:
    response = client.post(f"{URL}/{path}", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": ANY, "params": ANY}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"x": X, "weight": SOBEL, "stride": 0}, ["stride"], "greater_than_equal"),
        ({"x": X, "weight": SOBEL, "padding": -1}, ["padding"], "greater_than_equal"),
        ({"x": X, "weight": SOBEL, "method": "winograd"}, ["method"], "literal_error"),
        ({"x": [[["1"]]], "weight": SOBEL}, ["x", 0, 0, 0], "float_type"),
        ({"x": [[[1e300]]], "weight": SOBEL}, ["x", 0, 0, 0], "less_than_equal"),
        ({"x": [[[]]], "weight": SOBEL}, ["x", 0, 0], "too_short"),
        ({"x": [[1.0]], "weight": SOBEL}, ["x", 0, 0], "list_type"),
        ({"weight": SOBEL}, ["x"], "missing"),
    ],
)
def test_schema_errors_name_the_field(body: dict[str, Any], loc: list[Any], kind: str) -> None:
    response = client.post(f"{URL}/conv2d", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][1 : len(loc) + 1] == loc and e["type"] == kind for e in errors), errors


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_values_are_422_naming_the_field(token: str) -> None:
    raw = '{"x": [[[1.0, %s]]], "weight": [[[[1.0]]]]}' % token  # noqa: UP031
    response = client.post(f"{URL}/conv2d", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "x", 0, 0, 1]


def test_trace_taps_are_bounded() -> None:
    x = [[[0.0] * 128 for _ in range(128)]]
    response = client.post(f"{URL}/max_pool2d", json={"x": x, "kernel_size": 64, "stride": 2, "trace": True})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the trace would list 1,089 steps × 4,096 taps = 4,460,544 values, more than the limit of "
        "32,768: use a smaller input or kernel, or trace=false",
        "code": "invalid_value",
        "params": {},
    }
