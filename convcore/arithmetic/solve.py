"""The inverse of the output-size formula: which kernel, stride, padding and dilation turn ``i`` into ``o``?

Fixed hyper-parameters are kept; the free ones are searched in bounded ranges. Padding is solved for
first and in closed form: for a convolution ``o = ⌊(i + 2p − d·(k − 1) − 1)/s⌋ + 1`` holds exactly when
``(o − 1)·s ≤ i + 2p − d·(k − 1) − 1 ≤ (o − 1)·s + s − 1``, an interval of ``2p``.
Answers are ordered simplest first: nothing left unread, no padding wider than the kernel, no dilation, then
small kernel, stride and padding.
"""

from dataclasses import dataclass
from itertools import product

from convcore.arithmetic import shapes

MAX_KERNEL = 31
MAX_STRIDE = 8
MAX_DILATION = 8
MAX_SOLUTIONS = 20
OPS = ("conv", "pool", "conv_transpose")


@dataclass(frozen=True)
class Setting:
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    output_size: int
    unused_rows: int
    output_padding: int = 0


@dataclass(frozen=True)
class Solution:
    exact: bool
    settings: list[Setting]


def _candidates(value: int | None, upper: int, name: str) -> range:
    if value is None:
        return range(1, upper + 1)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return range(value, value + 1)


def _conv_paddings(size: int, output: int, k: int, s: int, d: int) -> range:
    low = (output - 1) * s + shapes.effective_kernel_size(k, d) - size
    high = low + s - 1
    return range(max(0, -(-low // 2)), high // 2 + 1)


def _transpose_paddings(size: int, output: int, k: int, s: int, d: int) -> range:
    """``2p = (i − 1)·s + d·(k − 1) + output_padding + 1 − o`` with ``0 ≤ output_padding < max(s, d)``.

    At most ``MAX_SOLUTIONS`` of them, smallest first (the ranking prefers them); if none is exact, the
    nearest paddings.
    """
    total = (size - 1) * s + shapes.effective_kernel_size(k, d) - output
    low, high = max(0, -(-total // 2)), (total + max(s, d) - 1) // 2
    if high < low:
        return range(max(0, high), low + 1)
    return range(low, min(high, low + MAX_SOLUTIONS - 1) + 1)


def _output_padding(size: int, output: int, k: int, s: int, p: int, d: int) -> int:
    """The one output_padding that brings the transposed output nearest to ``output``."""
    short = output - ((size - 1) * s - 2 * p + shapes.effective_kernel_size(k, d))
    return min(max(short, 0), max(s, d) - 1)


def _setting(op: str, size: int, k: int, s: int, p: int, d: int, op_pad: int = 0) -> Setting | None:
    try:
        if op == "conv":
            out = shapes.conv_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d)
            unused = shapes.unread(size, kernel_size=k, stride=s, padding=p, dilation=d)[1]
        elif op == "pool":
            out = shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d)
            unused = shapes.unread(size, kernel_size=k, stride=s, padding=p, dilation=d)[1]
        else:
            out = shapes.conv_transpose_output_size(
                size, kernel_size=k, stride=s, padding=p, output_padding=op_pad, dilation=d
            )
            unused = 0
    except ValueError:
        return None
    return Setting(k, s, p, d, out, unused, op_pad)


def _rank(setting: Setting, wanted: int) -> tuple[int, ...]:
    return (
        abs(setting.output_size - wanted),
        setting.unused_rows > 0,
        setting.padding > setting.dilation * (setting.kernel_size - 1),
        setting.dilation,
        setting.kernel_size,
        setting.stride,
        setting.padding,
        setting.output_padding,
    )


def solve(
    size: int,
    output_size: int,
    *,
    op: str = "conv",
    kernel_size: int | None = None,
    stride: int | None = None,
    padding: int | None = None,
    dilation: int | None = None,
) -> Solution:
    """Settings that give ``output_size`` from ``size``; if none exists, the nearest ones (``exact=False``)."""
    if op not in OPS:
        raise ValueError(f"op must be one of {', '.join(OPS)}, got {op!r}")
    if size < 1 or output_size < 1:
        raise ValueError("input and output sizes must be at least 1")
    if padding is not None and padding < 0:
        raise ValueError(f"padding must not be negative, got {padding}")
    kernels = _candidates(kernel_size, MAX_KERNEL, "kernel_size")
    strides = _candidates(stride, MAX_STRIDE, "stride")
    dilations = _candidates(1 if op == "pool" and dilation is None else dilation, MAX_DILATION, "dilation")
    found: list[Setting] = []
    near: list[Setting] = []
    for k, s, d in product(kernels, strides, dilations):
        if op == "conv":
            exact_paddings = _conv_paddings(size, output_size, k, s, d)
            nearby = {*exact_paddings[:MAX_SOLUTIONS], max(0, exact_paddings.start - 1), exact_paddings.stop}
            paddings = [padding] if padding is not None else sorted(nearby)
        elif op == "pool":
            paddings = [padding] if padding is not None else list(range(k // 2 + 1))
        else:
            paddings = [padding] if padding is not None else list(_transpose_paddings(size, output_size, k, s, d))
        for p in paddings:
            op_pad = _output_padding(size, output_size, k, s, p, d) if op == "conv_transpose" else 0
            setting = _setting(op, size, k, s, p, d, op_pad)
            if setting is None:
                continue
            (found if setting.output_size == output_size else near).append(setting)
    if found:
        found.sort(key=lambda x: _rank(x, output_size))
        return Solution(True, found[:MAX_SOLUTIONS])
    near.sort(key=lambda x: _rank(x, output_size))
    return Solution(False, near[:5])
