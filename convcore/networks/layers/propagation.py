"""A stack of layers run over an input shape, without any data: each layer's output shape, parameters,
multiply-accumulates and the per-axis window the receptive field needs (:func:`propagate`).
"""

from collections.abc import Sequence
from functools import lru_cache

from convcore.arithmetic import shapes
from convcore.arithmetic.receptive_field import Window
from convcore.arithmetic.shapes import Pair
from convcore.errors import within
from convcore.networks.layers.form import (
    MAX_CHANNELS,
    MAX_SIZE,
    PASS_THROUGH,
    SLIDING,
    Layer,
    LayerResult,
    Shape,
    is_int,
    short_repr,
)

Pair3 = tuple[int, int, int]

#: The windows of a layer that keeps every position where it is.
_IDENTITY = (Window(1, 1, 0), Window(1, 1, 0))


def _sliding_windows(layer: Layer) -> tuple[Window, Window]:
    """The receptive-field windows of a convolution or pooling: effective kernel, stride, left padding."""
    return _windows(layer.kernel_size, layer.stride, layer.dilation, layer.padding)


@lru_cache(maxsize=4096)
def _windows(kernel: Pair, stride: Pair, dilation: Pair, padding: tuple[Pair, Pair]) -> tuple[Window, Window]:
    """Remembered, as :func:`_axis` is: a network repeats a few windows, and a ``Window`` is immutable."""
    return (
        Window(shapes.effective_kernel_size(kernel[0], dilation[0]), stride[0], padding[0][0]),
        Window(shapes.effective_kernel_size(kernel[1], dilation[1]), stride[1], padding[1][0]),
    )


@lru_cache(maxsize=4096)
def _conv_counts(layer_type: str, c: int, out_c: int, kernel: Pair, groups: int, bias: bool) -> Pair:
    """Parameters of a (transposed) convolution and its multiply-accumulates at one position (of its output; of its
    input for a transposed one), remembered as :func:`_axis` is. Each of its weights is used once per position
    (:func:`convcore.arithmetic.shapes.weight_macs`), so its MACs are those at one position times the positions."""
    if layer_type == "conv2d":
        params = shapes.conv_params(c, out_c, kernel, groups=groups, bias=bias)
        return params, shapes.conv_macs(c, out_c, kernel, (1, 1), groups=groups)
    params = shapes.conv_transpose_params(c, out_c, kernel, groups=groups, bias=bias)
    return params, shapes.conv_transpose_macs(c, out_c, kernel, (1, 1), groups=groups)


@lru_cache(maxsize=4096)
def _axis(layer_type: str, size: int, k: int, s: int, pad: Pair, d: int, ceil: bool, output_padding: int) -> Pair3:
    """Output length, unread positions and unread real rows of a sliding window along one axis (pure, so
    remembered: a network repeats the same few layers on the same few sizes)."""
    if layer_type == "conv_transpose2d":
        o = shapes.conv_transpose_output_size(
            size, kernel_size=k, stride=s, padding=pad[0], output_padding=output_padding, dilation=d
        )
        return (o, 0, 0)
    if layer_type == "conv2d":
        o = shapes.conv_output_size(size, kernel_size=k, stride=s, padding=pad, dilation=d)
    else:
        o = shapes.pool_output_size(size, kernel_size=k, stride=s, padding=pad[0], dilation=d, ceil_mode=ceil)
    return (o, *shapes.unread(size, kernel_size=k, stride=s, padding=pad, dilation=d, ceil_mode=ceil))


def _sliding(layer: Layer, size: Pair, index: int) -> tuple[Pair, Pair, Pair]:
    """Output size, unread positions and unread real rows of a sliding-window layer, per axis."""
    found = []
    for axis in (0, 1):
        try:
            found.append(
                _axis(
                    layer.type,
                    size[axis],
                    layer.kernel_size[axis],
                    layer.stride[axis],
                    layer.padding[axis],
                    layer.dilation[axis],
                    layer.ceil_mode,
                    layer.output_padding[axis],
                )
            )
        except ValueError as exc:
            axis_name = "height" if axis == 0 else "width"
            where = f"layer {index} ({layer.type}), {axis_name} {size[axis]}"
            raise within(exc, where, layer=index, type=layer.type, axis=axis_name, size=size[axis]) from exc
    (oh, uh, ih), (ow, uw, iw) = found
    return (oh, ow), (uh, uw), (ih, iw)


@lru_cache(maxsize=4096)
def _slide(
    layer_type: str, c: int, out_c: int, size: Pair, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair],
    dilation: Pair, ceil: bool, output_padding: Pair, groups: int, bias: bool,
) -> tuple[Pair, Pair, Pair, int, int]:  # fmt: skip
    """Output size, unread positions, unread real rows, parameters and MACs of a sliding-window layer: one
    remembered call for what :func:`_sliding` and :func:`_conv_counts` give (a network repeats its layers)."""
    oh, uh, ih = _axis(layer_type, size[0], kernel[0], stride[0], padding[0], dilation[0], ceil, output_padding[0])
    ow, uw, iw = _axis(layer_type, size[1], kernel[1], stride[1], padding[1], dilation[1], ceil, output_padding[1])
    params = macs = 0
    if layer_type in ("conv2d", "conv_transpose2d"):
        params, macs = _conv_counts(layer_type, c, out_c, kernel, groups, bias)
        macs *= oh * ow if layer_type == "conv2d" else size[0] * size[1]
    return (oh, ow), (uh, uw), (ih, iw), params, macs


def _sliding_counts(layer: Layer, c: int, out_c: int, size: Pair, index: int) -> tuple[Pair, Pair, Pair, int, int]:
    """:func:`_slide` of ``layer``; a layer that cannot run says which layer, axis and size (from the two steps)."""
    try:
        return _slide(
            layer.type, c, out_c, size, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
            layer.ceil_mode, layer.output_padding, layer.groups, layer.bias,
        )  # fmt: skip
    except ValueError:
        _sliding(layer, size, index)  # raises, naming the axis, where an axis cannot run
        try:
            _conv_counts(layer.type, c, out_c, layer.kernel_size, layer.groups, layer.bias)
        except ValueError as exc:
            raise within(exc, f"layer {index} ({layer.type})", layer=index, type=layer.type) from exc
        raise AssertionError("_slide failed where its steps did not") from None


def pass_params(layer: Layer, channels: int) -> int:
    """The parameters of a layer that keeps its input's shape (a batch norm's affine pair), on ``channels``."""
    return shapes.batch_norm_params(channels, affine=layer.affine) if layer.type == "batch_norm2d" else 0


def apply_layer(layer: Layer, shape: Shape, index: int = 0) -> LayerResult:
    """Output shape, parameters, MACs and receptive-field windows of ``layer`` on an input ``shape``.

    MACs count the multiply-accumulates of convolutions and linear layers only, as published model
    tables do; normalisation, activations and pooling are counted as zero.
    """
    c, size = shape.channels, shape.size
    windows: tuple[Window, Window] | None
    unused: Pair = (0, 0)
    unused_img: Pair = (0, 0)
    params = macs = 0
    if layer.type in SLIDING:
        out_c = layer.out_channels if layer.out_channels is not None else c
        out_size, unused, unused_img, params, macs = _sliding_counts(layer, c, out_c, size, index)
        output = Shape(out_c, *out_size)
        windows = None if layer.type == "conv_transpose2d" else _sliding_windows(layer)
    elif layer.type in PASS_THROUGH:
        output = shape
        params = pass_params(layer, c)
        windows = _IDENTITY
    elif layer.type == "global_avg_pool2d":
        output = Shape(c, 1, 1)
        windows = (Window(size[0], 1, 0), Window(size[1], 1, 0))
    else:
        in_features = c * size[0] * size[1]
        params = shapes.linear_params(in_features, layer.out_features, bias=layer.bias)
        macs = shapes.linear_macs(in_features, layer.out_features)
        output = Shape(layer.out_features, 1, 1)
        windows = (Window(size[0], 1, 0), Window(size[1], 1, 0))
    return LayerResult(layer, shape, output, params, macs, windows, unused, unused_img)


def check_input(input_shape: Shape) -> None:
    """A ``ValueError`` naming the first of the input's channels, height and width out of its bounds."""
    for name, value, high in (
        ("channels", input_shape.channels, MAX_CHANNELS),
        ("height", input_shape.height, MAX_SIZE),
        ("width", input_shape.width, MAX_SIZE),
    ):
        if not is_int(value) or not 1 <= value <= high:
            raise ValueError(f"input {name} must be an integer between 1 and {high:,}, got {short_repr(value)}")


def propagate(layers: Sequence[Layer], input_shape: Shape) -> list[LayerResult]:
    """Apply the stack layer by layer; a layer that cannot run on its input is a ``ValueError``."""
    check_input(input_shape)
    results = []
    shape = input_shape
    for i, layer in enumerate(layers):
        result = apply_layer(layer, shape, i)
        results.append(result)
        shape = result.output
    return results


def static_windows(layer: Layer) -> tuple[Window, Window] | None:
    """The receptive-field windows a layer has without knowing its input size (``None`` where that is needed)."""
    if layer.type in PASS_THROUGH:
        return _IDENTITY
    if layer.type in SLIDING and layer.type != "conv_transpose2d":
        return _sliding_windows(layer)
    return None
