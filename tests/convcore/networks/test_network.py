"""convcore.networks.network against torch.nn modules in float64 (shape first, then values, float32 tolerance)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.networks.layers import Shape
from convcore.networks.network import SHIFTED_MAX_WEIGHTS, build_network, conv2d_by_shifts, run_network
from convcore.operations.kernels import get_kernel

# The network computes in float32; relative error of a few float32 ulps per layer.
TOL = {"rtol": 1e-5, "atol": 1e-5}


def image(channels: int = 3, height: int = 17, width: int = 13, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((channels, height, width)).astype(np.float32)


def run(layers: list[dict], x: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    return run_network(build_network(layers, Shape(*x.shape), seed=seed), x)


def as64(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x.astype(np.float64))[None]


def test_preset_kernels_are_applied_to_the_mean_of_the_input_channels() -> None:
    x = image()
    layers = [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, "kernels": ["sobel_x", "sobel_y"]}]
    (out,) = run(layers, x)
    conv = torch.nn.Conv2d(3, 2, 3, padding=1, bias=True).double()
    with torch.no_grad():
        for o, name in enumerate(["sobel_x", "sobel_y"]):
            conv.weight[o] = torch.from_numpy(get_kernel(name).weights) / 3
        conv.bias.zero_()
        expected = conv(as64(x))[0].numpy()
    assert out.shape == expected.shape == (2, 17, 13)
    np.testing.assert_allclose(out, expected, **TOL)


def test_explicit_weights_bias_stride_dilation_groups_and_asymmetric_sizes() -> None:
    x = image(channels=2, height=19, width=11)
    weights = np.random.default_rng(1).standard_normal((4, 1, 3, 2))
    layer = {
        "type": "conv2d",
        "out_channels": 4,
        "kernel_size": [3, 2],
        "stride": [2, 1],
        "padding": [1, 2],
        "dilation": [2, 1],
        "groups": 2,
        "kernels": weights.tolist(),
        "bias_values": [0.5, -1.0, 0.0, 2.0],
    }
    (out,) = run([layer], x)
    conv = torch.nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weights))
        conv.bias.copy_(torch.tensor([0.5, -1.0, 0.0, 2.0]))
        expected = conv(as64(x))[0].numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_torch(mode: str) -> None:
    x = image(channels=1, height=9, width=8)
    weights = np.arange(9.0).reshape(1, 1, 3, 3) - 4
    (out,) = run([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1, "padding_mode": mode,
                   "kernels": weights[0].tolist(), "bias": False}], x)  # fmt: skip
    conv = torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode=mode, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weights))
        expected = conv(as64(x))[0].numpy()
    np.testing.assert_allclose(out, expected, **TOL)


def test_same_padding_with_an_even_kernel_keeps_the_size() -> None:
    x = image(channels=1, height=10, width=7)
    (out,) = run([{"type": "conv2d", "out_channels": 1, "kernel_size": 4, "padding": "same"}], x)
    assert out.shape == (1, 10, 7)


def test_random_weights_follow_torch_default_bounds_and_are_seeded() -> None:
    x = image()
    layers = [{"type": "conv2d", "out_channels": 8, "kernel_size": 5}]
    net = build_network(layers, Shape(3, 17, 13), seed=4)
    assert net.steps[0].weight is not None
    bound = 1 / np.sqrt(3 * 25)
    assert float(net.steps[0].weight.abs().max()) <= bound
    np.testing.assert_array_equal(run(layers, x, seed=4)[0], run(layers, x, seed=4)[0])
    assert not np.array_equal(run(layers, x, seed=4)[0], run(layers, x, seed=5)[0])


def test_relu_pools_and_global_average_pool_match_torch() -> None:
    x = image(channels=1, height=15, width=10) - 0.5
    layers = [
        {"type": "relu"},
        {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
        {"type": "avg_pool2d", "kernel_size": [2, 3], "stride": 1, "padding": 1, "count_include_pad": False},
        {"type": "global_avg_pool2d"},
    ]
    outs = run(layers, x)
    t = as64(x)
    e1 = torch.relu(t)
    e2 = torch.nn.functional.max_pool2d(e1, 3, 2, 1, ceil_mode=True)
    e3 = torch.nn.functional.avg_pool2d(e2, (2, 3), 1, 1, count_include_pad=False)
    e4 = e3.mean(dim=(2, 3), keepdim=True)
    for out, expected in zip(outs, (e1, e2, e3, e4), strict=True):
        assert out.shape == expected[0].shape
        np.testing.assert_allclose(out, expected[0].numpy(), **TOL)


def test_batch_norm_training_uses_this_image_statistics() -> None:
    x = image(channels=3) * 5 + 2
    (out,) = run([{"type": "batch_norm2d", "weight_values": [1.0, 2.0, 0.5], "bias_values": [0.0, 1.0, -1.0]}], x)
    bn = torch.nn.BatchNorm2d(3).double().train()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
        expected = bn(as64(x))[0].numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_batch_norm_eval_uses_running_statistics_identity_by_default() -> None:
    x = image(channels=2)
    (identity,) = run([{"type": "batch_norm2d", "training": False}], x)
    np.testing.assert_allclose(identity, x / np.sqrt(1 + 1e-5), **TOL)
    layer = {"type": "batch_norm2d", "training": False, "running_mean": [0.5, -1], "running_var": [4, 0.25]}
    (out,) = run([layer], x)
    bn = torch.nn.BatchNorm2d(2).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -1.0]))
        bn.running_var.copy_(torch.tensor([4.0, 0.25]))
        expected = bn(as64(x))[0].numpy()
    np.testing.assert_allclose(out, expected, **TOL)


@given(p=st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]), seed=st.integers(0, 1000))
def test_dropout_is_seeded_inverted_dropout(p: float, seed: int) -> None:
    x = image(channels=2, height=12, width=12) + 0.1
    (out,) = run([{"type": "dropout", "p": p, "seed": seed}], x)
    (again,) = run([{"type": "dropout", "p": p, "seed": seed}], x)
    np.testing.assert_array_equal(out, again)
    kept = out != 0
    if p < 1:
        np.testing.assert_allclose(out[kept], x[kept] / (1 - p), **TOL)
    else:
        assert not kept.any()
    (off,) = run([{"type": "dropout", "p": p, "training": False}], x)
    np.testing.assert_array_equal(off, x)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([], "empty"),
        ([{"type": "linear", "out_features": 3}], "type must be one of"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 5, "kernels": "sobel_x"}], "set kernel_size to [3, 3]"),
        ([{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "kernels": ["sobel_x"] * 3}], "one entry per output"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "kernels": "nope"}], "unknown kernel"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "kernels": [[[1, 2]]]}], "kernels[0] must be"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "kernels": [[[float("nan")]]]}], "finite"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "kernels": [[["x"]]]}], "must be numbers"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "bias": False, "bias_values": [1]}], "bias"),
        ([{"type": "conv2d", "out_channels": 3, "kernel_size": 1, "groups": 2}], "must be divisible by groups"),
        ([{"type": "conv2d", "out_channels": 1, "kernel_size": 40}], "layer 0"),
        ([{"type": "batch_norm2d", "running_mean": [0, 0, 0]}], "eval mode only"),
        ([{"type": "batch_norm2d", "training": False, "running_var": [1, -1, 1]}], "not be negative"),
        ([{"type": "batch_norm2d", "weight_values": [1, 1]}], "one number per channel (3)"),
        ([{"type": "dropout", "seed": -1}], "seed"),
        ([{"type": "relu", "kernels": "sobel_x"}], "unknown field"),
    ],
)
def test_bad_stacks_raise_value_errors_a_student_can_act_on(layers: list[dict], message: str) -> None:
    with pytest.raises(ValueError) as info:
        build_network(layers, Shape(3, 17, 13))
    assert message in str(info.value)


def test_overflowing_weights_are_reported_not_returned_as_inf() -> None:
    x = image(channels=1)
    layer = {"type": "conv2d", "out_channels": 1, "kernel_size": 1, "kernels": [[[1e6]]]}
    with pytest.raises(ValueError, match="overflows float32"):
        run([layer] * 8, x)


@st.composite
def shifted_convolutions(draw: st.DrawFn) -> dict:
    """A convolution the image lab allows, in small sizes: groups, strides, dilations, bias, some zero weights."""
    groups = draw(st.integers(1, 3))
    per_group, outputs = draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = [d * (k - 1) + 1 + draw(st.integers(0, 7)) for k, d in zip(kernel, dilation, strict=True)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weight = rng.standard_normal((outputs, per_group, *kernel)) * (rng.random((outputs, per_group, *kernel)) < 0.7)
    bias = rng.standard_normal(outputs) if draw(st.booleans()) else None
    x = rng.standard_normal((draw(st.integers(1, 2)), groups * per_group, *size))
    return {"x": x, "weight": weight, "bias": bias, "stride": stride, "dilation": dilation, "groups": groups}


def _torch(case: dict, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    bias = None if case["bias"] is None else torch.tensor(case["bias"], dtype=dtype)
    return torch.tensor(case["x"], dtype=dtype), torch.tensor(case["weight"], dtype=dtype), bias


@given(shifted_convolutions())
def test_conv2d_by_shifts_is_torch_conv2d(case: dict) -> None:
    x, weight, bias = _torch(case, torch.float64)
    expected = F.conv2d(x, weight, bias, case["stride"], 0, case["dilation"], case["groups"])
    shifted = conv2d_by_shifts(x, weight, bias, stride=case["stride"], dilation=case["dilation"])
    assert shifted.shape == expected.shape
    np.testing.assert_allclose(shifted.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    # in float32, as the image lab computes: a few ulps of the float64 answer
    x32, weight32, bias32 = _torch(case, torch.float32)
    shifted32 = conv2d_by_shifts(x32, weight32, bias32, stride=case["stride"], dilation=case["dilation"])
    assert shifted32.dtype == torch.float32
    np.testing.assert_allclose(shifted32.numpy(), expected.numpy(), **TOL)


@pytest.mark.parametrize("nonzero", [SHIFTED_MAX_WEIGHTS, SHIFTED_MAX_WEIGHTS + 1])
def test_maps_match_torch_on_either_side_of_the_shifted_limit(nonzero: int) -> None:
    """Up to SHIFTED_MAX_WEIGHTS non-zero weights the maps are sums of shifted slices, past it F.conv2d: both
    are torch's convolution."""
    x = image(channels=3, height=15, width=12)
    weights = np.zeros(3 * 3 * 3 * 3)
    weights[:nonzero] = np.random.default_rng(nonzero).standard_normal(nonzero)
    weights = weights.reshape(3, 3, 3, 3)
    layer = {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2,
             "kernels": weights.tolist(), "bias": False}  # fmt: skip
    (out,) = run([layer], x)
    conv = torch.nn.Conv2d(3, 3, 3, stride=2, padding=1, dilation=2, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weights))
        expected = conv(as64(x))[0].numpy()
    assert out.shape == expected.shape == (3, 7, 5)
    np.testing.assert_allclose(out, expected, **TOL)
