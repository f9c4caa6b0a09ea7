"""One ONNX node on feature maps → one :class:`convcore.networks.graph.Node`: its role, windows, MACs.

Every operator of the standard domain that a vision model's exporter writes has a meaning here; any other
node counts as *global* for the receptive field (it may mix every position) and zero MACs, with a note.
Shapes are full (batch axis included). Values of small constant inputs (pads, axes, slice bounds) come from
the folded constants; when one is absent (an export without initializers) the shapes decide where they can.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import onnx
from onnx import helper

from convcore.arithmetic import shapes
from convcore.arithmetic.receptive_field import Window
from convcore.importers.onnx.rewrites import standing_in
from convcore.networks.graph import Node

PASS = frozenset(
    {
        *("Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu"),
        *("Celu", "Gelu", "Mish", "Softplus", "Softsign", "Erf", "Abs", "Neg", "Exp", "Log", "Sqrt"),
        *("Reciprocal", "Cast", "CastLike", "Dropout", "Identity", "BatchNormalization", "Floor", "Ceil"),
        *("Round", "Sign", "Not", "IsNaN", "IsInf", "Sin", "Cos", "ThresholdedRelu", "Shrink", "Trilu"),
    }
)
ELEMENTWISE = frozenset(
    {
        *("Add", "Sub", "Mul", "Div", "Pow", "Sum", "Max", "Min", "Mean", "Where", "Equal", "Less", "Greater"),
        *("LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Mod", "Expand", "Concat", "Tile", "BitShift"),
    }
)
RESHAPE = frozenset({"Flatten", "Reshape", "Squeeze", "Unsqueeze"})
OPAQUE = frozenset({"Resize", "Upsample", "DepthToSpace", "ConvTranspose", "MaxUnpool", "Col2Im"})
POOL = frozenset({"MaxPool", "AveragePool", "LpPool"})
GLOBAL_POOL = frozenset({"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"})
REDUCE = frozenset(
    {
        *("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2"),
        *("ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin", "TopK", "CumSum"),
    }
)
# computed on shapes only, never on feature maps
SHAPE_ONLY = frozenset({"Shape", "Size", "Constant", "ConstantOfShape", "Range"})
_NO_MACS = "MACs not counted: "


@dataclass
class Context:
    """What the builder reads: full shapes, folded values, weights (name → shape), the opset, strict shape
    inference's complaint about the file (empty when it had none), and the parameters of unknown shape."""

    dims: dict[str, tuple[int, ...]]
    values: dict[str, np.ndarray]
    weights: dict[str, tuple[int, ...]]
    opset: int
    complaint: str = ""
    unsized: frozenset[str] = frozenset()


def attrs_of(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _ints(ctx: Context, name: str) -> list[int] | None:
    value = ctx.values.get(name) if name else None
    return None if value is None else [int(v) for v in value.reshape(-1)]


def _input_ints(node: onnx.NodeProto, index: int, attrs: dict[str, Any], key: str, ctx: Context) -> list[int] | None:
    if len(node.input) > index and node.input[index]:
        return _ints(ctx, node.input[index])
    found = attrs.get(key)
    return [int(v) for v in found] if isinstance(found, list | tuple) else None


def _text(value: object, default: str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value) if value is not None else default


def uncounted(node: onnx.NodeProto) -> frozenset[int]:
    """Inputs that are not parameters of their own: batch norm's running mean and variance (buffers), and a
    folded convolution's new bias (it stands for the norm's parameters, see :mod:`convcore.importers.onnx.rewrites`)."""
    buffers = frozenset({3, 4}) if node.op_type == "BatchNormalization" else frozenset()
    return buffers | standing_in(node)


def sliding_windows(attrs: dict[str, Any], kernel: Sequence[int], in_size: Sequence[int]) -> tuple[Window, ...]:
    """Windows of a Conv or pooling node per spatial dimension, its ``auto_pad`` resolved as ONNX defines it."""
    rank = len(kernel)
    strides = [int(v) for v in attrs.get("strides", [1] * rank)]
    dilations = [int(v) for v in attrs.get("dilations", [1] * rank)]
    pads = [int(v) for v in attrs.get("pads", [0] * 2 * rank)]
    auto = _text(attrs.get("auto_pad"), "NOTSET")
    windows = []
    for axis in range(rank):
        span = shapes.effective_kernel_size(int(kernel[axis]), dilations[axis])
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            left = shapes.auto_pad_same(
                in_size[axis],
                kernel_size=int(kernel[axis]),
                stride=strides[axis],
                dilation=dilations[axis],
                upper=auto == "SAME_UPPER",
            )[0]
        else:
            left = 0 if auto == "VALID" else pads[axis]
        windows.append(Window(span, strides[axis], left))
    return tuple(windows)


class Builder:
    """Builds the node of one ONNX node whose inputs include a feature map."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def params(self, node: onnx.NodeProto) -> int:
        """Parameters among the node's inputs, counted at every use.

        A file cannot tell a tied weight from two equal ones (the TorchScript exporter merges initializers
        with equal values), so each use counts, as each layer of a model with untied weights does.
        """
        skip = uncounted(node)
        return sum(
            math.prod(self.ctx.weights[name])
            for i, name in enumerate(node.input)
            if i not in skip and name in self.ctx.weights
        )

    def build(self, node: onnx.NodeProto, name: str, inputs: tuple[str, ...], feature: list[int]) -> Node:
        """``feature``: the indices of the node's inputs that are feature maps (``inputs`` in that order)."""
        op = node.op_type
        shape = self.ctx.dims[node.output[0]]
        first = self.ctx.dims[node.input[feature[0]]]
        attrs = attrs_of(node)
        standard = node.domain in ("", "ai.onnx")
        base = Node(name, op, "pass", inputs, shape[1:], shape=shape)
        if not standard:
            return self._unknown(node, base)
        if op in PASS or (op in ELEMENTWISE and len(inputs) == 1) or op == "Gather":
            return replace(base, role="pass", params=self.params(node))
        if op in ELEMENTWISE:
            return replace(base, role="merge", params=self.params(node))
        if op in RESHAPE:
            return replace(base, role="reshape")
        if op == "Transpose":
            perm = tuple(int(p) for p in attrs.get("perm", range(len(first))[::-1]))
            return replace(base, role="permute", dims=perm)
        if op in ("Conv", "ConvInteger"):
            return self._conv(node, base, attrs, first, shape)
        if op in POOL:
            kernel = attrs["kernel_shape"]
            windows = sliding_windows(attrs, kernel, first[2:])
            return self._window(base, windows, tuple(range(2, len(first))))
        if op in GLOBAL_POOL:
            return replace(base, role="mix", dims=tuple(range(2, len(first))))
        if op == "Pad":
            return self._pad(node, base, attrs, first)
        if op == "Slice":
            return self._slice(node, base, attrs, first)
        if op in REDUCE or op in ("Softmax", "LogSoftmax", "Hardmax"):
            return self._reduce(node, base, attrs, first, shape)
        if op in ("LayerNormalization", "GroupNormalization", "InstanceNormalization", "LpNormalization"):
            return self._norm(node, base, attrs, first)
        if op in ("MatMul", "Gemm", "Einsum", "MatMulInteger"):
            return self._product(node, base, attrs, feature, shape)
        if op in OPAQUE:
            params = self.params(node)
            weight = self.ctx.weights.get(node.input[1], ())
            macs = shapes.weight_macs(weight, math.prod(first[2:])) if op == "ConvTranspose" else 0
            note = "upsampling: no receptive field from here on"
            return replace(base, role="opaque", params=params, macs=macs, note=note)
        if op == "Split":
            return replace(base, role="pass")
        return self._unknown(node, base)

    def _unknown(self, node: onnx.NodeProto, base: Node) -> Node:
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        note = f"operator {op} has no known meaning here: counted as global for the receptive field, 0 MACs"
        return replace(base, role="global", params=self.params(node), note=note)

    def _window(self, base: Node, windows: Sequence[Window], dims: Sequence[int]) -> Node:
        if len(windows) > 2:
            note = "a window over more than two dimensions: counted as global for the receptive field"
            return replace(base, role="global", note=note)
        return replace(base, role="window", windows=tuple(windows), dims=tuple(dims))

    def _conv(
        self,
        node: onnx.NodeProto,
        base: Node,
        attrs: dict[str, Any],
        first: tuple[int, ...],
        shape: tuple[int, ...],
    ) -> Node:
        weight = self.ctx.weights.get(node.input[1]) or self.ctx.dims.get(node.input[1])
        groups = int(attrs.get("group", 1))
        if weight is None or len(weight) != len(first) or weight[1] * groups != first[1]:
            expects = weight[1] * groups if weight is not None and len(weight) == len(first) else "?"
            raise ValueError(
                f"node {base.name!r} (Conv): its weight expects {expects} input channels, the input has "
                f"{first[1] if len(first) > 1 else '?'}"
            )
        kernel = attrs.get("kernel_shape", weight[2:])
        windows = sliding_windows(attrs, kernel, first[2:])
        macs = shapes.weight_macs(weight, math.prod((shape[0], *shape[2:])))
        params = self.params(node)
        return self._window(replace(base, params=params, macs=macs), windows, tuple(range(2, len(first))))

    def _pad(self, node: onnx.NodeProto, base: Node, attrs: dict[str, Any], first: tuple[int, ...]) -> Node:
        pads = _input_ints(node, 1, attrs, "pads", self.ctx)
        axes = _input_ints(node, 3, attrs, "axes", self.ctx) if len(node.input) > 3 else list(range(len(first)))
        if pads is None or axes is None or len(pads) != 2 * len(axes):
            note = "pads computed at run time and unknown here: the field assumes the padding comes after the map"
            return replace(base, role="pass", note=note)
        mode = _text(attrs.get("mode"), "constant")
        dims, windows = [], []
        for k, axis in enumerate(axes):
            if pads[k] or pads[k + len(axes)]:
                dims.append(axis % len(first))
                windows.append(Window(1, 1, pads[k]))
        note = "" if mode == "constant" else f"{mode} padding repeats edge values: the field counts it as padding"
        if not dims:
            return replace(base, role="pass", note=note)
        return self._window(replace(base, note=note), windows, dims)

    def _slice(self, node: onnx.NodeProto, base: Node, attrs: dict[str, Any], first: tuple[int, ...]) -> Node:
        starts = _input_ints(node, 1, attrs, "starts", self.ctx)
        axes = _input_ints(node, 3, attrs, "axes", self.ctx) or list(range(len(starts or [])))
        steps = _input_ints(node, 4, attrs, "steps", self.ctx) or [1] * len(axes)
        if starts is None or len(axes) != len(starts) or len(steps) != len(axes):
            note = "slice bounds computed at run time: the field assumes the slice starts at 0 with step 1"
            return replace(base, role="pass", note=note)
        dims, windows = [], []
        for start, axis, step in zip(starts, axes, steps, strict=True):
            size = first[axis]
            begin = max(start + size, 0) if start < 0 else min(start, size)
            if step < 0:
                return replace(base, role="global", note="a reversed slice: counted as global")
            if begin or step != 1:
                dims.append(axis % len(first))
                windows.append(Window(1, step, -begin))
        if not dims:
            return replace(base, role="pass")
        return self._window(base, windows, dims)

    def _reduce(
        self,
        node: onnx.NodeProto,
        base: Node,
        attrs: dict[str, Any],
        first: tuple[int, ...],
        shape: tuple[int, ...],
    ) -> Node:
        op, rank = node.op_type, len(first)
        if op in ("Softmax", "LogSoftmax", "Hardmax"):
            axis = int(attrs.get("axis", -1 if self.ctx.opset >= 13 else 1))
            dims = (axis % rank,) if self.ctx.opset >= 13 else tuple(range(axis % rank, rank))
        elif op in ("ArgMax", "ArgMin", "CumSum", "TopK"):
            dims = (int(attrs.get("axis", 0)) % rank,)
        else:
            axes = _input_ints(node, 1, attrs, "axes", self.ctx)
            dims = tuple(a % rank for a in axes) if axes else _reduced_dims(first, shape, attrs)
        return replace(base, role="mix", dims=dims)

    def _norm(self, node: onnx.NodeProto, base: Node, attrs: dict[str, Any], first: tuple[int, ...]) -> Node:
        rank, op = len(first), node.op_type
        if op == "LayerNormalization":
            dims = tuple(range(int(attrs.get("axis", -1)) % rank, rank))
        elif op == "LpNormalization":
            dims = (int(attrs.get("axis", -1)) % rank,)
        else:
            dims = tuple(range(1 if op == "GroupNormalization" else 2, rank))
        return replace(base, role="mix", dims=dims, params=self.params(node))

    def _product(
        self,
        node: onnx.NodeProto,
        base: Node,
        attrs: dict[str, Any],
        feature: list[int],
        shape: tuple[int, ...],
    ) -> Node:
        op = node.op_type
        shapes_in = [self.ctx.dims.get(t) or self.ctx.weights.get(t) for t in node.input[:2]]
        params = self.params(node)
        if op == "Einsum":
            equation = _text(attrs.get("equation"), "")
            contracted = _contracted(equation, [s for s in shapes_in if s is not None])
            macs = shapes.matmul_macs(shape, contracted)
            ranks = [len(self.ctx.dims[node.input[i]]) for i in feature]
            if len(feature) != len(node.input):
                note = _NO_MACS + "an einsum with a weight is read as a product over its feature maps' letters"
                return replace(base, role="mix", dims=(ranks[0] - 1,), params=params, macs=macs, note=note)
            return replace(base, role="matmul", equation=equation, params=params, macs=macs)
        a = shapes_in[0]
        trans_a = op == "Gemm" and int(attrs.get("transA", 0))
        inner = (a[-2] if trans_a else a[-1]) if a else 0
        macs = shapes.matmul_macs(shape, inner)
        if len(feature) == 2:
            return replace(base, role="matmul", params=params, macs=macs)
        if feature == [1]:
            return replace(base, role="mix", dims=(len(shape) - 2,), params=params, macs=macs)
        return replace(base, role="matmul", params=params, macs=macs)


def _contracted(equation: str, shapes_in: list[tuple[int, ...]]) -> int:
    """The product of the sizes of the letters an einsum sums over (1 when unknown)."""
    left, _, right = equation.replace(" ", "").partition("->")
    sizes: dict[str, int] = {}
    for spec, shape in zip(left.split(","), shapes_in, strict=False):
        letters = spec.replace("...", "")
        offset = len(shape) - len(letters) if "..." in spec else 0
        start = spec.index("...") if "..." in spec else len(letters)
        for i, letter in enumerate(letters):
            sizes[letter] = shape[i + (offset if i >= start else 0)]
    return math.prod(size for letter, size in sizes.items() if letter not in right) if right else 1


def _reduced_dims(first: tuple[int, ...], shape: tuple[int, ...], attrs: dict[str, Any]) -> tuple[int, ...]:
    """The reduced dimensions read from the shapes, when the axes are not in the file (or reduce all). Where
    the sizes do not change (kept dimensions of a map already 1×1), only the dimensions of size 1 can have been."""
    if len(shape) == len(first):
        changed = tuple(i for i, (a, b) in enumerate(zip(first, shape, strict=True)) if a != b)
        return changed or tuple(i for i, size in enumerate(first) if size == 1)
    kept, j = [], 0
    for i, size in enumerate(first):
        if j < len(shape) and shape[j] == size:
            j += 1
        else:
            kept.append(i)
    return tuple(kept) if j == len(shape) and not attrs.get("noop_with_empty_axes") else tuple(range(len(first)))
