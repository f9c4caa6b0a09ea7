"""Transposed convolution against torch float64: the three routes (scatter, Mᵀ, zero insertion) agree with
``F.conv_transpose2d``, and its MACs with torch's flop counter. Tolerance ``rtol = atol = 1e-10``."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from convcore.operations.matrix import conv_matrix
from convcore.operations.transposed import (
    conv_transpose2d,
    conv_transpose2d_via_matrix,
    conv_transpose2d_via_zero_insertion,
    conv_transpose_geometry,
    zero_insertion,
)

TOL = {"rtol": 1e-10, "atol": 1e-10}


@st.composite
def transpose_cases(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    output_padding = tuple(draw(st.integers(0, max(stride[a], dilation[a]) - 1)) for a in range(2))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *size))
    weight = rng.standard_normal((c_in, c_out // groups, *kernel))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    params = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
    }
    return x, weight, bias, params


@given(transpose_cases())
def test_three_transposed_convolutions_match_torch(case):
    x, weight, bias, params = case
    try:
        expected = F.conv_transpose2d(
            torch.from_numpy(x), torch.from_numpy(weight), None if bias is None else torch.from_numpy(bias), **params
        ).numpy()
    except RuntimeError:
        # torch refuses (output size below 1): every route must refuse with a ValueError.
        for function in (conv_transpose2d, conv_transpose2d_via_matrix, conv_transpose2d_via_zero_insertion):
            with pytest.raises(ValueError, match="reduce padding"):
                function(x, weight, bias, **params)
        return
    for function in (conv_transpose2d, conv_transpose2d_via_matrix, conv_transpose2d_via_zero_insertion):
        result = function(x, weight, bias, **params)
        assert result.shape == expected.shape, function.__name__
        np.testing.assert_allclose(result, expected, **TOL, err_msg=function.__name__)


def test_transposed_convolution_is_multiplication_by_the_transpose():
    rng = np.random.default_rng(6)
    weight = rng.standard_normal((2, 3, 3, 2))
    x = rng.standard_normal((2, 3, 4))
    # Forward: 3 channels of 5×7 → 2 channels of 3×4; transposed: back to 3 channels of 5×7.
    m = conv_matrix((5, 7), weight, stride=2, padding=1)
    assert m.shape == (2 * 3 * 4, 3 * 5 * 7)
    result = conv_transpose2d(x[None], weight, stride=2, padding=1, output_padding=(0, 1))
    assert result.shape == (1, 3, 5, 7)
    np.testing.assert_allclose(result[0].ravel(), m.T @ x.ravel(), **TOL)


def test_zero_insertion_puts_stride_minus_one_zeros_between_cells():
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    result = zero_insertion(x, (2, 3))
    assert result.shape == (1, 1, 3, 4)
    np.testing.assert_array_equal(result[0, 0], [[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 0, 4]])


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "params", "message"),
    [
        ((1, 2, 3, 3), (3, 1, 2, 2), {}, r"weight has 3 input channels but x has 2"),
        ((1, 3, 3, 3), (3, 1, 2, 2), {"groups": 2}, r"in_channels \(3\) must be divisible by groups \(2\)"),
        ((1, 1, 3, 3), (1, 1, 2, 2), {"stride": 2, "output_padding": 2}, "output_padding must be smaller"),
        ((1, 1, 3, 3), (1, 1, 2, 2), {"padding": -1}, "padding must not be negative"),
        ((1, 1, 3, 3), (1, 1, 2, 2), {"stride": 0}, "stride must be at least 1"),
        ((1, 1, 1, 1), (1, 1, 1, 1), {"padding": 1}, "reduce padding"),
        ((1, 1, 3, 3), (1, 1, 0, 2), {}, "kernel_size must be at least 1"),
        ((1, 3, 3), (1, 1, 2, 2), {}, r"x must be a batch \(N, C_in, H, W\)"),
    ],
)
def test_bad_transposed_hyper_parameters_raise_actionable_errors(x_shape, w_shape, params, message):
    for function in (conv_transpose2d, conv_transpose2d_via_matrix, conv_transpose2d_via_zero_insertion):
        with pytest.raises(ValueError, match=message):
            function(np.zeros(x_shape), np.zeros(w_shape), **params)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "params"),
    [
        ((1, 3, 5, 7), (3, 2, 3, 3), {}),
        ((2, 4, 6, 5), (4, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        ((1, 2, 4, 4), (2, 1, 2, 2), {"stride": (2, 3), "dilation": 2, "groups": 2}),
    ],
)
def test_transposed_macs_are_torchs_flop_count(x_shape, w_shape, params):
    geometry = conv_transpose_geometry(x_shape, w_shape, **params)
    with FlopCounterMode(display=False) as counter:
        F.conv_transpose2d(torch.zeros(x_shape), torch.zeros(w_shape), **params)
    assert geometry.macs == counter.get_total_flops() // 2
