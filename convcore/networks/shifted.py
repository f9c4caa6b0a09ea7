"""Convolution and max pooling of the image lab's maps as passes over shifted, strided slices of the input.

Output position ``(y, x)`` of a window at offset ``(i, j)`` reads input ``(i·d_h + s_h·y, j·d_w + s_w·x)``, so
one offset is one strided slice of the input with the output's shape: a convolution adds ``weight · slice``
per non-zero weight, a max pooling takes the elementwise maximum over its offsets. Nothing but the output is
allocated. Under the app's malloc settings (:func:`app.admission.return_freed_memory`) F.conv2d faults in a
fresh workspace on every call, and F.max_pool2d on one image takes a slow path: on the 384×288 house sample with
one torch thread,

- 1→2 channels 3×3 (the lab's default, 12 non-zero weights): 6 ms by F.conv2d, 2 ms by slices; 1→1 7×7 8.8 and
  2.9 ms; 3→2 3×3 (54 weights) 6.3 and 3.6 ms; 2→4 3×3 (72) 7.0 and 5.5 ms; but 4→4 3×3 on 192×144 (144
  weights) 1.6 and 5.2 ms, hence :data:`MAX_WEIGHTS`;
- max pooling of 2 channels: 2×2 stride 2 1.9 and 0.4 ms, 3×3 stride 1 8.6 and 1.0 ms, 5×5 stride 1 16.4 and
  1.5 ms (all load 4–5), hence :data:`MAX_POOL_TAPS`.

Only the forward pass without gradients takes this path (the effective receptive field's backward pass stays
with torch's own operators), and only without padding inside the operator: a convolution's padding is applied
before it (:func:`convcore.networks.network.forward`), a max pooling with padding or ``ceil_mode`` stays with
F.max_pool2d.
"""

import itertools

import torch

from convcore.arithmetic.shapes import Pair, conv_output_size
from convcore.networks.layers import Layer

__all__ = ["MAX_POOL_TAPS", "MAX_WEIGHTS", "conv2d_by_shifts", "max_pool2d_by_shifts", "shifts_apply"]

#: A convolution with at most this many non-zero weights is computed by slices.
MAX_WEIGHTS = 64
#: A max pooling whose window has at most this many positions is computed by slices.
MAX_POOL_TAPS = 25


def shifts_apply(layer: Layer, weight: torch.Tensor | None = None) -> bool:
    """Whether ``layer`` (a conv2d with ``weight``, or a max_pool2d) runs by slices here."""
    if torch.is_grad_enabled():
        return False
    if layer.type == "conv2d":
        return weight is not None and int(torch.count_nonzero(weight)) <= MAX_WEIGHTS
    unpadded = layer.padding == ((0, 0), (0, 0)) and not layer.ceil_mode
    return layer.type == "max_pool2d" and unpadded and layer.kernel_size[0] * layer.kernel_size[1] <= MAX_POOL_TAPS


def _windows(
    x: torch.Tensor, kernel_size: Pair, stride: Pair, dilation: Pair
) -> tuple[tuple[int, int], list[tuple[int, int, slice, slice]]]:
    """The output size ``(H_out, W_out)`` and, per window offset ``(i, j)``, the strided rows and columns of the
    input it reads at every output position."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    out_h = conv_output_size(x.shape[-2], kernel_size=kh, stride=sh, dilation=dh)
    out_w = conv_output_size(x.shape[-1], kernel_size=kw, stride=sw, dilation=dw)
    offsets = [
        (i, j, slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh), slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw))
        for i, j in itertools.product(range(kh), range(kw))
    ]
    return (out_h, out_w), offsets


def conv2d_by_shifts(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, *, stride: Pair, dilation: Pair
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, 0, dilation, groups)`` of an already padded ``x`` ``(N, C_in, H, W)``,
    with ``groups = C_in / weight.shape[1]``: output channel ``o`` of group ``g`` (its inputs from ``f = g·C_in /
    groups`` on) is

        out[:, o, y, x] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · x[:, f + c, i·d_h + s_h·y, j·d_w + s_w·x]

    one pass over the output per non-zero weight. Shape: ``(N, C_out, H_out, W_out)``,
    ``H_out = ⌊(H − d_h·(k_h − 1) − 1) / s_h⌋ + 1`` (width alike)."""
    out_channels, per_group = weight.shape[:2]
    (out_h, out_w), offsets = _windows(x, (weight.shape[2], weight.shape[3]), stride, dilation)
    out = torch.empty(x.shape[0], out_channels, out_h, out_w, dtype=x.dtype)
    outputs_per_group = out_channels // (x.shape[1] // per_group)
    values = weight.tolist()
    for o in range(out_channels):
        first, target = o // outputs_per_group * per_group, out[:, o]
        terms = [
            (values[o][c][i][j], x[:, first + c, rows, cols])
            for c in range(per_group)
            for i, j, rows, cols in offsets
            if values[o][c][i][j]
        ]
        if not terms:
            target.zero_()
            continue
        # the first term writes the channel, so the output needs no zeroing pass
        torch.mul(terms[0][1], terms[0][0], out=target)
        for value, window in terms[1:]:
            target.add_(window, alpha=value)
    if bias is not None:
        out += bias.view(1, -1, 1, 1)
    return out


def max_pool2d_by_shifts(x: torch.Tensor, kernel_size: Pair, *, stride: Pair, dilation: Pair) -> torch.Tensor:
    """``F.max_pool2d(x, kernel_size, stride, 0, dilation)`` of ``x`` ``(N, C, H, W)``: the elementwise maximum
    of one strided slice per window offset, ``out[..., y, x] = max_{i, j} x[..., i·d_h + s_h·y, j·d_w + s_w·x]``.
    Shape: ``(N, C, H_out, W_out)`` as for a convolution without padding."""
    size, offsets = _windows(x, kernel_size, stride, dilation)
    (_, _, rows, cols), *rest = offsets
    # a fresh tensor, not a clone of the view: a clone may keep the view's strides, which grow by each stride
    out = torch.empty(*x.shape[:-2], *size, dtype=x.dtype).copy_(x[..., rows, cols])
    for _, _, rows, cols in rest:
        torch.maximum(out, x[..., rows, cols], out=out)
    return out
