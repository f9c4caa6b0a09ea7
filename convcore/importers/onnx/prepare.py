"""An ONNX file made ready for the node loop of :mod:`convcore.importers.onnx.summary`, without running it.

The bytes are decoded and checked (a valid protobuf, a complete graph, names as text, no subgraphs, at most
``MAX_NODES`` nodes, nothing referring to another file), local functions are inlined, the nodes put in
topological order and the image input's size fixed (at most ``MAX_INPUT_DIM`` per axis). Then
:func:`fold_and_infer` alternates constant folding (:mod:`convcore.importers.onnx.fold`) with
``onnx.shape_inference`` until no new value appears.
"""

import heapq
from collections.abc import Sequence

import numpy as np
import onnx
import onnx.inliner
from google.protobuf.message import DecodeError
from onnx import helper, numpy_helper

from convcore.importers.onnx.fold import propagate
from convcore.importers.onnx.nodes import Context
from convcore.importers.onnx.tensors import check_self_contained

MAX_BYTES = 200 * 1024 * 1024
# Swin-B from the TorchScript exporter has 13,920 nodes
MAX_NODES = 20000
MAX_INPUT_DIM = 1 << 16
# rounds of folding and shape inference: the folding pass fixes the shapes of the common operators itself
# (:mod:`convcore.importers.onnx.shapes`), so one round is enough for every torchvision model; a further round fixes
# what only ``onnx.shape_inference`` knows and the values that depend on it
_ROUNDS = 64


def decode(data: bytes) -> onnx.ModelProto:
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


def check_structure(model: onnx.ModelProto, max_nodes: int) -> None:
    check_self_contained(model)
    graph = model.graph
    if len(graph.node) > max_nodes:
        raise ValueError(f"the graph has {len(graph.node)} nodes; the limit is {max_nodes}")
    _check_text(graph)
    for node in graph.node:
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ValueError(f"node {node.name or node.op_type!r} ({node.op_type}) holds a subgraph: not supported")


def inline(model: onnx.ModelProto, max_nodes: int) -> onnx.ModelProto:
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


def put_in_order(model: onnx.ModelProto) -> None:
    """Sort the model's nodes, in place, so that every producer comes before its consumers (a file may list them
    in any order); a cycle is a ``ValueError`` naming its nodes."""
    ordered = _topological(model.graph)
    if ordered != sorted(ordered):
        copies = [onnx.NodeProto.FromString(model.graph.node[i].SerializeToString()) for i in ordered]
        del model.graph.node[:]
        model.graph.node.extend(copies)


def image_input(model: onnx.ModelProto, input_shape: Sequence[int] | None) -> onnx.ValueInfoProto:
    """The image input: the first graph input that is not an initializer.

    Further inputs must have fixed shapes; they are weights kept outside the initializers (an export with
    ``export_params=False`` or ``keep_initializers_as_inputs``) and count as parameters of the nodes using them.
    """
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if not inputs:
        raise ValueError("the model has no input: the summary needs one image input")
    for extra in inputs[1:]:
        found = value_dims(extra)
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


def value_dims(value: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim)


def declared_shapes(graph: onnx.GraphProto) -> dict[str, tuple[int, ...]]:
    """Every fully known shape the graph declares (initializers, inputs, value_info, outputs)."""
    dims: dict[str, tuple[int, ...]] = {t.name: tuple(t.dims) for t in graph.initializer}
    for value in (*graph.input, *graph.value_info, *graph.output):
        found = value_dims(value)
        if found is not None and min(found, default=0) >= 0:
            dims.setdefault(value.name, found)
    return dims


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


def fold_and_infer(model: onnx.ModelProto, values: dict[str, np.ndarray]) -> tuple[onnx.ModelProto, Context]:
    """Fold constants and fix shapes in one pass, infer shapes, fold what the inferred shapes fix, until stable."""
    propagate(model.graph.node, values, declared_shapes(model.graph))
    inferred, complaint = model, ""
    tensors: dict[str, onnx.TensorProto] = {}
    for _ in range(_ROUNDS):
        before = len(values)
        inferred, complaint = _infer(_without_folded(model, values, tensors))
        dims = declared_shapes(inferred.graph)
        propagate(inferred.graph.node, values, dict(dims))
        if len(values) == before:
            break
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=1)
    return inferred, Context(dims, values, {}, opset, complaint)
