"""convcore.networks.network against torch.nn modules in float64 (shape first, then values, float32 tolerance)."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from convcore.networks.layers import Shape
from convcore.networks.network import build_network, run_network
from convcore.networks.shifted import MAX_WEIGHTS, shifts_apply
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


@pytest.mark.parametrize("nonzero", [MAX_WEIGHTS, MAX_WEIGHTS + 1])
def test_maps_match_torch_on_either_side_of_the_shifted_limit(nonzero: int) -> None:
    """Up to MAX_WEIGHTS non-zero weights the maps are sums of shifted slices, past it F.conv2d: both are
    torch's convolution."""
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


@pytest.mark.parametrize(
    ("pool", "shifted"),
    [
        ({"kernel_size": 5, "stride": 1, "dilation": 2}, True),
        ({"kernel_size": 6, "stride": 2}, False),
        ({"kernel_size": 3, "stride": 2, "padding": 1}, False),
        ({"kernel_size": 3, "stride": 2, "ceil_mode": True}, False),
    ],
)
def test_max_pooling_matches_torch_by_slices_or_not(pool: dict, shifted: bool) -> None:
    x = image(channels=2, height=23, width=18)
    network = build_network([{"type": "max_pool2d", **pool}], Shape(*x.shape))
    with torch.no_grad():
        assert shifts_apply(network.layers[0]) == shifted
    (out,) = run_network(network, x)
    expected = torch.nn.MaxPool2d(**pool)(as64(x))[0].numpy()
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected.astype(np.float32))
