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

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import onnx
from onnx import helper

from convcore.importers.onnx.attention import Survey, position_table, survey
from convcore.importers.onnx.constants import Feed
from convcore.importers.onnx.nodes import SHAPE_ONLY, Builder, Context, uncounted
from convcore.importers.onnx.prepare import (
    MAX_BYTES,
    MAX_NODES,
    check_structure,
    decode,
    fold_and_infer,
    image_input,
    inline,
    put_in_order,
)
from convcore.importers.onnx.rewrites import (
    drop_folded_constants,
    metadata,
    module_scope,
    restored,
    signature_parameters,
)
from convcore.importers.onnx.weights import (
    absent_weights,
    declared_weights,
    small_constants,
    strip_weights,
    unsized,
    unsized_note,
)
from convcore.networks.graph import GraphReport, Node, analyze

# every count in the table stays exact as a JavaScript number (and far inside a 64-bit integer)
MAX_COUNT = 2**53 - 1


def summarize_model(
    model: onnx.ModelProto, *, max_nodes: int = MAX_NODES, input_shape: Sequence[int] | None = None
) -> GraphReport:
    """The per-node table of a decoded model; ``input_shape`` ``(C, H, W)`` fixes a symbolic input size."""
    check_structure(model, max_nodes)
    model = inline(model, max_nodes)
    put_in_order(model)
    image = image_input(model, input_shape).name
    parameters = signature_parameters(model.graph)
    drop_folded_constants(model.graph, parameters)
    weights = declared_weights(model, image)
    values = small_constants(model.graph)
    strip_weights(model)
    missing, notes = absent_weights(model.graph, parameters)
    model.graph.input.extend(
        helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, list(shape)) for name, shape in missing.items()
    )
    inferred, ctx = fold_and_infer(model, values)
    ctx.weights = {**weights, **missing}
    ctx.unsized = unsized(model.graph, ctx.weights, parameters)
    report = analyze(_nodes(inferred.graph, image, ctx, parameters, notes, survey(model.graph)))
    _check_counts(report)
    return report


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
    feed = Feed(ctx, inferred)
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
        notes.append(unsized_note(sorted({*read, *indirect} & ctx.unsized)))
        notes += [inferred[w] for w in dict.fromkeys([*read, *indirect]) if w in inferred]
        nodes.append(replace(built, params=params, macs=built.macs + macs, note="; ".join(n for n in notes if n)))
        producer[node.output[0]] = name
        for k, out in enumerate(node.output[1:], start=1):
            if out and out in ctx.dims:
                extra = f"{name}:{k}"
                nodes.append(Node(extra, node.op_type, "pass", (name,), ctx.dims[out][1:], shape=ctx.dims[out]))
                producer[out] = extra
    return nodes


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


def module_path(node_name: str) -> str:
    """``/layer1/layer1.0/conv1/Conv`` → ``layer1.0.conv1``: the torch module path the exporter's scopes spell."""
    parts: list[str] = []
    for segment in node_name.strip("/").split("/")[:-1]:
        if parts and segment.startswith(parts[-1] + "."):
            parts[-1] = segment
        else:
            parts.append(segment)
    return ".".join(parts)


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
    return summarize_model(decode(data), max_nodes=max_nodes, input_shape=input_shape)
