"""An ONNX file's per-node table — shapes, parameters, MACs, receptive fields — without running it.

The file is decoded with the ``onnx`` package and its shapes come from ``onnx.shape_inference``; nothing in
the file is executed. Files that are not what they claim are a ``ValueError`` naming the problem: bytes
that are not an ONNX protobuf, a truncated file, a graph with a cycle, too many nodes, weights stored in
external files, operators the receptive-field arithmetic does not know.
"""

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import helper

from convcore import shapes
from convcore.graph import GraphReport, Node, Role, analyze
from convcore.layers import Window
from convcore.onnx_tensors import check_self_contained, to_array

MAX_BYTES = 200 * 1024 * 1024
MAX_NODES = 5000
# every count in the table stays exact as a JavaScript number (and far inside a 64-bit integer)
MAX_COUNT = 2**53 - 1
MAX_INPUT_DIM = 1 << 16
# initializers up to this many elements are kept for shape inference (shapes, pads, scales)
_SMALL_TENSOR = 64

_PASS = frozenset(
    {
        "Relu",
        "LeakyRelu",
        "PRelu",
        "Sigmoid",
        "HardSigmoid",
        "HardSwish",
        "Tanh",
        "Clip",
        "Elu",
        "Selu",
        "Celu",
        "Gelu",
        "Mish",
        "Softplus",
        "Softsign",
        "Softmax",
        "LogSoftmax",
        "Erf",
        "Abs",
        "Neg",
        "Exp",
        "Log",
        "Sqrt",
        "Reciprocal",
        "Pow",
        "Cast",
        "Dropout",
        "Identity",
        "BatchNormalization",
        "InstanceNormalization",
    }
)
_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Mean"})
_RESHAPE = frozenset({"Flatten", "Reshape", "Squeeze", "Unsqueeze"})
_UPSAMPLE = frozenset({"Resize", "Upsample", "DepthToSpace"})
_POOL = frozenset({"MaxPool", "AveragePool", "LpPool"})
_GLOBAL_POOL = frozenset({"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"})
_LINEAR = frozenset({"Gemm", "MatMul"})
# computed on shapes only, never on feature maps; a graph may carry them next to a reshape
_SHAPE_ONLY = frozenset({"Shape", "Size", "Constant", "ConstantOfShape"})
SUPPORTED = (
    _PASS
    | _ELEMENTWISE
    | _RESHAPE
    | _UPSAMPLE
    | _POOL
    | _GLOBAL_POOL
    | _LINEAR
    | _SHAPE_ONLY
    | {"Conv", "ConvTranspose", "Concat", "Pad", "Gather", "Slice"}
)


@dataclass(frozen=True)
class _Context:
    dims: dict[str, tuple[int, ...]]
    constants: dict[str, np.ndarray]


def _decode(data: bytes) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ValueError(f"the file is not a valid ONNX model (its protobuf cannot be decoded: {exc})") from exc
    if not model.HasField("graph") or not model.graph.node or not model.graph.input:
        raise ValueError(
            "the file is not a complete ONNX model (no graph, nodes or inputs): it may be truncated or not ONNX"
        )
    return model


def _check_text(graph: onnx.GraphProto) -> None:
    """Names must be text: a damaged file's invalid UTF-8 reaches Python as bytes."""
    names: list[object] = []
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output]
    for value in (*graph.input, *graph.output, *graph.value_info, *graph.initializer):
        names.append(value.name)
    if any(not isinstance(name, str) for name in names):
        raise ValueError("the file is not a valid ONNX model: some names are not valid UTF-8 text (damaged file?)")


def _check_structure(model: onnx.ModelProto, max_nodes: int) -> None:
    check_self_contained(model)
    graph = model.graph
    if len(graph.node) > max_nodes:
        raise ValueError(f"the graph has {len(graph.node)} nodes; the limit is {max_nodes}")
    _check_text(graph)
    if model.functions:
        names = ", ".join(sorted({f.name for f in model.functions}))
        raise ValueError(f"the model defines its own functions ({names}), which the summary does not support")
    for node in graph.node:
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ValueError(f"node {node.name or node.op_type!r} ({node.op_type}) holds a subgraph: not supported")
    unsupported = sorted(
        {
            f"{n.domain}::{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
            for n in graph.node
            if n.domain not in ("", "ai.onnx") or n.op_type not in SUPPORTED
        }
    )
    if unsupported:
        raise ValueError(f"unsupported operators: {', '.join(unsupported)}")


def _topological(graph: onnx.GraphProto) -> list[int]:
    """Node indices in an order where every producer comes first; a cycle is a ``ValueError`` naming its nodes."""
    producer: dict[str, int] = {}
    for i, node in enumerate(graph.node):
        for out in node.output:
            if out in producer:
                raise ValueError(f"tensor {out!r} is produced by two nodes: the graph is not valid ONNX")
            producer[out] = i
    waiting = [len({producer[t] for t in node.input if t in producer}) for node in graph.node]
    consumers: dict[int, set[int]] = {}
    for i, node in enumerate(graph.node):
        for t in node.input:
            if t in producer:
                consumers.setdefault(producer[t], set()).add(i)
    # a heap keeps the file's own order whenever that order is already topological
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in consumers.get(i, ()):
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(graph.node):
        stuck = [graph.node[i].name or graph.node[i].op_type for i, w in enumerate(waiting) if w > 0]
        raise ValueError(f"the graph has a cycle through nodes {', '.join(stuck[:5])}: ONNX graphs must be acyclic")
    return order


def _input(model: onnx.ModelProto, input_shape: Sequence[int] | None) -> onnx.ValueInfoProto:
    """The image input: the first graph input that is not an initializer.

    Further inputs must have fixed shapes; they are weights kept outside the initializers (an export with
    ``export_params=False`` or ``keep_initializers_as_inputs``) and count as parameters of the nodes using them.
    """
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if not inputs:
        raise ValueError("the model has no input: the summary needs one image input")
    for extra in inputs[1:]:
        found = _dims(extra)
        if found is None or min(found, default=0) < 1:
            raise ValueError(
                f"the model has a second input {extra.name!r} without a fixed shape; the summary needs exactly one "
                f"image input (other inputs must be weights of fixed shape)"
            )
    image = inputs[0]
    dims = image.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"the input {image.name!r} has rank {len(dims)}; the summary needs an NCHW image input")
    if input_shape is not None:
        dims[0].dim_value = 1
        for dim, value in zip(dims[1:], input_shape, strict=True):
            dim.dim_value = int(value)
    for dim, axis in zip(dims[1:], ("channels", "height", "width"), strict=True):
        if not dim.HasField("dim_value") or dim.dim_value < 1:
            raise ValueError(
                f"the input {image.name!r} has no fixed {axis}; export with a fixed input size or give one"
            )
        if dim.dim_value > MAX_INPUT_DIM:
            raise ValueError(
                f"the input {image.name!r} has {axis} {dim.dim_value}; the summary takes at most {MAX_INPUT_DIM}: "
                f"give a smaller input size"
            )
    return image


def _dims(value: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim)


def _context(model: onnx.ModelProto) -> _Context:
    graph = model.graph
    dims: dict[str, tuple[int, ...]] = {t.name: tuple(t.dims) for t in graph.initializer}
    for value in (*graph.input, *graph.value_info, *graph.output):
        found = _dims(value)
        if found is not None:
            dims.setdefault(value.name, found)
    constants = {t.name: to_array(t) for t in graph.initializer if t.data_type == onnx.TensorProto.INT64}
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                tensor = attr.name == "value" and attr.type == onnx.AttributeProto.TENSOR
                if tensor and attr.t.data_type == onnx.TensorProto.INT64:
                    constants[node.output[0]] = to_array(attr.t)
    return _Context(dims, constants)


def _attrs(node: onnx.NodeProto) -> dict[str, object]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _numel(ctx: _Context, name: str) -> int:
    shape = ctx.dims.get(name)
    if not name or shape is None:
        return 0
    return math.prod(shape)


def _windows(
    node: onnx.NodeProto, attrs: dict[str, object], kernel: Sequence[int], in_size: tuple[int, int]
) -> tuple[Window, Window]:
    strides = list(attrs.get("strides", [1, 1]))  # type: ignore[call-overload]
    dilations = list(attrs.get("dilations", [1, 1]))  # type: ignore[call-overload]
    pads = list(attrs.get("pads", [0, 0, 0, 0]))  # type: ignore[call-overload]
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
    windows = []
    for axis in (0, 1):
        span = shapes.effective_kernel_size(int(kernel[axis]), int(dilations[axis]))
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out = -(-in_size[axis] // strides[axis])
            total = max((out - 1) * strides[axis] + span - in_size[axis], 0)
            left = total // 2 if auto == "SAME_UPPER" else total - total // 2
        elif auto == "VALID":
            left = 0
        else:
            left = int(pads[axis])
        windows.append(Window(span, int(strides[axis]), left))
    return (windows[0], windows[1])


def _pad_windows(node: onnx.NodeProto, attrs: dict[str, object], ctx: _Context, rank: int) -> tuple[Window, Window]:
    if len(node.input) > 1 and node.input[1]:
        if node.input[1] not in ctx.constants:
            raise ValueError(f"node {node.name!r} (Pad) takes its pads from a computed tensor: give them as a constant")
        pads = [int(v) for v in ctx.constants[node.input[1]].reshape(-1)]
    else:
        pads = list(attrs.get("pads", []))  # type: ignore[call-overload]
    if len(pads) != 2 * rank or rank != 4:
        raise ValueError(f"node {node.name!r} (Pad) must pad a 4-D NCHW tensor with 8 pad values, got {pads}")
    if min(pads) < 0:
        raise ValueError(f"node {node.name!r} (Pad) crops (negative pads {pads}), which the summary does not support")
    return (Window(1, 1, pads[2]), Window(1, 1, pads[3]))


def module_path(node_name: str) -> str:
    """``/layer1/layer1.0/conv1/Conv`` → ``layer1.0.conv1``: the torch module path the exporter's scopes spell."""
    parts: list[str] = []
    for segment in node_name.strip("/").split("/")[:-1]:
        if parts and segment.startswith(parts[-1] + "."):
            parts[-1] = segment
        else:
            parts.append(segment)
    return ".".join(parts)


def _build(node: onnx.NodeProto, name: str, inputs: tuple[str, ...], ctx: _Context) -> Node:
    op = node.op_type
    out = ctx.dims.get(node.output[0])
    if out is None or any(d < 0 for d in out[1:]):
        raise ValueError(f"shape inference could not find the output shape of node {name!r} ({op})")
    first = ctx.dims[node.input[0]]
    output = out[1:]
    in_size = (first[-2], first[-1]) if len(first) == 4 else (1, 1)
    attrs = _attrs(node)
    target = module_path(node.name) or name
    role: Role
    if op in _PASS:
        # batch/instance norm: scale and bias (the running statistics are buffers); PReLU: its slopes
        weighted = op in ("BatchNormalization", "InstanceNormalization", "PRelu")
        params = sum(_numel(ctx, t) for t in node.input[1:3]) if weighted else 0
        return Node(name, op, "pass", inputs, output, None, params, 0, target)
    if op in _ELEMENTWISE or op == "Concat":
        role = "merge" if len(inputs) > 1 else "pass"
        return Node(name, op, role, inputs, output, None, 0, 0, target)
    if op == "Conv":
        weight = ctx.dims[node.input[1]]
        groups = int(attrs.get("group", 1))  # type: ignore[call-overload]
        if len(weight) != 4 or len(first) != 4 or weight[1] * groups != first[1]:
            raise ValueError(
                f"node {name!r} (Conv): its weight expects {weight[1] * groups if len(weight) == 4 else '?'} input "
                f"channels, the input has {first[1] if len(first) == 4 else '?'}"
            )
        kernel = attrs.get("kernel_shape", weight[2:])
        windows = _windows(node, attrs, kernel, in_size)  # type: ignore[arg-type]
        params = sum(_numel(ctx, t) for t in node.input[1:3])
        macs = output[-2] * output[-1] * _numel(ctx, node.input[1])
        return Node(name, "Conv", "window", inputs, output, windows, params, macs, target)
    if op == "ConvTranspose":
        params = sum(_numel(ctx, t) for t in node.input[1:3])
        macs = in_size[0] * in_size[1] * _numel(ctx, node.input[1])
        note = "transposed convolution upsamples: no receptive field from here on"
        return Node(name, op, "opaque", inputs, output, None, params, macs, target, note)
    if op in _POOL:
        windows = _windows(node, attrs, attrs["kernel_shape"], in_size)  # type: ignore[arg-type]
        return Node(name, op, "window", inputs, output, windows, 0, 0, target)
    if op in _GLOBAL_POOL:
        return Node(name, op, "mix", inputs, output, None, 0, 0, target, dims=(2, 3))
    if op == "Pad":
        return Node(name, op, "window", inputs, output, _pad_windows(node, attrs, ctx, len(first)), 0, 0, target)
    if op in _RESHAPE:
        return Node(name, op, "reshape", inputs, output, None, 0, 0, target)
    if op in _LINEAR:
        weight = node.input[1]
        params = _numel(ctx, weight) + (_numel(ctx, node.input[2]) if len(node.input) > 2 else 0)
        macs = math.prod(output[:-1]) * _numel(ctx, weight)
        return Node(name, op, "matmul", inputs, output, None, params, macs, target)
    if op in _UPSAMPLE:
        return Node(name, op, "opaque", inputs, output, None, 0, 0, target, "upsampling: no receptive field beyond")
    raise ValueError(f"operator {op} at node {name!r} is not supported on feature maps")


def _weights_as_inputs(model: onnx.ModelProto) -> None:
    """Replace the weight initializers by typed graph inputs of the same shape, in place.

    Shape inference only needs their shapes, and it copies the whole model (twice) on the way: without the
    weight bytes a 100 MB file is inferred in milliseconds. Small initializers stay: they may be reshape
    targets, pads or resize scales whose values shape inference reads.
    """
    graph = model.graph
    small = [t for t in graph.initializer if math.prod(t.dims) <= _SMALL_TENSOR]
    declared = {i.name for i in graph.input} | {t.name for t in small}
    graph.input.extend(
        helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
        for t in graph.initializer
        if t.name not in declared
    )
    del graph.initializer[:]
    graph.initializer.extend(small)


def summarize_model(
    model: onnx.ModelProto, *, max_nodes: int = MAX_NODES, input_shape: Sequence[int] | None = None
) -> GraphReport:
    """The per-node table of a decoded model; ``input_shape`` ``(C, H, W)`` fixes a symbolic input size."""
    _check_structure(model, max_nodes)
    ordered = _topological(model.graph)
    graph_input = _input(model, input_shape)
    _weights_as_inputs(model)
    if ordered != sorted(ordered):
        copies = [onnx.NodeProto.FromString(model.graph.node[i].SerializeToString()) for i in ordered]
        del model.graph.node[:]
        model.graph.node.extend(copies)
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as exc:
        raise ValueError(f"ONNX shape inference failed: {str(exc).strip().splitlines()[-1]}") from exc
    ctx = _context(inferred)
    nodes = [Node("input", "input", "input", (), ctx.dims[graph_input.name][1:], target=graph_input.name)]
    producer: dict[str, str] = {graph_input.name: "input"}
    used: set[str] = {"input"}
    for i, node in enumerate(inferred.graph.node):
        inputs = tuple(dict.fromkeys(producer[t] for t in node.input if t in producer))
        if not inputs or node.op_type in _SHAPE_ONLY:
            continue
        name = node.name or f"{node.op_type}_{i}"
        while name in used:
            name = f"{name}_{i}"
        used.add(name)
        try:
            nodes.append(_build(node, name, inputs, ctx))
        except (KeyError, IndexError, TypeError) as exc:
            # a node without the inputs or attributes its operator needs (a hand-made or damaged file)
            raise ValueError(f"node {name!r} ({node.op_type}) is malformed: missing or invalid {exc}") from exc
        producer[node.output[0]] = name
    report = analyze(nodes)
    _check_counts(report)
    return report


def _check_counts(report: GraphReport) -> None:
    """Refuse a model whose sizes, counts or fields are too large to state exactly (a hostile or broken file)."""
    for entry in report.nodes:
        node = entry.node
        counts = [math.prod(node.output), node.params, node.macs]
        if entry.field is not None:
            counts += [value for axis in entry.field for value in (axis.size, axis.stride, axis.padding)]
        if max(counts) > MAX_COUNT:
            raise ValueError(
                f"node {node.name!r} ({node.op}) has an output of shape {list(node.output)} with {node.macs} "
                f"multiply-adds: past {MAX_COUNT}, too large for any real model; check its pads and input size"
            )
    if max(report.total_params, report.total_macs) > MAX_COUNT:
        raise ValueError(f"the model's totals exceed {MAX_COUNT}: too large for any real model")


def summarize_onnx(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
    input_shape: Sequence[int] | None = None,
) -> GraphReport:
    """Per node of the ONNX model in ``data``: output shape, params, MACs, r/S/P, merge alignment.

    Parameters count the node's weight and bias initializers (batch norm: scale and bias). MACs count
    convolutions and matrix products, as :mod:`convcore.layers` does. Shapes omit the batch axis.
    """
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data)} bytes; the limit is {max_bytes} bytes")
    return summarize_model(_decode(data), max_nodes=max_nodes, input_shape=input_shape)
