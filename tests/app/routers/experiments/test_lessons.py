"""/api/v1/experiments/{residual, dropout, parameter-count}: bodies equal convcore's, and the lecture's claims hold."""

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.limits import page_limits
from app.main import app
from app.schemas.common import MAX_AXIS
from app.schemas.experiments import MAX_MASKS
from app.settings import Settings
from convcore.arithmetic import shapes
from convcore.networks import residual
from convcore.operations import dropout as dropout_ops

client = TestClient(app)
URL = "/api/v1/experiments"


def test_residual_body_equals_convcore() -> None:
    params = {"depth": 6, "width": 16, "samples": 8, "networks": 4, "seed": 3}
    response = client.get(f"{URL}/residual", params=params)
    assert response.status_code == 200
    result = residual.run_residual_experiment(**params)
    assert response.json() == {
        "depths": [0, 1, 2, 3, 4, 5, 6],
        "variances": result.variances,
        "low": result.low,
        "high": result.high,
        "theoretical": {
            "plain": [1.0] * 7,
            "residual": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
            "scaled": [1.0] * 7,
            "batch_norm": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        },
        "ratio_per_block": result.ratio_per_block,
        "increment_per_block": result.increment_per_block,
        **params,
        "dtype": "float32",
        "init": result.init,
        "block": result.block,
    }


def test_residual_variance_doubles_per_block_and_scaling_keeps_it_flat() -> None:
    body = client.get(f"{URL}/residual").json()
    assert body["depths"] == list(range(51))
    assert (body["width"], body["samples"], body["networks"], body["seed"]) == (64, 16, 32, 0)
    variances = {name: np.asarray(values) for name, values in body["variances"].items()}
    # doubling: the fitted factor per block within 0.125 of 2 (4.3 standard deviations over seeds, see
    # tests/convcore/networks/test_residual.py), and every single block's ratio between 1 and 3: the largest
    # deviation of a step from 2 over seeds 0..59 had mean 0.33, sd 0.11 and maximum 0.70 (0.55 at seed 0;
    # the pooled curve's deep steps follow the one network with the largest variance), so 1 is 6 sd away
    assert body["ratio_per_block"]["residual"] == pytest.approx(2.0, abs=0.125)
    steps = variances["residual"][1:] / variances["residual"][:-1]
    assert np.all(np.abs(steps - 2.0) < 1.0)
    assert variances["residual"][-1] > 2.0**45
    # 1/√2: flat — the fitted factor is half the residual one, and 50 blocks stay within a factor 16 of the
    # input's variance (the pooled variance of 32 networks is pulled by the largest; at seed 0 it reaches 2^3.3)
    assert body["ratio_per_block"]["scaled"] == pytest.approx(1.0, abs=0.0625)
    assert np.all(np.abs(np.log2(variances["scaled"])) < 4.0)
    # batch norm: linear growth, about one unit of variance per block
    assert body["increment_per_block"]["batch_norm"] == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        ("depth", 51, {"le": 50}),
        ("depth", 0, {"ge": 1}),
        ("width", 129, {"le": 128}),
        ("samples", 1, {"ge": 2}),
        ("networks", 65, {"le": 64}),
        ("seed", -1, {"ge": 0}),
    ],
)
def test_residual_bounds(field: str, value: int, bound: dict[str, int]) -> None:
    response = client.get(f"{URL}/residual", params={field: value})
    assert response.status_code == 422
    ((kind, limit),) = bound.items()
    words = "less than or equal to" if kind == "le" else "greater than or equal to"
    assert response.json() == {
        "detail": [
            {
                "loc": ["query", field],
                "msg": f"Input should be {words} {limit}",
                "type": "less_than_equal" if kind == "le" else "greater_than_equal",
                "input": str(value),
                "ctx": bound,
            }
        ]
    }


def test_residual_work_bound_is_a_message() -> None:
    response = client.get(f"{URL}/residual", params={"width": 128, "samples": 20, "networks": 64})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "networks × samples × width² × depth must be at most 134,217,728 for one request, got "
        "1,048,576,000; reduce networks, samples, width or depth",
        "code": "residual_work_too_large",
        "params": {"work": 1_048_576_000, "limit": 134_217_728},
    }


def test_dropout_experiment_body_equals_convcore() -> None:
    x = [1.0, -2.0, 0.5, 3.0]
    params = {"p": 0.3, "inverted": False, "n_masks": 50, "seed": 11}
    response = client.post(f"{URL}/dropout", json={"x": x, **params})
    assert response.status_code == 200
    array = np.array(x)
    ensemble = dropout_ops.ensemble_average(array, p=0.3, inverted=False, n_masks=50, seed=11)
    assert response.json() == {
        "expected_training": dropout_ops.expected_activation(array, p=0.3, inverted=False).tolist(),
        "measured_training": dropout_ops.measure_mean_activation(
            array, p=0.3, inverted=False, n_masks=50, seed=11
        ).tolist(),
        "inference_output": ensemble.inference_output.tolist(),
        "ensemble_average": ensemble.average.tolist(),
        "rms_error": ensemble.rms_error.tolist(),
        "n_units": 4,
        "n_distinct_masks": "16",
        **params,
    }


def test_inverted_dropout_measured_mean_matches_input() -> None:
    x = np.linspace(-2.0, 3.0, 64)
    body = client.post(f"{URL}/dropout", json={"x": x.tolist(), "p": 0.5, "n_masks": 2000, "seed": 0}).json()
    np.testing.assert_allclose(body["expected_training"], x)
    # per unit the standard error is |x|·√(p/(1-p)/n) = |x|/√2000 ≈ 0.022·|x|; allow five of them
    measured = np.asarray(body["measured_training"])
    assert np.all(np.abs(measured - x) <= 5 * np.abs(x) / math.sqrt(2000) + 1e-12)
    # averaging many sub-networks approaches the inference output: the error shrinks roughly as 1/√k
    rms = np.asarray(body["rms_error"])
    assert rms[-1] < rms[9] / 5


def test_distinct_mask_count_is_exact_beyond_float_precision() -> None:
    body = client.post(f"{URL}/dropout", json={"x": [1.0] * 100, "n_masks": 1}).json()
    assert body["n_distinct_masks"] == str(2**100)


def test_the_dropout_schema_stays_within_convcores_guard() -> None:
    # the API's own bounds (units × masks) are the ones a request meets; convcore's guard is for other callers
    units = MAX_AXIS  # x is one Row
    assert units * MAX_MASKS <= dropout_ops.MAX_MONTE_CARLO_VALUES
    response = client.post(f"{URL}/dropout", json={"x": [1.0] * units, "n_masks": MAX_MASKS})
    assert response.status_code == 200
    assert client.post(f"{URL}/dropout", json={"x": [1.0] * (units + 1)}).status_code == 422
    assert client.post(f"{URL}/dropout", json={"x": [1.0], "n_masks": MAX_MASKS + 1}).status_code == 422


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"layer": "conv2d", "in_channels": 3, "out_channels": 16, "kernel_size": 3},
            {"layer": "conv2d", "params": 448, "formula": "16·3·3·3 + 16 = 448"},
        ),
        (
            {"layer": "conv2d", "in_channels": 8, "out_channels": 8, "kernel_size": 3, "groups": 8, "bias": False},
            {"layer": "conv2d", "params": 72, "formula": "8·1·3·3 = 72"},
        ),
        (
            {"layer": "linear", "in_channels": 512, "out_channels": 1000},
            {"layer": "linear", "params": 513000, "formula": "512·1000 + 1000 = 513000"},
        ),
        (
            {"layer": "batch_norm2d", "in_channels": 64},
            {"layer": "batch_norm2d", "params": 128, "formula": "2·64 = 128"},
        ),
        ({"layer": "max_pool2d"}, {"layer": "max_pool2d", "params": 0, "formula": "0"}),
    ],
)
def test_parameter_count(params: dict[str, object], expected: dict[str, object]) -> None:
    response = client.get(f"{URL}/parameter-count", params=params)
    assert response.status_code == 200
    assert response.json() == expected


def test_parameter_count_uses_convcore() -> None:
    body = client.get(
        f"{URL}/parameter-count", params={"layer": "conv2d", "in_channels": 6, "out_channels": 4, "groups": 2}
    ).json()
    assert body["params"] == shapes.conv_params(6, 4, (3, 3), groups=2)


def test_parameter_count_bad_groups_is_422() -> None:
    response = client.get(f"{URL}/parameter-count", params={"layer": "conv2d", "in_channels": 3, "groups": 2})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "in_channels (3) must be divisible by groups (2)",
        "code": "channels_not_divisible",
        "params": {"field": "in_channels", "channels": 3, "groups": 2},
    }


def test_the_residual_pages_budget_is_the_servers() -> None:
    # the page narrows its ranges to the budget it is served with (app.limits; tests/js/lessons.test.js)
    assert page_limits("residual", Settings())["work"]["max"] == Settings().max_residual_work == 2**27
