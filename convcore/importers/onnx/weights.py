"""The weights of an ONNX file, by name and shape, whether the file holds them or leaves them out.

Floating-point initializers and the extra graph inputs are weights (never read, only their shapes); the small
integer initializers are decoded for folding (shapes, pads, axes). Before shape inference the large initializers
are replaced by typed inputs (:func:`strip_weights`). Weights an export without parameters leaves out have their
shapes read from the nodes that use them or inferred with a note (:mod:`convcore.importers.onnx.inferred`); the
rest are :func:`unsized` and not counted.
"""

import math

import numpy as np
import onnx
from onnx import helper

from convcore.importers.onnx.inferred import inferred_shapes, left_out
from convcore.importers.onnx.nodes import attrs_of
from convcore.importers.onnx.prepare import declared_shapes, value_dims
from convcore.importers.onnx.rewrites import folded_linear, linear_bias
from convcore.importers.onnx.tensors import FLOATS, to_array

# initializers up to this many elements are decoded for folding (shapes, pads, scales, axes)
_SMALL_TENSOR = 1 << 12
# integer initializers are shapes, pads, axes, indices; floating-point ones are weights (never read)
_DECODED = frozenset({onnx.TensorProto.INT64, onnx.TensorProto.INT32})


def declared_weights(model: onnx.ModelProto, image: str) -> dict[str, tuple[int, ...]]:
    """Parameters by name and shape: floating-point initializers and the other inputs (more than one value)."""
    graph = model.graph
    found = {t.name: tuple(t.dims) for t in graph.initializer if t.data_type in FLOATS and math.prod(t.dims) > 1}
    for value in graph.input:
        shape = value_dims(value)
        floating = value.type.tensor_type.elem_type in FLOATS
        if value.name != image and shape is not None and floating and math.prod(shape) > 1:
            found.setdefault(value.name, shape)
    return found


def small_constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """The values of the small integer initializers the summary may need (shapes, pads, axes, indices)."""
    return {
        t.name: to_array(t)
        for t in graph.initializer
        if t.data_type in _DECODED and math.prod(t.dims) <= _SMALL_TENSOR and not t.external_data
    }


def strip_weights(model: onnx.ModelProto) -> None:
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


def absent_weights(
    graph: onnx.GraphProto, parameters: frozenset[str]
) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """The shapes of the weights the file leaves out, read from the nodes that use them or inferred
    (:mod:`convcore.importers.onnx.inferred`), and the note on each inferred one and on each linear layer's bias
    where the exporter folded part of the layer (:func:`convcore.importers.onnx.rewrites.folded_linear`)."""
    declared = declared_shapes(graph)
    absent = left_out(graph, {*declared, *(i.name for i in graph.input)})
    missing = _missing_weights(graph, declared, absent)
    guessed = inferred_shapes(graph, declared, absent - missing.keys(), parameters)
    missing.update((name, shape) for name, (shape, _) in guessed.items())
    notes = {name: note for name, (_, note) in guessed.items()}
    for node in graph.node:
        notes.update(folded_linear(node, absent, parameters))
    return missing, notes


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
        if y is None:
            continue
        # a linear layer's bias needs only the output: its input may be a product the exporter left out
        shapes = linear_bias(node, y) if x is None else _weight_shapes(node, x, y)
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


def unsized(graph: onnx.GraphProto, weights: dict[str, tuple[int, ...]], parameters: frozenset[str]) -> frozenset[str]:
    """Parameters the graph reads (by the exporter's signature) that the file holds no shape of, nor any use
    fixes or suggests (:mod:`convcore.importers.onnx.inferred`)."""
    return frozenset(t for n in graph.node for t in n.input if t in parameters and t not in weights)


def unsized_note(names: list[str]) -> str:
    if not names:
        return ""
    return (
        f"parameters {', '.join(names)} are not in the file (exported without weights) and nothing in it fixes "
        f"or suggests their shape: not counted"
    )
