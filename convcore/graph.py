"""Receptive fields over a directed acyclic graph, after Araujo, Norris & Sim (Distill, 2019).

A chain composes one window per layer (:mod:`convcore.receptive_field`). A network with branches —
residual additions, Inception-style concatenations — reaches a node along several paths. Per axis, each
path ``b`` gives ``(r_b, S_b, P_b)`` and output ``u`` of the node sees the union of the intervals
``[u·S − P_b, u·S − P_b + r_b − 1]``:

    S = S_b (all paths must share it)
    P = max_b P_b                              (the left-most start)
    r = max_b (r_b − 1 − P_b) + P + 1          (to the right-most end)

which is ``max_b r_b`` when the branches are aligned. Branches are *aligned* when their centres coincide,
i.e. the centre offset ``(r_b − 1)/2 − P_b`` (the centre of output 0) and ``S_b`` are equal on every branch.

Each :class:`Node` says what it does to the field through its ``role``: ``"window"`` composes one window per
axis (convolution, pooling, a layer that sees the whole map), ``"pass"`` leaves it unchanged (activations,
batch norm, dropout, element-wise ops with constants), ``"merge"`` takes the union above (add, concat,
element-wise products of two branches), ``"opaque"`` ends it (upsampling, transposed convolution: the
Distill formulas cover downsampling only). The front ends (layer lists, :mod:`convcore.fx_summary`,
:mod:`convcore.onnx_summary`) build nodes; :func:`analyze` does the arithmetic.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from convcore import receptive_field as rf
from convcore.layers import PASS_THROUGH, Layer, Shape, Window, apply_layer, parse_layer

Role = Literal["input", "window", "pass", "merge", "opaque"]
Field = tuple[rf.AxisField, rf.AxisField]


@dataclass(frozen=True)
class Node:
    """One tensor-valued operation. ``output`` is the shape without the batch axis, e.g. ``(C, H, W)``."""

    name: str
    op: str
    role: Role
    inputs: tuple[str, ...] = ()
    output: tuple[int, ...] = ()
    windows: tuple[Window, Window] | None = None
    params: int = 0
    macs: int = 0
    target: str = ""
    note: str = ""


@dataclass(frozen=True)
class Merge:
    """Where branches meet: per branch (in input order) the stride ``S`` and centre offset ``(r − 1)/2 − P``."""

    aligned: bool
    strides: tuple[tuple[int, int], ...]
    offsets: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class NodeReport:
    node: Node
    field: Field | None
    merge: Merge | None
    note: str


@dataclass(frozen=True)
class GraphReport:
    nodes: list[NodeReport]
    main_path: list[str]

    @property
    def total_params(self) -> int:
        return sum(n.node.params for n in self.nodes)

    @property
    def total_macs(self) -> int:
        return sum(n.node.macs for n in self.nodes)

    def by_name(self) -> dict[str, NodeReport]:
        return {n.node.name: n for n in self.nodes}


def whole_map(height: int, width: int) -> tuple[Window, Window]:
    """The windows of a layer that sees the whole ``height × width`` map at once (global pooling, flatten)."""
    return (Window(height, 1, 0), Window(width, 1, 0))


def merge_fields(fields: Sequence[Field]) -> tuple[Field | None, Merge]:
    """The union of the branches' fields and the alignment verdict; ``None`` when the strides differ."""
    strides = tuple((f[0].stride, f[1].stride) for f in fields)
    offsets = tuple(((f[0].size - 1) / 2 - f[0].padding, (f[1].size - 1) / 2 - f[1].padding) for f in fields)
    aligned = len(set(strides)) == 1 and len(set(offsets)) == 1
    if len(set(strides)) != 1:
        return None, Merge(aligned, strides, offsets)
    merged = []
    for axis in (0, 1):
        padding = max(f[axis].padding for f in fields)
        size = max(f[axis].size - 1 - f[axis].padding for f in fields) + padding + 1
        merged.append(rf.AxisField(size, fields[0][axis].stride, padding))
    return (merged[0], merged[1]), Merge(aligned, strides, offsets)


def _check(nodes: Sequence[Node]) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise ValueError(f"node name {node.name!r} is used twice: every node needs its own name")
        for name in node.inputs:
            if name not in seen:
                raise ValueError(
                    f"node {node.name!r} reads {name!r}, which is not an earlier node: the graph must be acyclic "
                    f"and listed in topological order"
                )
        if node.role == "input" and node.inputs:
            raise ValueError(f"input node {node.name!r} cannot have inputs")
        if node.role != "input" and not node.inputs:
            raise ValueError(f"node {node.name!r} ({node.op}) has no inputs")
        if node.role == "window" and node.windows is None:
            raise ValueError(f"node {node.name!r} ({node.op}) is a window node without windows")
        seen.add(node.name)


def _longest_path(nodes: Sequence[Node]) -> list[str]:
    """The longest input-to-output path (most nodes), ending at the last node: the network's main path."""
    if not nodes:
        return []
    depth: dict[str, int] = {}
    via: dict[str, str | None] = {}
    for node in nodes:
        best = max(node.inputs, key=lambda name: depth[name], default=None)
        depth[node.name] = depth[best] + 1 if best is not None else 0
        via[node.name] = best
    path: list[str] = []
    current: str | None = nodes[-1].name
    while current is not None:
        path.append(current)
        current = via[current]
    return path[::-1]


def analyze(nodes: Sequence[Node]) -> GraphReport:
    """Per node ``r``, ``S``, ``P`` per axis relative to the (single) input, the merges' verdicts, the main path.

    ``nodes`` are in topological order. A node whose field is undefined (after an opaque node, or a merge of
    branches with different strides) gets ``None`` and a note saying why.
    """
    _check(nodes)
    fields: dict[str, Field | None] = {}
    reports = []
    for node in nodes:
        merge = None
        note = node.note
        field: Field | None
        upstream = [fields[name] for name in node.inputs]
        if node.role == "input":
            field = (rf.AxisField(), rf.AxisField())
        elif any(f is None for f in upstream):
            field = None
            note = note or "no receptive field: an input of this node has none"
        elif node.role == "window":
            assert node.windows is not None and upstream[0] is not None
            field = (rf.compose(upstream[0][0], node.windows[0]), rf.compose(upstream[0][1], node.windows[1]))
        elif node.role == "pass":
            field = upstream[0]
        elif node.role == "merge":
            known = [f for f in upstream if f is not None]
            field, merge = merge_fields(known)
            if field is None:
                note = "no receptive field: the merged branches have different effective strides"
            elif not merge.aligned:
                note = "the branches' receptive-field centres differ (misaligned)"
        else:
            field = None
        fields[node.name] = field
        reports.append(NodeReport(node, field, merge, note))
    return GraphReport(reports, _longest_path(nodes))


def layer_node(layer: Layer | Mapping[str, Any], name: str, source: str, shape: Shape, index: int = 0) -> Node:
    """The node of one layer of the shared layer description applied to ``shape`` (the output of ``source``)."""
    parsed = layer if isinstance(layer, Layer) else parse_layer(layer, index)
    result = apply_layer(parsed, shape, index)
    out = result.output
    output = (out.channels, out.height, out.width)
    if parsed.type == "conv_transpose2d":
        return Node(
            name,
            parsed.type,
            "opaque",
            (source,),
            output,
            None,
            result.params,
            result.macs,
            parsed.name,
            "transposed convolution upsamples: no receptive field from here on",
        )
    role: Role = "pass" if parsed.type in PASS_THROUGH else "window"
    return Node(name, parsed.type, role, (source,), output, result.windows, result.params, result.macs, parsed.name)


def from_layers(
    layers: Sequence[Layer | Mapping[str, Any]],
    input_shape: Shape,
    shortcuts: Sequence[Mapping[str, Any]] = (),
) -> list[Node]:
    """Nodes of a layer list with residual shortcuts, as the zoo describes architectures.

    Layer ``i`` reads layer ``i − 1`` (``-1`` is the input). A shortcut ``{"from": a, "to": b, "layers": [...]}``
    runs its own layers (empty: identity) on the output of layer ``a`` and adds the result to the output of
    layer ``b``; the add node is named ``add_b`` and the next layer reads it. Node names are the layers' names
    where given, else their indices.
    """
    parsed = [layer if isinstance(layer, Layer) else parse_layer(layer, i) for i, layer in enumerate(layers)]
    names = [layer.name or str(i) for i, layer in enumerate(parsed)]
    by_target: dict[int, list[Mapping[str, Any]]] = {}
    for shortcut in shortcuts:
        start, end = shortcut.get("from"), shortcut.get("to")
        if not isinstance(start, int) or not isinstance(end, int) or not -1 <= start < end < len(parsed):
            raise ValueError(
                f"shortcut from {start!r} to {end!r}: both must be layer indices with -1 <= from < to < {len(parsed)}"
            )
        by_target.setdefault(end, []).append(shortcut)

    nodes = [Node("input", "input", "input", (), (input_shape.channels, input_shape.height, input_shape.width))]
    outputs: dict[int, tuple[str, Shape]] = {-1: ("input", input_shape)}
    source, shape = "input", input_shape
    for i, layer in enumerate(parsed):
        node = layer_node(layer, names[i], source, shape, i)
        nodes.append(node)
        source, shape = node.name, Shape(*node.output)
        for k, shortcut in enumerate(by_target.get(i, [])):
            branch, branch_shape = outputs[shortcut["from"]]
            for j, raw in enumerate(shortcut.get("layers", [])):
                sub = raw if isinstance(raw, Layer) else parse_layer(raw, j)
                sub_node = layer_node(sub, sub.name or f"shortcut_{i}_{k}_{j}", branch, branch_shape, j)
                nodes.append(sub_node)
                branch, branch_shape = sub_node.name, Shape(*sub_node.output)
            if branch_shape != shape:
                raise ValueError(
                    f"shortcut from {shortcut['from']} to {i}: shapes {branch_shape} and {shape} cannot be added; "
                    f"give the shortcut layers that match them"
                )
            add = Node(
                f"add_{names[i]}" if k == 0 else f"add_{names[i]}_{k}", "add", "merge", (source, branch), node.output
            )
            nodes.append(add)
            source = add.name
        outputs[i] = (source, shape)
    return nodes


def _field_dict(field: Field | None) -> dict[str, list[int]] | None:
    if field is None:
        return None
    return {
        "size": [field[0].size, field[1].size],
        "stride": [field[0].stride, field[1].stride],
        "padding": [field[0].padding, field[1].padding],
    }


def report_to_dict(report: GraphReport) -> dict[str, Any]:
    """The table as plain JSON-ready data: one row per node, totals, the main path.

    Each row: ``name``, ``op``, ``target`` (the module path where known), ``role``, ``inputs``, ``output``
    (shape without the batch axis), ``params``, ``macs``, ``receptive_field`` (``size``/``stride``/``padding``
    as ``[height, width]``, or ``null``), ``aligned`` (merges only), ``offsets`` (per merged branch the centre
    offset ``(r − 1)/2 − P`` as ``[height, width]``), ``note``.
    """
    rows = []
    for n in report.nodes:
        rows.append(
            {
                "name": n.node.name,
                "op": n.node.op,
                "target": n.node.target,
                "role": n.node.role,
                "inputs": list(n.node.inputs),
                "output": list(n.node.output),
                "params": n.node.params,
                "macs": n.node.macs,
                "receptive_field": _field_dict(n.field),
                "aligned": n.merge.aligned if n.merge else None,
                "offsets": [list(o) for o in n.merge.offsets] if n.merge else None,
                "note": n.note,
            }
        )
    return {
        "input": list(report.nodes[0].node.output) if report.nodes else [],
        "nodes": rows,
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "main_path": report.main_path,
    }
