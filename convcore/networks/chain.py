"""A layer list prepared for :func:`convcore.networks.stack.analyze` at any input size: a page sends the same stack
with a new size on every change, and ``app.shapes_memo`` keeps a :class:`Chain` per remembered stack."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from convcore.networks import graph
from convcore.networks.layers import Layer, LayerResult, Shape, apply_layer, pass_params, static_windows
from convcore.networks.table import Field, LayerReport, StackReport, StackWarning, add_warnings, gap_warnings

#: How many recent inputs each layer of a :class:`Chain` remembers with its result and row.
RECENT = 4
#: How many recent analyses a :class:`Chain` remembers.
RUNS = 4

_Seen = tuple[Shape, LayerResult | None, LayerReport]
#: An input shape as a memo key: channels, height, width.
_Key = tuple[int, int, int]


@dataclass(slots=True)
class _Step:
    """Layer ``index`` of a chain, whatever the input's size: its role for the field, the field it has from the
    layers before it alone (``None`` from the first layer whose window needs the size), its gap warnings; and, by
    its last few input shapes, oldest first, that shape, its result (``None`` for a layer that keeps the shape) and
    row."""

    index: int
    layer: Layer
    role: graph.Role
    known_field: Field | None
    gaps: tuple[StackWarning, ...]
    seen: dict[_Key, _Seen] = dataclasses.field(default_factory=dict)

    def keep(self, key: _Key, shape: Shape, result: LayerResult | None, row: LayerReport) -> _Seen:
        """Remember ``result`` and ``row`` for the input ``shape`` (as ``key``) in place of what was remembered for
        it, else of the oldest of :data:`RECENT`. Each change to ``seen`` is one operation in C, so a thread
        looking up an input meanwhile finds an entry whole or not at all."""
        seen = self.seen
        if key not in seen and len(seen) >= RECENT:
            seen = self.seen = dict(islice(seen.items(), 1, None))
        entry = seen[key] = (shape, result, row)
        return entry


@dataclass(frozen=True, slots=True)
class _Run:
    """One analysis of a chain: the shape and field each layer was given (one more entry: what followed the last
    layer), its rows, its warnings and where each layer's begin among them (one more entry: their end)."""

    shapes: list[Shape]
    befores: list[Field | None]
    rows: list[LayerReport]
    warnings: list[StackWarning]
    starts: list[int]

    def replay(self, last: "_Run", start: int, end: int) -> None:
        """Layers ``start`` to ``end`` − 1 as in ``last``, which gave layer ``start`` the same shape and field."""
        offset = len(self.warnings) - last.starts[start]
        self.shapes.extend(last.shapes[start:end])
        self.befores.extend(last.befores[start:end])
        starts = last.starts[start:end]
        self.starts.extend(starts if offset == 0 else [begin + offset for begin in starts])
        self.warnings.extend(last.warnings[last.starts[start] : last.starts[end]])
        self.rows.extend(last.rows[start:end])


class Chain:
    """A layer list prepared for :func:`convcore.networks.stack.analyze` at any input size: a page sends the same
    stack with a new size on every change (``app.shapes_memo`` keeps a chain per remembered stack), so what does not
    depend on the size is worked out once: each layer's role, its field along the layers that need no size, its gap
    warnings. Each layer remembers its results and rows for its last :data:`RECENT` inputs, and the chain keeps its
    last :data:`RUNS` analyses (:class:`_Run`, newest first): one's rows and warnings come again from the
    first layer given the same shape and field as then, up to the first layer whose field is the whole input
    (:attr:`sized_from`). Several, because pages interleave: two students moving a slider send two sequences of
    sizes, each close to its own last one."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self._steps: list[_Step] | None = None
        self.sized_from = next(
            (i for i, layer in enumerate(layers) if graph.layer_role(layer.type) == "mix"), len(layers)
        )
        self.runs: tuple[_Run, ...] = ()

    @property
    def steps(self) -> list[_Step]:
        if self._steps is None:
            fields = graph.static_chain_fields(self.layers)
            self._steps = [_step(i, layer, fields[i]) for i, layer in enumerate(self.layers)]
        return self._steps


def _step(index: int, layer: Layer, field: Field | None) -> _Step:
    windows = static_windows(layer)
    gaps = () if windows is None else tuple(gap_warnings(index, layer, windows))
    return _Step(index, layer, graph.layer_role(layer.type), field, gaps)


def _apply(
    step: _Step, shape: Shape, known: bool, before: Field | None, input_shape: Shape, report: StackReport
) -> tuple[Shape, bool]:
    """Layer ``step`` given ``shape`` and the field ``before``: its row and warnings added to ``report``, its field
    left as ``report``'s last row's. Returned: its output shape (the remembered object for a remembered input) and
    whether that is a remembered object (``known``: whether ``shape`` is), which a run may hold; an object made
    in this call is in none."""
    key = (shape.channels, shape.height, shape.width)
    seen = step.seen.get(key)
    hit = seen is not None
    if seen is not None:
        shape = seen[0]
    if step.role == "pass":
        if seen is None or seen[2].field is not before:
            row = LayerReport(step.index, step.layer, shape, pass_params(step.layer, shape.channels), 0, before, (0, 0))
            seen = step.keep(key, shape, None, row)
        report.layers.append(seen[2])
        return shape, known or hit
    result = apply_layer(step.layer, shape, step.index) if seen is None or seen[1] is None else seen[1]
    current = graph.next_field(before, result, input_shape, step.known_field)
    add_warnings(report, step.index, step.layer, result, current, before, step.gaps)
    if seen is None or seen[2].field is not current:
        row = LayerReport(step.index, step.layer, result.output, result.params, result.macs, current, result.unused)
        seen = step.keep(key, shape, result, row)
    report.layers.append(seen[2])
    return result.output, hit


def chain_table(chain: Chain, input_shape: Shape) -> StackReport:
    """The table of a chain the engine's fast path answers (as :func:`convcore.networks.table.table` makes it from
    the engine's fields), in one pass: each layer applied, its field and its row
    (:class:`convcore.networks.graph.NotPlain` when the chain needs the engine). A layer that keeps its input's
    shape shares the shape and field of the row before.

    Up to the first layer whose field is the whole input (``chain.sized_from``), a layer's row and warnings and
    all that follow them depend only on the shape and field it is given: once a layer is given the very objects
    it was given in one of the chain's recent runs (its layers give their remembered results again for the same
    input), the rows and warnings up to there are that run's."""
    report = StackReport(input_shape, [])
    run = _Run([], [], report.layers, report.warnings, [])
    runs, steps, end = chain.runs, chain.steps, chain.sized_from
    shapes, befores, starts, warnings = run.shapes, run.befores, run.starts, run.warnings
    before: Field | None = graph.START
    shape = input_shape
    known = False  # whether a run may hold ``shape``: the input is new
    i = 0
    while i < len(steps):
        met = _meeting(runs, i, shape, before) if known and i < end else None
        if met is not None:
            run.replay(met, i, end)
            shape, before, i = met.shapes[end], met.befores[end], end
            continue
        shapes.append(shape)
        befores.append(before)
        starts.append(len(warnings))
        shape, known = _apply(steps[i], shape, known, before, input_shape, report)
        before = report.layers[-1].field
        i += 1
    shapes.append(shape)
    befores.append(before)
    starts.append(len(warnings))
    chain.runs = (run, *runs[: RUNS - 1])
    return report


def _meeting(runs: tuple[_Run, ...], i: int, shape: Shape, before: Field | None) -> _Run | None:
    """The run of ``runs`` that gave layer ``i`` these very shape and field objects, if any."""
    for run in runs:
        if shape is run.shapes[i] and before is run.befores[i]:
            return run
    return None
