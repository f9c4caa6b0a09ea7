"""The shape rules of :mod:`convcore.importers.onnx.shapes` agree with ``onnx.shape_inference`` on each operator."""

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from convcore.importers.onnx.fold import propagate
from convcore.importers.onnx.shapes import output_shape

# (operator, input shapes (None: the constant's own), constant inputs by position, attributes)
CASES: list[tuple[str, list[tuple[int, ...] | None], dict[int, list[int]], dict[str, Any]]] = [
    ("Add", [(2, 1, 5), (3, 1)], {}, {}),
    ("Where", [(1, 4), (3, 1), (1,)], {}, {}),
    ("Erf", [(2, 3)], {}, {}),
    ("Softmax", [(2, 3, 4)], {}, {"axis": -1}),
    ("LayerNormalization", [(2, 3, 4), (4,), (4,)], {}, {"axis": -1}),
    ("Transpose", [(2, 3, 4, 5)], {}, {"perm": [0, 2, 3, 1]}),
    ("Transpose", [(2, 3, 4)], {}, {}),
    ("Reshape", [(2, 3, 4), None], {1: [0, -1, 2]}, {}),
    ("Reshape", [(2, 3, 4), None], {1: [4, 6]}, {}),
    ("MatMul", [(2, 1, 3, 4), (5, 4, 6)], {}, {}),
    ("Slice", [(10, 8, 6), None, None, None, None], {1: [1, -3], 2: [100, 0], 3: [0, 2], 4: [3, -2]}, {}),
    ("Pad", [(1, 3, 7, 7), None], {1: [0, 0, 1, 2, 0, 0, 3, 4]}, {}),
    ("Concat", [(2, 3, 4), (2, 5, 4)], {}, {"axis": -2}),
    ("Expand", [(3, 1), None], {1: [2, 1, 4]}, {}),
    ("Gather", [(3, 64, 4, 49), None], {1: [1, 2]}, {"axis": 1}),
    ("Gather", [(3, 64, 4)], {}, {"axis": 2}),
    ("Unsqueeze", [(3, 4), None], {1: [0, -1]}, {}),
    ("Squeeze", [(1, 3, 1, 4), None], {1: [2]}, {}),
    ("Squeeze", [(1, 3, 1, 4)], {}, {}),
    ("Conv", [(1, 3, 31, 30), (8, 3, 4, 3)], {}, {"strides": [4, 2], "pads": [1, 0, 2, 1], "dilations": [1, 2]}),
    ("Conv", [(1, 4, 9, 9), (8, 2, 3, 3)], {}, {"group": 2}),
    ("GlobalAveragePool", [(2, 5, 7, 3)], {}, {}),
]


def _model(
    op: str, shapes: list[tuple[int, ...] | None], consts: dict[int, list[int]], attrs: dict[str, Any]
) -> onnx.ModelProto:
    names = [f"x{k}" for k in range(len(shapes))]
    inputs = [
        helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in zip(names, shapes, strict=True) if s
    ]
    if op == "Gather" and 1 not in consts:
        inputs.append(helper.make_tensor_value_info("x1", onnx.TensorProto.INT64, []))
        names.append("x1")
    inits = [numpy_helper.from_array(np.array(v, dtype=np.int64), names[k]) for k, v in consts.items()]
    node = helper.make_node(op, names, ["y"], **attrs)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("y", 0, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize(("op", "shapes", "consts", "attrs"), CASES)
def test_rule_agrees_with_onnx(
    op: str, shapes: list[tuple[int, ...] | None], consts: dict[int, list[int]], attrs: dict[str, Any]
) -> None:
    model = _model(op, shapes, consts, attrs)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    want = tuple(d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim)
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    dims = {i.name: s for i, s in zip(model.graph.input, [s for s in shapes if s] + [()], strict=False)}
    dims.update((name, v.shape) for name, v in values.items())
    node = model.graph.node[0]
    assert output_shape(node, dims, values, {a.name: helper.get_attribute_value(a) for a in node.attribute}) == want


def test_unknown_values_give_no_shape() -> None:
    node = helper.make_node("Reshape", ["x", "target"], ["y"])
    assert output_shape(node, {"x": (2, 3), "target": (2,)}, {}, {}) is None


def test_propagate_folds_shapes_of_computed_tensors_in_one_pass() -> None:
    """Shape of a transposed tensor folds, and the Reshape it feeds gets its shape, in the same pass."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),
        helper.make_node("Shape", ["t"], ["s"]),
        helper.make_node("Reshape", ["x", "s"], ["y"]),
        helper.make_node("Shape", ["y"], ["z"]),
    ]
    values: dict[str, np.ndarray] = {}
    dims = {"x": (2, 3)}
    propagate(nodes, values, dims)
    assert dims["y"] == (3, 2)
    assert values["z"].tolist() == [3, 2]
