"""The spatial footprint of one operation the summary does not know, measured with autograd.

The call runs once on random real tensors of the shapes torch.fx recorded (integer tensors are zeros, so
that they stay valid indices). For each dimension of the output and a few positions ``u`` in its middle,
the gradient of the output slice at ``u`` with respect to the feature map says which input positions feed
it: the interval ``[a(u), b(u)]``. Then ``k = b − a + 1``, ``s = a(u + 1) − a(u)`` and ``p = u·s − a(u)``;
an interval that spans the whole input dimension makes that dimension *whole*. Windows whose start does not
move evenly with ``u`` (attention inside fixed windows) are reported by their largest extent, with a note.
The multiply-adds come from ``torch.utils.flop_counter.FlopCounterMode`` on the same run.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from convcore.layers import Window

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
    (grad,) = torch.autograd.grad(y.select(dim, u).sum(), x, retain_graph=True, allow_unused=True)
    if grad is None:
        return None
    others = tuple(d for d in range(x.dim()) if d != dim)
    seen = torch.nonzero(grad.ne(0).any(dim=others) if others else grad.ne(0)).flatten()
    if seen.numel() == 0:
        return None
    return int(seen[0]), int(seen[-1])


def _window(y: torch.Tensor, x: torch.Tensor, dim: int) -> tuple[Window | None, bool]:
    """The window along ``dim`` and whether its start moved evenly with the output position."""
    n_out, n_in = y.shape[dim], x.shape[dim]
    probes = sorted({max(min(n_out // 2 + k, n_out - 1), 0) for k in (-1, 0, 1)})
    found = [(u, _interval(y, x, dim, u)) for u in probes]
    spans = [(u, i) for u, i in found if i is not None]
    if not spans:
        return Window(1, 1, 0), True
    if any(i[0] == 0 and i[1] == n_in - 1 for _, i in spans) and n_in > 1:
        return None, True
    starts = [i[0] for _, i in spans]
    steps = {b - a for a, b in pairwise(starts)}
    uniform = len(steps) == 1 and min(steps) > 0
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


def measure(run: Callable[[], Any], x: torch.Tensor) -> Measured:
    """Call ``run()``, which computes the operation from the feature map ``x``, and measure its footprint."""
    x.requires_grad_(True)
    with FlopCounterMode(display=False) as counter:
        out = run()
    y = out if isinstance(out, torch.Tensor) else next(o for o in out if isinstance(o, torch.Tensor))
    if y.dim() != x.dim() or not y.requires_grad:
        raise ValueError("the output does not keep the input's dimensions")
    dims, windows, uneven = [], [], False
    for dim in range(1, y.dim()):
        if x.shape[dim] > 1:
            window, even = _window(y, x, dim)
            dims.append(dim)
            windows.append(window)
            uneven |= not even
    note = "measured with autograd: this operation is not known to the summary"
    if uneven:
        note += "; its windows do not slide evenly (fixed windows): r is the largest extent"
    return Measured(tuple(dims), tuple(windows), counter.get_total_flops() // 2, note)
