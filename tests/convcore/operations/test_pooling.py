"""Pooling against torch.nn.functional in float64: values, argmax indices, divisors, and invalid settings.

Max pooling and its indices must match exactly (no arithmetic); averages within ``rtol = atol = 1e-12``.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.operations.pooling import avg_pool2d, global_avg_pool2d, max_pool2d

TOL = {"rtol": 1e-12, "atol": 1e-12}


@st.composite
def pool_cases(draw, *, dilated):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    # One past half the kernel is drawn too: torch and convcore must both refuse it.
    padding = (draw(st.integers(0, kernel[0] // 2 + 1)), draw(st.integers(0, kernel[1] // 2 + 1)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilated else (1, 1)
    size = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    seed = draw(st.integers(0, 2**16))
    # Small integers make ties common, so the tie-breaking of the argmax is exercised.
    x = np.random.default_rng(seed).integers(-3, 4, size=(draw(st.integers(1, 2)), 2, *size)).astype(float)
    params = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": draw(st.booleans())}
    if dilated:
        params["dilation"] = dilation
    return x, params


def torch_or_error(function, x, **params):
    try:
        return function(torch.from_numpy(x), **params)
    except RuntimeError:
        return None


@given(pool_cases(dilated=True))
def test_max_pool_and_indices_match_torch(case):
    x, params = case
    expected = torch_or_error(F.max_pool2d, x, return_indices=True, **params)
    if expected is None:
        with pytest.raises(ValueError):
            max_pool2d(x, return_indices=True, **params)
        return
    values, indices = max_pool2d(x, return_indices=True, **params)
    assert values.shape == indices.shape == tuple(expected[0].shape)
    np.testing.assert_array_equal(values, expected[0].numpy())
    np.testing.assert_array_equal(indices, expected[1].numpy())
    np.testing.assert_array_equal(max_pool2d(x, **params), values)


@given(pool_cases(dilated=False), st.booleans())
def test_avg_pool_matches_torch(case, count_include_pad):
    x, params = case
    params |= {"count_include_pad": count_include_pad}
    expected = torch_or_error(F.avg_pool2d, x, **params)
    if expected is None:
        with pytest.raises(ValueError):
            avg_pool2d(x, **params)
        return
    result = avg_pool2d(x, **params)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), **TOL)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_ceil_mode_divides_by_the_clipped_window(count_include_pad):
    # 5 wide, k=2, s=2, p=1, ceil_mode: windows [-1,1), [1,3), [3,5), and [5,7) is dropped since it starts
    # in the right padding. With count_include_pad the first window counts its padding cell (divisor 2).
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    result = avg_pool2d(
        x, kernel_size=(1, 2), stride=(1, 2), padding=(0, 1), ceil_mode=True, count_include_pad=count_include_pad
    )
    first = 0.0 / 2 if count_include_pad else 0.0 / 1
    np.testing.assert_allclose(result[0, 0, 0], [first, (1 + 2) / 2, (3 + 4) / 2], **TOL)
    # k=3, s=2, p=1 on 6: windows start at -1, 1, 3, 5; the last one, [5, 8), is clipped to [5, 7) = H + p
    # (divisor 2 with count_include_pad), then to the image [5, 6) (divisor 1 without).
    x = np.arange(6.0).reshape(1, 1, 1, 6)
    result = avg_pool2d(
        x, kernel_size=(1, 3), stride=(1, 2), padding=(0, 1), ceil_mode=True, count_include_pad=count_include_pad
    )
    expected = F.avg_pool2d(torch.from_numpy(x), (1, 3), (1, 2), (0, 1), True, count_include_pad).numpy()
    assert result.shape == expected.shape == (1, 1, 1, 4)
    np.testing.assert_allclose(result, expected, **TOL)
    np.testing.assert_allclose(result[0, 0, 0, 3], 5.0 / 2 if count_include_pad else 5.0, **TOL)


def test_max_pool_propagates_nan_like_torch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    values, indices = max_pool2d(x, kernel_size=2, return_indices=True)
    expected, expected_indices = F.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(values, expected.numpy())
    np.testing.assert_array_equal(indices, expected_indices.numpy())
    assert np.isnan(values[0, 0, 0, 0])
    assert indices[0, 0, 0, 0] == 4


def test_global_avg_pool_matches_adaptive_avg_pool():
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 7))
    expected = F.adaptive_avg_pool2d(torch.from_numpy(x), 1).numpy()
    result = global_avg_pool2d(x)
    assert result.shape == expected.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(result, expected, **TOL)


@pytest.mark.parametrize(
    ("function", "params", "message"),
    [
        (max_pool2d, {"kernel_size": 3, "padding": 2}, "padding must be at most half the kernel size"),
        (avg_pool2d, {"kernel_size": 2, "padding": 2}, "padding must be at most half the kernel size"),
        (max_pool2d, {"kernel_size": 0}, "kernel_size must be at least 1"),
        (max_pool2d, {"kernel_size": 2, "stride": 0}, "stride must be at least 1"),
        (avg_pool2d, {"kernel_size": 2, "padding": -1}, "padding must not be negative"),
        (max_pool2d, {"kernel_size": 2, "dilation": 0}, "dilation must be at least 1"),
        (max_pool2d, {"kernel_size": 7}, "the pooling window spans 7 but the padded input is only 5 long"),
    ],
)
def test_bad_hyper_parameters_raise_actionable_errors(function, params, message):
    with pytest.raises(ValueError, match=message):
        function(np.zeros((1, 1, 5, 5)), **params)


@pytest.mark.parametrize("function", [max_pool2d, avg_pool2d, global_avg_pool2d])
def test_a_single_image_must_be_batched(function):
    params = {} if function is global_avg_pool2d else {"kernel_size": 2}
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        function(np.zeros((1, 5, 5)), **params)


def test_max_pool_window_that_dilation_steps_over_the_image_is_minus_infinity_like_torch():
    # 1×1 input, kernel 2 with dilation 2 and padding 1: the taps at rows −1 and 1 miss the only cell.
    x = np.ones((1, 1, 1, 1))
    params = {"kernel_size": (2, 1), "padding": (1, 0), "dilation": (2, 1), "return_indices": True}
    values, indices = max_pool2d(x, **params)
    expected, expected_indices = F.max_pool2d(torch.from_numpy(x), **params)
    assert values.shape == tuple(expected.shape) == (1, 1, 1, 1)
    np.testing.assert_array_equal(values, expected.numpy())
    np.testing.assert_array_equal(indices, expected_indices.numpy())
    assert values[0, 0, 0, 0] == -np.inf
