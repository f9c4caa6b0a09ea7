"""Batch, layer, instance and group norm against torch float64 (tolerance: rtol 1e-10, atol 1e-12)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from convcore.operations.norm import (
    batch_norm2d,
    group_norm,
    instance_norm,
    layer_norm,
    normalization_axes,
    statistics_index,
)

RTOL, ATOL = 1e-10, 1e-12


def close(actual: np.ndarray, expected: torch.Tensor) -> None:
    expected_np = expected.detach().numpy()
    assert actual.shape == expected_np.shape
    np.testing.assert_allclose(actual, expected_np, rtol=RTOL, atol=ATOL)


def shifted_batch(rng: np.random.Generator, shape: tuple[int, int, int, int]) -> np.ndarray:
    """A batch whose channels have their own shift and scale, as the lesson page's toy batch."""
    channels = shape[1]
    return (
        rng.normal(size=shape) * rng.uniform(0.5, 3.0, channels)[None, :, None, None]
        + rng.uniform(-2.0, 2.0, channels)[None, :, None, None]
    )


@pytest.mark.parametrize("momentum", [0.1, 0.7, None])
def test_batch_norm_matches_torch_through_a_sequence_of_batches_then_eval(momentum: float | None) -> None:
    rng = np.random.default_rng(0)
    channels = 3
    torch_bn = torch.nn.BatchNorm2d(channels, momentum=momentum, dtype=torch.float64)
    weight, bias = rng.normal(size=channels), rng.normal(size=channels)
    with torch.no_grad():
        torch_bn.weight.copy_(torch.from_numpy(weight))
        torch_bn.bias.copy_(torch.from_numpy(bias))
    running_mean, running_var, tracked = np.zeros(channels), np.ones(channels), 0

    torch_bn.train()
    for shape in [(4, channels, 5, 3), (2, channels, 1, 7), (1, channels, 2, 2), (6, channels, 3, 4)]:
        x = shifted_batch(rng, shape)
        ours = batch_norm2d(
            x,
            running_mean=running_mean,
            running_var=running_var,
            weight=weight,
            bias=bias,
            training=True,
            momentum=momentum,
            num_batches_tracked=tracked,
        )
        close(ours.output, torch_bn(torch.from_numpy(x)))
        close(ours.running_mean, torch_bn.running_mean)
        close(ours.running_var, torch_bn.running_var)
        assert ours.num_batches_tracked == int(torch_bn.num_batches_tracked)
        np.testing.assert_allclose(ours.mean, x.mean(axis=(0, 2, 3)), rtol=RTOL)
        np.testing.assert_allclose(ours.var, x.var(axis=(0, 2, 3)), rtol=RTOL)
        running_mean, running_var, tracked = ours.running_mean, ours.running_var, ours.num_batches_tracked

    torch_bn.eval()
    x = shifted_batch(rng, (3, channels, 4, 5))
    ours = batch_norm2d(
        x,
        running_mean=running_mean,
        running_var=running_var,
        weight=weight,
        bias=bias,
        training=False,
        momentum=momentum,
        num_batches_tracked=tracked,
    )
    close(ours.output, torch_bn(torch.from_numpy(x)))
    np.testing.assert_array_equal(ours.running_mean, running_mean)
    np.testing.assert_array_equal(ours.running_var, running_var)
    np.testing.assert_array_equal(ours.mean, running_mean)
    assert ours.num_batches_tracked == tracked


def test_running_var_uses_the_unbiased_variance() -> None:
    x = np.array([0.0, 2.0]).reshape(2, 1, 1, 1)
    result = batch_norm2d(x, running_mean=np.zeros(1), running_var=np.zeros(1), training=True, momentum=1.0)
    # biased variance 1 normalizes; unbiased variance 2 (m / (m - 1) = 2) is stored
    np.testing.assert_allclose(result.var, [1.0])
    np.testing.assert_allclose(result.running_var, [2.0])
    np.testing.assert_allclose(result.x_hat.ravel(), [-1.0, 1.0], rtol=1e-5)


def test_affine_step_is_applied_after_x_hat() -> None:
    rng = np.random.default_rng(1)
    x = shifted_batch(rng, (3, 2, 2, 2))
    weight, bias = np.array([2.0, -0.5]), np.array([1.0, 3.0])
    result = batch_norm2d(x, running_mean=np.zeros(2), running_var=np.ones(2), weight=weight, bias=bias, training=True)
    np.testing.assert_allclose(result.output, weight[None, :, None, None] * result.x_hat + bias[None, :, None, None])
    np.testing.assert_allclose(result.x_hat.mean(axis=(0, 2, 3)), [0.0, 0.0], atol=1e-12)


def test_inference_output_of_a_sample_does_not_depend_on_its_batch_mates() -> None:
    rng = np.random.default_rng(2)
    sample = rng.normal(size=(1, 3, 4, 4))
    stats = {"running_mean": rng.normal(size=3), "running_var": rng.uniform(0.5, 2.0, 3)}
    outputs = {}
    for mode in (True, False):
        first = batch_norm2d(np.concatenate([sample, rng.normal(size=(3, 3, 4, 4))]), training=mode, **stats)
        second = batch_norm2d(np.concatenate([sample, 5.0 + rng.normal(size=(3, 3, 4, 4))]), training=mode, **stats)
        outputs[mode] = (first.output[0], second.output[0])
    np.testing.assert_array_equal(outputs[False][0], outputs[False][1])
    assert np.max(np.abs(outputs[True][0] - outputs[True][1])) > 0.1


def test_batch_of_one_value_per_channel_is_refused_in_training_as_torch_does() -> None:
    x = np.ones((1, 2, 1, 1))
    stats = {"running_mean": np.zeros(2), "running_var": np.ones(2)}
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(
            torch.from_numpy(x),
            torch.zeros(2, dtype=torch.float64),
            torch.ones(2, dtype=torch.float64),
            training=True,
        )
    with pytest.raises(ValueError, match=r"N·H·W > 1.*evaluation mode"):
        batch_norm2d(x, training=True, **stats)
    assert batch_norm2d(x, training=False, **stats).output.shape == (1, 2, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"running_mean": np.zeros(3)}, r"running_mean must have one value per channel, shape \(2,\)"),
        ({"running_var": np.ones((2, 1))}, r"running_var must have one value per channel"),
        ({"weight": np.ones(5)}, r"weight must have one value per channel"),
        ({"bias": np.ones(1)}, r"bias must have one value per channel"),
        ({"running_var": -np.ones(2)}, "running_var must be non-negative"),
        ({"momentum": 1.5}, "momentum must be between 0 and 1"),
        ({"eps": 0.0}, "eps must be positive"),
        ({"num_batches_tracked": -1}, "num_batches_tracked must be non-negative"),
    ],
)
def test_batch_norm_bad_arguments(kwargs: dict, message: str) -> None:
    arguments = {"running_mean": np.zeros(2), "running_var": np.ones(2), "training": True, **kwargs}
    with pytest.raises(ValueError, match=message):
        batch_norm2d(np.ones((2, 2, 3, 3)), **arguments)


def test_batch_norm_needs_nchw() -> None:
    with pytest.raises(ValueError, match=r"NCHW input with 4 dimensions, got shape \(2, 3, 4\)"):
        batch_norm2d(np.ones((2, 3, 4)), running_mean=np.zeros(3), running_var=np.ones(3), training=True)


nchw = st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 5), st.integers(1, 5)).filter(
    lambda s: s[2] * s[3] > 1
)


@given(shape=nchw, seed=st.integers(0, 2**16), affine=st.booleans())
def test_layer_norm_matches_torch(shape: tuple[int, int, int, int], seed: int, affine: bool) -> None:
    rng = np.random.default_rng(seed)
    x = shifted_batch(rng, shape)
    weight = rng.normal(size=shape[1:]) if affine else None
    bias = rng.normal(size=shape[1:]) if affine else None
    ours = layer_norm(x, weight=weight, bias=bias)
    expected = F.layer_norm(
        torch.from_numpy(x),
        shape[1:],
        None if weight is None else torch.from_numpy(weight),
        None if bias is None else torch.from_numpy(bias),
    )
    close(ours.output, expected)
    assert ours.mean.shape == (shape[0],)


@given(shape=nchw, seed=st.integers(0, 2**16))
def test_layer_norm_over_the_last_axes_only(shape: tuple[int, int, int, int], seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=shape)
    ours = layer_norm(x, shape[2:])
    close(ours.output, F.layer_norm(torch.from_numpy(x), shape[2:]))
    assert ours.mean.shape == shape[:2]


@given(shape=nchw, seed=st.integers(0, 2**16), affine=st.booleans())
def test_instance_norm_matches_torch(shape: tuple[int, int, int, int], seed: int, affine: bool) -> None:
    rng = np.random.default_rng(seed)
    x = shifted_batch(rng, shape)
    weight = rng.normal(size=shape[1]) if affine else None
    bias = rng.normal(size=shape[1]) if affine else None
    ours = instance_norm(x, weight=weight, bias=bias)
    expected = F.instance_norm(
        torch.from_numpy(x),
        weight=None if weight is None else torch.from_numpy(weight),
        bias=None if bias is None else torch.from_numpy(bias),
    )
    close(ours.output, expected)
    assert ours.mean.shape == shape[:2]


@given(
    shape=st.tuples(st.integers(1, 3), st.sampled_from([1, 2, 4, 6, 12]), st.integers(1, 4), st.integers(1, 4)),
    data=st.data(),
    seed=st.integers(0, 2**16),
    affine=st.booleans(),
)
def test_group_norm_matches_torch(
    shape: tuple[int, int, int, int], data: st.DataObject, seed: int, affine: bool
) -> None:
    channels = shape[1]
    # a group must hold more than one value (torch refuses single-value groups for N = 1; so do we)
    valid = [g for g in range(1, channels + 1) if channels % g == 0 and channels // g * shape[2] * shape[3] > 1]
    assume(valid)
    groups = data.draw(st.sampled_from(valid))
    rng = np.random.default_rng(seed)
    x = shifted_batch(rng, shape)
    weight = rng.normal(size=channels) if affine else None
    bias = rng.normal(size=channels) if affine else None
    ours = group_norm(x, groups, weight=weight, bias=bias)
    expected = F.group_norm(
        torch.from_numpy(x),
        groups,
        None if weight is None else torch.from_numpy(weight),
        None if bias is None else torch.from_numpy(bias),
    )
    close(ours.output, expected)
    assert ours.mean.shape == (shape[0], groups)


def test_group_norm_extremes_are_layer_and_instance_norm() -> None:
    x = shifted_batch(np.random.default_rng(3), (2, 4, 3, 5))
    np.testing.assert_allclose(group_norm(x, 1).output, layer_norm(x).output, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(group_norm(x, 4).output, instance_norm(x).output, rtol=RTOL, atol=ATOL)


def test_group_norm_channels_must_divide() -> None:
    x = np.ones((2, 6, 3, 3))
    with pytest.raises(RuntimeError):
        F.group_norm(torch.from_numpy(x), 4)
    with pytest.raises(ValueError, match=r"channels \(6\) must be divisible by num_groups \(4\)"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match="num_groups must be an integer of at least 1"):
        group_norm(x, 0)
    with pytest.raises(ValueError, match="num_groups must be an integer"):
        group_norm(x, 2.0)  # type: ignore[arg-type]


def test_instance_norm_needs_more_than_one_pixel() -> None:
    with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
        F.instance_norm(torch.ones(3, 2, 1, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"H·W > 1"):
        instance_norm(np.ones((3, 2, 1, 1)))


def test_group_norm_needs_more_than_one_value_per_group() -> None:
    with pytest.raises(ValueError, match="Expected more than 1 value per"):
        F.group_norm(torch.ones(1, 4, 1, 1, dtype=torch.float64), 4)
    with pytest.raises(ValueError, match=r"more than one value per group \(C/G·H·W > 1\)"):
        group_norm(np.ones((3, 4, 1, 1)), 4)
    assert group_norm(np.ones((3, 4, 1, 1)), 2).output.shape == (3, 4, 1, 1)


def test_layer_norm_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"normalized_shape \(4, 4\) must equal the trailing dimensions"):
        layer_norm(np.ones((2, 3, 4, 5)), (4, 4))
    with pytest.raises(ValueError, match=r"weight must have the normalized shape \(3, 4, 5\)"):
        layer_norm(np.ones((2, 3, 4, 5)), weight=np.ones(3))


def test_normalization_axes_are_the_cube_figure() -> None:
    assert normalization_axes("batch") == (0, 2, 3)
    assert normalization_axes("layer") == (1, 2, 3)
    assert normalization_axes("instance") == (2, 3)
    assert normalization_axes("group") == (1, 2, 3)
    with pytest.raises(ValueError, match=r"unknown normalization 'weight'.*batch, layer, instance, group"):
        normalization_axes("weight")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["batch", "layer", "instance", "group"])
def test_statistics_index_labels_the_elements_each_mean_is_taken_over(kind: str) -> None:
    x = shifted_batch(np.random.default_rng(4), (2, 6, 3, 4))
    running = {"running_mean": np.zeros(6), "running_var": np.ones(6)}
    means = {
        "batch": lambda: batch_norm2d(x, training=True, **running).mean,
        "layer": lambda: layer_norm(x).mean,
        "instance": lambda: instance_norm(x).mean,
        "group": lambda: group_norm(x, 3).mean,
    }[kind]().ravel()
    labels = statistics_index(kind, x.shape, num_groups=3)  # type: ignore[arg-type]
    assert labels.shape == x.shape
    assert sorted(np.unique(labels)) == list(range(means.size))
    for label, mean in enumerate(means):
        np.testing.assert_allclose(x[labels == label].mean(), mean, rtol=RTOL)
    # the averaged axes are exactly those along which the label is constant
    constant_axes = tuple(axis for axis in range(4) if np.all(np.diff(labels, axis=axis) == 0))
    expected = {"group": (2, 3)}.get(kind, normalization_axes(kind))  # type: ignore[arg-type]
    assert constant_axes == expected


def test_statistics_index_needs_groups_for_group_norm() -> None:
    with pytest.raises(ValueError, match="num_groups is required"):
        statistics_index("group", (1, 4, 2, 2))
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        statistics_index("group", (1, 4, 2, 2), num_groups=3)
