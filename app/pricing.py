"""Prices checked against the budgets in ``Settings``, with a refusal that says what to change.

:func:`check` is the one test every priced endpoint uses. For image-lab stacks :func:`check_network` names
the layer whose map is the largest and, when that layer's padding is what makes it large, the largest
padding that fits (found with the same cost model).
"""

from collections.abc import Callable, Sequence
from dataclasses import replace

from app.settings import Settings
from convcore.arithmetic.shapes import effective_kernel_size
from convcore.networks import cost
from convcore.networks.cost import REQUEST_BYTES, Cost, LayerCost, map_bytes
from convcore.networks.layers import Layer, LayerResult, Shape, propagate
from convcore.operations.geometry import ConvGeometry
from convcore.operations.pooling import PoolGeometry
from convcore.operations.transposed import TransposeGeometry

__all__ = [
    "check",
    "check_network",
    "check_stack",
    "conv_price",
    "conv_transpose_price",
    "mib",
    "over_budget",
    "pool_price",
]

NetworkPrice = Callable[[Shape, Sequence[LayerResult]], Cost]


def mib(n: int) -> str:
    """Bytes as MiB (or GiB from 1 GiB up), rounded for a message."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def over_budget(total: Cost, settings: Settings) -> str | None:
    """What is over the budget, in words, or ``None`` if the price fits."""
    nbytes = total.bytes + REQUEST_BYTES
    if nbytes > settings.max_request_bytes:
        return f"needs about {mib(nbytes)} of memory, more than the limit of {mib(settings.max_request_bytes)}"
    if total.work > settings.max_request_work:
        return (
            f"needs about {total.work / 1e9:.1f} billion operations, more than the limit of "
            f"{settings.max_request_work / 1e9:.1f} billion"
        )
    return None


def check(total: Cost, settings: Settings, what: str, change: str) -> None:
    """Refuse (``ValueError``, a 422) a request over budget: ``what`` names it, ``change`` says what to do."""
    problem = over_budget(total, settings)
    if problem is not None:
        raise ValueError(f"{what} {problem}: {change}")


def check_stack(layers: int, settings: Settings, what: str, change: str) -> None:
    """Refuse a layer table of ``layers`` rows over budget (its bytes: :func:`convcore.networks.cost.stack_bytes`)."""
    check(Cost(cost.stack_bytes(layers), layers), settings, what, change)


def _with_padding(layer: Layer, padding: int) -> Layer:
    """The layer with its padding cut to at most ``padding`` on every side."""
    (top, bottom), (left, right) = layer.padding
    pads = ((min(top, padding), min(bottom, padding)), (min(left, padding), min(right, padding)))
    return replace(layer, padding=pads, padding_spec=(pads[0][0], pads[1][0]))


def _largest_padding(
    input_shape: Shape, results: Sequence[LayerResult], index: int, price: NetworkPrice, settings: Settings
) -> int | None:
    """The largest padding of layer ``index`` (every other layer unchanged) that fits the budget, if any."""

    def fits(padding: int) -> bool:
        layers = [r.layer for r in results]
        layers[index] = _with_padding(results[index].layer, padding)
        try:
            return over_budget(price(input_shape, propagate(layers, input_shape)), settings) is None
        except ValueError:
            return False

    low, high = 0, max(max(pair) for pair in results[index].layer.padding)
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _map(shape: Shape) -> str:
    return f"{shape.height}×{shape.width}×{shape.channels} map ({mib(map_bytes(shape))})"


def check_network(
    input_shape: Shape,
    results: Sequence[LayerResult],
    layers: Sequence[LayerCost],
    total: Cost,
    price: NetworkPrice,
    settings: Settings,
) -> None:
    """Refuse an image-lab stack over budget, naming its largest map's layer and what to change there."""
    problem = over_budget(total, settings)
    if problem is None:
        return
    by_work = total.work > settings.max_request_work and total.bytes + REQUEST_BYTES <= settings.max_request_bytes
    worst = max(layers, key=(lambda c: c.work) if by_work else (lambda c: map_bytes(c.largest_map)))
    result = results[worst.index]
    layer = result.layer
    where = f"layer {worst.index} ({layer.type})"
    padding = max(max(pair) for pair in layer.padding)
    if layer.type == "conv2d" and padding > 0:
        fit = _largest_padding(input_shape, results, worst.index, price, settings)
        if fit is not None and fit < padding:
            raise ValueError(
                f"{where}: padding {padding} makes a {_map(worst.largest_map)} and the request {problem}; "
                f"use padding ≤ {fit}"
            )
    if by_work:
        raise ValueError(
            f"{where} needs {worst.work / 1e9:.2f} billion operations and the request {problem}: use fewer "
            "channels, smaller kernels, a stride or an earlier pool"
        )
    raise ValueError(
        f"{where} makes a {_map(worst.largest_map)} and the request {problem}: use fewer channels "
        "(out_channels), a smaller image, a stride or an earlier pool"
    )


OPS_CHANGE = "use a smaller input, fewer channels, less padding or a larger stride"


def conv_price(g: ConvGeometry, weight_elements: int, method: str, taps: int) -> Cost:
    """``/ops/conv2d``: the padded input, the method's workspace, the output and the trace's ``taps``."""
    (top, bottom), (left, right) = g.padding
    padded = Shape(g.in_channels, g.input_size[0] + top + bottom, g.input_size[1] + left + right)
    output = Shape(g.out_channels, *g.output_size)
    span = (
        effective_kernel_size(g.kernel_size[0], g.dilation[0]),
        effective_kernel_size(g.kernel_size[1], g.dilation[1]),
    )
    fft = cost.fft_conv_bytes(padded, g.out_channels, g.in_channels // g.groups, span) if method == "fft" else 0
    nbytes = cost.conv_op_bytes(padded, output, weight_elements, method, fft) + cost.trace_bytes(taps)
    return Cost(nbytes, g.macs)


def conv_transpose_price(g: TransposeGeometry, weight_elements: int, macs: int, taps: int) -> Cost:
    """``/ops/conv_transpose2d``: the uncropped canvas, one tap's scattered products, the output and the trace."""
    canvas = tuple(
        max(
            (g.input_size[a] - 1) * g.stride[a] + g.dilation[a] * (g.kernel_size[a] - 1) + 1,
            g.padding[a] + g.output_size[a],
        )
        for a in (0, 1)
    )
    scattered = Shape(g.out_channels, *g.input_size)
    output = Shape(g.out_channels, *g.output_size)
    arrays = 2 * map_bytes(Shape(g.in_channels, *g.input_size), cost.FLOAT64) + weight_elements * cost.FLOAT64
    nbytes = (
        arrays
        + cost.canvas_bytes(g.out_channels, (canvas[0], canvas[1]))
        + 2 * map_bytes(scattered, cost.FLOAT64)
        + 2 * map_bytes(output, cost.FLOAT64)
        + cost.trace_bytes(taps)
    )
    return Cost(nbytes, macs)


def pool_price(channels: int, g: PoolGeometry, taps: int) -> Cost:
    """A pool: the input padded far enough for every window, the output with indices, and the trace."""
    padded = Shape(
        channels,
        *(
            max(
                g.input_size[a] + 2 * g.padding[a],
                (g.output_size[a] - 1) * g.stride[a] + g.dilation[a] * (g.kernel_size[a] - 1) + 1,
            )
            for a in (0, 1)
        ),
    )
    output = Shape(channels, *g.output_size)
    work = map_bytes(output, 1) * g.kernel_size[0] * g.kernel_size[1]
    return Cost(cost.pool_op_bytes(padded, output) + cost.trace_bytes(taps), work)
