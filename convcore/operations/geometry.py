"""A convolution's validated geometry and its padded input: what every convolution route shares.

:func:`conv_geometry` checks a convolution's hyper-parameters against the input and weight shapes with
torch's rules and computes the output size (``H_out = ⌊(H + p_top + p_bottom − d_h·(kH − 1) − 1) / s_h⌋ + 1``,
likewise ``W_out``); :func:`pad2d` pads like ``F.pad``. The four ``conv2d`` methods
(:mod:`convcore.operations.conv`), the matrix view, transposed convolution and the playground's steps use both.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convcore.arithmetic.shapes import (
    Pair,
    as_pair,
    check_groups,
    conv_macs,
    conv_output_size,
    effective_kernel_size,
    same_padding,
)

Array = NDArray[np.float64]
PaddingArg = int | Sequence[int] | str
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
# torch's F.pad modes spelled as numpy.pad modes.
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@dataclass(frozen=True)
class ConvGeometry:
    """The validated hyper-parameters of one convolution, before the input is padded."""

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    input_size: Pair
    kernel_size: Pair
    stride: Pair
    dilation: Pair
    padding: tuple[Pair, Pair]  # ((top, bottom), (left, right))
    output_size: Pair

    @property
    def macs(self) -> int:
        """Multiply-adds of the whole batch: ``N·C_out·H_out·W_out·(C_in/groups)·kH·kW``."""
        per_image = conv_macs(
            self.in_channels, self.out_channels, self.kernel_size, self.output_size, groups=self.groups
        )
        return self.batch * per_image


def _dims(pair: Pair) -> str:
    return f"{pair[0]}" if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def as_float_array(value: ArrayLike, name: str) -> Array:
    """``value`` as a float64 array (no copy when it already is one); real numbers only."""
    array = np.asarray(value)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _resolve_padding(padding: PaddingArg, kernel_size: Pair, stride: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """``((top, bottom), (left, right))`` from an int, an (h, w) pair, ``"same"`` or ``"valid"``."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' is not supported for strided convolutions (stride={_dims(stride)}): "
                    "use stride 1 or give the padding as a number"
                )
            return (same_padding(kernel_size[0], dilation[0]), same_padding(kernel_size[1], dilation[1]))
        raise ValueError(f"padding must be an integer, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = as_pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative, got {_dims((ph, pw))}: use 0 for no padding")
    return ((ph, ph), (pw, pw))


def conv_geometry(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingArg = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> ConvGeometry:
    """Validate a convolution's hyper-parameters against the input and weight shapes (torch's rules).

    Raises ``ValueError`` naming the parameter to change for every configuration torch rejects.
    """
    if len(input_shape) != 4:
        raise ValueError(
            f"x must be a batch (N, C_in, H, W), got shape {tuple(input_shape)}: use x[None] for one image"
        )
    if len(weight_shape) != 4:
        raise ValueError(f"weight must have shape (C_out, C_in/groups, kH, kW), got {tuple(weight_shape)}")
    n, c_in, h, w = (int(v) for v in input_shape)
    c_out, c_per_group, kh, kw = (int(v) for v in weight_shape)
    if n < 1 or h < 1 or w < 1:
        raise ValueError(f"x must not be empty, got shape {tuple(input_shape)}")
    if kh < 1 or kw < 1:
        raise ValueError(f"kernel_size must be at least 1, got {_dims((kh, kw))}")
    stride_hw = as_pair(stride, "stride")
    dilation_hw = as_pair(dilation, "dilation")
    if min(stride_hw) < 1:
        raise ValueError(f"stride must be at least 1, got {_dims(stride_hw)}")
    if min(dilation_hw) < 1:
        raise ValueError(f"dilation must be at least 1 (1 means no dilation), got {_dims(dilation_hw)}")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise ValueError(f"groups must be an integer, got {groups!r}")
    check_groups(c_in, c_out, groups)
    if c_per_group != c_in // groups:
        raise ValueError(
            f"weight has {c_per_group} input channels per group but x has {c_in} channels in {groups} "
            f"group(s), which needs {c_in // groups}: weight must have shape "
            f"({c_out}, {c_in // groups}, {kh}, {kw})"
        )
    pads = _resolve_padding(padding, (kh, kw), stride_hw, dilation_hw)
    span = (effective_kernel_size(kh, dilation_hw[0]), effective_kernel_size(kw, dilation_hw[1]))
    if h + sum(pads[0]) < span[0] or w + sum(pads[1]) < span[1]:
        # Only an explicit (symmetric) padding can get here: 'same' keeps the size, 'valid' pads nothing.
        raise ValueError(
            f"input {h}×{w} is too small for an effective kernel of {_dims(span)} with padding "
            f"{_dims((pads[0][0], pads[1][0]))}: "
            "increase padding or the input size (or use a smaller kernel or dilation)"
        )
    out = (
        conv_output_size(h, kernel_size=kh, stride=stride_hw[0], padding=pads[0], dilation=dilation_hw[0]),
        conv_output_size(w, kernel_size=kw, stride=stride_hw[1], padding=pads[1], dilation=dilation_hw[1]),
    )
    return ConvGeometry(
        batch=n,
        in_channels=c_in,
        out_channels=c_out,
        groups=groups,
        input_size=(h, w),
        kernel_size=(kh, kw),
        stride=stride_hw,
        dilation=dilation_hw,
        padding=pads,
        output_size=out,
    )


def pad2d(x: Array, padding: tuple[Pair, Pair], mode: str = "zeros") -> Array:
    """Pad the last two axes like ``F.pad``: ``zeros``, ``reflect``, ``replicate`` or ``circular``.

    Torch's limits apply: reflect padding must be smaller than the input, circular padding at most the input.
    """
    (top, bottom), (left, right) = padding
    h, w = x.shape[-2:]
    if mode == "zeros":
        if top == bottom == left == right == 0:
            return x
        return np.pad(x, ((0, 0),) * (x.ndim - 2) + padding, mode="constant")
    if mode not in _NUMPY_PAD_MODE:
        raise ValueError(f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(
            f"reflect padding must be smaller than the input ({h}×{w}), got {padding}: "
            "lower padding or use padding_mode='replicate' or 'zeros'"
        )
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ValueError(
            f"circular padding must be at most the input size ({h}×{w}), got {padding}: "
            "lower padding or use another padding_mode"
        )
    return np.pad(x, ((0, 0),) * (x.ndim - 2) + padding, mode=_NUMPY_PAD_MODE[mode])  # type: ignore[call-overload]
