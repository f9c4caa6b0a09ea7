"""POST /api/v1/ops/{batch_norm2d, layer_norm, instance_norm, group_norm, dropout}: bodies equal convcore's.

torch float64 is the oracle for batch norm's running statistics over a sequence of batches.
"""

from collections.abc import Callable

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.main import app
from app.settings import get_settings
from convcore.operations import dropout as dropout_ops
from convcore.operations import norm

client = TestClient(app)
OPS = "/api/v1/ops"


def _batch(seed: int, shape: tuple[int, int, int, int] = (3, 2, 2, 3), shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(shift, 2.0, size=shape).round(3)


def test_batch_norm_training_body_equals_convcore() -> None:
    x = _batch(0)
    response = client.post(f"{OPS}/batch_norm2d", json={"x": x.tolist(), "momentum": 0.2, "weight": [2.0, 0.5]})
    assert response.status_code == 200
    expected = norm.batch_norm2d(
        x,
        running_mean=np.zeros(2),
        running_var=np.ones(2),
        weight=np.array([2.0, 0.5]),
        training=True,
        momentum=0.2,
    )
    assert response.json() == {
        "output": expected.output.tolist(),
        "x_hat": expected.x_hat.tolist(),
        "mean": expected.mean.tolist(),
        "var": expected.var.tolist(),
        "running_mean": expected.running_mean.tolist(),
        "running_var": expected.running_var.tolist(),
        "num_batches_tracked": 1,
        "training": True,
        "axes": [0, 2, 3],
    }


def test_batch_norm_small_example_by_hand() -> None:
    x = [[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]]
    body = client.post(f"{OPS}/batch_norm2d", json={"x": x}).json()
    assert body["mean"] == [4.5]
    assert body["var"] == [5.25]
    # running = 0.9·init + 0.1·batch, with the unbiased variance 5.25·8/7 = 6
    assert body["running_mean"] == [pytest.approx(0.45)]
    assert body["running_var"] == [pytest.approx(0.9 + 0.6)]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_statistics_match_torch_after_several_batches(momentum: float | None) -> None:
    layer = torch.nn.BatchNorm2d(2, momentum=momentum, dtype=torch.float64)
    layer.train()
    state = {"running_mean": None, "running_var": None, "num_batches_tracked": 0}
    for step in range(5):
        x = _batch(step, shift=3.0 + step)
        response = client.post(f"{OPS}/batch_norm2d", json={"x": x.tolist(), "momentum": momentum, **state})
        assert response.status_code == 200
        body = response.json()
        torch_out = layer(torch.tensor(x)).detach().numpy()
        assert np.asarray(body["output"]).shape == torch_out.shape
        np.testing.assert_allclose(body["output"], torch_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(body["running_mean"], layer.running_mean.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(body["running_var"], layer.running_var.numpy(), rtol=1e-12, atol=1e-12)
        assert body["num_batches_tracked"] == int(layer.num_batches_tracked)
        state = {key: body[key] for key in state}

    layer.eval()
    x = _batch(99, shift=5.0)
    body = client.post(f"{OPS}/batch_norm2d", json={"x": x.tolist(), "training": False, **state}).json()
    np.testing.assert_allclose(body["output"], layer(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    assert body["running_mean"] == state["running_mean"]
    assert body["num_batches_tracked"] == state["num_batches_tracked"]


def _first_sample_output(batch: np.ndarray, training: bool) -> np.ndarray:
    stats = {"running_mean": [0.5, -1.0], "running_var": [2.0, 0.25], "num_batches_tracked": 3}
    response = client.post(f"{OPS}/batch_norm2d", json={"x": batch.tolist(), "training": training, **stats})
    assert response.status_code == 200
    return np.asarray(response.json()["output"])[0]


def test_inference_output_does_not_depend_on_batch_mates() -> None:
    sample = _batch(1, shape=(1, 2, 2, 3))
    batch_a = np.concatenate([sample, _batch(2)])
    batch_b = np.concatenate([sample, _batch(3, shift=10.0)])
    np.testing.assert_array_equal(_first_sample_output(batch_a, False), _first_sample_output(batch_b, False))
    alone = _first_sample_output(sample, False)
    np.testing.assert_array_equal(_first_sample_output(batch_a, False), alone)
    # in training the same sample's output moves with its batch-mates
    assert np.max(np.abs(_first_sample_output(batch_a, True) - _first_sample_output(batch_b, True))) > 0.5


GAMMA, BETA = [1.5, -1.0, 1.5, -1.0], [0.0, 2.0, 0.0, 2.0]


@pytest.mark.parametrize(
    ("path", "kind", "extra", "compute"),
    [
        ("layer_norm", "layer", {}, lambda x: norm.layer_norm(x)),
        (
            "instance_norm",
            "instance",
            {"weight": GAMMA, "bias": BETA},
            lambda x: norm.instance_norm(x, weight=np.array(GAMMA), bias=np.array(BETA)),
        ),
        ("group_norm", "group", {"num_groups": 2}, lambda x: norm.group_norm(x, 2)),
    ],
)
def test_layer_instance_group_bodies_equal_convcore(
    path: str, kind: norm.NormKind, extra: dict[str, object], compute: Callable[[np.ndarray], norm.NormResult]
) -> None:
    x = _batch(4, shape=(2, 4, 2, 3))
    response = client.post(f"{OPS}/{path}", json={"x": x.tolist(), **extra})
    assert response.status_code == 200
    expected = compute(x)
    groups = 2 if kind == "group" else None
    assert response.json() == {
        "output": expected.output.tolist(),
        "x_hat": expected.x_hat.tolist(),
        "mean": expected.mean.tolist(),
        "var": expected.var.tolist(),
        "axes": list(norm.normalization_axes(kind)),
        "statistics_index": norm.statistics_index(kind, (2, 4, 2, 3), groups).tolist(),
    }


def test_group_norm_matches_torch() -> None:
    x = _batch(5, shape=(2, 6, 3, 2))
    body = client.post(f"{OPS}/group_norm", json={"x": x.tolist(), "num_groups": 3}).json()
    expected = torch.nn.functional.group_norm(torch.tensor(x), 3).numpy()
    assert np.asarray(body["output"]).shape == expected.shape
    np.testing.assert_allclose(body["output"], expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("training", "inverted"), [(True, True), (True, False), (False, True), (False, False)])
def test_dropout_body_equals_convcore(training: bool, inverted: bool) -> None:
    x = [0.5, -1.0, 2.0, 3.0, 1.0, 0.0, -2.5, 4.0]
    settings = {"p": 0.25, "training": training, "inverted": inverted, "seed": 7}
    response = client.post(f"{OPS}/dropout", json={"x": x, **settings})
    assert response.status_code == 200
    result = dropout_ops.dropout(np.array(x), p=0.25, training=training, inverted=inverted, seed=7)
    expected = dropout_ops.expected_activation(np.array(x), p=0.25, inverted=inverted, training=training)
    assert response.json() == {
        "output": result.output.tolist(),
        "mask": result.mask.tolist(),
        "scale": result.scale,
        "expected": expected.tolist(),
        **settings,
    }


def test_dropout_scales() -> None:
    def scale(training: bool, inverted: bool) -> float:
        payload = {"x": [1.0], "p": 0.2, "training": training, "inverted": inverted}
        return float(client.post(f"{OPS}/dropout", json=payload).json()["scale"])

    assert scale(True, True) == pytest.approx(1.25)
    assert scale(True, False) == 1.0
    assert scale(False, True) == 1.0
    assert scale(False, False) == pytest.approx(0.8)


def test_inverted_dropout_mean_matches_input() -> None:
    # 256 units of value 1 with p = 0.5: each output is 0 or 2, so the sample mean has standard error
    # 1/√256 = 0.0625; the tolerance is four standard errors
    body = client.post(f"{OPS}/dropout", json={"x": [1.0] * 256, "p": 0.5, "seed": 2024}).json()
    assert abs(np.mean(body["output"]) - 1.0) < 0.25
    assert set(body["output"]) == {0.0, 2.0}


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("batch_norm2d", b'{"x": [[[[1.0, NaN]]]]}', ["body", "x", 0, 0, 0, 1]),
        ("batch_norm2d", b'{"x": [[[[1.0, 2.0]]]], "running_var": [Infinity]}', ["body", "running_var", 0]),
        ("layer_norm", b'{"x": [[[[1.0, -Infinity]]]]}', ["body", "x", 0, 0, 0, 1]),
        ("dropout", b'{"x": [1.0, 1e400]}', ["body", "x", 1]),
    ],
)
def test_non_finite_values_are_422_naming_the_field(path: str, payload: bytes, field: list[object]) -> None:
    response = client.post(f"{OPS}/{path}", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == field
    assert error["type"] == "finite_number"


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("batch_norm2d", {"x": [[[[1.0]]]]}, "batch norm in training needs more than one value per channel"),
        ("batch_norm2d", {"x": [[[[1.0, 2.0]]]], "running_mean": [0.0, 0.0]}, "running_mean must have one value"),
        ("batch_norm2d", {"x": [[[[1.0, 2.0]], [[1.0]]]]}, "x must be a rectangular nested list"),
        ("group_norm", {"x": [[[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]]], "num_groups": 2}, "divisible by num_groups"),
    ],
)
def test_bad_input_is_422_with_a_message(path: str, payload: dict[str, object], message: str) -> None:
    response = client.post(f"{OPS}/{path}", json=payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_bounded_fields_are_refused() -> None:
    assert client.post(f"{OPS}/dropout", json={"x": [1.0], "p": 1.5}).status_code == 422
    assert client.post(f"{OPS}/dropout", json={"x": [1.0] * 257}).status_code == 422
    assert client.post(f"{OPS}/batch_norm2d", json={"x": [[[[1.0, 2.0]]]], "eps": 0}).status_code == 422
    assert client.post(f"{OPS}/batch_norm2d", json={"x": [[[[1.0, 2.0]]]], "momentum": 2}).status_code == 422


def test_tensor_over_the_element_limit_is_refused() -> None:
    app.dependency_overrides[get_settings] = lambda: get_settings().model_copy(update={"max_tensor_elements": 8})
    try:
        response = client.post(f"{OPS}/batch_norm2d", json={"x": np.ones((1, 1, 3, 3)).tolist()})
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 422
    assert response.json() == {
        "detail": "x has 9 elements, more than the limit of 8: send a smaller tensor",
        "code": "invalid_value",
        "params": {},
    }
