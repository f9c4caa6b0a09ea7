"""A layer stack analysed as a whole: per-layer shapes, parameters, MACs, receptive fields and warnings.

This is the table behind ``/api/v1/shapes``, ``convviz shape`` and the receptive-field explorer. Warnings
carry a ``code`` and numbers so that a front end can word them in its own language, plus an English
``message``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from convcore import receptive_field as rf
from convcore.layers import Layer, LayerResult, Shape, Window, propagate, static_windows
from convcore.shapes import Pair

AXES = ("height", "width")


@dataclass(frozen=True)
class Warning:
    code: str
    layer: int
    message: str
    axis: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class LayerReport:
    index: int
    layer: Layer
    output: Shape | None
    params: int | None
    macs: int | None
    field: tuple[rf.AxisField, rf.AxisField] | None
    unused: Pair | None


@dataclass(frozen=True)
class StackReport:
    input: Shape | None
    layers: list[LayerReport]
    warnings: list[Warning] = field(default_factory=list)

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


def _window_warnings(index: int, layer: Layer, windows: tuple[Window, Window]) -> list[Warning]:
    found = []
    for axis, window in zip(AXES, windows, strict=True):
        if window.stride > window.kernel:
            found.append(
                Warning(
                    "gaps",
                    index,
                    f"layer {index} ({layer.type}): stride {window.stride} is larger than the kernel span "
                    f"{window.kernel} along the {axis}, so {window.stride - window.kernel} of every {window.stride} "
                    f"input positions are never read",
                    axis,
                    window.stride - window.kernel,
                )
            )
    return found


def _unused_warnings(result: LayerResult, index: int) -> list[Warning]:
    found = []
    for axis, rows in zip(AXES, result.unused_image, strict=True):
        if rows > 0:
            found.append(
                Warning(
                    "unread",
                    index,
                    f"layer {index} ({result.layer.type}): the floor in the output-size formula leaves the last "
                    f"{rows} input {'row' if axis == 'height' else 'column'}(s) unread along the {axis}; "
                    f"add padding or change the stride",
                    axis,
                    rows,
                )
            )
    return found


def analyze(layers: Sequence[Layer], input_shape: Shape | None = None) -> StackReport:
    """Analyse a stack. Without an input shape only the receptive field is computed (as far as it can be)."""
    results: list[LayerResult] | None = propagate(layers, input_shape) if input_shape is not None else None
    reports: list[LayerReport] = []
    warnings: list[Warning] = []
    current: tuple[rf.AxisField, rf.AxisField] | None = (rf.AxisField(), rf.AxisField())
    for i, layer in enumerate(layers):
        result = results[i] if results is not None else None
        windows = result.windows if result is not None else static_windows(layer)
        if windows is None and current is not None:
            if layer.type == "conv_transpose2d":
                warnings.append(
                    Warning(
                        "rf_transposed",
                        i,
                        f"layer {i} (conv_transpose2d): a transposed convolution upsamples, so the receptive field "
                        f"is not defined from here on (Araujo et al. cover downsampling layers only)",
                    )
                )
            else:
                warnings.append(
                    Warning(
                        "rf_needs_input",
                        i,
                        f"layer {i} ({layer.type}) covers the whole map: give an input size to compute its "
                        f"receptive field",
                    )
                )
        if windows is None:
            current = None
        elif current is not None and input_shape is not None and layer.type in ("global_avg_pool2d", "linear"):
            # a mean over the map or a linear layer on it flattened: every output sees the whole input
            current = (rf.whole(input_shape.height, current[0].stride), rf.whole(input_shape.width, current[1].stride))
        elif current is not None:
            warnings.extend(_window_warnings(i, layer, windows))
            current = (rf.compose(current[0], windows[0]), rf.compose(current[1], windows[1]))
        if result is not None:
            warnings.extend(_unused_warnings(result, i))
        reports.append(
            LayerReport(
                index=i,
                layer=layer,
                output=result.output if result else None,
                params=result.params if result else None,
                macs=result.macs if result else None,
                field=current,
                unused=result.unused if result else None,
            )
        )
    return StackReport(input_shape, reports, warnings)


@dataclass(frozen=True)
class Region:
    """The input box one output position sees, per axis ``(start, end)`` inclusive."""

    unclipped: tuple[tuple[int, int], tuple[int, int]]
    clipped: tuple[tuple[int, int], tuple[int, int]] | None
    center: tuple[float, float]
    field: tuple[rf.AxisField, rf.AxisField]


def region(layers: Sequence[Layer], input_shape: Shape, position: Pair, layer_index: int | None = None) -> Region:
    """The receptive field of output ``position = (row, col)`` of layer ``layer_index`` (the last by default)."""
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
