"""Step-by-step traces of one image through a convolution, a transposed convolution or a pooling window.

The playground animates these: every step lists its taps in kernel order (channel, kernel row, kernel
column) with input coordinates in the UNPADDED image (negative or ≥ H/W where a tap reads padding), the
values, the products and the result, so the numbers on screen are the ones ``conv2d`` and the pools compute.
Every field is a Python ``int``, ``float``, ``bool``, ``None`` or a list of those; ``dataclasses.asdict``
turns a step into JSON-ready data. The number of steps is bounded by ``max_steps``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from convcore.operations.geometry import Array, PaddingArg, PaddingMode, as_float_array, conv_geometry, pad2d
from convcore.operations.pooling import avg_divisors, pool_geometry
from convcore.operations.transposed import conv_transpose_geometry

#: Default bound on the steps of one trace: enough for a 64×64 single-channel playground.
MAX_STEPS = 4096


@dataclass(frozen=True)
class ConvStep:
    """One output cell ``(out_channel, out_row, out_col)`` of a convolution and the taps that made it.

    ``result = sum(products) + bias``; ``products[t] = weights[t] · inputs[t]``; tap ``t`` reads input
    ``(channels[t], rows[t], cols[t])`` and uses kernel entry ``(kernel_rows[t], kernel_cols[t])`` of the
    weight as given (with ``flip`` that is the entry rotated by 180°).
    """

    out_channel: int
    out_row: int
    out_col: int
    channels: list[int]
    rows: list[int]
    cols: list[int]
    is_padding: list[bool]
    kernel_rows: list[int]
    kernel_cols: list[int]
    weights: list[float]
    inputs: list[float]
    products: list[float]
    sum: float
    bias: float
    result: float


@dataclass(frozen=True)
class ConvTransposeStep:
    """One input cell ``(in_channel, in_row, in_col)`` of a transposed convolution and where it scatters.

    Target ``t`` adds ``products[t] = value · weights[t]`` to output cell ``(out_channels[t], out_rows[t],
    out_cols[t])``; ``inside[t]`` is false when that cell is cut off by ``padding``, and
    ``in_output_padding[t]`` marks cells in the rows/columns that ``output_padding`` adds on the bottom/right.
    """

    in_channel: int
    in_row: int
    in_col: int
    value: float
    out_channels: list[int]
    out_rows: list[int]
    out_cols: list[int]
    kernel_rows: list[int]
    kernel_cols: list[int]
    weights: list[float]
    products: list[float]
    inside: list[bool]
    in_output_padding: list[bool]


@dataclass(frozen=True)
class PoolStep:
    """One output cell of a pooling window.

    ``values[t]`` is ``None`` where tap ``t`` reads padding (or past it, for ``ceil_mode``'s last window).
    Max: ``winner`` is the tap that won (torch's rule: first maximum, NaN wins) and ``winner_index`` its flat
    ``row·W + col`` as in torch's indices; both are ``None`` (and ``result`` is −∞, as in torch) when dilation
    steps the window over every image cell. Average: ``result = sum / divisor``.
    """

    channel: int
    out_row: int
    out_col: int
    rows: list[int]
    cols: list[int]
    is_padding: list[bool]
    values: list[float | None]
    result: float
    winner: int | None
    winner_index: int | None
    sum: float | None
    divisor: int | None


def _check_steps(steps: int, max_steps: int) -> None:
    if steps > max_steps:
        raise ValueError(
            f"the trace would have {steps:,} steps, more than the {max_steps:,} allowed: "
            "reduce the input size or the number of channels"
        )


def _image(x: ArrayLike) -> Array:
    image = as_float_array(x, "x")
    if image.ndim != 3:
        raise ValueError(f"x must be one image (C, H, W), got shape {image.shape}: use x[0] for a batch's first")
    return image


def conv2d_trace(
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
    max_steps: int = MAX_STEPS,
) -> list[ConvStep]:
    """The sliding window of ``conv2d`` over one image ``x`` ``(C_in, H, W)``, one step per output cell.

    Steps run over ``(out_channel, out_row, out_col)`` in row-major order; ``weight`` is
    ``(C_out, C_in/groups, kH, kW)``. Tap ``(c, a, b)`` of step ``(o, i, j)`` reads input row
    ``i·s_h − p_top + a·d_h`` and column ``j·s_w − p_left + b·d_w`` of channel ``g·C_g + c``.
    """
    image = _image(x)
    w = as_float_array(weight, "weight")
    g = conv_geometry((1, *image.shape), w.shape, stride=stride, padding=padding, dilation=dilation, groups=groups)
    (ho, wo), (h, width) = g.output_size, g.input_size
    _check_steps(g.out_channels * ho * wo, max_steps)
    b = np.zeros(g.out_channels) if bias is None else as_float_array(bias, "bias")
    if b.shape != (g.out_channels,):
        raise ValueError(f"bias must have shape ({g.out_channels},) (one per output channel), got {b.shape}")
    padded = pad2d(image, g.padding, padding_mode)
    (top, _), (left, _) = g.padding
    kh, kw = g.kernel_size
    c_group = g.in_channels // g.groups
    tap_c, tap_a, tap_b = (
        axis.ravel() for axis in np.meshgrid(np.arange(c_group), np.arange(kh), np.arange(kw), indexing="ij")
    )
    kernel_a, kernel_b = (kh - 1 - tap_a, kw - 1 - tap_b) if flip else (tap_a, tap_b)
    # Every step at once, one row per step (steps × taps ≤ the caller's bound), then one tolist() per field.
    o, i, j = (axis.ravel()[:, None] for axis in np.indices((g.out_channels, ho, wo)))
    channels = (o // (g.out_channels // g.groups)) * c_group + tap_c
    rows = i * g.stride[0] - top + tap_a * g.dilation[0]
    cols = j * g.stride[1] - left + tap_b * g.dilation[1]
    inputs = padded[channels, rows + top, cols + left]
    weights = w[o, tap_c, kernel_a, kernel_b]
    products = weights * inputs
    sums = products.sum(axis=1)
    biases = b[o[:, 0]]
    is_padding = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= width)
    kernel_rows, kernel_cols = kernel_a.tolist(), kernel_b.tolist()
    columns = zip(
        o[:, 0].tolist(),
        i[:, 0].tolist(),
        j[:, 0].tolist(),
        channels.tolist(),
        rows.tolist(),
        cols.tolist(),
        is_padding.tolist(),
        weights.tolist(),
        inputs.tolist(),
        products.tolist(),
        sums.tolist(),
        biases.tolist(),
        strict=True,
    )
    return [
        ConvStep(oc, orow, ocol, ch, r, c, pad, kernel_rows, kernel_cols, wt, xs, ps, total, bias, total + bias)
        for oc, orow, ocol, ch, r, c, pad, wt, xs, ps, total, bias in columns
    ]


def conv_transpose2d_trace(
    x: ArrayLike,
    weight: ArrayLike,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    max_steps: int = MAX_STEPS,
) -> list[ConvTransposeStep]:
    """The scatter of ``conv_transpose2d`` over one image ``x`` ``(C_in, H, W)``, one step per input cell.

    ``weight`` is ``(C_in, C_out/groups, kH, kW)``. Input cell ``(c, i, j)`` adds ``x[c, i, j] · w[c, o, a, b]``
    to output cell ``(i·s_h − p_h + a·d_h, j·s_w − p_w + b·d_w)`` of channel ``o`` of its group. The output
    is the sum of every step's inside products, plus the bias.
    """
    image = _image(x)
    w = as_float_array(weight, "weight")
    g = conv_transpose_geometry(
        (1, *image.shape),
        w.shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    (h, width), (ho, wo) = g.input_size, g.output_size
    _check_steps(g.in_channels * h * width, max_steps)
    out_per_group = g.out_channels // g.groups
    c_group = g.in_channels // g.groups
    tap_o, tap_a, tap_b = (
        axis.ravel() for axis in np.meshgrid(np.arange(out_per_group), *map(np.arange, g.kernel_size), indexing="ij")
    )
    # Rows/columns at or past this index exist only because of output_padding.
    padded_from = (ho - g.output_padding[0], wo - g.output_padding[1])
    # Every step at once, one row per input cell, then one tolist() per field (see conv2d_trace).
    c, i, j = (axis.ravel()[:, None] for axis in np.indices((g.in_channels, h, width)))
    channels = (c // c_group) * out_per_group + tap_o
    rows = i * g.stride[0] - g.padding[0] + tap_a * g.dilation[0]
    cols = j * g.stride[1] - g.padding[1] + tap_b * g.dilation[1]
    values = image[c[:, 0], i[:, 0], j[:, 0]]
    weights = w[c, tap_o, tap_a, tap_b]
    inside = (rows >= 0) & (rows < ho) & (cols >= 0) & (cols < wo)
    in_padding = inside & ((rows >= padded_from[0]) | (cols >= padded_from[1]))
    kernel_rows, kernel_cols = tap_a.tolist(), tap_b.tolist()
    columns = zip(
        c[:, 0].tolist(),
        i[:, 0].tolist(),
        j[:, 0].tolist(),
        values.tolist(),
        channels.tolist(),
        rows.tolist(),
        cols.tolist(),
        weights.tolist(),
        (weights * values[:, None]).tolist(),
        inside.tolist(),
        in_padding.tolist(),
        strict=True,
    )
    return [
        ConvTransposeStep(ic, irow, icol, value, ch, r, q, kernel_rows, kernel_cols, wt, ps, ins, pad)
        for ic, irow, icol, value, ch, r, q, wt, ps, ins, pad in columns
    ]


def pool2d_trace(
    kind: Literal["max", "avg"],
    x: ArrayLike,
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    max_steps: int = MAX_STEPS,
) -> list[PoolStep]:
    """The windows of ``max_pool2d`` or ``avg_pool2d`` over one image ``x`` ``(C, H, W)``, one step per output cell.

    Window ``(i, j)`` has taps at rows ``i·s_h − p_h + a·d_h`` and columns ``j·s_w − p_w + b·d_w``
    (dilation for max only, as in torch). ``count_include_pad`` applies to avg only.
    """
    if kind not in ("max", "avg"):
        raise ValueError(f"kind must be 'max' or 'avg', got {kind!r}")
    if kind == "avg" and dilation not in (1, (1, 1), [1, 1]):
        raise ValueError("average pooling has no dilation (torch's avg_pool2d): use dilation=1")
    image = _image(x)
    g = pool_geometry(
        (1, *image.shape),
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    (ho, wo), (h, width) = g.output_size, g.input_size
    _check_steps(image.shape[0] * ho * wo, max_steps)
    row_divisors, col_divisors = avg_divisors(g, count_include_pad=count_include_pad)
    tap_a, tap_b = (axis.ravel() for axis in np.meshgrid(*map(np.arange, g.kernel_size), indexing="ij"))
    steps = []
    for c in range(image.shape[0]):
        for i in range(ho):
            rows = (i * g.stride[0] - g.padding[0] + tap_a * g.dilation[0]).tolist()
            for j in range(wo):
                cols = (j * g.stride[1] - g.padding[1] + tap_b * g.dilation[1]).tolist()
                is_padding = [not (0 <= r < h and 0 <= q < width) for r, q in zip(rows, cols, strict=True)]
                values = [
                    None if pad else float(image[c, r, q]) for r, q, pad in zip(rows, cols, is_padding, strict=True)
                ]
                winner: int | None = None
                winner_index: int | None = None
                total: float | None = None
                divisor: int | None = None
                if kind == "max":
                    winner, result = _max_winner(values)
                    if winner is not None:
                        winner_index = rows[winner] * width + cols[winner]
                else:
                    total = math.fsum(v for v in values if v is not None)
                    divisor = int(row_divisors[i] * col_divisors[j])
                    result = total / divisor
                steps.append(
                    PoolStep(
                        channel=c,
                        out_row=i,
                        out_col=j,
                        rows=rows,
                        cols=cols,
                        is_padding=is_padding,
                        values=values,
                        result=result,
                        winner=winner,
                        winner_index=winner_index,
                        sum=total,
                        divisor=divisor,
                    )
                )
    return steps


def _max_winner(values: list[float | None]) -> tuple[int | None, float]:
    """Torch's argmax and max: start at the first real tap, move on a strictly greater value or a NaN.

    A window with no real tap (dilation can step over the whole image) has no winner and gives −∞.
    """
    winner = next((t for t, v in enumerate(values) if v is not None), None)
    best = -math.inf
    for t, v in enumerate(values):
        if v is not None and (v > best or math.isnan(v)):
            winner, best = t, v
    return winner, best
