"""A layer list's table: per layer its output shape, parameters, MACs and receptive field (a row), and the
stack's warnings. Warnings carry a ``code`` and numbers so that a front end can word them in its own language, plus
an English ``message``. :mod:`convcore.networks.stack` fills the table, :mod:`convcore.networks.chain` fills it
again for a remembered stack at a new input size.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.shapes import Pair
from convcore.networks import graph
from convcore.networks.layers import Layer, LayerResult, Shape, Window, static_windows

AXES = ("height", "width")
_PARAMS = attrgetter("params")
_MACS = attrgetter("macs")
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

    # With an input size every row has its numbers; summed in C (a /shapes answer asks for them on every request).
    @property
    def total_params(self) -> int | None:
        return None if self.input is None else sum(map(_PARAMS, self.layers))

    @property
    def total_macs(self) -> int | None:
        return None if self.input is None else sum(map(_MACS, self.layers))


def gap_warnings(index: int, layer: Layer, windows: tuple[Window, Window]) -> list[StackWarning]:
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


def add_warnings(
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
        report.warnings.extend(gap_warnings(i, layer, windows) if gaps is None else gaps)
    if result is not None and result.unused_image != (0, 0):
        report.warnings.extend(_unread(result, i))


def _row(i: int, layer: Layer, result: LayerResult | None, current: Field | None) -> LayerReport:
    if result is None:
        return LayerReport(i, layer, None, None, None, current, None)
    return LayerReport(i, layer, result.output, result.params, result.macs, current, result.unused)


def table(
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
        add_warnings(report, i, layer, result, fields[i], before)
        report.layers.append(_row(i, layer, result, fields[i]))
        before = fields[i]
    return report
