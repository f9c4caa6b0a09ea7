"""The matrix view against torch float64: M @ x is conv2d, the patch matrix times the flattened weight is
conv2d. Tolerance ``rtol = atol = 1e-10``."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.arithmetic.shapes import effective_kernel_size
from convcore.operations import matrix
from convcore.operations.matrix import SparseMatrix, conv_matrix, im2col_matrix

TOL = {"rtol": 1e-10, "atol": 1e-10}


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(
        draw(st.integers(max(1, effective_kernel_size(kernel[a], dilation[a]) - 2 * padding[a]), 8)) for a in range(2)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((c_in, *size))
    weight = rng.standard_normal((c_out, c_in // groups, *kernel))
    return x, weight, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


@given(conv_cases())
def test_conv_matrix_times_x_is_conv2d(case):
    x, weight, params = case
    expected = F.conv2d(torch.from_numpy(x[None]), torch.from_numpy(weight), **params).numpy()[0]
    dense = conv_matrix(x.shape[1:], weight, **params)
    sparse = conv_matrix(x.shape[1:], weight, sparse=True, **params)
    assert isinstance(sparse, SparseMatrix)
    assert dense.shape == sparse.shape == (expected.size, x.size)
    np.testing.assert_allclose(dense @ x.ravel(), expected.ravel(), **TOL)
    np.testing.assert_allclose(sparse @ x.ravel(), expected.ravel(), **TOL)
    np.testing.assert_array_equal(sparse.to_dense(), dense)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("size", "kernel", "params"),
    [
        ((5, 4), (3, 3), {"padding": (2, 1), "stride": (2, 1)}),
        ((4, 5), (2, 3), {"padding": "same", "dilation": (1, 2), "groups": 2}),
        ((4, 4), (4, 2), {"padding": "same"}),
        ((3, 6), (3, 2), {"padding": (1, 3), "dilation": (1, 2), "stride": (1, 3)}),
    ],
)
def test_conv_matrix_of_every_padding_mode_is_torchs_conv2d(padding_mode, size, kernel, params):
    # Padded cells copy input cells, so the matrix folds their taps back onto the edge: M @ x is nn.Conv2d(x).
    groups = params.get("groups", 1)
    rng = np.random.default_rng(sum(size) * 10 + sum(kernel))
    x = rng.standard_normal((2, *size))
    weight = rng.standard_normal((2, 2 // groups, *kernel))
    conv = torch.nn.Conv2d(2, 2, kernel, bias=False, padding_mode=padding_mode, dtype=torch.float64, **params)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weight))
        expected = conv(torch.from_numpy(x[None])).numpy()[0]
    dense = conv_matrix(size, weight, padding_mode=padding_mode, **params)
    sparse = conv_matrix(size, weight, padding_mode=padding_mode, sparse=True, **params)
    assert isinstance(sparse, SparseMatrix)
    assert dense.shape == (expected.size, x.size)
    np.testing.assert_allclose(dense @ x.ravel(), expected.ravel(), **TOL)
    np.testing.assert_allclose(sparse @ x.ravel(), expected.ravel(), **TOL)
    # one triplet per entry: the copies' weights are added up, not listed twice
    assert len(set(zip(sparse.rows.tolist(), sparse.cols.tolist(), strict=True))) == sparse.rows.size
    np.testing.assert_array_equal(sparse.to_dense(), dense)


def test_reflect_padding_adds_the_mirrored_taps_onto_the_input_cells():
    # 1-D reflect of [a b c] by 1 is [b a b c b]: the 3-tap window (1, 10, 100) at output 0 reads b, a, b.
    kernel = np.array([[1.0, 10.0, 100.0]])
    m = conv_matrix((1, 3), kernel, padding=(0, 1), padding_mode="reflect")
    np.testing.assert_array_equal(m, [[10.0, 101.0, 0.0], [1.0, 10.0, 100.0], [0.0, 101.0, 10.0]])


def test_reflect_padding_as_large_as_the_input_is_refused_as_torch_does():
    with pytest.raises(ValueError, match="reflect padding must be smaller than the input"):
        conv_matrix((2, 2), np.ones((3, 3)), padding=2, padding_mode="reflect")


def test_conv_matrix_of_a_2d_kernel_is_the_lectures_example():
    # 3×3 input, 2×2 kernel, stride 1: four rows, each the kernel laid over one window.
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = np.array(
        [
            [1, 2, 0, 3, 4, 0, 0, 0, 0],
            [0, 1, 2, 0, 3, 4, 0, 0, 0],
            [0, 0, 0, 1, 2, 0, 3, 4, 0],
            [0, 0, 0, 0, 1, 2, 0, 3, 4],
        ],
        dtype=float,
    )
    result = conv_matrix((3, 3), kernel)
    assert result.shape == (4, 9)
    np.testing.assert_array_equal(result, expected)


@given(conv_cases())
def test_im2col_matrix_times_flattened_weight_is_conv2d(case):
    x, weight, params = case
    params["groups"] = 1
    weight = np.resize(weight, (weight.shape[0], x.shape[0], *weight.shape[2:]))
    expected = F.conv2d(torch.from_numpy(x[None]), torch.from_numpy(weight), **params).numpy()[0]
    patches = im2col_matrix(
        x, weight.shape[2:], stride=params["stride"], padding=params["padding"], dilation=params["dilation"]
    )
    assert patches.shape == (x.shape[0] * weight.shape[2] * weight.shape[3], expected.shape[1] * expected.shape[2])
    np.testing.assert_allclose(
        weight.reshape(weight.shape[0], -1) @ patches, expected.reshape(len(expected), -1), **TOL
    )


def test_im2col_matrix_rows_are_taps_and_columns_are_positions():
    x = np.arange(12.0).reshape(1, 3, 4)
    patches = im2col_matrix(x, 2, stride=(1, 2))
    assert patches.shape == (4, 4)
    # Column 1 is output (0, 1): the window at rows 0-1, columns 2-3.
    np.testing.assert_array_equal(patches[:, 1], [2.0, 3.0, 6.0, 7.0])
    # Row 3 is tap (1, 1): the bottom-right cell of every window.
    np.testing.assert_array_equal(patches[3], [5.0, 7.0, 9.0, 11.0])


def test_dense_matrix_is_bounded_and_sparse_is_offered(monkeypatch):
    monkeypatch.setattr(matrix, "MAX_MATRIX_ENTRIES", 1000)
    with pytest.raises(ValueError, match=r"the convolution matrix would be 1024×1024 .* or ask for sparse=True"):
        conv_matrix((32, 32), np.ones((3, 3)), padding=1)
    sparse = conv_matrix((10, 10), np.ones((3, 3)), padding=1, sparse=True)
    assert isinstance(sparse, SparseMatrix)
    assert sparse.shape == (100, 100)
    with pytest.raises(ValueError, match="non-zeros, more than the 1,000 allowed"):
        conv_matrix((32, 32), np.ones((3, 3)), padding=1, sparse=True)
    with pytest.raises(ValueError, match="the patch matrix would be"):
        im2col_matrix(np.zeros((1, 32, 32)), 3)


def test_conv_matrix_rejects_a_3d_weight():
    with pytest.raises(ValueError, match=r"2-D kernel \(kH, kW\) or have shape"):
        conv_matrix((4, 4), np.zeros((1, 2, 2)))
