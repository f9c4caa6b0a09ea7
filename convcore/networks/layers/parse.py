"""A layer description checked and typed: :func:`parse_layer` checks a dict field by field and :func:`assemble`
applies the rules between fields, so the CLI's dicts and the API's validated models make the same :class:`Layer`.

Every int field may be an ``[h, w]`` pair and ``padding`` may be ``"same"`` or ``"valid"`` where torch allows it;
a bad field is a ``ValueError`` (or a coded :class:`InputError`) naming the layer, the field and what to change.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

from convcore.arithmetic import shapes
from convcore.arithmetic.shapes import Pair
from convcore.errors import InputError
from convcore.networks.layers.form import (
    FIELDS,
    LAYER_TYPES,
    MAX_CHANNELS,
    MAX_HYPER,
    PADDING_MODES,
    SLIDING,
    Layer,
    is_int,
    short_repr,
)

_COMMON = frozenset({"type", "name"})


def _in_range(value: int, low: int, high: int, where: str, key: str) -> int:
    if not low <= value <= high:
        message = f"{where}: {key} must be between {low} and {high:,}, got {short_repr(value)}"
        if value < low:
            raise InputError(message, code="too_small", field=key, minimum=low, value=value)
        raise InputError(message, code="too_large", field=key, maximum=high, value=value)
    return value


def _int(raw: Mapping[str, Any], key: str, default: int, where: str, low: int = 1, high: int = MAX_CHANNELS) -> int:
    value = raw.get(key, default)
    if not is_int(value):
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
    is_pair = isinstance(value, list | tuple) and len(value) == 2 and all(map(is_int, value))
    if not (is_int(value) or is_pair):
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


_POOLS = frozenset({"max_pool2d", "avg_pool2d"})
_PLAIN = ("out_channels", "groups", "bias", "padding_mode", "ceil_mode", "count_include_pad", "p", "eps", "momentum")
#: Per type, the fields :func:`assemble` copies as they are.
_COPIED = {
    kind: tuple(k for k in (*_PLAIN, "affine", "out_features") if k in allowed) for kind, allowed in FIELDS.items()
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
    if layer_type in SLIDING:
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
    if not isinstance(layer_type, str) or layer_type not in FIELDS:
        raise ValueError(f"layer {index}: type must be one of {', '.join(LAYER_TYPES)}, got {short_repr(layer_type)}")
    where = f"layer {index} ({layer_type})"
    unknown = [
        key if len(str(key)) <= 40 else short_repr(key) for key in raw if key not in FIELDS[layer_type] | _COMMON
    ]
    if unknown:
        allowed = ", ".join(sorted(FIELDS[layer_type])) or "none"
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {allowed}")
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise ValueError(f"{where}: name must be a string")
    fields: dict[str, Any] = {"type": layer_type, "name": name}

    if layer_type in SLIDING:
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
