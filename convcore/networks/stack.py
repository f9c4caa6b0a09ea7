"""A layer list analysed as a chain of the graph engine: per-layer shapes, parameters, MACs, receptive fields
and warnings.

This is the table behind ``/api/v1/shapes``, ``/api/v1/architectures/{name}``, ``convviz shape`` and the
receptive-field explorer. Its fields are those of :mod:`convcore.networks.graph` — the engine torch.fx and ONNX
models go through — so a global pooling or a linear layer over the map has the *whole input* as its field
(``AxisField.whole``), exactly as in an uploaded model; a chain gets them from the engine's chain fast path
(:func:`convcore.networks.graph.chain_fields`), without building nodes, and a network with shortcuts from the
engine itself. Warnings carry a ``code`` and numbers so that a front
end can word them in its own language, plus an English ``message``.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.shapes import Pair
from convcore.networks import graph
from convcore.networks.layers import (
    Layer,
    LayerResult,
    Shape,
    Window,
    apply_layer,
    check_input,
    parse_layers,
    pass_params,
    propagate,
    static_windows,
)

AXES = ("height", "width")
Field = tuple[rf.AxisField, rf.AxisField]


@dataclass(slots=True)
class StackWarning:
    code: str
    layer: int
    message: str
    axis: str | None = None
    count: int | None = None


@dataclass(slots=True)
class LayerReport:
    """One row of a stack's table. Read it, do not change it: a :class:`Chain` gives the same row again while
    nothing about its layer changed, and ``json`` keeps what a serialiser made of it (``app.reports``)."""

    index: int
    layer: Layer
    output: Shape | None
    params: int | None
    macs: int | None
    field: Field | None
    unused: Pair | None
    json: bytes | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class StackReport:
    input: Shape | None
    layers: list[LayerReport]
    warnings: list[StackWarning] = dataclasses.field(default_factory=list)

    @property
    def total_params(self) -> int | None:
        if self.input is None:
            return None
        return sum(r.params or 0 for r in self.layers)

    @property
    def total_macs(self) -> int | None:
        if self.input is None:
            return None
        return sum(r.macs or 0 for r in self.layers)


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


def _gaps(index: int, layer: Layer, windows: tuple[Window, Window]) -> list[StackWarning]:
    if windows[0].stride <= windows[0].kernel and windows[1].stride <= windows[1].kernel:
        return []  # the common case, without building the list
    return [
        StackWarning(
            "gaps",
            index,
            f"layer {index} ({layer.type}): stride {window.stride} is larger than the kernel span "
            f"{window.kernel} along the {axis}, so {window.stride - window.kernel} of every {window.stride} "
            f"input positions are never read",
            axis,
            window.stride - window.kernel,
        )
        for axis, window in zip(AXES, windows, strict=True)
        if window.stride > window.kernel
    ]


def _unread(result: LayerResult, index: int) -> list[StackWarning]:
    return [
        StackWarning(
            "unread",
            index,
            f"layer {index} ({result.layer.type}): the floor in the output-size formula leaves the last "
            f"{rows} input {'row' if axis == 'height' else 'column'}(s) unread along the {axis}; "
            f"add padding or change the stride",
            axis,
            rows,
        )
        for axis, rows in zip(AXES, result.unused_image, strict=True)
        if rows > 0
    ]


def _field_warnings(index: int, layer: Layer, before: Field | None) -> list[StackWarning]:
    """Why the field ends at ``layer`` (it had one before)."""
    if before is None:
        return []
    if layer.type == "conv_transpose2d":
        return [
            StackWarning(
                "rf_transposed",
                index,
                f"layer {index} (conv_transpose2d): a transposed convolution upsamples, so the receptive field "
                f"is not defined from here on (Araujo et al. cover downsampling layers only)",
            )
        ]
    return [
        StackWarning(
            "rf_needs_input",
            index,
            f"layer {index} ({layer.type}) covers the whole map: give an input size to compute its receptive field",
        )
    ]


def _add_warnings(
    report: StackReport,
    i: int,
    layer: Layer,
    result: LayerResult | None,
    current: Field | None,
    before: Field | None,
    gaps: Sequence[StackWarning] | None = None,
) -> None:
    """Layer ``i``'s warnings (``result``: with an input size), its field ``current`` after ``before``; ``gaps``:
    its gap warnings when known already (a :class:`Chain`'s)."""
    windows = result.windows if result is not None else static_windows(layer)
    if current is None:
        report.warnings.extend(_field_warnings(i, layer, before))
    elif windows is not None:
        report.warnings.extend(_gaps(i, layer, windows) if gaps is None else gaps)
    if result is not None and result.unused_image != (0, 0):
        report.warnings.extend(_unread(result, i))


def _row(i: int, layer: Layer, result: LayerResult | None, current: Field | None) -> LayerReport:
    if result is None:
        return LayerReport(i, layer, None, None, None, current, None)
    return LayerReport(i, layer, result.output, result.params, result.macs, current, result.unused)


def _table(
    layers: Sequence[Layer],
    results: Sequence[LayerResult] | None,
    fields: Sequence[Field | None],
    input_shape: Shape | None,
) -> StackReport:
    """The rows and warnings of a chain whose fields the engine computed (``results``: with an input size)."""
    report = StackReport(input_shape, [])
    before: Field | None = graph.START
    for i, layer in enumerate(layers):
        result = results[i] if results is not None else None
        _add_warnings(report, i, layer, result, fields[i], before)
        report.layers.append(_row(i, layer, result, fields[i]))
        before = fields[i]
    return report


@dataclass(slots=True)
class _Step:
    """Layer ``index`` of a chain, whatever the input's size: its role for the field, the field it has from the
    layers before it alone (``None`` from the first layer whose window needs the size), its gap warnings; and its
    last result and row."""

    index: int
    layer: Layer
    role: graph.Role
    known_field: Field | None
    gaps: tuple[StackWarning, ...]
    last: LayerResult | None = None
    row: LayerReport | None = None

    def apply(self, shape: Shape) -> LayerResult:
        """:func:`apply_layer` on ``shape``; the last result is kept and given again for the same input shape: a
        page moving a size slider sends sizes one apart, and past a few strided layers they meet (224 to 255 all
        give 7 after five halvings). A layer that cannot run raises and keeps what it had."""
        last = self.last
        # The layer before gives its own last output again when it was given its last input: compare identity first.
        if last is None or (last.input is not shape and last.input != shape):
            last = self.last = apply_layer(self.layer, shape, self.index)
        return last

    def row_of(self, output: Shape, params: int, macs: int, field: Field | None, unused: Pair) -> LayerReport:
        """The layer's row, the last one again when it holds these same objects (numbers: equal values)."""
        row = self.row
        if (
            row is None
            or row.output is not output
            or row.field is not field
            or row.params != params
            or row.macs != macs
            or row.unused != unused
        ):
            row = self.row = LayerReport(self.index, self.layer, output, params, macs, field, unused)
        return row


@dataclass(frozen=True, slots=True)
class _Run:
    """A chain's last analysis: the shape and field each layer was given (one more entry: what followed the last
    layer), its rows, its warnings and where each layer's begin among them (one more entry: their end)."""

    shapes: list[Shape]
    befores: list[Field | None]
    rows: list[LayerReport]
    warnings: list[StackWarning]
    starts: list[int]


class Chain:
    """A layer list prepared for :func:`analyze` at any input size: a page sends the same stack with a new size on
    every change (``app.shapes_memo`` keeps a chain per remembered stack), so what does not depend on the size is
    worked out once: each layer's role, its field along the layers that need no size, its gap warnings. It also
    keeps its last analysis (:class:`_Run`), whose rows and warnings come again from the first layer given the same
    shape and field as then, up to the first layer whose field is the whole input (:attr:`sized_from`)."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self._steps: list[_Step] | None = None
        self.sized_from = next(
            (i for i, layer in enumerate(layers) if graph.layer_role(layer.type) == "mix"), len(layers)
        )
        self.last_run: _Run | None = None

    @property
    def steps(self) -> list[_Step]:
        if self._steps is None:
            fields = graph.static_chain_fields(self.layers)
            self._steps = [_step(i, layer, fields[i]) for i, layer in enumerate(self.layers)]
        return self._steps


def _step(index: int, layer: Layer, field: Field | None) -> _Step:
    windows = static_windows(layer)
    gaps = () if windows is None else tuple(_gaps(index, layer, windows))
    return _Step(index, layer, graph.layer_role(layer.type), field, gaps)


def _chain_table(chain: Chain, input_shape: Shape) -> StackReport:
    """:func:`_table` of a chain the engine's fast path answers, in one pass: each layer applied, its field and
    its row (:class:`convcore.networks.graph.NotPlain` when the chain needs the engine). A layer that keeps its
    input's shape shares the shape and field of the row before.

    Up to the first layer whose field is the whole input (``chain.sized_from``), a layer's row and warnings and
    all that follows them depend only on the shape and field it is given: once a layer is given the very objects
    it was given in the chain's last run (its layers give their last results again for the same input), the rows
    and warnings up to there are the last run's."""
    report = StackReport(input_shape, [])
    rows, warnings = report.layers, report.warnings
    last, steps, sized_from = chain.last_run, chain.steps, chain.sized_from
    shapes: list[Shape] = []
    befores: list[Field | None] = []
    starts: list[int] = []
    before: Field | None = graph.START
    shape = input_shape
    i = 0
    while i < len(steps):
        if i < sized_from and last is not None and shape is last.shapes[i] and before is last.befores[i]:
            shapes += last.shapes[i:sized_from]
            befores += last.befores[i:sized_from]
            starts += [start - last.starts[i] + len(warnings) for start in last.starts[i:sized_from]]
            warnings += last.warnings[last.starts[i] : last.starts[sized_from]]
            rows += last.rows[i:sized_from]
            shape, before, i = last.shapes[sized_from], last.befores[sized_from], sized_from
            continue
        shapes.append(shape)
        befores.append(before)
        starts.append(len(warnings))
        step = steps[i]
        i += 1
        if step.role == "pass":
            rows.append(step.row_of(shape, pass_params(step.layer, shape.channels), 0, before, (0, 0)))
            continue
        result = step.apply(shape)
        current = graph.next_field(before, result, input_shape, step.known_field)
        _add_warnings(report, step.index, step.layer, result, current, before, step.gaps)
        rows.append(step.row_of(result.output, result.params, result.macs, current, result.unused))
        before, shape = current, result.output
    shapes.append(shape)
    befores.append(before)
    starts.append(len(warnings))
    chain.last_run = _Run(shapes, befores, rows, warnings, starts)
    return report


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
        return _table(layers, None, graph.static_chain_fields(layers), None)
    check_input(input_shape)
    try:
        return _chain_table(chain, input_shape)
    except graph.NotPlain:
        results = propagate(layers, input_shape)
        fields = [n.field for n in graph.analyze(chain_nodes(results, input_shape)).nodes[1:]]
        return _table(layers, results, fields, input_shape)


def analyze_network(
    raw_layers: Sequence[Mapping[str, Any]], input_shape: Shape, shortcuts: Sequence[Mapping[str, Any]] = ()
) -> NetworkReport:
    """A main path with residual shortcuts (the zoo's form, :func:`convcore.networks.graph.from_layers`) through one
    engine run; the layer tables read their fields from it."""
    layers = parse_layers(raw_layers)
    report = graph.analyze(graph.from_layers(layers, input_shape, shortcuts))
    nodes = report.by_name()
    results = propagate(layers, input_shape)
    main = _table(layers, results, [nodes[layer.name or str(i)].field for i, layer in enumerate(layers)], input_shape)
    tables: list[StackReport | None] = []
    for i, shortcut in enumerate(shortcuts):
        sub = parse_layers(shortcut["layers"])
        if not sub:
            tables.append(None)
            continue
        source = input_shape if shortcut["from"] < 0 else results[shortcut["from"]].output
        names = [layer.name or f"shortcut_{shortcut['to']}_{_rank(shortcuts, i)}_{j}" for j, layer in enumerate(sub)]
        tables.append(_table(sub, propagate(sub, source), [nodes[name].field for name in names], source))
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
