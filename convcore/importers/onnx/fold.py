"""Constant folding of an ONNX graph's small constant subgraphs, with numpy, before the analysis.

Exporters compute many values from constants and from shapes: ``F.pad``'s pads through a
Transpose/Reshape/Slice chain, Reshape targets through Shape/Gather/Concat, class-token expansions through
ConstantOfShape/Equal/Where. :func:`fold` evaluates every node whose inputs are all known — constants, and
``Shape`` of a tensor whose shape is fixed — and returns the values of their outputs. Every value is small
(at most ``MAX_ELEMENTS``): a node whose result would be larger is left alone, before anything is allocated.
Values are decoded with :func:`convcore.importers.onnx.tensors.to_array` only (never from outside the file).
"""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper

from convcore.importers.onnx.shapes import output_shape
from convcore.importers.onnx.tensors import to_array

MAX_ELEMENTS = 1 << 16
_DTYPES: dict[int, type[np.generic]] = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.FLOAT16: np.float32,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.INT8: np.int64,
    onnx.TensorProto.UINT8: np.int64,
    onnx.TensorProto.BOOL: np.bool_,
}
Values = dict[str, np.ndarray]


def _int_list(value: np.ndarray | None) -> list[int] | None:
    return None if value is None else [int(v) for v in value.reshape(-1)]


def _bounded(shape: Sequence[int]) -> tuple[int, ...]:
    if any(d < 0 for d in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise ValueError("too large to fold")
    return tuple(int(d) for d in shape)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / np.where(b == 0, 1, b)).astype(a.dtype)
    return np.asarray(a / b)


def _mod(a: np.ndarray, b: np.ndarray, attrs: Mapping[str, Any]) -> np.ndarray:
    b = np.where(b == 0, 1, b)
    return np.fmod(a, b) if attrs.get("fmod", 0) else np.mod(a, b)


_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": _div,
    "Pow": np.power,
    "Max": np.maximum,
    "Min": np.minimum,
    "Equal": np.equal,
    "Less": np.less,
    "Greater": np.greater,
    "LessOrEqual": np.less_equal,
    "GreaterOrEqual": np.greater_equal,
    "And": np.logical_and,
    "Or": np.logical_or,
}
_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Identity": np.asarray,
    "Neg": np.negative,
    "Abs": np.abs,
    "Floor": np.floor,
    "Ceil": np.ceil,
    "Sqrt": np.sqrt,
    "Not": np.logical_not,
    "Sign": np.sign,
}


_REDUCE: dict[str, Callable[..., Any]] = {
    "ReduceProd": np.prod,
    "ReduceSum": np.sum,
    "ReduceMax": np.max,
    "ReduceMin": np.min,
}


def _slice(x: np.ndarray, ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> np.ndarray:
    starts = _int_list(ins[1]) if len(ins) > 1 else list(attrs.get("starts", []))
    ends = _int_list(ins[2]) if len(ins) > 2 else list(attrs.get("ends", []))
    if starts is None or ends is None:
        raise ValueError("unknown slice")
    axes = _int_list(ins[3]) if len(ins) > 3 else list(attrs.get("axes", range(len(starts))))
    steps = _int_list(ins[4]) if len(ins) > 4 else None
    index = [slice(None)] * x.ndim
    for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
        axis = axes[k] if axes is not None else k
        index[axis] = slice(start, end, steps[k] if steps is not None else 1)
    return x[tuple(index)]


def _reshape(x: np.ndarray, shape: list[int], allowzero: int) -> np.ndarray:
    target = [x.shape[i] if d == 0 and not allowzero else d for i, d in enumerate(shape)]
    return x.reshape(target)


def _expand(x: np.ndarray, shape: list[int]) -> np.ndarray:
    return np.broadcast_to(x, _bounded(np.broadcast_shapes(x.shape, tuple(shape)))).copy()


def _range(start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
    count = max(math.ceil((float(limit) - float(start)) / float(delta)), 0) if float(delta) else 0
    _bounded((count,))
    return np.arange(count, dtype=start.dtype) * delta + start


def _axes(ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> list[int]:
    found = _int_list(ins[1]) if len(ins) > 1 and ins[1] is not None else attrs.get("axes")
    return list(found) if found is not None else []


def _evaluate(op: str, ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> list[np.ndarray]:
    """The outputs of one node on known inputs (``None`` for an omitted optional input)."""
    x = ins[0] if ins else None
    if op in _BINARY and x is not None and ins[1] is not None:
        _bounded(np.broadcast_shapes(x.shape, ins[1].shape))
        return [np.asarray(_BINARY[op](x, ins[1]))]
    if op in _UNARY and x is not None:
        return [np.asarray(_UNARY[op](x))]
    if op == "Mod" and x is not None and ins[1] is not None:
        _bounded(np.broadcast_shapes(x.shape, ins[1].shape))
        return [_mod(x, ins[1], attrs)]
    if op == "Where" and x is not None and ins[1] is not None and ins[2] is not None:
        _bounded(np.broadcast_shapes(x.shape, ins[1].shape, ins[2].shape))
        return [np.where(x, ins[1], ins[2])]
    if op == "Cast" and x is not None:
        return [x.astype(_DTYPES[int(attrs["to"])])]
    if op == "Concat":
        parts = [np.atleast_1d(v) for v in ins if v is not None]
        _bounded((sum(p.size for p in parts),))
        return [np.concatenate(parts, axis=int(attrs.get("axis", 0)))]
    if op == "ConstantOfShape" and x is not None:
        value = attrs.get("value")
        fill = to_array(value).reshape(-1)[0] if isinstance(value, onnx.TensorProto) else np.float32(0)
        return [np.full(_bounded(_int_list(x) or []), fill)]
    if op == "Range" and x is not None and ins[1] is not None and ins[2] is not None:
        return [_range(x, ins[1], ins[2])]
    if x is None:
        raise ValueError("no data")
    return _shape_op(op, x, ins, attrs)


def _shape_op(op: str, x: np.ndarray, ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> list[np.ndarray]:
    if op == "Gather":
        assert ins[1] is not None
        return [np.take(x, ins[1], axis=int(attrs.get("axis", 0)))]
    if op == "Unsqueeze":
        out = x
        for axis in sorted(a % (x.ndim + len(_axes(ins, attrs))) for a in _axes(ins, attrs)):
            out = np.expand_dims(out, axis)
        return [out]
    if op == "Squeeze":
        axes = _axes(ins, attrs)
        return [np.squeeze(x, axis=tuple(axes)) if axes else np.squeeze(x)]
    if op == "Slice":
        return [_slice(x, ins, attrs)]
    if op == "Reshape":
        return [_reshape(x, _int_list(ins[1]) or [], int(attrs.get("allowzero", 0)))]
    if op == "Transpose":
        return [np.transpose(x, attrs.get("perm"))]
    if op == "Expand":
        return [_expand(x, _int_list(ins[1]) or [])]
    if op == "Tile":
        reps = _int_list(ins[1]) or []
        _bounded([d * r for d, r in zip(x.shape, reps, strict=True)])
        return [np.tile(x, reps)]
    if op == "Flatten":
        axis = int(attrs.get("axis", 1)) % max(x.ndim, 1)
        return [x.reshape(math.prod(x.shape[:axis]), -1)]
    if op in _REDUCE:
        reduce = _REDUCE[op]
        axes = _axes(ins, attrs)
        return [np.asarray(reduce(x, axis=tuple(axes) if axes else None, keepdims=bool(attrs.get("keepdims", 1))))]
    if op == "Split":
        return _split(x, ins, attrs)
    raise ValueError(f"{op} is not folded")


def _split(x: np.ndarray, ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> list[np.ndarray]:
    axis = int(attrs.get("axis", 0))
    sizes = _int_list(ins[1]) if len(ins) > 1 and ins[1] is not None else attrs.get("split")
    if not sizes:
        raise ValueError("unknown split")
    return list(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def constant_value(node: onnx.NodeProto) -> np.ndarray | None:
    """The value of a ``Constant`` node, if it holds one the summary can read."""
    for attr in node.attribute:
        if attr.name == "value" and attr.type == onnx.AttributeProto.TENSOR:
            return to_array(attr.t) if attr.t.data_type in _DTYPES else None
        if attr.name in ("value_int", "value_float"):
            return np.asarray(attr.i if attr.name == "value_int" else attr.f)
        if attr.name in ("value_ints", "value_floats"):
            return np.asarray(list(attr.ints) if attr.name == "value_ints" else list(attr.floats))
    return None


_FAILURES = (ValueError, TypeError, IndexError, KeyError, AssertionError, OverflowError, np.exceptions.AxisError)


def fold(nodes: Sequence[onnx.NodeProto], values: Values, dims: Mapping[str, tuple[int, ...]]) -> Values:
    """The values of every output computable from ``values`` (updated in place) and the fixed shapes ``dims``."""
    for node in nodes:
        if all(out in values for out in node.output if out):
            continue
        try:
            results = _fold_one(node, values, dims)
        except _FAILURES:
            continue
        if results is not None and all(r.size <= MAX_ELEMENTS for r in results):
            values.update(zip(node.output, results, strict=False))
    return values


def propagate(nodes: Sequence[onnx.NodeProto], values: Values, dims: dict[str, tuple[int, ...]]) -> Values:
    """:func:`fold` in one pass that also fixes output shapes (``dims``, updated in place) as it goes.

    ``nodes`` are in topological order: a ``Shape`` node folds as soon as the shape it reads is fixed, by a
    folded value or by :func:`convcore.importers.onnx.shapes.output_shape`, so each node is visited once.
    """
    for node in nodes:
        fold((node,), values, dims)
        for out in node.output:
            if out in values:
                dims.setdefault(out, tuple(values[out].shape))
        if not node.output or node.output[0] in dims:
            continue
        try:
            shape = output_shape(node, dims, values, {a.name: helper.get_attribute_value(a) for a in node.attribute})
        except _FAILURES:
            continue
        if shape is not None and min(shape, default=0) >= 0:
            dims[node.output[0]] = shape
    return values


def _fold_one(node: onnx.NodeProto, values: Values, dims: Mapping[str, tuple[int, ...]]) -> list[np.ndarray] | None:
    op = node.op_type
    if node.domain not in ("", "ai.onnx"):
        return None
    if op == "Constant":
        value = constant_value(node)
        return None if value is None else [value]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if op in ("Shape", "Size"):
        shape = dims.get(node.input[0])
        if shape is None or any(d < 0 for d in shape):
            return None
        if op == "Size":
            return [np.asarray(math.prod(shape), dtype=np.int64)]
        start, end = int(attrs.get("start", 0)), attrs.get("end")
        return [np.asarray(shape[start : None if end is None else int(end)], dtype=np.int64)]
    ins = [values.get(name) if name else None for name in node.input]
    if any(v is None for name, v in zip(node.input, ins, strict=True) if name):
        return None
    with np.errstate(all="ignore"):
        return _evaluate(op, ins, attrs)
