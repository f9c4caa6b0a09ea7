"""Transposed convolution three ways: a scatter, multiplication by ``Mᵀ``, and zero insertion.

Transposed convolution is multiplication by ``Mᵀ``, ``M`` the matrix of the forward convolution
(:mod:`convcore.operations.matrix`): each input cell adds its value times the kernel into the output (a
scatter). The same result comes from inserting ``s − 1`` zeros between input cells and running an ordinary
stride-1 convolution with the kernel rotated by 180°.

Shapes: ``x (N, C_in, H, W)``, ``weight (C_in, C_out/groups, kH, kW)``, ``bias (C_out,)`` →
``(N, C_out, H_out, W_out)`` with ``H_out = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from convcore.arithmetic.shapes import Pair, as_pair, check_groups, conv_transpose_macs, conv_transpose_output_size
from convcore.operations.conv import conv2d_im2col
from convcore.operations.geometry import Array, as_float_array
from convcore.operations.matrix import sparse_conv_matrix


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

    @property
    def macs(self) -> int:
        """Multiply-adds of the whole batch: every input cell scatters ``(C_out/groups)·kH·kW`` products."""
        per_image = conv_transpose_macs(
            self.in_channels, self.out_channels, self.kernel_size, self.input_size, groups=self.groups
        )
        return self.batch * per_image


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
    matrix, forward = sparse_conv_matrix(g.output_size, w_arr, g.stride, g.padding, g.dilation, g.groups, dense=False)
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
