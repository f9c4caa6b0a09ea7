"""An ONNX file's per-node table — shapes, parameters, MACs, receptive fields — without running it.

The file is decoded with the ``onnx`` package; nothing in it is executed. The first check on every model is
:func:`convcore.importers.onnx.tensors.check_self_contained` (no tensor may refer to another file). Then constant
subgraphs are folded (:mod:`convcore.importers.onnx.fold`: computed pads, shape arithmetic, Reshape targets), shapes
come from the file's own declarations and ``onnx.shape_inference``, and each node on feature maps becomes a
graph node (:mod:`convcore.importers.onnx.nodes`). Weights may be absent — ``export_params=False`` from either
exporter — their sizes are then read from declared shapes or from the nodes that use them, or inferred with a
note (:mod:`convcore.importers.onnx.inferred`). Files that are not what they claim are a ``ValueError`` naming the
problem: bytes that are not an ONNX protobuf, a truncated file, a graph with a cycle, too many nodes,
external data.
"""

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import onnx
import onnx.inliner
from google.protobuf.message import DecodeError
from onnx import helper, numpy_helper

from convcore.importers.onnx.attention import Survey, position_table, survey
from convcore.importers.onnx.constants import Feed
from convcore.importers.onnx.fold import propagate
from convcore.importers.onnx.inferred import inferred_shapes, left_out
from convcore.importers.onnx.nodes import SHAPE_ONLY, Builder, Context, attrs_of, uncounted
from convcore.importers.onnx.rewrites import linear_bias, metadata, module_scope, restored, signature_parameters
from convcore.importers.onnx.tensors import FLOATS, check_self_contained, to_array
from convcore.networks.graph import GraphReport, Node, analyze

MAX_BYTES = 200 * 1024 * 1024
# Swin-B from the TorchScript exporter has 13,920 nodes
MAX_NODES = 20000
# every count in the table stays exact as a JavaScript number (and far inside a 64-bit integer)
MAX_COUNT = 2**53 - 1
MAX_INPUT_DIM = 1 << 16
# initializers up to this many elements are decoded for folding (shapes, pads, scales, axes)
_SMALL_TENSOR = 1 << 12
# rounds of folding and shape inference: the folding pass fixes the shapes of the common operators itself
# (:mod:`convcore.importers.onnx.shapes`), so one round is enough for every torchvision model; a further round fixes
# what only ``onnx.shape_inference`` knows and the values that depend on it
_ROUNDS = 64
# integer initializers are shapes, pads, axes, indices; floating-point ones are weights (never read)
_DECODED = frozenset({onnx.TensorProto.INT64, onnx.TensorProto.INT32})


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
    for node in graph.node:
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ValueError(f"node {node.name or node.op_type!r} ({node.op_type}) holds a subgraph: not supported")


def _inline(model: onnx.ModelProto, max_nodes: int) -> onnx.ModelProto:
    """The model with its own functions expanded in place (exporters may write modules as functions)."""
    if not model.functions:
        return model
    inlined = onnx.inliner.inline_local_functions(model)
    if len(inlined.graph.node) > max_nodes:
        raise ValueError(f"the graph has {len(inlined.graph.node)} nodes with its functions; the limit is {max_nodes}")
    return inlined


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
        if found is None or min(found, default=1) < 1:
            raise ValueError(
                f"the model has a second input {extra.name!r} without a fixed shape; the summary needs exactly one "
                f"image input (other inputs must be weights of fixed shape)"
            )
    image = inputs[0]
    dims = image.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"the input {image.name!r} has rank {len(dims)}; the summary needs an NCHW image input")
    dims[0].dim_value = 1
    if input_shape is not None:
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


def _declared(graph: onnx.GraphProto) -> dict[str, tuple[int, ...]]:
    """Every fully known shape the graph declares (initializers, inputs, value_info, outputs)."""
    dims: dict[str, tuple[int, ...]] = {t.name: tuple(t.dims) for t in graph.initializer}
    for value in (*graph.input, *graph.value_info, *graph.output):
        found = _dims(value)
        if found is not None and min(found, default=0) >= 0:
            dims.setdefault(value.name, found)
    return dims


def _weights(model: onnx.ModelProto, image: str) -> dict[str, tuple[int, ...]]:
    """Parameters by name and shape: floating-point initializers and the other inputs (more than one value)."""
    graph = model.graph
    found = {t.name: tuple(t.dims) for t in graph.initializer if t.data_type in FLOATS and math.prod(t.dims) > 1}
    for value in graph.input:
        shape = _dims(value)
        floating = value.type.tensor_type.elem_type in FLOATS
        if value.name != image and shape is not None and floating and math.prod(shape) > 1:
            found.setdefault(value.name, shape)
    return found


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """The values of the small integer initializers the summary may need (shapes, pads, axes, indices)."""
    return {
        t.name: to_array(t)
        for t in graph.initializer
        if t.data_type in _DECODED and math.prod(t.dims) <= _SMALL_TENSOR and not t.external_data
    }


def _strip_weights(model: onnx.ModelProto) -> None:
    """Replace the large initializers by typed graph inputs of the same shape, in place.

    Shape inference only needs their shapes, and it copies the whole model (twice) on the way: without the
    weight bytes a 100 MB file is inferred in milliseconds.
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


def _missing_weights(
    graph: onnx.GraphProto, dims: dict[str, tuple[int, ...]], absent: set[str]
) -> dict[str, tuple[int, ...]]:
    """Shapes of the weights in ``absent``, which the file leaves out entirely (the dynamo exporter's
    ``export_params=False``).

    Read from the node that uses them: a convolution's output channels and kernel, a linear layer's input and
    output features, a normalisation's channels.
    """
    found: dict[str, tuple[int, ...]] = {}
    for node in graph.node:
        missing = [i for i, name in enumerate(node.input) if name in absent]
        if not missing or not node.output:
            continue
        x, y = dims.get(node.input[0]), dims.get(node.output[0])
        if x is None or y is None:
            continue
        shapes = _weight_shapes(node, x, y)
        for i in missing:
            if i in shapes:
                found[node.input[i]] = shapes[i]
    return found


def _weight_shapes(node: onnx.NodeProto, x: tuple[int, ...], y: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    op, attrs = node.op_type, attrs_of(node)
    if op == "Conv" and len(y) > 2 and "kernel_shape" in attrs:
        groups = int(attrs.get("group", 1))
        kernel = tuple(int(k) for k in attrs["kernel_shape"])
        return {1: (y[1], x[1] // groups, *kernel), 2: (y[1],)}
    if op == "Gemm":
        inner = x[0] if int(attrs.get("transA", 0)) else x[-1]
        return {1: (y[-1], inner) if int(attrs.get("transB", 0)) else (inner, y[-1]), 2: (y[-1],)}
    if op == "MatMul":
        return {1: (x[-1], y[-1])}
    if op == "LayerNormalization":
        axis = int(attrs.get("axis", -1)) % len(x)
        return {1: x[axis:], 2: x[axis:]}
    if op in ("BatchNormalization", "InstanceNormalization") and len(x) > 1:
        return {i: (x[1],) for i in (1, 2, 3, 4)}
    return linear_bias(node, y)


def module_path(node_name: str) -> str:
    """``/layer1/layer1.0/conv1/Conv`` → ``layer1.0.conv1``: the torch module path the exporter's scopes spell."""
    parts: list[str] = []
    for segment in node_name.strip("/").split("/")[:-1]:
        if parts and segment.startswith(parts[-1] + "."):
            parts[-1] = segment
        else:
            parts.append(segment)
    return ".".join(parts)


_NUMPY_TYPES = {
    np.dtype(np.float32): onnx.TensorProto.FLOAT,
    np.dtype(np.float64): onnx.TensorProto.DOUBLE,
    np.dtype(np.int64): onnx.TensorProto.INT64,
    np.dtype(np.int32): onnx.TensorProto.INT32,
    np.dtype(np.bool_): onnx.TensorProto.BOOL,
}


def _without_folded(
    model: onnx.ModelProto, values: dict[str, np.ndarray], tensors: dict[str, onnx.TensorProto]
) -> onnx.ModelProto:
    """A copy without the folded nodes; the folded values the remaining nodes read become initializers
    (``tensors`` keeps each one made, for the next round)."""
    graph = model.graph
    kept = [n for n in graph.node if not all(o in values for o in n.output if o)]
    have = {t.name for t in graph.initializer} | {i.name for i in graph.input}
    needed = {t for n in kept for t in n.input if t in values and t not in have}
    new = helper.make_graph(
        kept,
        graph.name,
        list(graph.input),
        list(graph.output),
        [*graph.initializer, *(_tensor(name, values[name], tensors) for name in sorted(needed))],
        value_info=list(graph.value_info),
    )
    return helper.make_model(new, opset_imports=list(model.opset_import), ir_version=model.ir_version)


def _tensor(name: str, value: np.ndarray, tensors: dict[str, onnx.TensorProto]) -> onnx.TensorProto:
    if name not in tensors:
        kind = _NUMPY_TYPES.get(
            value.dtype, onnx.TensorProto.INT64 if value.dtype.kind in "iu" else onnx.TensorProto.FLOAT
        )
        tensors[name] = numpy_helper.from_array(value.astype(helper.tensor_dtype_to_np_dtype(kind)), name)
    return tensors[name]


def _infer(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    """The model with inferred shapes, and strict inference's complaint if it had one.

    Strict inference names a broken node; an operator it does not know (another domain) stops it, so then the
    lenient pass runs and the complaint is kept for a node whose shape stays unknown.
    """
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True), ""
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as exc:
        complaint = str(exc).strip().splitlines()[-1]
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True), complaint
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as exc:
        raise ValueError(f"ONNX shape inference failed: {complaint}") from exc


def _fold_and_infer(model: onnx.ModelProto, values: dict[str, np.ndarray]) -> tuple[onnx.ModelProto, Context]:
    """Fold constants and fix shapes in one pass, infer shapes, fold what the inferred shapes fix, until stable."""
    propagate(model.graph.node, values, _declared(model.graph))
    inferred, complaint = model, ""
    tensors: dict[str, onnx.TensorProto] = {}
    for _ in range(_ROUNDS):
        before = len(values)
        inferred, complaint = _infer(_without_folded(model, values, tensors))
        dims = _declared(inferred.graph)
        propagate(inferred.graph.node, values, dict(dims))
        if len(values) == before:
            break
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=1)
    return inferred, Context(dims, values, {}, opset, complaint)


def _order(model: onnx.ModelProto, ordered: list[int]) -> None:
    if ordered != sorted(ordered):
        copies = [onnx.NodeProto.FromString(model.graph.node[i].SerializeToString()) for i in ordered]
        del model.graph.node[:]
        model.graph.node.extend(copies)


def summarize_model(
    model: onnx.ModelProto, *, max_nodes: int = MAX_NODES, input_shape: Sequence[int] | None = None
) -> GraphReport:
    """The per-node table of a decoded model; ``input_shape`` ``(C, H, W)`` fixes a symbolic input size."""
    _check_structure(model, max_nodes)
    model = _inline(model, max_nodes)
    _order(model, _topological(model.graph))
    image = _input(model, input_shape).name
    weights = _weights(model, image)
    values = _constants(model.graph)
    _strip_weights(model)
    parameters = signature_parameters(model.graph)
    missing, notes = _absent_weights(model.graph, parameters)
    model.graph.input.extend(
        helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, list(shape)) for name, shape in missing.items()
    )
    inferred, ctx = _fold_and_infer(model, values)
    ctx.weights = {**weights, **missing}
    ctx.unsized = _unsized(model.graph, ctx.weights, parameters)
    report = analyze(_nodes(inferred.graph, image, ctx, parameters, notes, survey(model.graph)))
    _check_counts(report)
    return report


def _absent_weights(
    graph: onnx.GraphProto, parameters: frozenset[str]
) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """The shapes of the weights the file leaves out, read from the nodes that use them or inferred
    (:mod:`convcore.importers.onnx.inferred`), and the note on each inferred one."""
    declared = _declared(graph)
    absent = left_out(graph, {*declared, *(i.name for i in graph.input)})
    missing = _missing_weights(graph, declared, absent)
    guessed = inferred_shapes(graph, declared, absent - missing.keys(), parameters)
    missing.update((name, shape) for name, (shape, _) in guessed.items())
    return missing, {name: note for name, (_, note) in guessed.items()}


def _unsized(graph: onnx.GraphProto, weights: dict[str, tuple[int, ...]], parameters: frozenset[str]) -> frozenset[str]:
    """Parameters the graph reads (by the exporter's signature) that the file holds no shape of, nor any use
    fixes or suggests (:mod:`convcore.importers.onnx.inferred`)."""
    return frozenset(t for n in graph.node for t in n.input if t in parameters and t not in weights)


def _nodes(
    graph: onnx.GraphProto,
    image: str,
    ctx: Context,
    parameters: frozenset[str],
    inferred: Mapping[str, str],
    folded: Survey,
) -> list[Node]:
    """The graph nodes of every ONNX node that reads a feature map, in order (``parameters``: the signature's;
    ``inferred``: the note on each weight whose shape was inferred; ``folded``: what the file as written, before
    folding, says about the constants the exporter folded)."""
    builder = Builder(ctx)
    shape = ctx.dims[image]
    nodes = [Node("input", "input", "input", (), shape[1:], target=image, shape=shape)]
    producer: dict[str, str] = {image: "input"}
    feed = Feed(ctx)
    used: set[str] = {"input"}
    for i, node in enumerate(graph.node):
        feature = [k for k, t in enumerate(node.input) if t in producer]
        if not feature or node.op_type in SHAPE_ONLY or all(o in ctx.values for o in node.output if o):
            # constants and shapes; the weights they read count where their result meets a feature map
            feed.constant(node, node.name or f"{node.op_type}_{i}")
            continue
        name = node.name or f"{node.op_type}_{i}"
        while name in used:
            name = f"{name}_{i}"
        used.add(name)
        built = _build(builder, node, name, feature, producer, ctx)
        skip = uncounted(node)
        read = [t for k, t in enumerate(node.input) if k not in skip]
        indirect = feed.weights(read)
        macs, constants = feed.arriving(read)
        rewrite = restored(node, ctx.dims[node.output[0]], parameters)
        table = position_table(node, feature, ctx, folded, producer)
        params = built.params + rewrite.params + table.params - table.replaces
        params += sum(math.prod(ctx.weights[w]) for w in indirect if w in ctx.weights)
        notes = [built.note, rewrite.note, table.note, constants]
        notes.append(_unsized_note(sorted({*read, *indirect} & ctx.unsized)))
        notes += [inferred[w] for w in dict.fromkeys([*read, *indirect]) if w in inferred]
        nodes.append(replace(built, params=params, macs=built.macs + macs, note="; ".join(n for n in notes if n)))
        producer[node.output[0]] = name
        for k, out in enumerate(node.output[1:], start=1):
            if out and out in ctx.dims:
                extra = f"{name}:{k}"
                nodes.append(Node(extra, node.op_type, "pass", (name,), ctx.dims[out][1:], shape=ctx.dims[out]))
                producer[out] = extra
    return nodes


def _unsized_note(names: list[str]) -> str:
    if not names:
        return ""
    return (
        f"parameters {', '.join(names)} are not in the file (exported without weights) and nothing in it fixes "
        f"or suggests their shape: not counted"
    )


def _build(
    builder: Builder, node: onnx.NodeProto, name: str, feature: list[int], producer: dict[str, str], ctx: Context
) -> Node:
    out = ctx.dims.get(node.output[0])
    if out is None or any(d < 0 for d in out):
        if ctx.complaint:
            raise ValueError(f"ONNX shape inference failed: {ctx.complaint}")
        raise ValueError(
            f"shape inference could not find the output shape of node {name!r} ({node.op_type}): export with a "
            f"fixed input size"
        )
    inputs = tuple(dict.fromkeys(producer[node.input[k]] for k in feature))
    try:
        built = builder.build(node, name, inputs, feature)
    except (KeyError, IndexError, TypeError) as exc:
        # a node without the inputs or attributes its operator needs (a hand-made or damaged file)
        raise ValueError(f"node {name!r} ({node.op_type}) is malformed: missing or invalid {exc}") from exc
    target = module_path(node.name) or module_scope(metadata(node))
    return replace(built, target=target or name)


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
    convolutions and matrix products, as :mod:`convcore.networks.layers` does. Shapes omit the batch axis.
    """
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data)} bytes; the limit is {max_bytes} bytes")
    return summarize_model(_decode(data), max_nodes=max_nodes, input_shape=input_shape)
