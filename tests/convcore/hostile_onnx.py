"""ONNX files that try to make the server read a file: a tensor with external data in every place one can hide.

Each builder returns a model whose graph would otherwise be summarised (x → Pad → y with the declared output
shape), with one tensor pointing at ``location`` through ``external_data``.
"""

from collections.abc import Callable

import onnx
from onnx import TensorProto, helper


def external_tensor(location: str, name: str = "secret") -> TensorProto:
    tensor = TensorProto(name=name, data_type=TensorProto.INT64, dims=[8])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "64")):
        tensor.external_data.add(key=key, value=value)
    return tensor


def _model(nodes: list[onnx.NodeProto], **graph_fields: object) -> onnx.ModelProto:
    graph = helper.make_graph(
        [*nodes, helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "hostile",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
    )
    for key, value in graph_fields.items():
        getattr(graph, key).extend(value)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _constant(attr: onnx.AttributeProto) -> onnx.NodeProto:
    node = helper.make_node("Constant", [], ["pads"], name="const")
    node.attribute.append(attr)
    return node


def tensors_attribute_with_t(location: str) -> onnx.ModelProto:
    """The reported hole: declared TENSORS, but the tensor sits in ``t``; the Constant feeds a Pad's pads."""
    attr = onnx.AttributeProto(name="value", type=onnx.AttributeProto.TENSORS)
    attr.t.CopyFrom(external_tensor(location))
    model = _model([_constant(attr)])
    del model.graph.node[-1]
    model.graph.node.append(helper.make_node("Pad", ["x", "pads"], ["y"], name="pad"))
    return model


def tensor_attribute(location: str) -> onnx.ModelProto:
    return _model([_constant(helper.make_attribute("value", external_tensor(location)))])


def tensors_list_attribute(location: str) -> onnx.ModelProto:
    attr = onnx.AttributeProto(name="value", type=onnx.AttributeProto.TENSORS)
    attr.tensors.append(external_tensor(location))
    return _model([_constant(attr)])


def _sparse(location: str) -> onnx.SparseTensorProto:
    sparse = onnx.SparseTensorProto(dims=[8])
    sparse.values.CopyFrom(external_tensor(location))
    sparse.indices.CopyFrom(helper.make_tensor("idx", TensorProto.INT64, [8], list(range(8))))
    return sparse


def sparse_attribute(location: str) -> onnx.ModelProto:
    attr = onnx.AttributeProto(name="sparse_value", type=onnx.AttributeProto.SPARSE_TENSOR)
    attr.sparse_tensor.CopyFrom(_sparse(location))
    return _model([_constant(attr)])


def sparse_tensors_attribute(location: str) -> onnx.ModelProto:
    attr = onnx.AttributeProto(name="sparse_value", type=onnx.AttributeProto.SPARSE_TENSORS)
    attr.sparse_tensors.append(_sparse(location))
    return _model([_constant(attr)])


def initializer(location: str) -> onnx.ModelProto:
    return _model([], initializer=[external_tensor(location)])


def sparse_initializer(location: str) -> onnx.ModelProto:
    return _model([], sparse_initializer=[_sparse(location)])


def subgraph(location: str) -> onnx.ModelProto:
    inner = helper.make_graph(
        [helper.make_node("Identity", ["secret"], ["out"])],
        "inner",
        [],
        [helper.make_tensor_value_info("out", TensorProto.INT64, [8])],
        initializer=[external_tensor(location)],
    )
    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    branch = helper.make_node("If", ["c"], ["pads"], name="if", then_branch=inner, else_branch=inner)
    return _model([helper.make_node("Constant", [], ["c"], value=cond), branch])


def function_body(location: str) -> onnx.ModelProto:
    model = _model([])
    body = helper.make_node("Constant", [], ["v"], value=external_tensor(location))
    model.functions.append(helper.make_function("local", "Leak", [], ["v"], [body], [helper.make_opsetid("", 17)]))
    return model


def training_graph(location: str) -> onnx.ModelProto:
    model = _model([])
    graph = helper.make_graph([], "init", [], [], initializer=[external_tensor(location)])
    model.training_info.add().initialization.CopyFrom(graph)
    return model


HIDING_PLACES: dict[str, Callable[[str], onnx.ModelProto]] = {
    "TENSORS attribute holding t": tensors_attribute_with_t,
    "TENSOR attribute": tensor_attribute,
    "TENSORS attribute": tensors_list_attribute,
    "SPARSE_TENSOR attribute": sparse_attribute,
    "SPARSE_TENSORS attribute": sparse_tensors_attribute,
    "initializer": initializer,
    "sparse initializer": sparse_initializer,
    "subgraph initializer": subgraph,
    "function body": function_body,
    "training graph": training_graph,
}
