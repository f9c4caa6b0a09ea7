"""The four convolution methods against torch's nn.Conv2d in float64, and against each other.

Tolerance: ``rtol = atol = 1e-10`` (inputs are O(1), sums of at most a few hundred products, float64).
"""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from convcore.arithmetic.shapes import effective_kernel_size
from convcore.operations import conv
from convcore.operations.conv import conv2d, conv2d_fft, conv2d_im2col, conv2d_naive, conv2d_torch
from convcore.operations.geometry import conv_geometry

# torch warns that 'same' with an even kernel copies the input; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOL = {"rtol": 1e-10, "atol": 1e-10}
METHODS = ["naive", "im2col", "fft", "torch"]


def torch_conv(x, weight, bias, *, stride, padding, dilation, groups, padding_mode="zeros"):
    """torch.nn.Conv2d with the given weights: the oracle, including padding modes and 'same'."""
    c_out, c_group, kh, kw = weight.shape
    layer = torch.nn.Conv2d(
        c_group * groups,
        c_out,
        (kh, kw),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias is not None,
        padding_mode=padding_mode,
        dtype=torch.float64,
    )
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
        return layer(torch.from_numpy(x)).numpy()


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kind = draw(st.sampled_from(["int", "pair", "same", "valid"]))
    stride = (1, 1) if kind == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if kind == "int":
        padding = draw(st.integers(0, 3))
        pads = (padding, padding)
    elif kind == "pair":
        pads = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        padding = pads
    else:
        padding = kind
        pads = (0, 0)
    size = []
    for axis in range(2):
        span = effective_kernel_size(kernel[axis], dilation[axis])
        size.append(draw(st.integers(max(1, span - 2 * pads[axis]), span + 7)))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    if mode == "reflect":
        assume(kind in ("int", "pair") and pads[0] < size[0] and pads[1] < size[1])
    if mode == "circular":
        assume(kind in ("int", "pair") and pads[0] <= size[0] and pads[1] <= size[1])
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *size))
    weight = rng.standard_normal((c_out, c_in // groups, *kernel))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return x, weight, bias, params, mode


@given(conv_cases())
def test_every_method_matches_torch(case):
    x, weight, bias, params, mode = case
    expected = torch_conv(x, weight, bias, padding_mode=mode, **params)
    for method in METHODS:
        result = conv2d(x, weight, bias, padding_mode=mode, method=method, **params)
        assert result.shape == expected.shape, method
        np.testing.assert_allclose(result, expected, **TOL, err_msg=method)


def test_per_method_functions_equal_dispatch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 9, 7))
    weight = rng.standard_normal((3, 2, 3, 2))
    params = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}
    reference = conv2d(x, weight, method="torch", **params)
    for function in (conv2d_naive, conv2d_im2col, conv2d_fft, conv2d_torch):
        result = function(x, weight, **params)
        assert result.shape == reference.shape
        np.testing.assert_allclose(result, reference, **TOL)


def test_float32_input_is_computed_in_float64():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 1, 6, 6)).astype(np.float32)
    weight = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(weight).double()).numpy()
    for method in METHODS:
        result = conv2d(x, weight, method=method)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result, expected, **TOL)


@pytest.mark.parametrize("method", METHODS)
def test_flip_makes_an_impulse_reproduce_the_kernel(method):
    # True convolution of a unit impulse returns the kernel as it is; cross-correlation returns it rotated.
    kernel = np.arange(6, dtype=float).reshape(1, 1, 2, 3)
    impulse = np.zeros((1, 1, 5, 5))
    impulse[0, 0, 2, 2] = 1.0
    convolved = conv2d(impulse, kernel, padding=(1, 2), flip=True, method=method)
    correlated = conv2d(impulse, kernel, padding=(1, 2), method=method)
    assert convolved.shape == correlated.shape == (1, 1, 6, 7)
    np.testing.assert_allclose(convolved[0, 0, 2:4, 2:5], kernel[0, 0], **TOL)
    np.testing.assert_allclose(correlated[0, 0, 2:4, 2:5], kernel[0, 0, ::-1, ::-1], **TOL)
    # Everything outside those 2×3 cells is zero (the kernel has one zero tap of its own).
    assert np.sum(np.abs(convolved) > 1e-9) == np.sum(np.abs(correlated) > 1e-9) == 5


@given(st.integers(0, 2**16), st.sampled_from(METHODS))
def test_flip_equals_torch_with_rotated_kernel(seed, method):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, 7, 8))
    weight = rng.standard_normal((4, 1, 3, 2))
    expected = torch_conv(x, weight[:, :, ::-1, ::-1].copy(), None, stride=2, padding=1, dilation=1, groups=2)
    result = conv2d(x, weight, stride=2, padding=1, groups=2, flip=True, method=method)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, **TOL)


@pytest.mark.parametrize("tile_bytes", [1, 4000, 10**9])
def test_im2col_tiles_agree_with_torch(monkeypatch, tile_bytes):
    # A tiny budget forces one output row per tile; a huge one a single tile; 4000 an uneven last tile.
    monkeypatch.setattr(conv, "IM2COL_TILE_BYTES", tile_bytes)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 23, 17))
    weight = rng.standard_normal((6, 2, 3, 5))
    bias = rng.standard_normal(6)
    params = {"stride": (2, 1), "padding": (3, 1), "dilation": (2, 1), "groups": 2}
    expected = torch_conv(x, weight, bias, **params)
    result = conv2d_im2col(x, weight, bias, **params)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, **TOL)


def test_im2col_memory_stays_bounded_by_the_tile():
    # Untiled, the column buffer here would be 3·7·7 taps × 256² positions × 8 B ≈ 77 MB.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 256, 256))
    weight = rng.standard_normal((3, 3, 7, 7))
    tracemalloc.start()
    result = conv2d_im2col(x, weight, padding=6, dilation=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.shape == (1, 3, 256, 256)
    padded_input, output = 3 * 268 * 268 * 8, result.nbytes
    assert peak < conv.IM2COL_TILE_BYTES + padded_input + output + 2**20


def test_methods_agree_on_a_larger_depthwise_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 8, 40, 33))
    weight = rng.standard_normal((8, 1, 5, 5))
    results = {m: conv2d(x, weight, padding=2, groups=8, method=m) for m in ("im2col", "fft", "torch")}
    for method, result in results.items():
        assert result.shape == (1, 8, 40, 33), method
        np.testing.assert_allclose(result, results["torch"], **TOL, err_msg=method)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "params", "message"),
    [
        ((1, 1, 5, 5), (1, 1, 0, 3), {}, "kernel_size must be at least 1"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1}, "padding must not be negative"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": (1, -2)}, "padding must not be negative"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, "stride must be at least 1"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 0}, "dilation must be at least 1"),
        ((1, 3, 5, 5), (2, 1, 3, 3), {"groups": 2}, r"in_channels \(3\) must be divisible by groups \(2\)"),
        ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, r"out_channels \(3\) must be divisible by groups \(2\)"),
        ((1, 4, 5, 5), (2, 4, 3, 3), {"groups": 2}, r"weight must have shape \(2, 2, 3, 3\)"),
        (
            (1, 1, 5, 5),
            (1, 1, 7, 7),
            {},
            "input 5×5 is too small for an effective kernel of 7 with padding 0: increase padding",
        ),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 3}, "too small for an effective kernel of 7"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, "padding='same' is not supported"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, "padding must be an integer, a pair, 'same' or 'valid'"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": 5, "padding_mode": "reflect"}, "reflect padding must be smaller"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": 6, "padding_mode": "circular"}, "circular padding must be at most"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": 1, "padding_mode": "mirror"}, "padding_mode must be"),
        ((1, 5, 5), (1, 1, 3, 3), {}, r"x must be a batch \(N, C_in, H, W\).*x\[None\]"),
        ((1, 1, 5, 5), (1, 3, 3), {}, "weight must have shape"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"method": "winograd"}, "method must be one of naive, im2col, fft, torch"),
    ],
)
def test_bad_hyper_parameters_raise_actionable_errors(x_shape, w_shape, params, message):
    with pytest.raises(ValueError, match=message):
        conv2d(np.zeros(x_shape), np.zeros(w_shape), **params)


def test_bias_must_match_output_channels():
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(3))


def test_naive_refuses_large_inputs_and_points_to_im2col():
    with pytest.raises(ValueError, match="use method='im2col'"):
        conv2d_naive(np.zeros((1, 16, 64, 64)), np.zeros((16, 16, 3, 3)), padding=1)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "params"),
    [
        ((1, 3, 9, 7), (4, 3, 3, 3), {"padding": 1}),
        ((2, 4, 10, 9), (6, 2, 3, 2), {"stride": 2, "dilation": (1, 2), "groups": 2}),
    ],
)
def test_geometry_macs_are_torchs_flop_count(x_shape, w_shape, params):
    geometry = conv_geometry(x_shape, w_shape, **params)
    with FlopCounterMode(display=False) as counter:
        F.conv2d(torch.zeros(x_shape), torch.zeros(w_shape), **params)
    assert geometry.macs == counter.get_total_flops() // 2
