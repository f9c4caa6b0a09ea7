"""The lecture's matrix view of convolution, and transposed convolution three ways.

A convolution without bias is linear in its input, so for one image ``x`` of shape ``(C_in, H, W)``
there is a matrix ``M`` of shape ``(C_out·H_out·W_out, C_in·H·W)`` with ``y.ravel() = M @ x.ravel()``
(both ravelled in C order: channel, row, column). Row ``(o, i, j)`` of ``M`` holds the kernel of output
channel ``o`` placed where window ``(i, j)`` reads the input. With zero padding the taps that fall in the
padding are dropped; with reflect, replicate or circular padding a padded cell is a copy of an input cell,
so its tap adds its weight to that cell's column (several taps may add up in one entry).

Transposed convolution is multiplication by ``Mᵀ``: each input cell adds its value times the kernel into
the output (a scatter). The same result comes from inserting ``s − 1`` zeros between input cells and
running an ordinary stride-1 convolution with the kernel rotated by 180°.

Dense matrices are limited to ``MAX_MATRIX_ENTRIES`` entries (32 MiB in float64) and the sparse triplets to
as many non-zeros, so a request can never ask for unbounded memory.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import ArrayLike, NDArray

from convcore.arithmetic.shapes import Pair, as_pair, check_groups, conv_transpose_output_size
from convcore.operations.conv import (
    Array,
    ConvGeometry,
    PaddingArg,
    PaddingMode,
    as_float_array,
    conv2d_im2col,
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
    matrix, _ = _sparse_conv_matrix(
        input_size, _weight_4d(weight), stride, padding, dilation, groups, padding_mode, dense=not sparse
    )
    return matrix if sparse else matrix.to_dense()


def _sparse_conv_matrix(
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


@dataclass(frozen=True)
class TransposeGeometry:
    """Validated hyper-parameters of a transposed convolution, per axis ``(h, w)``."""

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    input_size: Pair
    kernel_size: Pair
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    output_size: Pair


def conv_transpose_geometry(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> TransposeGeometry:
    """Validate a transposed convolution (torch's rules); ``weight_shape`` is ``(C_in, C_out/groups, kH, kW)``."""
    if len(input_shape) != 4:
        raise ValueError(
            f"x must be a batch (N, C_in, H, W), got shape {tuple(input_shape)}: use x[None] for one image"
        )
    if len(weight_shape) != 4:
        raise ValueError(f"weight must have shape (C_in, C_out/groups, kH, kW), got {tuple(weight_shape)}")
    n, c_in, h, w = (int(v) for v in input_shape)
    w_in, out_per_group, kh, kw = (int(v) for v in weight_shape)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise ValueError(f"groups must be an integer, got {groups!r}")
    check_groups(c_in, max(out_per_group, 1) * groups, groups)
    if w_in != c_in:
        raise ValueError(
            f"weight has {w_in} input channels but x has {c_in}: a transposed convolution's weight has shape "
            f"(C_in, C_out/groups, kH, kW) = ({c_in}, C_out/{groups}, {kh}, {kw})"
        )
    if out_per_group < 1 or kh < 1 or kw < 1:
        raise ValueError(f"weight must not be empty, got shape {tuple(weight_shape)}: kernel_size must be at least 1")
    if n < 1 or h < 1 or w < 1:
        raise ValueError(f"x must not be empty, got shape {tuple(input_shape)}")
    pairs = {
        name: as_pair(value, name)
        for name, value in (
            ("stride", stride),
            ("padding", padding),
            ("output_padding", output_padding),
            ("dilation", dilation),
        )
    }
    out = tuple(
        conv_transpose_output_size(
            (h, w)[axis],
            kernel_size=(kh, kw)[axis],
            stride=pairs["stride"][axis],
            padding=pairs["padding"][axis],
            output_padding=pairs["output_padding"][axis],
            dilation=pairs["dilation"][axis],
        )
        for axis in range(2)
    )
    return TransposeGeometry(
        batch=n,
        in_channels=c_in,
        out_channels=out_per_group * groups,
        groups=groups,
        input_size=(h, w),
        kernel_size=(kh, kw),
        stride=pairs["stride"],
        padding=pairs["padding"],
        output_padding=pairs["output_padding"],
        dilation=pairs["dilation"],
        output_size=(out[0], out[1]),
    )


def _transpose_inputs(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, **params: object
) -> tuple[Array, Array, Array | None, TransposeGeometry]:
    x_arr = as_float_array(x, "x")
    w_arr = as_float_array(weight, "weight")
    g = conv_transpose_geometry(x_arr.shape, w_arr.shape, **params)  # type: ignore[arg-type]
    b_arr = None
    if bias is not None:
        b_arr = as_float_array(bias, "bias")
        if b_arr.shape != (g.out_channels,):
            raise ValueError(f"bias must have shape ({g.out_channels},) (one per output channel), got {b_arr.shape}")
    return x_arr, w_arr, b_arr, g


def _with_bias(out: Array, bias: Array | None) -> Array:
    if bias is not None:
        out += bias[None, :, None, None]
    return out


def conv_transpose2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Array:
    """Transposed convolution (torch's ``conv_transpose2d``) as a scatter.

    Input cell ``(i, j)`` of channel ``c`` adds ``x[c, i, j] · w[c, o, a, b]`` to output cell
    ``(i·s_h − p_h + a·d_h, j·s_w − p_w + b·d_w)`` of channel ``o`` (of its group); cells that land outside
    ``[0, H_out) × [0, W_out)`` are cut off. Vectorised as one pass per kernel tap ``(a, b)`` over all cells.
    Shapes: ``x (N, C_in, H, W)``, ``weight (C_in, C_out/groups, kH, kW)``, ``bias (C_out,)`` →
    ``(N, C_out, H_out, W_out)`` with ``H_out = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1``.
    """
    x_arr, w_arr, b_arr, g = _transpose_inputs(
        x, weight, bias, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    (h, w), (sh, sw), (dh, dw), (kh, kw) = g.input_size, g.stride, g.dilation, g.kernel_size
    # Scatter into an uncropped canvas that starts at output coordinate −p, then cut the padding off.
    canvas_size = [
        max(
            (g.input_size[axis] - 1) * g.stride[axis] + g.dilation[axis] * (g.kernel_size[axis] - 1) + 1,
            g.padding[axis] + g.output_size[axis],
        )
        for axis in range(2)
    ]
    canvas = np.zeros((g.batch, g.out_channels, *canvas_size))
    c_group = g.in_channels // g.groups
    grouped_x = x_arr.reshape(g.batch, g.groups, c_group, h, w)
    grouped_w = w_arr.reshape(g.groups, c_group, -1, kh, kw)
    for a in range(kh):
        for b in range(kw):
            scaled = np.einsum("ngchw,gco->ngohw", grouped_x, grouped_w[:, :, :, a, b])
            canvas[:, :, a * dh : a * dh + (h - 1) * sh + 1 : sh, b * dw : b * dw + (w - 1) * sw + 1 : sw] += (
                scaled.reshape(g.batch, g.out_channels, h, w)
            )
    (ph, pw), (ho, wo) = g.padding, g.output_size
    return _with_bias(np.ascontiguousarray(canvas[:, :, ph : ph + ho, pw : pw + wo]), b_arr)


def conv_transpose2d_via_matrix(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Array:
    """Transposed convolution as ``Mᵀ @ x`` per image, ``M`` the matrix of the forward convolution.

    The forward convolution maps ``(C_out, H_out, W_out)`` back to ``(C_in, H, W)`` with the same weight,
    stride, padding and dilation (an ``output_padding`` ≥ stride gives it an extra row of zeros in ``x``).
    Uses the sparse triplets, so it works wherever the scatter does. Shapes as :func:`conv_transpose2d`.
    """
    x_arr, w_arr, b_arr, g = _transpose_inputs(
        x, weight, bias, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    matrix, forward = _sparse_conv_matrix(g.output_size, w_arr, g.stride, g.padding, g.dilation, g.groups, dense=False)
    # The forward convolution's output is H×W, or one row/column more when output_padding ≥ stride:
    # that extra row reads nothing of x, so x is extended by zeros to the forward output's size.
    extended = np.zeros((g.batch, g.in_channels, *forward.output_size))
    extended[:, :, : g.input_size[0], : g.input_size[1]] = x_arr
    out = np.stack([matrix.transpose_matmul(image.ravel()) for image in extended])
    return _with_bias(out.reshape(g.batch, g.out_channels, *g.output_size), b_arr)


def zero_insertion(x: ArrayLike, stride: int | Sequence[int]) -> Array:
    """Insert ``s − 1`` zeros between neighbouring cells: ``(N, C, H, W) → (N, C, (H−1)·s_h + 1, (W−1)·s_w + 1)``."""
    x_arr = as_float_array(x, "x")
    if x_arr.ndim != 4:
        raise ValueError(f"x must be a batch (N, C, H, W), got shape {x_arr.shape}: use x[None] for one image")
    sh, sw = as_pair(stride, "stride")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be at least 1, got {(sh, sw)}")
    n, c, h, w = x_arr.shape
    out = np.zeros((n, c, (h - 1) * sh + 1, (w - 1) * sw + 1))
    out[:, :, ::sh, ::sw] = x_arr
    return out


def conv_transpose2d_via_zero_insertion(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Array:
    """Transposed convolution as zero insertion + padding ``d·(k − 1) − p`` + a stride-1 true convolution.

    The weight's two channel axes swap within each group and the kernel is rotated by 180° (``flip=True``);
    ``output_padding`` adds rows/columns on the bottom/right; a negative padding crops instead.
    Shapes as :func:`conv_transpose2d`.
    """
    x_arr, w_arr, b_arr, g = _transpose_inputs(
        x, weight, bias, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    inserted = zero_insertion(x_arr, g.stride)
    c_group = g.in_channels // g.groups
    kh, kw = g.kernel_size
    forward_w = (
        w_arr.reshape(g.groups, c_group, -1, kh, kw).transpose(0, 2, 1, 3, 4).reshape(g.out_channels, c_group, kh, kw)
    )
    border = [g.dilation[axis] * (g.kernel_size[axis] - 1) - g.padding[axis] for axis in range(2)]
    before = [max(0, b) for b in border]
    after = [max(0, border[axis] + g.output_padding[axis]) for axis in range(2)]
    padded = np.pad(inserted, ((0, 0), (0, 0), (before[0], after[0]), (before[1], after[1])))
    # A padding larger than d·(k − 1) means cropping the inserted input instead of padding it.
    crop = [max(0, -b) for b in border]
    end = [padded.shape[2 + axis] - max(0, -(border[axis] + g.output_padding[axis])) for axis in range(2)]
    cropped = padded[:, :, crop[0] : end[0], crop[1] : end[1]]
    return conv2d_im2col(cropped, forward_w, b_arr, dilation=g.dilation, groups=g.groups, flip=True)
