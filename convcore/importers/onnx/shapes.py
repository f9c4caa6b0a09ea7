"""Output shapes of the common ONNX operators, from known input shapes and folded values.

:func:`convcore.importers.onnx.fold.fold` walks the graph once in topological order and, for a node it cannot fold,
asks :func:`output_shape` for its output's shape, so that the ``Shape`` nodes further on fold in the same
pass (Swin's shifted windows compute each block's reshape targets from the previous block's shapes). An
operator without a rule here, or a rule without the inputs it needs, gives ``None``: the shape is left to
``onnx.shape_inference``, which runs after the pass. Only fully known shapes are returned.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx

Shape = tuple[int, ...]
_SAME = frozenset(
    {
        "Identity", "Cast", "Neg", "Abs", "Floor", "Ceil", "Sqrt", "Not", "Sign", "Erf", "Relu", "Sigmoid", "Tanh",
        "Softmax", "LogSoftmax", "LayerNormalization", "ScatterND", "Dropout", "Gelu", "HardSigmoid", "HardSwish",
    }
)  # fmt: skip
_BROADCAST = frozenset(
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Where", "Equal", "Less", "Greater", "LessOrEqual",
        "GreaterOrEqual", "And", "Or",
    }
)  # fmt: skip


def _ints(value: np.ndarray | None) -> list[int] | None:
    return None if value is None else [int(v) for v in value.reshape(-1)]


def _reshape(x: Shape, target: list[int] | None, allowzero: int) -> Shape | None:
    if target is None:
        return None
    out = [x[i] if d == 0 and not allowzero else d for i, d in enumerate(target)]
    if out.count(-1) == 1:
        rest = int(np.prod([d for d in out if d != -1]))
        if rest <= 0 or int(np.prod(x)) % rest:
            return None
        out[out.index(-1)] = int(np.prod(x)) // rest
    return tuple(out) if int(np.prod(out)) == int(np.prod(x)) else None


def _slice(x: Shape, ins: Sequence[np.ndarray | None]) -> Shape | None:
    if len(ins) < 3:
        return None
    starts, ends = _ints(ins[1]), _ints(ins[2])
    axes = _ints(ins[3]) if len(ins) > 3 else list(range(len(starts or [])))
    steps = _ints(ins[4]) if len(ins) > 4 else [1] * len(starts or [])
    if starts is None or ends is None or axes is None or steps is None:
        return None
    out = list(x)
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        out[axis] = len(range(x[axis])[slice(start, end, step)])
    return tuple(out)


def _pad(x: Shape, pads: list[int] | None) -> Shape | None:
    if pads is None or len(pads) != 2 * len(x):
        return None
    return tuple(d + pads[i] + pads[i + len(x)] for i, d in enumerate(x))


def _matmul(a: Shape, b: Shape) -> Shape | None:
    if len(a) < 2 or len(b) < 2 or a[-1] != b[-2]:
        return None
    return (*np.broadcast_shapes(a[:-2], b[:-2]), a[-2], b[-1])


def _expand(x: Shape, shape: list[int] | None) -> Shape | None:
    return None if shape is None else tuple(np.broadcast_shapes(x, tuple(shape)))


def _gather(x: Shape, indices: Shape, axis: int) -> Shape:
    axis %= len(x)
    return (*x[:axis], *indices, *x[axis + 1 :])


def _axes(ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> list[int] | None:
    if len(ins) > 1:
        return _ints(ins[1])
    return list(attrs["axes"]) if "axes" in attrs else None


def _unsqueeze(x: Shape, axes: list[int] | None) -> Shape | None:
    if axes is None:
        return None
    rank = len(x) + len(axes)
    out = list(x)
    for axis in sorted(a % rank for a in axes):
        out.insert(axis, 1)
    return tuple(out)


def _squeeze(x: Shape, axes: list[int] | None) -> Shape | None:
    if axes is None:
        return tuple(d for d in x if d != 1)
    drop = {a % len(x) for a in axes}
    return tuple(d for i, d in enumerate(x) if i not in drop)


def _conv(x: Shape, w: Shape, attrs: Mapping[str, Any]) -> Shape | None:
    """Explicit pads only (``auto_pad`` is left to ``onnx.shape_inference``)."""
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or len(w) != len(x):
        return None
    spatial = len(x) - 2
    strides = attrs.get("strides", [1] * spatial)
    dilations = attrs.get("dilations", [1] * spatial)
    pads = attrs.get("pads", [0] * 2 * spatial)
    kernel = attrs.get("kernel_shape", w[2:])
    out = [
        (x[2 + i] + pads[i] + pads[i + spatial] - dilations[i] * (kernel[i] - 1) - 1) // strides[i] + 1
        for i in range(spatial)
    ]
    return (x[0], w[0], *out)


def _concat(shapes: list[Shape], axis: int) -> Shape:
    axis %= len(shapes[0])
    return (*shapes[0][:axis], sum(s[axis] for s in shapes), *shapes[0][axis + 1 :])


def _rule(op: str, xs: list[Shape], ins: list[np.ndarray | None], attrs: Mapping[str, Any]) -> Shape | None:
    x = xs[0]
    rules: dict[str, Callable[[], Shape | None]] = {
        "Transpose": lambda: tuple(x[p] for p in attrs.get("perm", range(len(x) - 1, -1, -1))),
        "Reshape": lambda: _reshape(x, _ints(ins[1]), int(attrs.get("allowzero", 0))),
        "MatMul": lambda: _matmul(x, xs[1]),
        "Slice": lambda: _slice(x, ins),
        "Pad": lambda: _pad(x, _ints(ins[1]) if len(ins) > 1 else list(attrs.get("pads", []))),
        "Concat": lambda: _concat(xs, int(attrs.get("axis", 0))),
        "Expand": lambda: _expand(x, _ints(ins[1])),
        "Gather": lambda: _gather(x, xs[1], int(attrs.get("axis", 0))),
        "Unsqueeze": lambda: _unsqueeze(x, _axes(ins, attrs)),
        "Squeeze": lambda: _squeeze(x, _axes(ins, attrs)),
        "Conv": lambda: _conv(x, xs[1], attrs),
        "GlobalAveragePool": lambda: (*x[:2], *(1 for _ in x[2:])),
    }
    return rules[op]() if op in rules else None


def output_shape(
    node: onnx.NodeProto,
    dims: Mapping[str, Shape],
    values: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
) -> Shape | None:
    """The shape of ``node``'s first output, if a rule here fixes it from what is known; else ``None``."""
    if node.domain not in ("", "ai.onnx") or not node.input or not node.output:
        return None
    op = node.op_type
    names = [name for name in node.input if name]
    xs = [dims.get(name) for name in names]
    if op in _SAME:
        return xs[0]
    if any(s is None for s in xs):
        return None
    shapes = [s for s in xs if s is not None]
    if op in _BROADCAST:
        return tuple(np.broadcast_shapes(*shapes))
    ins = [values.get(name) if name else None for name in node.input]
    return _rule(op, shapes, ins, attrs)
