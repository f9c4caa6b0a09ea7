"""2-D convolution four ways with one signature: naive loops, im2col + matmul, FFT, and torch.

All four compute torch's ``conv2d``: the cross-correlation

    y[n, o, i, j] = b[o] + Σ_{c, a, b'} x_pad[n, g·C_g + c, i·s_h + a·d_h, j·s_w + b'·d_w] · w[o, c, a, b']

where ``g = o // (C_out / groups)`` is the group of output channel ``o`` and ``C_g = C_in / groups``.
With ``flip=True`` the kernel is rotated by 180° first, which turns the cross-correlation into a true
(mathematical) convolution.

Shapes: ``x`` is ``(N, C_in, H, W)`` (a batch; wrap a single image as ``x[None]``), ``weight`` is
``(C_out, C_in / groups, kH, kW)``, ``bias`` is ``(C_out,)``; the result is ``(N, C_out, H_out, W_out)``
with ``H_out = ⌊(H + p_top + p_bottom − d_h·(kH − 1) − 1) / s_h⌋ + 1`` (likewise ``W_out``). Inputs may be
float32 or float64; every method computes and returns float64.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import as_strided
from numpy.typing import ArrayLike

from convcore.arithmetic.shapes import effective_kernel_size
from convcore.operations.geometry import (
    Array,
    ConvGeometry,
    PaddingArg,
    PaddingMode,
    as_float_array,
    conv_geometry,
    pad2d,
)

Method = Literal["naive", "im2col", "fft", "torch"]

#: The naive loop costs ~100 ns per multiply-add in CPython, so this bound keeps it under about a second: a
#: library guard. The API allows far less (app.settings.Settings.max_naive_macs), since a server request
#: holds the interpreter while the loop runs.
NAIVE_MAX_MACS = 2_000_000

#: Bytes of im2col column buffer per tile: small enough to stay in cache, large enough for a fast matmul.
IM2COL_TILE_BYTES = 4 * 2**20


@dataclass(frozen=True)
class _Prepared:
    """A convolution reduced to a 'valid' cross-correlation of an already padded input."""

    geometry: ConvGeometry
    x: Array  # padded input (N, C_in, H + top + bottom, W + left + right)
    weight: Array  # flipped already when flip=True
    bias: Array | None


def _prepare(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    *,
    stride: int | Sequence[int],
    padding: PaddingArg,
    dilation: int | Sequence[int],
    groups: int,
    padding_mode: str,
    flip: bool,
    max_macs: int | None = None,
) -> _Prepared:
    x_arr = as_float_array(x, "x")
    w_arr = as_float_array(weight, "weight")
    geometry = conv_geometry(x_arr.shape, w_arr.shape, stride=stride, padding=padding, dilation=dilation, groups=groups)
    if max_macs is not None and geometry.macs > max_macs:
        raise ValueError(
            f"the naive loop is sized for small inputs: this convolution needs {geometry.macs:,} "
            f"multiply-adds (limit {max_macs:,}); use method='im2col' or a smaller input"
        )
    b_arr = None
    if bias is not None:
        b_arr = as_float_array(bias, "bias")
        if b_arr.shape != (geometry.out_channels,):
            raise ValueError(
                f"bias must have shape ({geometry.out_channels},) (one per output channel), got {b_arr.shape}"
            )
    if flip:
        # A copy, not a view: torch.from_numpy refuses the negative strides of a reversed view.
        w_arr = w_arr[:, :, ::-1, ::-1].copy()
    return _Prepared(geometry, pad2d(x_arr, geometry.padding, padding_mode), w_arr, b_arr)


def _add_bias(out: Array, bias: Array | None) -> Array:
    if bias is not None:
        out += bias[None, :, None, None]
    return out


def _naive(p: _Prepared) -> Array:
    """The lecture's formula as loops: one multiply-add per innermost iteration."""
    g = p.geometry
    sh, sw = g.stride
    dh, dw = g.dilation
    kh, kw = g.kernel_size
    c_group = g.in_channels // g.groups
    out_per_group = g.out_channels // g.groups
    # Python lists index an order of magnitude faster than numpy scalars.
    x = p.x.tolist()
    w = p.weight.tolist()
    out = np.zeros((g.batch, g.out_channels, *g.output_size))
    for n in range(g.batch):
        for o in range(g.out_channels):
            first_channel = (o // out_per_group) * c_group
            for i in range(g.output_size[0]):
                for j in range(g.output_size[1]):
                    total = 0.0
                    for c in range(c_group):
                        image = x[n][first_channel + c]
                        for a in range(kh):
                            row = image[i * sh + a * dh]
                            for b in range(kw):
                                total += row[j * sw + b * dw] * w[o][c][a][b]
                    out[n, o, i, j] = total
    return _add_bias(out, p.bias)


def _im2col(p: _Prepared) -> Array:
    """Patch matrix times flattened kernels, tiled over output rows so the column buffer stays bounded.

    For a tile of output rows the column buffer is ``(groups, C_g·kH·kW, rows·W_out)``: row ``(c, a, b)``
    holds the input values tap ``(a, b)`` of channel ``c`` sees at every output position of the tile.
    It is filled by one copy from an ``as_strided`` view of the padded input (no Python loop over taps),
    and multiplied by the ``(groups, C_out/g, C_g·kH·kW)`` weights in one batched matmul written
    straight into the output.
    """
    g = p.geometry
    sh, sw = g.stride
    dh, dw = g.dilation
    kh, kw = g.kernel_size
    ho, wo = g.output_size
    groups = g.groups
    c_group = g.in_channels // groups
    taps = c_group * kh * kw
    weight = np.ascontiguousarray(p.weight).reshape(groups, g.out_channels // groups, taps)
    rows_per_tile = max(1, min(ho, IM2COL_TILE_BYTES // (8 * groups * taps * wo)))
    buffer = np.empty(groups * taps * rows_per_tile * wo)
    out = np.empty((g.batch, g.out_channels, ho, wo))
    for n in range(g.batch):
        image = p.x[n]
        s_c, s_h, s_w = image.strides
        for r0 in range(0, ho, rows_per_tile):
            rows = min(rows_per_tile, ho - r0)
            windows = as_strided(
                image[:, r0 * sh :, :],
                shape=(groups, c_group, kh, kw, rows, wo),
                strides=(c_group * s_c, s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w),
                writeable=False,
            )
            columns = buffer[: groups * taps * rows * wo].reshape(groups, c_group, kh, kw, rows, wo)
            np.copyto(columns, windows)
            target = out[n, :, r0 : r0 + rows, :].reshape(groups, -1, rows * wo)
            np.matmul(weight, columns.reshape(groups, taps, rows * wo), out=target)
    return _add_bias(out, p.bias)


def _fast_fft_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n: pocketfft is fastest on such lengths."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            candidate = p35
            while candidate < n:
                candidate *= 2
            best = min(best, candidate)
            p35 *= 3
        p5 *= 5
    return best


def _fft(p: _Prepared) -> Array:
    """Convolution theorem: correlation = IFFT(FFT(x) · conj(FFT(k))), then keep the strided valid part.

    The dilated kernel is the kernel with ``d − 1`` zeros between taps. Transforms of length ≥ the padded
    input make the circular correlation equal the linear one on the valid region (no wrap-around).
    """
    g = p.geometry
    sh, sw = g.stride
    dh, dw = g.dilation
    kh, kw = g.kernel_size
    ho, wo = g.output_size
    groups = g.groups
    c_group = g.in_channels // groups
    span_h = effective_kernel_size(kh, dh)
    span_w = effective_kernel_size(kw, dw)
    dilated = np.zeros((g.out_channels, c_group, span_h, span_w))
    dilated[:, :, ::dh, ::dw] = p.weight
    size = (_fast_fft_length(p.x.shape[2]), _fast_fft_length(p.x.shape[3]))
    x_hat = np.fft.rfft2(p.x, s=size).reshape(g.batch, groups, c_group, -1)
    k_hat = np.conj(np.fft.rfft2(dilated, s=size)).reshape(groups, g.out_channels // groups, c_group, -1)
    # Per group and frequency, the channel sum is a small matrix product: (N, C_g) @ (C_g, C_out/g).
    y_hat = np.matmul(x_hat.transpose(1, 3, 0, 2), k_hat.transpose(0, 3, 2, 1)).transpose(2, 0, 3, 1)
    y_hat = y_hat.reshape(g.batch, g.out_channels, size[0], size[1] // 2 + 1)
    full = np.fft.irfft2(y_hat, s=size)
    out = np.ascontiguousarray(full[:, :, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw])
    return _add_bias(out, p.bias)


def _torch(p: _Prepared) -> Array:
    """``torch.nn.functional.conv2d`` in float64 on the already padded input."""
    g = p.geometry
    result = F.conv2d(
        torch.from_numpy(np.ascontiguousarray(p.x)),
        torch.from_numpy(np.ascontiguousarray(p.weight)),
        None if p.bias is None else torch.from_numpy(p.bias),
        stride=g.stride,
        dilation=g.dilation,
        groups=g.groups,
    )
    return result.numpy()


def conv2d_naive(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> Array:
    """Convolution as seven nested loops: readable, for small inputs (``NAIVE_MAX_MACS`` at most).

    See the module docstring for shapes and the formula.
    """
    prepared = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=flip,
        max_macs=NAIVE_MAX_MACS,
    )
    return _naive(prepared)


def conv2d_im2col(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> Array:
    """Convolution as patch matrix × kernel matrix (how frameworks do it), tiled over output rows.

    Memory beyond input and output is ``IM2COL_TILE_BYTES`` (or one output row's columns if larger).
    See the module docstring for shapes and the formula.
    """
    prepared = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=flip,
    )
    return _im2col(prepared)


def conv2d_fft(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> Array:
    """Convolution by the convolution theorem with ``numpy.fft.rfft2``; stride by subsampling the result.

    Its cost hardly depends on the kernel size, so it pays only for large kernels.
    See the module docstring for shapes and the formula.
    """
    prepared = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=flip,
    )
    return _fft(prepared)


def conv2d_torch(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> Array:
    """Convolution by ``torch.nn.functional.conv2d`` in float64 (padding done by :func:`pad2d`).

    See the module docstring for shapes and the formula.
    """
    prepared = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=flip,
    )
    return _torch(prepared)


METHODS: dict[str, Callable[..., Array]] = {
    "naive": conv2d_naive,
    "im2col": conv2d_im2col,
    "fft": conv2d_fft,
    "torch": conv2d_torch,
}


def conv2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
    method: Method = "im2col",
) -> Array:
    """2-D convolution (torch's ``conv2d``) computed by ``method``: naive, im2col, fft or torch.

    See the module docstring for shapes and the formula.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return METHODS[method](
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=flip,
    )
