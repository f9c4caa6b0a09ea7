"""Traces replay to the same numbers as conv2d, conv_transpose2d and the pools (torch float64 as the oracle),
and each step's fields say what the playground shows. Tolerance ``rtol = atol = 1e-10``."""

import dataclasses
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.arithmetic.shapes import effective_kernel_size
from convcore.operations.conv import conv2d
from convcore.operations.steps import conv2d_trace, conv_transpose2d_trace, pool2d_trace

TOL = {"rtol": 1e-10, "atol": 1e-10}


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(
        draw(st.integers(max(1, effective_kernel_size(kernel[a], dilation[a]) - 2 * padding[a]), 7)) for a in range(2)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((c_in, *size))
    weight = rng.standard_normal((c_out, c_in // groups, *kernel))
    bias = rng.standard_normal(c_out)
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return x, weight, bias, params, draw(st.booleans())


@given(conv_cases())
def test_conv_trace_replays_conv2d(case):
    x, weight, bias, params, flip = case
    expected = conv2d(x[None], weight, bias, flip=flip, method="torch", **params)[0]
    steps = conv2d_trace(x, weight, bias, flip=flip, **params)
    assert len(steps) == expected.size
    assert [(s.out_channel, s.out_row, s.out_col) for s in steps] == [tuple(i) for i in np.ndindex(expected.shape)]
    result = np.array([s.result for s in steps]).reshape(expected.shape)
    np.testing.assert_allclose(result, expected, **TOL)
    h, w = x.shape[1:]
    for step in steps:
        for c, r, q, pad, value, wt, a, b, product in zip(
            step.channels,
            step.rows,
            step.cols,
            step.is_padding,
            step.inputs,
            step.weights,
            step.kernel_rows,
            step.kernel_cols,
            step.products,
            strict=True,
        ):
            assert pad == (not (0 <= r < h and 0 <= q < w))
            assert value == (0.0 if pad else x[c, r, q])
            assert wt == weight[step.out_channel, c % weight.shape[1], a, b]
            assert product == pytest.approx(value * wt)
        assert step.result == pytest.approx(step.sum + step.bias)


def test_conv_trace_first_step_by_hand():
    # 1 channel 3×3, kernel 2×2 of ones, padding 1: the first window covers one real cell (x[0,0]).
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    steps = conv2d_trace(x, np.ones((1, 1, 2, 2)), np.array([0.5]), padding=1)
    first = steps[0]
    assert (first.rows, first.cols) == ([-1, -1, 0, 0], [-1, 0, -1, 0])
    assert first.is_padding == [True, True, True, False]
    assert first.inputs == [0.0, 0.0, 0.0, 1.0]
    assert (first.sum, first.bias, first.result) == (1.0, 0.5, 1.5)
    json.dumps([dataclasses.asdict(s) for s in steps])


def test_conv_trace_flip_uses_the_rotated_kernel_entry():
    weight = np.arange(4.0).reshape(1, 1, 2, 2)
    step = conv2d_trace(np.ones((1, 2, 2)), weight, flip=True)[0]
    assert (step.kernel_rows, step.kernel_cols) == ([1, 1, 0, 0], [1, 0, 1, 0])
    assert step.weights == [3.0, 2.0, 1.0, 0.0]


def test_conv_trace_shows_reflect_padding_values():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    step = conv2d_trace(x, np.ones((1, 1, 3, 3)), padding=1, padding_mode="reflect")[0]
    # Row −1 reflects row 1 and column −1 reflects column 1.
    assert step.inputs[:3] == [5.0, 4.0, 5.0]
    assert step.is_padding[:3] == [True, True, True]


@st.composite
def transpose_cases(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    output_padding = tuple(draw(st.integers(0, max(stride[a], dilation[a]) - 1)) for a in range(2))
    # 2p ≤ d·(k − 1) keeps the output at least the input size.
    padding = tuple(draw(st.integers(0, (kernel[a] - 1) * dilation[a] // 2)) for a in range(2))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((c_in, *size))
    weight = rng.standard_normal((c_in, c_out // groups, *kernel))
    params = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
    }
    return x, weight, params


@given(transpose_cases())
def test_conv_transpose_trace_replays_conv_transpose2d(case):
    x, weight, params = case
    expected = F.conv_transpose2d(torch.from_numpy(x[None]), torch.from_numpy(weight), **params).numpy()[0]
    steps = conv_transpose2d_trace(x, weight, **params)
    assert len(steps) == x.size
    assert [(s.in_channel, s.in_row, s.in_col) for s in steps] == [tuple(i) for i in np.ndindex(x.shape)]
    result = np.zeros_like(expected)
    for step in steps:
        for o, r, q, inside, product in zip(
            step.out_channels, step.out_rows, step.out_cols, step.inside, step.products, strict=True
        ):
            if inside:
                result[o, r, q] += product
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, **TOL)


def test_conv_transpose_trace_flags_output_padding_cells():
    # 2×2 input, k=3, s=2, p=1, output_padding=1: output 4×4, its last row and column come from output_padding.
    steps = conv_transpose2d_trace(np.ones((1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1)
    last = steps[-1]
    flagged = {(r, q) for r, q, f in zip(last.out_rows, last.out_cols, last.in_output_padding, strict=True) if f}
    assert flagged == {(3, 1), (3, 2), (3, 3), (1, 3), (2, 3)}
    assert all(last.inside)
    # The first cell's kernel starts at (−1, −1): its top row and left column fall in the cut padding.
    first = steps[0]
    cut = {(r, q) for r, q, inside in zip(first.out_rows, first.out_cols, first.inside, strict=True) if not inside}
    assert cut == {(-1, -1), (-1, 0), (-1, 1), (0, -1), (1, -1)}
    assert not any(first.in_output_padding)


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, kernel[a] // 2)) for a in range(2))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = tuple(
        draw(st.integers(max(1, effective_kernel_size(kernel[a], dilation[a]) - 2 * padding[a]), 7)) for a in range(2)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.integers(-2, 3, size=(2, *size)).astype(float)
    params = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": draw(st.booleans())}
    return x, params, dilation, draw(st.booleans())


@given(pool_cases())
def test_max_pool_trace_replays_torch(case):
    x, params, dilation, _ = case
    values, indices = F.max_pool2d(torch.from_numpy(x[None]), dilation=dilation, return_indices=True, **params)
    steps = pool2d_trace("max", x, dilation=dilation, **params)
    assert len(steps) == values.numel()
    np.testing.assert_array_equal(np.array([s.result for s in steps]).reshape(values.shape[1:]), values.numpy()[0])
    for step, index in zip(steps, indices.numpy().ravel(), strict=True):
        assert [v is None for v in step.values] == step.is_padding
        if step.winner is None:
            # Dilation stepped over every image cell: torch gives −∞ too (and an index of no real cell).
            assert all(step.is_padding) and step.result == -np.inf
        else:
            assert step.values[step.winner] == step.result
            assert step.winner_index == index


@given(pool_cases())
def test_avg_pool_trace_replays_torch(case):
    x, params, _, count_include_pad = case
    expected = F.avg_pool2d(torch.from_numpy(x[None]), count_include_pad=count_include_pad, **params).numpy()[0]
    steps = pool2d_trace("avg", x, count_include_pad=count_include_pad, **params)
    assert len(steps) == expected.size
    np.testing.assert_allclose(np.array([s.result for s in steps]).reshape(expected.shape), expected, **TOL)
    for step in steps:
        assert step.sum == pytest.approx(sum(v for v in step.values if v is not None))
        assert step.result == pytest.approx(step.sum / step.divisor)


def test_avg_pool_trace_divisor_with_and_without_padding():
    x = np.ones((1, 3, 3))
    with_pad = pool2d_trace("avg", x, kernel_size=2, stride=2, padding=1)[0]
    without = pool2d_trace("avg", x, kernel_size=2, stride=2, padding=1, count_include_pad=False)[0]
    assert (with_pad.divisor, with_pad.result) == (4, 0.25)
    assert (without.divisor, without.result) == (1, 1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conv2d_trace(np.zeros((1, 40, 40)), np.zeros((4, 1, 1, 1)), max_steps=100), "reduce the input size"),
        (lambda: conv_transpose2d_trace(np.zeros((1, 20, 20)), np.zeros((1, 1, 2, 2)), max_steps=100), "reduce"),
        (lambda: pool2d_trace("max", np.zeros((1, 40, 40)), kernel_size=2, max_steps=100), "reduce the input size"),
        (lambda: pool2d_trace("min", np.zeros((1, 4, 4)), kernel_size=2), "kind must be 'max' or 'avg'"),
        (
            lambda: pool2d_trace("avg", np.zeros((1, 4, 4)), kernel_size=2, dilation=2),
            "average pooling has no dilation",
        ),
        (lambda: conv2d_trace(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 2, 2))), r"x must be one image \(C, H, W\)"),
        (lambda: conv2d_trace(np.zeros((1, 4, 4)), np.zeros((1, 1, 2, 2)), np.zeros(2)), r"bias must have shape"),
        (lambda: pool2d_trace("max", np.zeros((1, 4, 4)), kernel_size=2, padding=2), "at most half the kernel size"),
    ],
)
def test_bad_trace_requests_raise_actionable_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
