"""Shapes of left-out weights that no node fixes exactly, inferred from how the graph uses them, with the reason.

The dynamo exporter with ``export_params=False`` writes neither the weights nor their shapes: a weight is
only a name its nodes read (and, for a parameter, a line of the graph's signature). A convolution or a
linear layer fixes its weight's shape (:func:`convcore.importers.onnx.weights.absent_weights`); two other uses do not
say it as plainly:

- A tensor concatenated with a feature map (a class token): the concatenation fixes its shape exactly — the
  output's, less the other inputs along the axis. Its name is the exporter's own (``expand``): the exporter
  folded the parameter and the ops on it into one constant, and left the constant out with the weights. A
  float constant concatenated to a feature map is counted as the parameter it was most likely made from (a
  constant made from no parameter would be counted too: the file does not tell them apart).
- A parameter combined element-wise (``Add``, ``Sub``, ``Mul``, ``Div``) with a feature map (a layer scale,
  a position embedding): broadcasting allows any shape from one value to the whole map. It is counted as
  one value per element of the map but the batch axis and, in a four-dimensional map, the height and width
  (a parameter spanning them would tie the model to one input size): ``(C, 1, 1)`` on an NCHW map,
  ``(T, D)`` on a sequence of tokens. A four-dimensional map is taken as NCHW, the layout of ONNX's
  convolutions; on a channels-last map the rule would be wrong, and the node's note, which says the shape is
  inferred, shows the shape used. A linear layer's bias (an ``Add`` whose torch call is ``linear``) is not
  inferred: its shape is the layer's output features.
"""

import math
from collections.abc import Mapping

import onnx

from convcore.importers.onnx.nodes import attrs_of
from convcore.importers.onnx.rewrites import linear_bias
from convcore.importers.onnx.tensors import FLOATS

_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div"})


def left_out(graph: onnx.GraphProto, known: set[str]) -> set[str]:
    """Tensors the nodes read that the file neither holds, declares nor computes."""
    produced = {o for n in graph.node for o in n.output}
    return {t for n in graph.node for t in n.input if t and t not in known and t not in produced}


def _floating(graph: onnx.GraphProto) -> set[str]:
    """Tensors the file declares as floating point (feature maps; never shapes, pads or indices)."""
    return {v.name for v in (*graph.value_info, *graph.output) if v.type.tensor_type.elem_type in FLOATS}


def inferred_shapes(
    graph: onnx.GraphProto, dims: Mapping[str, tuple[int, ...]], absent: set[str], parameters: frozenset[str]
) -> dict[str, tuple[tuple[int, ...], str]]:
    """Per left-out tensor in ``absent`` whose shape a Concat or element-wise use suggests: the shape and the
    note saying how it was inferred (``parameters``: the names the graph's signature lists as parameters)."""
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    if not absent:
        return found
    floating = _floating(graph)
    for node in graph.node:
        if node.op_type != "Concat" and node.op_type not in _ELEMENTWISE:
            continue
        names = [t for t in node.input if t in absent and t not in found]
        out = dims.get(node.output[0]) if names and node.output else None
        if out is None or min(out, default=0) < 1:
            continue
        for name in names:
            if node.op_type == "Concat" and node.output[0] in floating:
                shape = _concatenated(node, name, out, dims)
                if shape is not None:
                    found[name] = (shape, _concat_note(name, shape))
            elif node.op_type in _ELEMENTWISE and name in parameters and not linear_bias(node, out):
                shape = _elementwise(out)
                found[name] = (shape, _elementwise_note(name, node.op_type, shape, out))
    return found


def _concatenated(
    node: onnx.NodeProto, name: str, out: tuple[int, ...], dims: Mapping[str, tuple[int, ...]]
) -> tuple[int, ...] | None:
    """The shape of one input of a Concat, from the output and the other inputs (``None`` if one is unknown)."""
    axis = int(attrs_of(node).get("axis", 0)) % len(out)
    others = [dims.get(t) for t in node.input if t != name]
    if any(o is None or len(o) != len(out) for o in others) or list(node.input).count(name) != 1:
        return None
    size = out[axis] - sum(o[axis] for o in others if o is not None)
    return (*out[:axis], size, *out[axis + 1 :]) if size > 0 else None


def _elementwise(out: tuple[int, ...]) -> tuple[int, ...]:
    if len(out) == 4:
        return (out[1], 1, 1)
    return out[1:]


def _concat_note(name: str, shape: tuple[int, ...]) -> str:
    return (
        f"{name!r} ({math.prod(shape)} values, shape {list(shape)} fixed by the concatenation) is a constant the "
        f"exporter folded and left out with the weights, most likely from a parameter (a learned token such as "
        f"a class token): counted as parameters"
    )


def _elementwise_note(name: str, op: str, shape: tuple[int, ...], out: tuple[int, ...]) -> str:
    return (
        f"parameter {name!r} is not in the file (exported without weights) and its {op} with the map allows any "
        f"shape that broadcasts to {list(out)}: inferred as {list(shape)} ({math.prod(shape)} values: all but "
        f"the batch axis{', height and width' if len(out) == 4 else ''}), counted"
    )
