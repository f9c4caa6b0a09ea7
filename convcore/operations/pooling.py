"""Max, average and global average pooling with torch's exact rules, by strided slices.

Shapes: ``x`` is ``(N, C, H, W)`` (wrap one image as ``x[None]``); the result is ``(N, C, H_out, W_out)`` with
``H_out = ⌊(H + 2p − d·(k − 1) − 1 + (s − 1 if ceil_mode)) / s⌋ + 1``, minus one when ``ceil_mode`` would
start the last window in the right padding (see :func:`convcore.arithmetic.shapes.pool_output_size`).

Each window ``(i, j)`` starts at row ``i·s − p`` and column ``j·s − p`` of the unpadded input. Instead of a
loop over windows, the code loops over the kernel taps: tap ``(a, b)`` of every window at once is one
strided slice of the padded input, so the work is a few vectorised passes over the output.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convcore.arithmetic.shapes import Pair, as_pair, pool_output_size
from convcore.operations.geometry import Array, as_float_array

Indices = NDArray[np.int64]


@dataclass(frozen=True)
class PoolGeometry:
    """Validated pooling hyper-parameters for one input size, per axis ``(h, w)``."""

    input_size: Pair
    kernel_size: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    output_size: Pair

    def window_start(self, axis: int) -> NDArray[np.int64]:
        """First input index (unpadded coordinates, may be negative) of each window along ``axis``."""
        return np.arange(self.output_size[axis]) * self.stride[axis] - self.padding[axis]


def pool_geometry(
    input_shape: Sequence[int],
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
) -> PoolGeometry:
    """Validate pooling hyper-parameters against an ``(N, C, H, W)`` input shape (torch's rules)."""
    if len(input_shape) != 4:
        raise ValueError(f"x must be a batch (N, C, H, W), got shape {tuple(input_shape)}: use x[None] for one image")
    if min(input_shape) < 1:
        raise ValueError(f"x must not be empty, got shape {tuple(input_shape)}")
    kernel = as_pair(kernel_size, "kernel_size")
    if min(kernel) < 1:
        raise ValueError(f"kernel_size must be at least 1, got {kernel_size!r}")
    steps = kernel if stride is None else as_pair(stride, "stride")
    pads = as_pair(padding, "padding")
    dilations = as_pair(dilation, "dilation")
    size = (int(input_shape[2]), int(input_shape[3]))
    out = tuple(
        pool_output_size(
            size[axis],
            kernel_size=kernel[axis],
            stride=steps[axis],
            padding=pads[axis],
            dilation=dilations[axis],
            ceil_mode=ceil_mode,
        )
        for axis in range(2)
    )
    return PoolGeometry(size, kernel, steps, pads, dilations, (out[0], out[1]))


def _pad_for_windows(x: Array, g: PoolGeometry, fill: float) -> Array:
    """Pad ``x`` with ``fill`` by ``p`` on each side, and further on the bottom/right where ceil_mode's last
    window runs past the padding, so that every window is a plain slice of the result."""
    extra = [
        max(
            0,
            (g.output_size[axis] - 1) * g.stride[axis]
            + g.dilation[axis] * (g.kernel_size[axis] - 1)
            + 1
            - g.input_size[axis]
            - 2 * g.padding[axis],
        )
        for axis in range(2)
    ]
    ph, pw = g.padding
    if ph == pw == extra[0] == extra[1] == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph + extra[0]), (pw, pw + extra[1])), constant_values=fill)


def _tap(g: PoolGeometry, axis: int, tap: int) -> slice:
    """The slice of a padded axis that kernel tap ``tap`` reads across all windows."""
    start = tap * g.dilation[axis]
    return slice(start, start + (g.output_size[axis] - 1) * g.stride[axis] + 1, g.stride[axis])


def _sum(arrays: list[Array]) -> Array:
    """Element-wise sum into a new array, in order, without an extra copy pass."""
    total = arrays[0] + arrays[1] if len(arrays) > 1 else arrays[0].copy()
    for array in arrays[2:]:
        total += array
    return total


def max_pool2d(
    x: ArrayLike,
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Array | tuple[Array, Indices]:
    """Maximum over each (dilated) window; padding never wins (it is −∞), NaN propagates as in torch.

    With ``return_indices`` also returns, like torch, the argmax of each window as a flat index
    ``row·W + col`` into the unpadded ``H×W`` plane; ties go to the first tap in row-major order.
    """
    x_arr = as_float_array(x, "x")
    g = pool_geometry(
        x_arr.shape, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    padded = _pad_for_windows(x_arr, g, -np.inf)
    taps = [
        (a, b, padded[:, :, _tap(g, 0, a), _tap(g, 1, b)])
        for a in range(g.kernel_size[0])
        for b in range(g.kernel_size[1])
    ]
    out = taps[0][2].copy()
    if not return_indices:
        for _, _, values in taps[1:]:
            np.maximum(out, values, out=out)
        return out
    width = g.input_size[1]
    rows, cols = g.window_start(0), g.window_start(1)
    # torch starts from the first tap inside the image, so an all −∞ window points at a real cell.
    first_row = np.where(rows < 0, _first_inside(rows, g.dilation[0]), rows)
    first_col = np.where(cols < 0, _first_inside(cols, g.dilation[1]), cols)
    indices = np.broadcast_to(first_row[:, None] * width + first_col[None, :], out.shape).copy()
    out.fill(-np.inf)
    for a, b, values in taps:
        # torch's update rule: strictly greater, or NaN (so the first maximum wins and NaN sticks).
        better = (values > out) | np.isnan(values)
        np.copyto(out, values, where=better)
        tap_index = (rows[:, None] + a * g.dilation[0]) * width + (cols[None, :] + b * g.dilation[1])
        np.copyto(indices, np.broadcast_to(tap_index, out.shape), where=better)
    return out, indices


def _first_inside(starts: NDArray[np.int64], dilation: int) -> NDArray[np.int64]:
    """For windows starting at ``starts < 0``, the first tap index ``≥ 0``: ``start + ⌈−start/d⌉·d``."""
    return starts + (-starts + dilation - 1) // dilation * dilation


def avg_pool2d(
    x: ArrayLike,
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Array:
    """Mean over each window, with torch's divisor.

    The window ``[start, start + k)`` is first clipped to the padded input ``[−p, H + p)`` — its size there is
    the divisor when ``count_include_pad`` — then to the image ``[0, H)``, whose size is the divisor otherwise.
    Only image cells are summed.
    """
    x_arr = as_float_array(x, "x")
    g = pool_geometry(x_arr.shape, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    padded = _pad_for_windows(x_arr, g, 0.0)
    # The window sum is separable: add the kernel's rows first (contiguous reads), then its columns.
    row_sums = _sum([padded[:, :, _tap(g, 0, a), :] for a in range(g.kernel_size[0])])
    total = _sum([row_sums[:, :, :, _tap(g, 1, b)] for b in range(g.kernel_size[1])])
    rows, cols = avg_divisors(g, count_include_pad=count_include_pad)
    divisors = rows[:, None] * cols[None, :]
    # Windows that all hold k_h·k_w counted cells (the usual case) divide by one scalar, a faster pass.
    total /= divisors[0, 0] if np.all(divisors == divisors[0, 0]) else divisors
    return total


def avg_divisors(g: PoolGeometry, *, count_include_pad: bool) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Torch's average-pooling divisor per output row and per output column (the divisor is their product).

    A window ``[start, start + k)`` is clipped to ``[−p, H + p)``; without ``count_include_pad`` it is
    clipped further to the image ``[0, H)``. Its length there is the count along that axis.
    """
    counts = []
    for axis in range(2):
        start = g.window_start(axis)
        end = np.minimum(start + g.kernel_size[axis], g.input_size[axis] + g.padding[axis])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, g.input_size[axis])
        counts.append(end - start)
    return counts[0], counts[1]


def global_avg_pool2d(x: ArrayLike) -> Array:
    """Mean of each channel's whole plane: ``(N, C, H, W) → (N, C, 1, 1)`` (torch's ``adaptive_avg_pool2d(x, 1)``)."""
    x_arr = as_float_array(x, "x")
    if x_arr.ndim != 4 or min(x_arr.shape) < 1:
        raise ValueError(f"x must be a non-empty batch (N, C, H, W), got shape {x_arr.shape}")
    return x_arr.mean(axis=(2, 3), keepdims=True)
