"""A layer list prepared for :func:`convcore.networks.stack.analyze` at any input size: a page sends the same stack
with a new size on every change, and ``app.shapes_memo`` keeps a :class:`Chain` per remembered stack."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice, repeat

from convcore.networks import graph
from convcore.networks.layers import Layer, LayerResult, Shape, apply_layer, pass_params, static_windows
from convcore.networks.table import Field, LayerReport, StackReport, StackWarning, add_warnings, gap_warnings

#: How many recent inputs each step of a :class:`Chain` remembers with its result and rows.
RECENT = 4
#: How many recent analyses a :class:`Chain` remembers.
RUNS = 4

_Seen = tuple[Shape, LayerResult | None, tuple[LayerReport, ...]]
#: An input shape as a memo key: channels, height, width.
_Key = tuple[int, int, int]


@dataclass(slots=True)
class _Step:
    """Layer ``index`` of a chain with the layers right after it that keep its output's shape (its tail: their
    ``indices`` and ``layers``), whatever the input's size: the layer's role for the field, the field it has from the
    layers before it alone (``None`` from the first layer whose window needs the size), its gap warnings; and, by
    its last few input shapes, oldest first, that shape, the layer's result (``None`` for a layer that keeps the
    shape) and the rows of the layer and its tail, which all share one output shape and one field."""

    index: int
    layer: Layer
    role: graph.Role
    known_field: Field | None
    gaps: tuple[StackWarning, ...]
    indices: tuple[int, ...] = ()
    layers: tuple[Layer, ...] = ()
    #: The tail's parameters on the channels last asked for: ``(channels, per layer)``.
    params: tuple[int, tuple[int, ...]] = (0, ())
    seen: dict[_Key, _Seen] = dataclasses.field(default_factory=dict)

    def extend(self, index: int, layer: Layer) -> None:
        """Add layer ``index``, which keeps its input's shape, to the tail."""
        self.indices += (index,)
        self.layers += (layer,)

    def keep(self, key: _Key, shape: Shape, result: LayerResult | None, field: Field | None) -> _Seen:
        """The rows for the input ``shape`` (as ``key``) with ``field``, remembered with ``result`` in place of what
        was remembered for that input, else of the oldest of :data:`RECENT`. Each change to ``seen`` is one
        operation in C, so a thread looking up an input meanwhile finds an entry whole or not at all."""
        if result is None:
            head = LayerReport(self.index, self.layer, shape, pass_params(self.layer, shape.channels), 0, field, (0, 0))
        else:
            head = LayerReport(self.index, self.layer, result.output, result.params, result.macs, field, result.unused)
        output = head.output
        assert output is not None
        if self.params[0] != output.channels:
            self.params = (output.channels, tuple(pass_params(layer, output.channels) for layer in self.layers))
        each = repeat(output), self.params[1], repeat(0), repeat(field), repeat((0, 0))
        rows = (head, *map(LayerReport, self.indices, self.layers, *each))
        seen = self.seen
        if key not in seen and len(seen) >= RECENT:
            seen = self.seen = dict(islice(seen.items(), 1, None))
        entry = seen[key] = (shape, result, rows)
        return entry


@dataclass(frozen=True, slots=True)
class _Run:
    """One analysis of a chain: the shape and field each step was given (one more entry: what followed the last
    step), its rows, its warnings and where each step's begin among them (one more entry: their end)."""

    shapes: list[Shape]
    befores: list[Field | None]
    rows: list[LayerReport]
    warnings: list[StackWarning]
    starts: list[int]

    def replay(self, last: "_Run", start: int, end: int, rows: slice) -> None:
        """Steps ``start`` to ``end`` − 1, whose layers' rows are ``rows``, as in ``last``, which gave step
        ``start`` the same shape and field."""
        offset = len(self.warnings) - last.starts[start]
        self.shapes.extend(last.shapes[start:end])
        self.befores.extend(last.befores[start:end])
        starts = last.starts[start:end]
        self.starts.extend(starts if offset == 0 else [begin + offset for begin in starts])
        self.warnings.extend(last.warnings[last.starts[start] : last.starts[end]])
        self.rows.extend(last.rows[rows])


class Chain:
    """A layer list prepared for :func:`convcore.networks.stack.analyze` at any input size: a page sends the same
    stack with a new size on every change (``app.shapes_memo`` keeps a chain per remembered stack), so what does not
    depend on the size is worked out once: each layer's role, its field along the layers that need no size, its gap
    warnings. The layers are walked in steps (:class:`_Step`: a layer and the batch norms, activations and the like
    after it, which keep its output's shape and field). Each step remembers its results and rows for its last
    :data:`RECENT` inputs, and the chain keeps its last :data:`RUNS` analyses (:class:`_Run`, newest first): one's
    rows and warnings come again from the first step given the same shape and field as then, up to the first layer
    whose field is the whole input (:attr:`sized_from`). Several, because pages interleave: two students moving a
    slider send two sequences of sizes, each close to its own last one."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self._steps: tuple[list[_Step], int] | None = None
        self.sized_from = next(
            (i for i, layer in enumerate(layers) if graph.layer_role(layer.type) == "mix"), len(layers)
        )
        self.runs: tuple[_Run, ...] = ()

    @property
    def steps(self) -> list[_Step]:
        """The layers in steps."""
        return self._built()[0]

    @property
    def sized_step(self) -> int:
        """The step the layer :attr:`sized_from` begins (the number of steps without one)."""
        return self._built()[1]

    def _built(self) -> tuple[list[_Step], int]:
        if self._steps is None:
            fields = graph.static_chain_fields(self.layers)
            steps: list[_Step] = []
            for i, layer in enumerate(self.layers):
                if steps and graph.layer_role(layer.type) == "pass":
                    steps[-1].extend(i, layer)
                else:
                    steps.append(_step(i, layer, fields[i]))
            sized = next((s for s, step in enumerate(steps) if step.index == self.sized_from), len(steps))
            self._steps = (steps, sized)
        return self._steps


def _step(index: int, layer: Layer, field: Field | None) -> _Step:
    windows = static_windows(layer)
    gaps = () if windows is None else tuple(gap_warnings(index, layer, windows))
    return _Step(index, layer, graph.layer_role(layer.type), field, gaps)


def _apply(
    step: _Step, shape: Shape, known: bool, before: Field | None, input_shape: Shape, report: StackReport
) -> tuple[Shape, bool]:
    """Step ``step`` given ``shape`` and the field ``before``: its rows and warnings added to ``report``, its field
    left as ``report``'s last row's. Returned: its output shape (the remembered object for a remembered input) and
    whether that is a remembered object (``known``: whether ``shape`` is), which a run may hold; an object made
    in this call is in none."""
    key = (shape.channels, shape.height, shape.width)
    seen = step.seen.get(key)
    hit = seen is not None
    if seen is not None:
        shape = seen[0]
    if step.role == "pass":
        if seen is None or seen[2][0].field is not before:
            seen = step.keep(key, shape, None, before)
        report.layers.extend(seen[2])
        return shape, known or hit
    result = apply_layer(step.layer, shape, step.index) if seen is None or seen[1] is None else seen[1]
    current = graph.next_field(before, result, input_shape, step.known_field)
    add_warnings(report, step.index, step.layer, result, current, before, step.gaps)
    if seen is None or seen[2][0].field is not current:
        seen = step.keep(key, shape, result, current)
    report.layers.extend(seen[2])
    return result.output, hit


def chain_table(chain: Chain, input_shape: Shape) -> StackReport:
    """The table of a chain the engine's fast path answers (as :func:`convcore.networks.table.table` makes it from
    the engine's fields), in one pass: each step applied, its fields and its rows
    (:class:`convcore.networks.graph.NotPlain` when the chain needs the engine). A layer that keeps its input's
    shape shares the shape and field of the row before.

    Up to the first layer whose field is the whole input (``chain.sized_from``), a step's rows and warnings and
    all that follow them depend only on the shape and field it is given: once a step is given the very objects
    it was given in one of the chain's recent runs (its steps give their remembered results again for the same
    input), the rows and warnings up to there are that run's."""
    report = StackReport(input_shape, [])
    run = _Run([], [], report.layers, report.warnings, [])
    runs, steps, end = chain.runs, chain.steps, chain.sized_step
    shapes, befores, starts, warnings = run.shapes, run.befores, run.starts, run.warnings
    before: Field | None = graph.START
    shape = input_shape
    known = False  # whether a run may hold ``shape``: the input is new
    s = 0
    while s < len(steps):
        met = _meeting(runs, s, shape, before) if known and s < end else None
        if met is not None:
            run.replay(met, s, end, slice(steps[s].index, chain.sized_from))
            shape, before, s = met.shapes[end], met.befores[end], end
            continue
        shapes.append(shape)
        befores.append(before)
        starts.append(len(warnings))
        shape, known = _apply(steps[s], shape, known, before, input_shape, report)
        before = report.layers[-1].field
        s += 1
    shapes.append(shape)
    befores.append(before)
    starts.append(len(warnings))
    chain.runs = (run, *runs[: RUNS - 1])
    return report


def _meeting(runs: tuple[_Run, ...], s: int, shape: Shape, before: Field | None) -> _Run | None:
    """The run of ``runs`` that gave step ``s`` these very shape and field objects, if any."""
    for run in runs:
        if shape is run.shapes[s] and before is run.befores[s]:
            return run
    return None
