"""Image endpoints: built-in samples, feature maps of a layer stack, and the receptive field of one unit.

Both POST endpoints take a multipart form: an image ``file`` (PNG, JPEG or WebP) *or* a ``sample`` name,
``layers`` (the layer list as JSON text, with the image-only weight fields of :mod:`convcore.networks.network`),
``color`` (``gray`` or ``rgb``) and ``seed``. The server keeps nothing between requests: the page sends the
image again for a receptive-field click. Responses are serialized with orjson, the large ones piece by piece
(:mod:`app.jsonstream`); maps travel as PNG data URLs.
"""

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Form
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app import imaging, pricing
from app.admission import admitted
from app.dependencies import SettingsDep
from app.encoding import respond
from app.image_source import SAMPLES, Color, FileField, ImageArgs, SampleField, Source, sample_image, upload_bytes
from app.image_source import source as read_source
from app.jsonstream import json_response
from app.reports import box_dict, warning_dicts
from app.settings import Settings
from convcore.networks import cost
from convcore.networks.erf import effective_receptive_field
from convcore.networks.graph import field_dict
from convcore.networks.layers import LayerResult, Shape
from convcore.networks.network import build_network, plan_network, run_network
from convcore.networks.stack import analyze, region

router = APIRouter(tags=["images"])


def _parse_layers(text: str, settings: Settings) -> list[Any]:
    if len(text) > settings.max_layers_json:
        raise ValueError(f"layers is {len(text)} characters long; the limit is {settings.max_layers_json}")
    try:
        layers = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"layers must be a JSON list of layer objects: {exc}") from exc
    if not isinstance(layers, list) or not layers:
        raise ValueError("layers must be a non-empty JSON list of layer objects")
    if len(layers) > settings.max_image_layers:
        raise ValueError(
            f"the image lab runs at most {settings.max_image_layers} layers, got {len(layers)}: remove some"
        )
    return layers


def _plan(raw: list[Any], shape: Shape, settings: Settings) -> list[LayerResult]:
    """The stack's shapes on the working image, with the image lab's bounds checked; nothing allocated."""
    results = plan_network(raw, shape)
    channels, kernel = settings.max_image_channels, settings.max_image_kernel
    for i, result in enumerate(results):
        layer = result.layer
        if result.output.channels > channels:
            raise ValueError(
                f"layer {i} ({layer.type}): at most {channels} channels in the image lab, "
                f"got {result.output.channels}: lower out_channels"
            )
        if max(layer.kernel_size) > kernel or max(layer.dilation) > kernel:
            raise ValueError(f"layer {i} ({layer.type}): kernel_size and dilation must be at most {kernel}")
    return results


def _maps_price(shape: Shape, results: Sequence[LayerResult]) -> cost.Cost:
    return cost.network_cost(shape, results)[0]


def _admitted(
    source: Source, raw: list[Any], price: Callable[[Shape, Sequence[LayerResult]], cost.Cost], settings: Settings
) -> AbstractContextManager[None]:
    """Price decoding, plan the stack and ``price`` it, refuse what is over budget, admit the larger price."""
    decode = source.decode_bytes()
    problem = pricing.over_budget(cost.Cost(decode, 0), settings)
    if problem is not None:
        height, width = source.original
        raise ValueError(f"decoding this {width}×{height} image {problem}: scale it down first")
    results = _plan(raw, source.work, settings)
    layers = [cost.layer_cost(r, i) for i, r in enumerate(results)]
    network = price(source.work, results)
    pricing.check_network(source.work, results, layers, network, price, settings)
    return admitted(settings, max(network.bytes, decode))


def _input_info(decoded: imaging.DecodedImage, source: str) -> dict[str, Any]:
    channels, height, width = decoded.pixels.shape
    info: dict[str, Any] = {
        "channels": channels,
        "height": height,
        "width": width,
        "original": {"height": decoded.original_size[0], "width": decoded.original_size[1]},
        "scaled": decoded.scaled,
        "source": source,
        "note": None,
    }
    if decoded.scaled:
        oh, ow = decoded.original_size
        info["note"] = {
            "code": "scaled",
            "message": f"the photo was {ow}×{oh} and has been scaled down to {width}×{height} to bound the work",
        }
    return info


def _stats(values: np.ndarray) -> dict[str, float]:
    return {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean())}


@router.get("/images/samples")
def list_samples(settings: SettingsDep) -> Response:
    """The built-in sample images: name, titles in Russian and English, size and URL."""
    samples = []
    for name, (title_ru, title_en) in SAMPLES.items():
        _, height, width = sample_image(name, "gray", 2**31).pixels.shape
        samples.append(
            {
                "name": name,
                "title_ru": title_ru,
                "title_en": title_en,
                "width": width,
                "height": height,
                "url": f"/static/samples/{name}.png",
            }
        )
    return respond({"samples": samples})


LAYERS_HELP = (
    "The layer list as JSON text, at most 12 layers of conv2d, relu, max_pool2d, avg_pool2d, batch_norm2d, dropout "
    'and global_avg_pool2d in the shared layer format, plus image-only fields. conv2d: "kernels" is a preset '
    "name (GET /kernels) or a list with one entry per output channel, each a preset name, a kH×kW list (applied to "
    "the mean of the input channels) or a C_in/groups×kH×kW list; without it the weights are torch's default "
    'uniform initialisation, seeded by seed; "bias_values" one number per output channel. batch_norm2d: '
    '"training" (default true: this image\'s own per-channel statistics; false: running_mean/running_var, '
    'default 0 and 1), "weight_values", "bias_values". dropout: "training" (default true), "seed". '
    'Example: [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, '
    '"kernels": ["sobel_x", "sobel_y"]}, {"type": "relu"}, {"type": "max_pool2d", "kernel_size": 2}]'
)
LayersField = Annotated[str, Form(description=LAYERS_HELP)]
ColorField = Annotated[Color, Form()]
SeedField = Annotated[int, Form(ge=0, le=2**31 - 1)]
Index = Annotated[int, Form(ge=0, le=100_000)]


@router.post("/images/feature-maps")
async def feature_maps(
    settings: SettingsDep,
    layers: LayersField,
    file: FileField = None,
    sample: SampleField = None,
    color: ColorField = "gray",
    seed: SeedField = 0,
) -> Response:
    """Every layer's feature maps for an image: per layer the output shape, the receptive field
    ``{size, stride, padding}`` per axis, one PNG per channel on a two-sided colour scale ``[−m, m]`` shared by
    the layer (``scale``), and min/max/mean per map; 1×1 maps (after global pooling) also carry their value."""
    data = await upload_bytes(file, sample)
    # The work runs in the thread pool (torch releases the GIL), so one request does not stall the event loop.
    return await run_in_threadpool(_feature_maps, (data, sample, color), layers, seed, settings)


def _feature_maps(image: ImageArgs, layers: str, seed: int, settings: Settings) -> Response:
    source = read_source(*image, settings)
    raw = _parse_layers(layers, settings)
    with _admitted(source, raw, _maps_price, settings):
        return _encode_maps(source, source.decode(settings), raw, seed)


def _encode_maps(source: Source, decoded: imaging.DecodedImage, raw: list[Any], seed: int) -> Response:
    started = time.perf_counter()
    network = build_network(raw, Shape(*decoded.pixels.shape), seed=seed)
    maps = run_network(network, decoded.pixels)
    computed = time.perf_counter()
    report = analyze(network.layers, network.input_shape)
    out_layers = []
    for row, values in zip(report.layers, maps, strict=True):
        stats = [_stats(channel) for channel in values]
        low, high = min(s["min"] for s in stats), max(s["max"] for s in stats)
        # the layer's largest |value|, from the channels' extremes rather than a pass over an |values| copy
        max_abs = max(abs(low), abs(high))
        channels = []
        for c, (channel, image) in enumerate(zip(values, imaging.encode_maps(values, max_abs), strict=True)):
            item: dict[str, Any] = {"channel": c, **stats[c], "image": image}
            if channel.size == 1:
                item["value"] = float(channel.flat[0])
            channels.append(item)
        out_layers.append(
            {
                "index": row.index,
                "type": row.layer.type,
                "output": {"channels": values.shape[0], "height": values.shape[1], "width": values.shape[2]},
                "receptive_field": field_dict(row.field),
                "scale": {"min": -max_abs, "max": max_abs},
                "min": low,
                "max": high,
                "mean": float(values.mean()),
                "maps": channels,
            }
        )
    encoded = time.perf_counter()
    return json_response(
        {
            "input": {**_input_info(decoded, source.label), "image": source.photo(decoded)},
            "layers": out_layers,
            "warnings": warning_dicts(report.warnings),
            "timing_ms": {"compute": (computed - started) * 1e3, "encode": (encoded - computed) * 1e3},
        }
    )


@router.post("/images/receptive-field")
async def image_receptive_field(
    settings: SettingsDep,
    layers: LayersField,
    layer_index: Index,
    row: Index,
    col: Index,
    file: FileField = None,
    sample: SampleField = None,
    color: ColorField = "gray",
    seed: SeedField = 0,
    channel: Index = 0,
    erf: Annotated[bool, Form()] = True,
) -> Response:
    """The input box unit ``(channel, row, col)`` of layer ``layer_index`` sees, as ``POST /receptive-field/region``
    gives it: unclipped ``{top, left, bottom, right}`` (inclusive, ``u·S − P`` to ``u·S − P + r − 1`` per axis,
    may leave the image), clipped to the image, and its centre ``[y, x]``; with ``erf`` also the effective
    receptive field (|∂unit/∂input| summed over input channels, divided by its peak) as a white-to-red PNG and
    the bounding box of its non-zero pixels."""
    data = await upload_bytes(file, sample)
    unit = (layer_index, channel, row, col)
    return await run_in_threadpool(_receptive_field, (data, sample, color), layers, seed, unit, erf, settings)


def _receptive_field(
    image: ImageArgs, layers: str, seed: int, unit: tuple[int, int, int, int], erf: bool, settings: Settings
) -> Response:
    source = read_source(*image, settings)
    layer_index = unit[0]
    raw = _parse_layers(layers, settings)
    if layer_index >= len(raw):
        raise ValueError(f"layer_index must be between 0 and {len(raw) - 1}, got {layer_index}")
    # Layers after the unit's own play no part: they are neither priced nor built.
    upto = raw[: layer_index + 1]
    with _admitted(source, upto, cost.erf_cost, settings):
        return _field_body(source.decode(settings), source.label, upto, seed, unit, erf)


def _field_body(
    decoded: imaging.DecodedImage, source: str, raw: list[Any], seed: int, unit: tuple[int, int, int, int], erf: bool
) -> Response:
    layer_index, channel, row, col = unit
    network = build_network(raw, Shape(*decoded.pixels.shape), seed=seed)
    box = region(network.layers, network.input_shape, (row, col), layer_index)
    body: dict[str, Any] = {
        "layer_index": layer_index,
        "position": [row, col],
        "channel": channel,
        "input": _input_info(decoded, source),
        "receptive_field": field_dict(box.field),
        "unclipped": box_dict(*box.unclipped),
        "clipped": None if box.clipped is None else box_dict(*box.clipped),
        "center": list(box.center),
        "erf": None,
    }
    if erf:
        result = effective_receptive_field(
            network, decoded.pixels, layer_index=layer_index, row=row, col=col, channel=channel
        )
        body["erf"] = {
            "image": imaging.encode_heatmap(result.heatmap),
            "peak": result.peak,
            "support": None if result.support is None else box_dict(*result.support),
        }
    return json_response(body)
