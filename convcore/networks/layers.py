"""The layer description shared by convcore, the API, the CLI and the front end.

A layer is a dict such as ``{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 1,
"padding": 1, "dilation": 1, "groups": 1, "bias": true}``; every int field may be an ``[h, w]`` pair and
``padding`` may be ``"same"`` or ``"valid"`` where torch allows it. :func:`parse_layer` checks one and
returns a :class:`Layer`; :func:`propagate` runs a stack over an input shape and gives each layer's output
shape, parameters, multiply-accumulates and the per-axis window the receptive field needs.

The layer types here are values: nothing changes them once built. :class:`Layer`, :class:`Shape` and
:class:`LayerResult` are plain slotted dataclasses, not frozen ones, because a frozen dataclass assigns each field
through ``object.__setattr__`` and costs about five times as much to build, and ``/shapes`` builds one of each
per layer (``benchmarks/api.py`` prints the stages).
"""

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from convcore.arithmetic import shapes
from convcore.arithmetic.shapes import Pair
from convcore.errors import InputError, within

Pair3 = tuple[int, int, int]

#: Largest input height/width, channel count (also out_features, groups) and kernel, stride, padding,
#: dilation or output_padding a layer description may hold. The arithmetic costs the same for 7 and 7000;
#: the bounds keep every size torch is given within 64 bits and every count in a browser's exact range.
MAX_SIZE = 100_000
MAX_CHANNELS = 100_000
MAX_HYPER = 4096
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxtuple, short.maxdict = 2, 4, 4, 4
    short.maxstring = short.maxother = short.maxlong = 40
    return short


_SHORT = _short_repr()


def short_repr(value: Any) -> str:
    """``repr(value)`` cut short (depth, items, characters): safe to put any input into a message."""
    return _SHORT.repr(value)


LAYER_TYPES = (
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm2d",
    "relu",
    "dropout",
    "global_avg_pool2d",
    "linear",
)
PASS_THROUGH = frozenset({"batch_norm2d", "relu", "dropout"})
_FIELDS: dict[str, frozenset[str]] = {
    "conv2d": frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"}
    ),
    "conv_transpose2d": frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias"}
    ),
    "max_pool2d": frozenset({"kernel_size", "stride", "padding", "dilation", "ceil_mode"}),
    "avg_pool2d": frozenset({"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"}),
    "batch_norm2d": frozenset({"eps", "momentum", "affine"}),
    "relu": frozenset(),
    "dropout": frozenset({"p"}),
    "global_avg_pool2d": frozenset(),
    "linear": frozenset({"out_features", "bias"}),
}
_COMMON = frozenset({"type", "name"})


@dataclass(slots=True)
class Shape:
    """A feature map's shape without the batch axis: ``(C, H, W)``."""

    channels: int
    height: int
    width: int

    @property
    def size(self) -> Pair:
        return (self.height, self.width)


@dataclass(slots=True)
class Layer:
    """One parsed layer. Fields a type does not use keep torch's defaults."""

    type: str
    name: str = ""
    out_channels: int | None = None
    kernel_size: Pair = (1, 1)
    stride: Pair = (1, 1)
    padding: tuple[Pair, Pair] = ((0, 0), (0, 0))
    padding_spec: str | Pair = (0, 0)
    dilation: Pair = (1, 1)
    output_padding: Pair = (0, 0)
    groups: int = 1
    bias: bool = True
    ceil_mode: bool = False
    count_include_pad: bool = True
    padding_mode: str = "zeros"
    p: float = 0.5
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True
    out_features: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The layer back in the shared dict form, with every field its type uses."""
        d: dict[str, Any] = {"type": self.type}
        if self.name:
            d["name"] = self.name
        for key in sorted(_FIELDS[self.type]):
            value = self.padding_spec if key == "padding" else getattr(self, key)
            d[key] = list(value) if isinstance(value, tuple) else value
        return d


@dataclass(frozen=True)
class Window:
    """What a layer does along one axis for the receptive field: effective kernel, stride, left padding."""

    kernel: int
    stride: int
    padding: int


@dataclass(slots=True)
class LayerResult:
    """A layer applied to a known input shape."""

    layer: Layer
    input: Shape
    output: Shape
    params: int
    macs: int
    windows: tuple[Window, Window] | None
    unused: Pair
    unused_image: Pair


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _in_range(value: int, low: int, high: int, where: str, key: str) -> int:
    if not low <= value <= high:
        message = f"{where}: {key} must be between {low} and {high:,}, got {short_repr(value)}"
        if value < low:
            raise InputError(message, code="too_small", field=key, minimum=low, value=value)
        raise InputError(message, code="too_large", field=key, maximum=high, value=value)
    return value


def _int(raw: Mapping[str, Any], key: str, default: int, where: str, low: int = 1, high: int = MAX_CHANNELS) -> int:
    value = raw.get(key, default)
    if not _is_int(value):
        raise ValueError(f"{where}: {key} must be an integer, got {short_repr(value)}")
    return _in_range(value, low, high, where, key)


def _bool(raw: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key} must be true or false, got {short_repr(value)}")
    return value


def _float(raw: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: {key} must be a finite number, got {short_repr(value)}")
    return float(value)


def _pair(raw: Mapping[str, Any], key: str, default: int, where: str, low: int = 1, high: int = MAX_HYPER) -> Pair:
    value = raw.get(key, default)
    is_pair = isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value))
    if not (_is_int(value) or is_pair):
        raise ValueError(
            f"{where}: {key} must be an integer or a pair [height, width] of integers, got {short_repr(value)}"
        )
    pair = shapes.as_pair(value, f"{where}: {key}")
    return (_in_range(pair[0], low, high, where, key), _in_range(pair[1], low, high, where, key))


def _padding(
    spec: str | Pair, layer_type: str, kernel: Pair, stride: Pair, dilation: Pair, index: int
) -> tuple[Pair, Pair]:
    """The ``(before, after)`` padding per axis of a checked ``padding`` (a pair, ``"same"`` or ``"valid"``)."""
    if not isinstance(spec, str):
        return ((spec[0], spec[0]), (spec[1], spec[1]))
    where = f"layer {index} ({layer_type})"
    if layer_type != "conv2d":
        raise ValueError(f'{where}: padding "{spec}" is only allowed for conv2d; give a number instead')
    if spec == "valid":
        return ((0, 0), (0, 0))
    if spec != "same":
        raise ValueError(f'{where}: padding must be a number, a pair, "same" or "valid", got {short_repr(spec)}')
    if stride != (1, 1):
        raise ValueError(f'{where}: padding "same" needs stride 1 (torch does not support it for strided convolutions)')
    return (shapes.same_padding(kernel[0], dilation[0]), shapes.same_padding(kernel[1], dilation[1]))


def _as_pair(value: int | Sequence[int]) -> Pair:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


_SLIDING = frozenset({"conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"})
_POOLS = frozenset({"max_pool2d", "avg_pool2d"})
_PLAIN = ("out_channels", "groups", "bias", "padding_mode", "ceil_mode", "count_include_pad", "p", "eps", "momentum")
#: Per type, the fields :func:`assemble` copies as they are.
_COPIED = {
    kind: tuple(k for k in (*_PLAIN, "affine", "out_features") if k in allowed) for kind, allowed in _FIELDS.items()
}


def assemble(values: Mapping[str, Any], index: int = 0) -> Layer:
    """The :class:`Layer` of a layer whose fields are already typed and bounded, one by one (ints or
    ``(h, w)`` pairs, ``padding`` also ``"same"``/``"valid"``; absent or ``None``: torch's default).

    This is where the rules between fields apply (pooling's stride defaulting to its kernel, ``"same"``
    padding needing stride 1): :func:`parse_layer` checks a dict's fields and calls it, and the API's request
    models call it on what they validated, so both make the same layer.
    """
    layer_type = values["type"]
    layer = Layer(layer_type, values.get("name") or "")
    if layer_type in _SLIDING:
        kernel = _as_pair(values["kernel_size"])
        stride = values.get("stride")
        stride = _as_pair(stride) if stride is not None else (kernel if layer_type in _POOLS else (1, 1))
        dilation = values.get("dilation")
        dilation = _as_pair(dilation) if dilation else (1, 1)
        spec = values.get("padding", 0)
        spec = spec if isinstance(spec, str) else _as_pair(spec)
        layer.padding = _padding(spec, layer_type, kernel, stride, dilation, index)
        layer.kernel_size, layer.stride, layer.dilation, layer.padding_spec = kernel, stride, dilation, spec
    for key in _COPIED[layer_type]:
        value = values.get(key)
        if value is not None:
            setattr(layer, key, value)
    if layer_type == "conv_transpose2d":
        output_padding = values.get("output_padding")
        layer.output_padding = _as_pair(output_padding) if output_padding else (0, 0)
    return layer


def parse_layer(raw: Mapping[str, Any], index: int = 0) -> Layer:
    """Check one layer dict and return it typed; unknown types or fields are a ``ValueError``.

    A coded error (:class:`InputError`) gains the layer's index and type as parameters, so a page can say
    where it is in the student's language."""
    try:
        return assemble(_check_fields(raw, index), index)
    except InputError as exc:
        raise _located(exc, index, raw["type"]) from None


def _located(exc: InputError, index: int, layer_type: str) -> InputError:
    return (
        exc
        if "layer" in exc.params
        else InputError(str(exc), code=exc.code, **exc.params, layer=index, type=layer_type)
    )


def assemble_layers(checked: Sequence[Mapping[str, Any]]) -> list[Layer]:
    """:func:`assemble` on every layer of a stack whose fields are checked (the API's validated models)."""
    layers = []
    for i, values in enumerate(checked):
        try:
            layers.append(assemble(values, i))
        except InputError as exc:
            raise _located(exc, i, values["type"]) from None
    return layers


def _check_fields(raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Each field of a layer dict checked on its own: type, bounds, required fields."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"layer {index}: expected an object with a type, got {short_repr(raw)}")
    layer_type = raw.get("type")
    if not isinstance(layer_type, str) or layer_type not in _FIELDS:
        raise ValueError(f"layer {index}: type must be one of {', '.join(LAYER_TYPES)}, got {short_repr(layer_type)}")
    where = f"layer {index} ({layer_type})"
    unknown = [
        key if len(str(key)) <= 40 else short_repr(key) for key in raw if key not in _FIELDS[layer_type] | _COMMON
    ]
    if unknown:
        allowed = ", ".join(sorted(_FIELDS[layer_type])) or "none"
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {allowed}")
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise ValueError(f"{where}: name must be a string")
    fields: dict[str, Any] = {"type": layer_type, "name": name}

    if layer_type in _SLIDING:
        if "kernel_size" not in raw:
            raise ValueError(f"{where}: kernel_size is required")
        fields["kernel_size"] = _pair(raw, "kernel_size", 1, where)
        if "stride" in raw:
            fields["stride"] = _pair(raw, "stride", 1, where)
        fields["dilation"] = _pair(raw, "dilation", 1, where)
        spec = raw.get("padding", 0)
        fields["padding"] = spec if isinstance(spec, str) else _pair(raw, "padding", 0, where, low=0)
    if layer_type in {"conv2d", "conv_transpose2d"}:
        if "out_channels" not in raw:
            raise ValueError(f"{where}: out_channels is required")
        fields["out_channels"] = _int(raw, "out_channels", 1, where)
        fields["groups"] = _int(raw, "groups", 1, where)
        fields["bias"] = _bool(raw, "bias", True, where)
    if layer_type == "conv2d":
        mode = raw.get("padding_mode", "zeros")
        if not isinstance(mode, str) or mode not in PADDING_MODES:
            raise ValueError(f"{where}: padding_mode must be one of {', '.join(PADDING_MODES)}, got {short_repr(mode)}")
        fields["padding_mode"] = mode
    if layer_type == "conv_transpose2d":
        fields["output_padding"] = _pair(raw, "output_padding", 0, where, low=0)
    if layer_type in _POOLS:
        fields["ceil_mode"] = _bool(raw, "ceil_mode", False, where)
        if layer_type == "avg_pool2d":
            fields["count_include_pad"] = _bool(raw, "count_include_pad", True, where)
    if layer_type == "dropout":
        fields["p"] = _float(raw, "p", 0.5, where)
        if not 0.0 <= fields["p"] <= 1.0:
            raise ValueError(f"{where}: p is the probability of dropping and must be between 0 and 1")
    if layer_type == "batch_norm2d":
        fields["eps"] = _float(raw, "eps", 1e-5, where)
        fields["momentum"] = _float(raw, "momentum", 0.1, where)
        fields["affine"] = _bool(raw, "affine", True, where)
        if fields["eps"] <= 0:
            raise ValueError(f"{where}: eps must be positive")
    if layer_type == "linear":
        if "out_features" not in raw:
            raise ValueError(f"{where}: out_features is required")
        fields["out_features"] = _int(raw, "out_features", 1, where)
        fields["bias"] = _bool(raw, "bias", True, where)
    return fields


def parse_layers(raw: Sequence[Mapping[str, Any]]) -> list[Layer]:
    """Parse a whole stack; the first bad layer's error names its index."""
    return [parse_layer(item, i) for i, item in enumerate(raw)]


#: The windows of a layer that keeps every position where it is.
_IDENTITY = (Window(1, 1, 0), Window(1, 1, 0))


def _sliding_windows(layer: Layer) -> tuple[Window, Window]:
    """The receptive-field windows of a convolution or pooling: effective kernel, stride, left padding."""
    (kh, kw), (sh, sw), (dh, dw), ((ph, _), (pw, _)) = layer.kernel_size, layer.stride, layer.dilation, layer.padding
    return (
        Window(shapes.effective_kernel_size(kh, dh), sh, ph),
        Window(shapes.effective_kernel_size(kw, dw), sw, pw),
    )


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
    unused = shapes.unused_input(size, kernel_size=k, stride=s, padding=pad, dilation=d, ceil_mode=ceil)
    return (o, unused, shapes.unused_image(size, kernel_size=k, stride=s, padding=pad, dilation=d, ceil_mode=ceil))


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
    if layer.type in {"conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"}:
        out_size, unused, unused_img = _sliding(layer, size, index)
        out_c = layer.out_channels if layer.out_channels is not None else c
        try:
            if layer.type == "conv2d":
                params = shapes.conv_params(c, out_c, layer.kernel_size, groups=layer.groups, bias=layer.bias)
                macs = shapes.conv_macs(c, out_c, layer.kernel_size, out_size, groups=layer.groups)
            elif layer.type == "conv_transpose2d":
                params = shapes.conv_transpose_params(c, out_c, layer.kernel_size, groups=layer.groups, bias=layer.bias)
                macs = shapes.conv_transpose_macs(c, out_c, layer.kernel_size, size, groups=layer.groups)
        except ValueError as exc:
            raise within(exc, f"layer {index} ({layer.type})", layer=index, type=layer.type) from exc
        output = Shape(out_c, *out_size)
        windows = None if layer.type == "conv_transpose2d" else _sliding_windows(layer)
    elif layer.type in PASS_THROUGH:
        output = shape
        if layer.type == "batch_norm2d":
            params = shapes.batch_norm_params(c, affine=layer.affine)
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


def propagate(layers: Sequence[Layer], input_shape: Shape) -> list[LayerResult]:
    """Apply the stack layer by layer; a layer that cannot run on its input is a ``ValueError``."""
    for name, value, high in (
        ("channels", input_shape.channels, MAX_CHANNELS),
        ("height", input_shape.height, MAX_SIZE),
        ("width", input_shape.width, MAX_SIZE),
    ):
        if not _is_int(value) or not 1 <= value <= high:
            raise ValueError(f"input {name} must be an integer between 1 and {high:,}, got {short_repr(value)}")
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
    if layer.type in _SLIDING and layer.type != "conv_transpose2d":
        return _sliding_windows(layer)
    return None
