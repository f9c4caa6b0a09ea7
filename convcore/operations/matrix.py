"""The lecture's matrix view of convolution: the matrix ``M`` of a convolution and the patch matrix of im2col.

A convolution without bias is linear in its input, so for one image ``x`` of shape ``(C_in, H, W)``
there is a matrix ``M`` of shape ``(C_out·H_out·W_out, C_in·H·W)`` with ``y.ravel() = M @ x.ravel()``
(both ravelled in C order: channel, row, column). Row ``(o, i, j)`` of ``M`` holds the kernel of output
channel ``o`` placed where window ``(i, j)`` reads the input. With zero padding the taps that fall in the
padding are dropped; with reflect, replicate or circular padding a padded cell is a copy of an input cell,
so its tap adds its weight to that cell's column (several taps may add up in one entry).

Transposed convolution is multiplication by ``Mᵀ`` (:mod:`convcore.operations.transposed`).

Dense matrices are limited to ``MAX_MATRIX_ENTRIES`` entries (32 MiB in float64) and the sparse triplets to
as many non-zeros, so a request can never ask for unbounded memory.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import ArrayLike, NDArray

from convcore.arithmetic.shapes import Pair, as_pair
from convcore.operations.geometry import (
    Array,
    ConvGeometry,
    PaddingArg,
    PaddingMode,
    as_float_array,
    conv_geometry,
    pad2d,
)

#: At most 2^22 entries (32 MiB of float64) in a dense matrix, or non-zeros in the sparse triplets.
MAX_MATRIX_ENTRIES = 2**22


@dataclass(frozen=True)
class SparseMatrix:
    """A matrix as COO triplets: ``M[rows[k], cols[k]] = values[k]``, every other entry zero."""

    shape: Pair
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    values: Array

    def to_dense(self) -> Array:
        """The dense ``shape`` array (subject to ``MAX_MATRIX_ENTRIES``)."""
        _check_dense(self.shape, "the matrix")
        dense = np.zeros(self.shape)
        dense[self.rows, self.cols] = self.values
        return dense

    def __matmul__(self, vector: ArrayLike) -> Array:
        """``M @ v`` for a vector ``v`` of length ``shape[1]``."""
        products = self.values * np.asarray(vector, dtype=np.float64)[self.cols]
        return np.bincount(self.rows, weights=products, minlength=self.shape[0]).astype(np.float64)

    def transpose_matmul(self, vector: ArrayLike) -> Array:
        """``Mᵀ @ v`` for a vector ``v`` of length ``shape[0]``."""
        products = self.values * np.asarray(vector, dtype=np.float64)[self.rows]
        return np.bincount(self.cols, weights=products, minlength=self.shape[1]).astype(np.float64)


def _check_dense(shape: Pair, what: str) -> None:
    if shape[0] * shape[1] > MAX_MATRIX_ENTRIES:
        raise ValueError(
            f"{what} would be {shape[0]}×{shape[1]} = {shape[0] * shape[1]:,} entries, more than the "
            f"{MAX_MATRIX_ENTRIES:,} allowed: reduce the input size or the number of channels"
            + (", or ask for sparse=True" if what == "the convolution matrix" else "")
        )


def _weight_4d(weight: ArrayLike) -> Array:
    w = as_float_array(weight, "weight")
    if w.ndim == 2:
        return w[None, None]
    if w.ndim != 4:
        raise ValueError(
            f"weight must be a 2-D kernel (kH, kW) or have shape (C_out, C_in/groups, kH, kW), got {w.shape}"
        )
    return w


def conv_matrix(
    input_size: int | Sequence[int],
    weight: ArrayLike,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    sparse: bool = False,
) -> Array | SparseMatrix:
    """The ``(C_out·H_out·W_out, C_in·H·W)`` matrix ``M`` with ``conv2d(x)[0].ravel() = M @ x.ravel()``.

    ``input_size`` is ``(H, W)``; ``weight`` is one 2-D kernel (one channel in, one out) or
    ``(C_out, C_in/groups, kH, kW)``; ``padding`` and ``padding_mode`` as torch's ``nn.Conv2d``.
    Entry ``M[(o, i, j), (c, r, q)]`` is the sum of ``w[o, c − g·C_g, a, b]`` over the taps whose padded cell
    ``(i·s_h + a·d_h, j·s_w + b·d_w)`` holds input cell ``(r, q)``: itself, a copy made by reflect,
    replicate or circular padding, or none for zero padding. Dense, or with ``sparse=True`` a
    :class:`SparseMatrix` of its non-empty entries.
    """
    matrix, _ = sparse_conv_matrix(
        input_size, _weight_4d(weight), stride, padding, dilation, groups, padding_mode, dense=not sparse
    )
    return matrix if sparse else matrix.to_dense()


def sparse_conv_matrix(
    input_size: int | Sequence[int],
    w: Array,
    stride: int | Sequence[int],
    padding: PaddingArg,
    dilation: int | Sequence[int],
    groups: int,
    padding_mode: PaddingMode = "zeros",
    *,
    dense: bool,
) -> tuple[SparseMatrix, ConvGeometry]:
    """:func:`conv_matrix` as triplets, with the convolution's geometry; ``dense`` checks the dense size too."""
    h, width = as_pair(input_size, "input_size")
    g = conv_geometry(
        (1, w.shape[1] * groups, h, width), w.shape, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    shape = (g.out_channels * g.output_size[0] * g.output_size[1], g.in_channels * h * width)
    if dense:
        _check_dense(shape, "the convolution matrix")
    rows, cols, values = _conv_triplets(g, w, padding_mode)
    if padding_mode != "zeros":
        rows, cols, values = _coalesce(shape, rows, cols, values)
    return SparseMatrix(shape, rows, cols, values), g


def _coalesce(
    shape: Pair, rows: NDArray[np.int64], cols: NDArray[np.int64], values: Array
) -> tuple[NDArray[np.int64], NDArray[np.int64], Array]:
    """One triplet per entry: the values of repeated ``(row, column)`` pairs added up."""
    keys, where = np.unique(rows * shape[1] + cols, return_inverse=True)
    sums = np.bincount(where.ravel(), weights=values, minlength=keys.size).astype(np.float64)
    return keys // shape[1], keys % shape[1], sums


def _conv_triplets(
    g: ConvGeometry, w: Array, padding_mode: PaddingMode
) -> tuple[NDArray[np.int64], NDArray[np.int64], Array]:
    """Row, column and value of every kernel tap whose padded cell holds an input cell (not a zero)."""
    if g.macs > MAX_MATRIX_ENTRIES:
        raise ValueError(
            f"the convolution matrix has {g.macs:,} non-zeros, more than the {MAX_MATRIX_ENTRIES:,} allowed: "
            "reduce the input size or the number of channels"
        )
    (ho, wo), (h, width) = g.output_size, g.input_size
    c_group = g.in_channels // g.groups
    out_per_group = g.out_channels // g.groups
    kh, kw = w.shape[2:]
    # Broadcast axes: (output channel, input channel in group, kernel row, kernel col, output row, output col).
    o = np.arange(g.out_channels).reshape(-1, 1, 1, 1, 1, 1)
    c = (o // out_per_group) * c_group + np.arange(c_group).reshape(1, -1, 1, 1, 1, 1)
    i = np.arange(ho).reshape(1, 1, 1, 1, -1, 1)
    j = np.arange(wo).reshape(1, 1, 1, 1, 1, -1)
    # Padded coordinates of every tap, and which input cell each padded cell holds: F.pad (convcore's pad2d,
    # with torch's limits) applied to the cell numbers 1…H·W, 0 meaning a zero.
    r = i * g.stride[0] + np.arange(kh).reshape(1, 1, -1, 1, 1, 1) * g.dilation[0]
    q = j * g.stride[1] + np.arange(kw).reshape(1, 1, 1, -1, 1, 1) * g.dilation[1]
    numbers = np.arange(1, h * width + 1, dtype=np.float64).reshape(h, width)
    held = pad2d(numbers, g.padding, padding_mode).astype(np.int64)[r, q]
    shape = (g.out_channels, c_group, kh, kw, ho, wo)
    inside = np.broadcast_to(held > 0, shape)
    rows = np.broadcast_to((o * ho + i) * wo + j, shape)[inside]
    cols = np.broadcast_to(c * h * width + held - 1, shape)[inside]
    values = np.broadcast_to(w[:, :, :, :, None, None], shape)[inside]
    return rows.astype(np.int64), cols.astype(np.int64), values.copy()


def im2col_matrix(
    x: ArrayLike,
    kernel_size: int | Sequence[int],
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
) -> Array:
    """The patch matrix ``P`` of one image ``x`` ``(C_in, H, W)``: shape ``(C_in·kH·kW, H_out·W_out)``.

    Row ``c·kH·kW + a·kW + b`` is kernel tap ``(a, b)`` of channel ``c``; column ``i·W_out + j`` is output
    position ``(i, j)``; ``P[(c, a, b), (i, j)] = x_pad[c, i·s_h + a·d_h, j·s_w + b·d_w]``. Then
    ``weight.reshape(C_out, −1) @ P`` is the convolution, ``(C_out, H_out·W_out)``.
    """
    image = as_float_array(x, "x")
    if image.ndim != 3:
        raise ValueError(f"x must be one image (C_in, H, W), got shape {image.shape}: use x[0] for a batch's first")
    kh, kw = as_pair(kernel_size, "kernel_size")
    g = conv_geometry((1, *image.shape), (1, image.shape[0], kh, kw), stride=stride, padding=padding, dilation=dilation)
    ho, wo = g.output_size
    _check_dense((g.in_channels * kh * kw, ho * wo), "the patch matrix")
    padded = pad2d(image, g.padding)
    s_c, s_h, s_w = padded.strides
    windows = as_strided(
        padded,
        shape=(g.in_channels, kh, kw, ho, wo),
        strides=(s_c, g.dilation[0] * s_h, g.dilation[1] * s_w, g.stride[0] * s_h, g.stride[1] * s_w),
        writeable=False,
    )
    return windows.reshape(g.in_channels * kh * kw, ho * wo)
