"""Convolution and max pooling by shifted slices against torch's F.conv2d and F.max_pool2d in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.networks.layers import parse_layer
from convcore.networks.shifted import MAX_POOL_TAPS, MAX_WEIGHTS, conv2d_by_shifts, max_pool2d_by_shifts, shifts_apply

# float32 against float64: a few ulps of the sum's terms
TOL = {"rtol": 1e-5, "atol": 1e-5}


@st.composite
def windows(draw: st.DrawFn) -> dict:
    """Window sizes, strides and dilations the image lab allows, in small sizes, and an input they fit."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = [d * (k - 1) + 1 + draw(st.integers(0, 7)) for k, d in zip(kernel, dilation, strict=True)]
    return {"kernel": kernel, "stride": stride, "dilation": dilation, "size": size, "batch": draw(st.integers(1, 2))}


@st.composite
def convolutions(draw: st.DrawFn) -> dict:
    """A convolution with groups, bias or none, and some zero weights (a whole output channel may be zero)."""
    window = draw(windows())
    groups = draw(st.integers(1, 3))
    per_group, outputs = draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (outputs, per_group, *window["kernel"])
    weight = rng.standard_normal(shape) * (rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 1.0])))
    bias = rng.standard_normal(outputs) if draw(st.booleans()) else None
    x = rng.standard_normal((window["batch"], groups * per_group, *window["size"]))
    return {**window, "x": x, "weight": weight, "bias": bias, "groups": groups}


def tensors(case: dict, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    bias = None if case["bias"] is None else torch.tensor(case["bias"], dtype=dtype)
    return torch.tensor(case["x"], dtype=dtype), torch.tensor(case["weight"], dtype=dtype), bias


@given(convolutions())
def test_conv2d_by_shifts_is_torch_conv2d(case: dict) -> None:
    x, weight, bias = tensors(case, torch.float64)
    expected = F.conv2d(x, weight, bias, case["stride"], 0, case["dilation"], case["groups"])
    shifted = conv2d_by_shifts(x, weight, bias, stride=case["stride"], dilation=case["dilation"])
    assert shifted.shape == expected.shape
    np.testing.assert_allclose(shifted.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    # in float32, as the image lab computes
    x32, weight32, bias32 = tensors(case, torch.float32)
    shifted32 = conv2d_by_shifts(x32, weight32, bias32, stride=case["stride"], dilation=case["dilation"])
    assert shifted32.dtype == torch.float32
    np.testing.assert_allclose(shifted32.numpy(), expected.numpy(), **TOL)


@given(windows(), st.integers(0, 2**32 - 1))
def test_max_pool2d_by_shifts_is_torch_max_pool2d(window: dict, seed: int) -> None:
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((window["batch"], 3, *window["size"])))
    expected = F.max_pool2d(x, window["kernel"], window["stride"], 0, window["dilation"])
    shifted = max_pool2d_by_shifts(x, window["kernel"], stride=window["stride"], dilation=window["dilation"])
    assert shifted.shape == expected.shape
    # a maximum picks one of its inputs: exactly equal
    assert torch.equal(shifted, expected)


def test_slices_only_without_gradients_padding_inside_or_ceil_mode_and_within_the_limits() -> None:
    conv = parse_layer({"type": "conv2d", "out_channels": 4, "kernel_size": 3}, 0)
    few, many = torch.ones(4, 1, 4, 4), torch.ones(4, 1, 4, 5)
    assert few.numel() == MAX_WEIGHTS < many.numel()
    with torch.no_grad():
        assert shifts_apply(conv, few)
        assert not shifts_apply(conv, many)
        assert shifts_apply(conv, torch.cat([few, torch.zeros_like(few)], dim=3))
        assert shifts_apply(parse_layer({"type": "max_pool2d", "kernel_size": 5}, 0))
        assert MAX_POOL_TAPS < 6 * 6
        for pool in ({"kernel_size": 6}, {"kernel_size": 3, "padding": 1}, {"kernel_size": 3, "ceil_mode": True}):
            assert not shifts_apply(parse_layer({"type": "max_pool2d", **pool}, 0))
        assert not shifts_apply(parse_layer({"type": "avg_pool2d", "kernel_size": 2}, 0))
    assert not shifts_apply(conv, few)


@pytest.mark.parametrize("stride", [1, 2])
def test_an_all_zero_kernel_gives_its_bias(stride: int) -> None:
    x = torch.rand(1, 2, 9, 8)
    out = conv2d_by_shifts(
        x, torch.zeros(3, 2, 3, 3), torch.tensor([1.0, -2.0, 0.5]), stride=(stride, stride), dilation=(1, 1)
    )
    assert out.shape == F.conv2d(x, torch.zeros(3, 2, 3, 3), stride=stride).shape
    assert torch.equal(out[0, 1], torch.full(out.shape[2:], -2.0))


def test_chained_pools_with_huge_strides_give_fresh_outputs() -> None:
    # a clone of a strided view may keep its strides, and five poolings of stride 4096 would overflow them
    x = torch.rand(1, 1, 8, 8)
    for _ in range(5):
        x = max_pool2d_by_shifts(x, (1, 1), stride=(4096, 4096), dilation=(1, 1))
    assert x.shape == (1, 1, 1, 1)
    assert x.stride() == (1, 1, 1, 1)
