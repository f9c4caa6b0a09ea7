"""Receptive fields over a directed acyclic graph, after Araujo, Norris & Sim (Distill, 2019).

A chain composes one window per layer (:mod:`convcore.arithmetic.receptive_field`). A network with branches —
residual additions, Inception-style concatenations — reaches a node along several paths. Per axis, each
path ``b`` gives ``(r_b, S_b, P_b)`` and output ``u`` of the node sees the union of the intervals
``[u·S − P_b, u·S − P_b + r_b − 1]``:

    S = S_b (all paths must share it)
    P = max_b P_b                              (the left-most start)
    r = max_b (r_b − 1 − P_b) + P + 1          (to the right-most end)

which is ``max_b r_b`` when the branches are aligned. Branches are *aligned* when their centres coincide,
i.e. the centre offset ``(r_b − 1)/2 − P_b`` (the centre of output 0) and ``S_b`` are equal on every branch.

Every tensor knows which of its dimensions hold the image's height and width (:mod:`convcore.networks.spatial`), so
the field follows the map through permutes, reshapes and flattening. Each :class:`Node` says what it does
through its ``role``:

- ``"window"`` composes one window per dimension in ``dims`` (the last two by default) on the axis that
  dimension holds (convolution, pooling, padding, a strided slice); a ``None`` window makes that axis whole;
- ``"pass"`` leaves the field unchanged (activations, normalisation over channels, dropout, a constant op);
- ``"merge"`` takes the union above (add, concat, products of two branches, broadcasting);
- ``"reshape"`` and ``"permute"`` (``dims``: the permutation) move the axes between dimensions;
- ``"mix"`` mixes the positions along ``dims`` of its first input (a mean or max over the map, a linear layer
  or a layer norm over the last dimension, a softmax over tokens): an axis whose every position is mixed
  becomes *whole* — each output sees the whole input along it (``AxisField.whole``);
- ``"matmul"`` contracts the last dimension of its first input with the next-to-last of its second
  (attention's products over tokens), or as its einsum ``equation`` says; a single input without an
  equation is multiplied by a weight (its last dimension mixed);
- ``"global"`` makes both axes whole (an operation of unknown meaning counts as global);
- ``"opaque"`` ends the field (upsampling, transposed convolution: the Distill formulas cover downsampling).

A node may be ``measured`` (its windows read from autograd rather than known) and carries notes. The front
ends (layer lists, :mod:`convcore.importers.fx.summary`, :mod:`convcore.importers.onnx.summary`) build nodes;
:func:`analyze` does the arithmetic and :func:`report_to_dict` is the one serialisation of the result.

Five modules: :mod:`.nodes` the values (:class:`Node`, :class:`NodeReport`, :class:`GraphReport`) and the union of
branches (:func:`merge_fields`); :mod:`.engine` the one pass over the nodes (:func:`analyze`); :mod:`.chain` its
fast path for a layer chain, without nodes (:func:`chain_fields`, tested against it); :mod:`.layer_nodes` the nodes
of a layer list with shortcuts (:func:`from_layers`); :mod:`.report` the report as JSON-ready data.
Callers import from here.
"""

from convcore.networks.graph.chain import START, NotPlain, chain_fields, layer_role, next_field, static_chain_fields
from convcore.networks.graph.engine import analyze
from convcore.networks.graph.layer_nodes import from_layers, layer_node, result_node
from convcore.networks.graph.nodes import (
    Field,
    FieldKind,
    GraphReport,
    Merge,
    Node,
    NodeReport,
    Role,
    Windows,
    merge_fields,
)
from convcore.networks.graph.report import field_dict, report_to_dict

__all__ = [
    "START",
    "Field",
    "FieldKind",
    "GraphReport",
    "Merge",
    "Node",
    "NodeReport",
    "NotPlain",
    "Role",
    "Windows",
    "analyze",
    "chain_fields",
    "field_dict",
    "from_layers",
    "layer_node",
    "layer_role",
    "merge_fields",
    "next_field",
    "report_to_dict",
    "result_node",
    "static_chain_fields",
]
