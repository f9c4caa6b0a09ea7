"""A layer list analysed as a chain of the graph engine: per-layer shapes, parameters, MACs, receptive fields
and warnings.

This is the table behind ``/api/v1/shapes``, ``/api/v1/architectures/{name}``, ``convviz shape`` and the
receptive-field explorer. Its fields are those of :mod:`convcore.networks.graph` — the engine torch.fx and ONNX
models go through — so a global pooling or a linear layer over the map has the *whole input* as its field
(``AxisField.whole``), exactly as in an uploaded model; a chain gets them from the engine's chain fast path
(:func:`convcore.networks.graph.chain_fields`), without building nodes, and a network with shortcuts from the
engine itself. The table's form is :mod:`convcore.networks.table`'s; a remembered stack is a
:class:`convcore.networks.chain.Chain`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.shapes import Pair
from convcore.networks import graph
from convcore.networks.chain import Chain, chain_table
from convcore.networks.layers import Layer, LayerResult, Shape, check_input, parse_layers, propagate
from convcore.networks.table import AXES, Field, StackReport, table


@dataclass(frozen=True)
class NetworkReport:
    """One engine run over a main path with shortcuts: the graph's report and, as layer tables, the main path
    and each shortcut's projection (``None`` for an identity shortcut)."""

    graph: graph.GraphReport
    main: StackReport
    shortcuts: list[StackReport | None]

    @property
    def total_params(self) -> int:
        return self.graph.total_params

    @property
    def total_macs(self) -> int:
        return self.graph.total_macs


def chain_nodes(results: Sequence[LayerResult], input_shape: Shape) -> list[graph.Node]:
    """The engine's nodes of a propagated chain: ``"input"``, then layer ``i`` as node ``"i"``."""
    nodes = [graph.Node("input", "input", "input", (), (input_shape.channels, input_shape.height, input_shape.width))]
    source = "input"
    for i, result in enumerate(results):
        name = str(i)
        nodes.append(graph.result_node(result, name, source))
        source = name
    return nodes


def analyze(layers: Sequence[Layer] | Chain, input_shape: Shape | None = None) -> StackReport:
    """Analyse a chain. Without an input shape only the receptive fields are computed (as far as they can be).

    The fields are the graph engine's, through its chain fast path (:func:`convcore.networks.graph.chain_fields`)
    where that answers and through the engine itself where it does not."""
    chain = layers if isinstance(layers, Chain) else Chain(layers)
    layers = chain.layers
    if input_shape is None:
        return table(layers, None, graph.static_chain_fields(layers), None)
    check_input(input_shape)
    try:
        return chain_table(chain, input_shape)
    except graph.NotPlain:
        results = propagate(layers, input_shape)
        fields = [n.field for n in graph.analyze(chain_nodes(results, input_shape)).nodes[1:]]
        return table(layers, results, fields, input_shape)


def analyze_network(
    raw_layers: Sequence[Mapping[str, Any]], input_shape: Shape, shortcuts: Sequence[Mapping[str, Any]] = ()
) -> NetworkReport:
    """A main path with residual shortcuts (the zoo's form, :func:`convcore.networks.graph.from_layers`) through one
    engine run; the layer tables read their fields from it."""
    layers = parse_layers(raw_layers)
    report = graph.analyze(graph.from_layers(layers, input_shape, shortcuts))
    nodes = report.by_name()
    results = propagate(layers, input_shape)
    main = table(layers, results, [nodes[layer.name or str(i)].field for i, layer in enumerate(layers)], input_shape)
    tables: list[StackReport | None] = []
    for i, shortcut in enumerate(shortcuts):
        sub = parse_layers(shortcut["layers"])
        if not sub:
            tables.append(None)
            continue
        source = input_shape if shortcut["from"] < 0 else results[shortcut["from"]].output
        names = [layer.name or f"shortcut_{shortcut['to']}_{_rank(shortcuts, i)}_{j}" for j, layer in enumerate(sub)]
        tables.append(table(sub, propagate(sub, source), [nodes[name].field for name in names], source))
    return NetworkReport(report, main, tables)


def _rank(shortcuts: Sequence[Mapping[str, Any]], index: int) -> int:
    """The position of shortcut ``index`` among those ending at the same layer (how the engine names its nodes)."""
    return sum(1 for s in shortcuts[:index] if s["to"] == shortcuts[index]["to"])


@dataclass(frozen=True)
class Region:
    """The input box one output position sees, per axis ``(start, end)`` inclusive."""

    unclipped: tuple[tuple[int, int], tuple[int, int]]
    clipped: tuple[tuple[int, int], tuple[int, int]] | None
    center: tuple[float, float]
    field: Field


def region(layers: Sequence[Layer], input_shape: Shape, position: Pair, layer_index: int | None = None) -> Region:
    """The receptive field of output ``position = (row, col)`` of layer ``layer_index`` (the last by default).

    A whole field (after global pooling or a linear layer) is the whole input, whatever the position."""
    if not layers:
        raise ValueError("the layer list is empty: add at least one layer")
    index = len(layers) - 1 if layer_index is None else layer_index
    if not 0 <= index < len(layers):
        raise ValueError(f"layer_index must be between 0 and {len(layers) - 1}, got {index}")
    report = analyze(layers[: index + 1], input_shape).layers[index]
    if report.field is None:
        raise ValueError(f"layer {index} has no receptive field (it follows an upsampling layer)")
    assert report.output is not None
    out = report.output.size
    for axis, (u, n) in enumerate(zip(position, out, strict=True)):
        if not 0 <= u < n:
            raise ValueError(f"output {AXES[axis]} index must be between 0 and {n - 1}, got {u}")
    unclipped = (report.field[0].interval(position[0]), report.field[1].interval(position[1]))
    clipped_h = rf.clip(unclipped[0], input_shape.height)
    clipped_w = rf.clip(unclipped[1], input_shape.width)
    clipped = (clipped_h, clipped_w) if clipped_h is not None and clipped_w is not None else None
    center = (report.field[0].center(position[0]), report.field[1].center(position[1]))
    return Region(unclipped, clipped, center, report.field)
