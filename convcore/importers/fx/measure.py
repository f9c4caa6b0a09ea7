"""The spatial footprint of one operation the summary does not know, measured with autograd.

The call runs once on random real tensors of the shapes torch.fx recorded (integer tensors are zeros, so
that they stay valid indices). For each dimension and two neighbouring output positions ``u`` in its middle,
the gradient of the output slice at ``u`` (every other index summed) with respect to the feature map says
which input positions feed it: the interval ``[a(u), b(u)]``. Then ``k = b − a + 1``,
``s = a(u + 1) − a(u)`` and ``p = u·s − a(u)``; an interval that spans the whole input dimension makes that
dimension *whole*. Windows whose start does not move evenly with ``u`` (attention inside fixed windows) are
reported by their largest extent, with a note. The multiply-adds come from
``torch.utils.flop_counter.FlopCounterMode`` on a run on meta tensors, as torch's own count of a whole model
runs (the kernels a CPU run picks, such as fused attention, are not counted).
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from convcore.arithmetic.receptive_field import Window

# the largest feature map a measurement runs on (elements): a few tens of milliseconds on one core
MAX_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Measured:
    """Per output dimension (after the batch) its window, ``None`` when it sees the whole input dimension."""

    dims: tuple[int, ...]
    windows: tuple[Window | None, ...]
    macs: int
    note: str


def _interval(y: torch.Tensor, x: torch.Tensor, dim: int, u: int) -> tuple[int, int] | None:
    """The first and last input positions along ``dim`` that feed output position ``u`` (all channels)."""
    (grad,) = torch.autograd.grad(y.select(dim, u).sum(), x, retain_graph=True, allow_unused=True)
    if grad is None:
        return None
    others = tuple(d for d in range(x.dim()) if d != dim)
    seen = torch.nonzero(grad.ne(0).any(dim=others) if others else grad.ne(0)).flatten()
    return (int(seen[0]), int(seen[-1])) if seen.numel() else None


def _window(found: list[tuple[int, tuple[int, int] | None]], n_in: int, n_out: int) -> tuple[Window | None, bool]:
    """The window along one dimension from the spans seen at output positions ``u``; whether it slides evenly."""
    spans = [(u, i) for u, i in found if i is not None]
    if not spans:
        return Window(1, 1, 0), True
    if any(i[0] == 0 and i[1] == n_in - 1 for _, i in spans) and n_in > 1:
        return None, True
    steps = {(b - a) // max(v - u, 1) for (u, (a, _)), (v, (b, _)) in pairwise(spans)}
    # a sliding window's starts stay within the (padded) input: a step larger than that is two probes on
    # either side of a fixed window's edge (attention in 8×8 windows on a 14×14 map), not a stride
    uniform = len(steps) == 1 and min(steps) > 0 and min(steps) * (n_out - 1) <= 2 * n_in
    stride = min(steps) if uniform else max(n_in // max(n_out, 1), 1)
    even = uniform or len(spans) == 1
    kernel = max(i[1] - i[0] + 1 for _, i in spans)
    u, (a, _) = spans[len(spans) // 2]
    return Window(kernel, stride, u * stride - a), even


def real(shape: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """A random tensor (zeros for integer types, which then stay valid indices) of ``shape``."""
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"a tensor of shape {list(shape)} is too large to measure")
    if dtype.is_floating_point:
        return torch.randn(tuple(shape), dtype=dtype)
    return torch.zeros(tuple(shape), dtype=dtype)


def count_macs(run: Callable[[], Any]) -> int:
    """FlopCounterMode's count ÷ 2 for ``run()`` (on meta tensors: nothing is computed)."""
    with FlopCounterMode(display=False) as counter:
        run()
    return int(counter.get_total_flops() // 2)


def measure(run: Callable[[], Any], x: torch.Tensor, macs: int) -> Measured:
    """Call ``run()``, which computes the operation from the feature map ``x``, and measure its footprint."""
    x.requires_grad_(True)
    out = run()
    y = out if isinstance(out, torch.Tensor) else next(o for o in out if isinstance(o, torch.Tensor))
    if y.dim() != x.dim() or not y.requires_grad:
        raise ValueError("the output does not keep the input's dimensions")
    dims, windows, uneven = [], [], False
    for dim in range(1, y.dim()):
        if x.shape[dim] > 1:
            # two neighbouring output positions in the middle: one backward pass each
            middle = max(min(y.shape[dim] // 2, y.shape[dim] - 2), 0)
            probes = sorted({middle, min(middle + 1, y.shape[dim] - 1)})
            found = [(u, _interval(y, x, dim, u)) for u in probes]
            window, even = _window(found, x.shape[dim], y.shape[dim])
            dims.append(dim)
            windows.append(window)
            uneven |= not even
    note = "measured with autograd: this operation is not known to the summary"
    if uneven:
        note += "; its windows do not slide evenly (fixed windows): r is the largest extent"
    return Measured(tuple(dims), tuple(windows), macs, note)
