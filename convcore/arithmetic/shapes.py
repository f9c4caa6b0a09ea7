"""Output-size arithmetic of convolution, transposed convolution and pooling, one formula per function.

Every function works on one axis with Python integers and ``//`` only; callers apply it per axis.
The rules and error cases are torch's (``torch.nn.Conv2d``, ``ConvTranspose2d``, ``MaxPool2d``,
``AvgPool2d``), with messages that say what to change.
"""

import math
from collections.abc import Sequence

from convcore.errors import InputError

Pair = tuple[int, int]
#: The largest integer a JavaScript number holds exactly (``Number.MAX_SAFE_INTEGER``): every size and count
#: an answer carries must stay within it, so that the page shows what the server computed.
MAX_EXACT = 2**53 - 1


def as_pair(value: int | Sequence[int], name: str) -> Pair:
    """``3 -> (3, 3)``; ``(3, 5) -> (3, 5)``; anything else is a ``ValueError`` naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer or a pair of integers, not a boolean")
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        h, w = value
        if isinstance(h, int) and isinstance(w, int) and not isinstance(h, bool) and not isinstance(w, bool):
            return (h, w)
    raise ValueError(f"{name} must be an integer or a pair [height, width] of integers, got {value!r}")


def _check_positive(value: int, name: str) -> None:
    if value < 1:
        raise InputError(
            f"{name} must be at least 1, got {value}", code="too_small", field=name, minimum=1, value=value
        )


def _check_non_negative(value: int, name: str) -> None:
    if value < 0:
        raise InputError(
            f"{name} must not be negative, got {value}", code="too_small", field=name, minimum=0, value=value
        )


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: ``d·(k − 1) + 1``."""
    _check_positive(kernel_size, "kernel_size")
    _check_positive(dilation, "dilation")
    return dilation * (kernel_size - 1) + 1


def same_padding(kernel_size: int, dilation: int = 1) -> Pair:
    """Torch's ``padding="same"`` split ``(before, after)``: total ``d·(k − 1)``, the odd one after."""
    total = effective_kernel_size(kernel_size, dilation) - 1
    return (total // 2, total - total // 2)


def auto_pad_same(size: int, *, kernel_size: int, stride: int = 1, dilation: int = 1, upper: bool = True) -> Pair:
    """ONNX's ``auto_pad`` ``SAME_UPPER`` / ``SAME_LOWER`` as ``(before, after)``: the padding for ``o = ⌈i / s⌉``.

    The total is ``max((o − 1)·s + d·(k − 1) + 1 − i, 0)``; its odd unit goes after (UPPER) or before (LOWER).
    With stride 1 and UPPER this is torch's ``padding="same"`` (:func:`same_padding`).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel_size(kernel_size, dilation) - size, 0)
    before = total // 2 if upper else total - total // 2
    return (before, total - before)


def conv_output_size(
    size: int, *, kernel_size: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1
) -> int:
    """Output length of a convolution: ``o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1``.

    ``padding`` may be a ``(before, after)`` pair for asymmetric padding (``"same"`` with an even
    kernel); the formula then uses ``before + after`` in place of ``2p``.
    """
    _check_positive(size, "input size")
    _check_positive(stride, "stride")
    before, after = (padding, padding) if isinstance(padding, int) else padding
    _check_non_negative(before, "padding")
    _check_non_negative(after, "padding")
    span = effective_kernel_size(kernel_size, dilation)
    padded = size + before + after
    if span > padded:
        raise InputError(
            f"the kernel spans {span} (kernel_size={kernel_size}, dilation={dilation}) but the padded input "
            f"is only {padded} long: make the kernel or dilation smaller, or increase padding or the input size",
            code="kernel_exceeds_input",
            span=span,
            padded=padded,
        )
    return (padded - span) // stride + 1


def conv_transpose_output_size(
    size: int,
    *,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution: ``o = (i − 1)·s − 2p + d·(k − 1) + output_padding + 1``."""
    _check_positive(size, "input size")
    _check_positive(stride, "stride")
    _check_non_negative(padding, "padding")
    _check_non_negative(output_padding, "output_padding")
    span = effective_kernel_size(kernel_size, dilation)
    if output_padding >= max(stride, dilation):
        raise InputError(
            f"output_padding must be smaller than stride or dilation (here {stride} and {dilation}), "
            f"got {output_padding}: lower output_padding or raise the stride",
            code="output_padding_too_large",
            output_padding=output_padding,
            stride=stride,
            dilation=dilation,
        )
    out = (size - 1) * stride - 2 * padding + span - 1 + output_padding + 1
    if out < 1:
        raise InputError(
            f"transposed convolution would give an output of {out}: reduce padding ({padding}) "
            f"or increase kernel_size, stride or the input size",
            code="transposed_output_empty",
            output=out,
            padding=padding,
        )
    return out


def pool_output_size(
    size: int,
    *,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of max/avg pooling; ``stride`` defaults to ``kernel_size`` as in torch.

    ``o = ⌊(i + 2p − d·(k − 1) − 1 + (s − 1 if ceil_mode)) / s⌋ + 1`` (:func:`pool_window_count`), and with
    ``ceil_mode`` a last window that would start in the right padding is dropped (``(o − 1)·s ≥ i + p`` ⇒ ``o − 1``).
    """
    stride = kernel_size if stride is None else stride
    out = pool_window_count(
        size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pool_window_count(
    size: int,
    *,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """The pooling formula as written, ``⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1`` or with ``⌈…⌉`` for ``ceil_mode``.

    This is :func:`pool_output_size` before torch's rule that drops a last window starting in the right padding.
    """
    stride = kernel_size if stride is None else stride
    _check_positive(size, "input size")
    _check_positive(stride, "stride")
    _check_non_negative(padding, "padding")
    span = effective_kernel_size(kernel_size, dilation)
    if padding > kernel_size // 2:
        raise InputError(
            f"pooling padding must be at most half the kernel size ({kernel_size} // 2 = {kernel_size // 2}), "
            f"got {padding}: lower padding or use a larger kernel",
            code="pool_padding_too_large",
            padding=padding,
            maximum=kernel_size // 2,
        )
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    if numerator < 0:
        raise InputError(
            f"the pooling window spans {span} but the padded input is only {size + 2 * padding} long: "
            f"use a smaller kernel or a larger input",
            code="kernel_exceeds_input",
            span=span,
            padded=size + 2 * padding,
        )
    return numerator // stride + 1


def unread(
    size: int,
    *,
    kernel_size: int,
    stride: int = 1,
    padding: int | Pair = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> Pair:
    """Positions at the end of the padded input that no window reads (the remainder the floor drops; they may be
    padding or real rows), and how many of them are real input rows: those past the right padding.

    ``i + 2p − ((o − 1)·s + d·(k − 1) + 1)``, which is ``(i + 2p − d·(k − 1) − 1) mod s`` for a convolution;
    0 when a ``ceil_mode`` pooling window runs past the end.
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    if ceil_mode:
        out = pool_output_size(
            size, kernel_size=kernel_size, stride=stride, padding=before, dilation=dilation, ceil_mode=True
        )
    else:
        out = conv_output_size(size, kernel_size=kernel_size, stride=stride, padding=(before, after), dilation=dilation)
    last_end = (out - 1) * stride + effective_kernel_size(kernel_size, dilation)
    unused = max(0, size + before + after - last_end)
    return (unused, max(0, unused - after))


def conv_params(in_channels: int, out_channels: int, kernel_size: Pair, *, groups: int = 1, bias: bool = True) -> int:
    """Trainable parameters of Conv2d: ``C_out·(C_in/g)·kH·kW + C_out`` (the bias term if ``bias``)."""
    check_groups(in_channels, out_channels, groups)
    return out_channels * (in_channels // groups) * kernel_size[0] * kernel_size[1] + (out_channels if bias else 0)


def weight_macs(weight_shape: Sequence[int], positions: int) -> int:
    """Multiply-accumulates of a layer that uses each of its weights once per position: ``positions·|W|``.

    A convolution's weight ``(C_out, C_in/g, kH, kW)`` is used once per output position, a transposed
    convolution's ``(C_in, C_out/g, kH, kW)`` once per input position, a linear layer's ``(out, in)`` once per
    row; any number of spatial axes.
    """
    return positions * math.prod(weight_shape)


def conv_macs(in_channels: int, out_channels: int, kernel_size: Pair, output_size: Pair, *, groups: int = 1) -> int:
    """Multiply-accumulates of Conv2d: ``H_out·W_out·C_out·(C_in/g)·kH·kW``."""
    check_groups(in_channels, out_channels, groups)
    return weight_macs((out_channels, in_channels // groups, *kernel_size), output_size[0] * output_size[1])


def conv_transpose_params(
    in_channels: int, out_channels: int, kernel_size: Pair, *, groups: int = 1, bias: bool = True
) -> int:
    """Trainable parameters of ConvTranspose2d: ``C_in·(C_out/g)·kH·kW + C_out``."""
    check_groups(in_channels, out_channels, groups)
    return in_channels * (out_channels // groups) * kernel_size[0] * kernel_size[1] + (out_channels if bias else 0)


def conv_transpose_macs(
    in_channels: int, out_channels: int, kernel_size: Pair, input_size: Pair, *, groups: int = 1
) -> int:
    """Multiply-accumulates of ConvTranspose2d: every input cell scatters ``(C_out/g)·kH·kW`` products."""
    check_groups(in_channels, out_channels, groups)
    return weight_macs((in_channels, out_channels // groups, *kernel_size), input_size[0] * input_size[1])


def linear_params(in_features: int, out_features: int, *, bias: bool = True) -> int:
    """Trainable parameters of Linear: ``in·out + out``."""
    return in_features * out_features + (out_features if bias else 0)


def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-accumulates of Linear on one row: ``in·out``."""
    return weight_macs((out_features, in_features), 1)


def matmul_macs(output_shape: Sequence[int], inner: int) -> int:
    """Multiply-accumulates of a matrix product (batched, or an einsum): each output element sums ``inner``
    products, ``|Y|·inner``."""
    return math.prod(output_shape) * inner


def batch_norm_params(channels: int, *, affine: bool = True) -> int:
    """Trainable parameters of BatchNorm2d: γ and β per channel (running statistics are buffers)."""
    return 2 * channels if affine else 0


def check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    """Torch's rule: both channel counts must be divisible by ``groups``."""
    _check_positive(in_channels, "in_channels")
    _check_positive(out_channels, "out_channels")
    _check_positive(groups, "groups")
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise InputError(
                f"{name} ({channels}) must be divisible by groups ({groups})",
                code="channels_not_divisible",
                field=name,
                channels=channels,
                groups=groups,
            )
