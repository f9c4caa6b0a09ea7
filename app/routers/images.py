"""Image endpoints: built-in samples, feature maps of a layer stack, and the receptive field of one unit.

Both POST endpoints take a multipart form: an image ``file`` (PNG, JPEG or WebP) *or* a ``sample`` name,
``layers`` (the layer list as JSON text, with the image-only weight fields of :mod:`convcore.network`),
``color`` (``gray`` or ``rgb``) and ``seed``. The server keeps nothing between requests: the page sends the
image again for a receptive-field click. Responses are serialized with orjson, the large ones piece by piece
(:mod:`app.jsonstream`); maps travel as PNG data URLs.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import orjson
from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app import imaging, pricing
from app.admission import admitted
from app.encoding import dumps
from app.jsonstream import json_response
from app.settings import Settings, get_settings
from convcore import cost
from convcore.erf import effective_receptive_field
from convcore.layers import LayerResult, Shape
from convcore.network import build_network, plan_network, run_network
from convcore.receptive_field import AxisField
from convcore.stack import analyze, region

router = APIRouter(tags=["images"])

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "static" / "samples"
#: name → (Russian title, English title); the files are drawn by scripts/make_samples.py.
SAMPLES: dict[str, tuple[str, str]] = {
    "house": ("Домик", "House"),
    "checkerboard": ("Шахматная доска", "Checkerboard"),
    "circle": ("Круг с градиентом", "Circle gradient"),
    "text": ("Текст издали", "Text from afar"),
    "landscape": ("Пейзаж 512×512", "Landscape 512×512"),
}
#: Bounds on the work one request may ask for (the pixel bounds are in Settings).
MAX_IMAGE_LAYERS = 12
MAX_IMAGE_CHANNELS = 16
MAX_IMAGE_KERNEL = 31
MAX_LAYERS_JSON = 256 * 1024

SettingsDep = Annotated[Settings, Depends(get_settings)]
Color = Literal["gray", "rgb"]


def _json(content: dict[str, Any]) -> Response:
    return Response(dumps(content), media_type="application/json")


@lru_cache(maxsize=32)
def _sample(name: str, color: Color, max_work_pixels: int) -> imaging.DecodedImage:
    data = (SAMPLE_DIR / f"{name}.png").read_bytes()
    decoded = imaging.decode_image(
        data, color=color, max_bytes=len(data), max_image_pixels=2**31, max_work_pixels=max_work_pixels
    )
    decoded.pixels.flags.writeable = False
    return decoded


@lru_cache(maxsize=32)
def _sample_photo(name: str, color: Color, max_work_pixels: int) -> str:
    """The decoded sample as the response's PNG data URL: the same for every request on it."""
    return imaging.encode_photo(_sample(name, color, max_work_pixels).pixels)


@dataclass(frozen=True)
class Source:
    """The image of a request before it is decoded: a built-in sample (already decoded) or an upload's bytes,
    with the size its header declares and the working shape it will be scaled to."""

    label: str
    original: tuple[int, int]
    work: Shape
    color: Color
    data: bytes = b""
    transparent: bool = False
    sample: imaging.DecodedImage | None = None
    sample_photo: str = ""

    def decode(self, settings: Settings) -> imaging.DecodedImage:
        if self.sample is not None:
            return self.sample
        return imaging.decode_image(
            self.data,
            color=self.color,
            max_bytes=settings.max_upload_bytes,
            max_image_pixels=settings.max_image_pixels,
            max_work_pixels=settings.max_work_pixels,
        )

    def decode_bytes(self) -> int:
        if self.sample is not None:
            return 0
        return cost.decode_bytes(self.original, self.work, transparent=self.transparent)

    def photo(self, decoded: imaging.DecodedImage) -> str:
        """The decoded image as a PNG data URL (a sample's is encoded once per process)."""
        return self.sample_photo or imaging.encode_photo(decoded.pixels)


def _upload_source(data: bytes, color: Color, settings: Settings) -> Source:
    width, height, transparent = imaging.image_size(
        data, max_bytes=settings.max_upload_bytes, max_image_pixels=settings.max_image_pixels
    )
    fit_w, fit_h = imaging.fit_size(width, height, settings.max_work_pixels)
    shape = Shape(1 if color == "gray" else 3, fit_h, fit_w)
    return Source("upload", (height, width), shape, color, data=data, transparent=transparent)


async def _upload_bytes(file: UploadFile | None, sample: str | None) -> bytes | None:
    """The upload's bytes (``None`` for a sample), after checking that exactly one of the two was sent."""
    if file is not None and sample is not None:
        raise ValueError("send either file (an uploaded image) or sample (a built-in sample name), not both")
    if sample is not None:
        return None
    if file is None:
        raise ValueError("send an image: file (an uploaded PNG, JPEG or WebP) or sample (a built-in sample name)")
    # The body-size middleware has bounded the request, and multipart parts are kept in memory.
    return await file.read()


def _source(data: bytes | None, sample: str | None, color: Color, settings: Settings) -> Source:
    """The request's image, read in the worker thread that does its work (one hop off the event loop)."""
    if data is not None:
        return _upload_source(data, color, settings)
    if sample not in SAMPLES:
        raise ValueError(f"sample must be one of {', '.join(SAMPLES)}, got {sample!r}")
    decoded = _sample(sample, color, settings.max_work_pixels)
    photo = _sample_photo(sample, color, settings.max_work_pixels)
    shape = Shape(*decoded.pixels.shape)
    return Source(f"sample:{sample}", decoded.original_size, shape, color, sample=decoded, sample_photo=photo)


async def _load_image(file: UploadFile | None, sample: str | None, color: Color, settings: Settings) -> Source:
    """The request's image for an endpoint that prices and decodes it itself (``intro_experiments``)."""
    data = await _upload_bytes(file, sample)
    return await run_in_threadpool(_source, data, sample, color, settings)


def _parse_layers(text: str) -> list[Any]:
    if len(text) > MAX_LAYERS_JSON:
        raise ValueError(f"layers is {len(text)} characters long; the limit is {MAX_LAYERS_JSON}")
    try:
        layers = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"layers must be a JSON list of layer objects: {exc}") from exc
    if not isinstance(layers, list) or not layers:
        raise ValueError("layers must be a non-empty JSON list of layer objects")
    if len(layers) > MAX_IMAGE_LAYERS:
        raise ValueError(f"the image lab runs at most {MAX_IMAGE_LAYERS} layers, got {len(layers)}: remove some")
    return layers


def _plan(raw: list[Any], shape: Shape) -> list[LayerResult]:
    """The stack's shapes on the working image, with the image lab's bounds checked; nothing allocated."""
    results = plan_network(raw, shape)
    for i, result in enumerate(results):
        layer = result.layer
        if result.output.channels > MAX_IMAGE_CHANNELS:
            raise ValueError(
                f"layer {i} ({layer.type}): at most {MAX_IMAGE_CHANNELS} channels in the image lab, "
                f"got {result.output.channels}: lower out_channels"
            )
        if max(layer.kernel_size) > MAX_IMAGE_KERNEL or max(layer.dilation) > MAX_IMAGE_KERNEL:
            raise ValueError(f"layer {i} ({layer.type}): kernel_size and dilation must be at most {MAX_IMAGE_KERNEL}")
    return results


def _maps_price(shape: Shape, results: Sequence[LayerResult]) -> cost.Cost:
    return cost.network_cost(shape, results)[0]


def _priced(
    source: Source, raw: list[Any], price: Callable[[Shape, Sequence[LayerResult]], cost.Cost], settings: Settings
) -> int:
    """Price decoding, plan the stack and ``price`` it, refuse what is over budget; the bytes to admit."""
    decode = source.decode_bytes()
    problem = pricing.over_budget(cost.Cost(decode, 0), settings)
    if problem is not None:
        height, width = source.original
        raise ValueError(f"decoding this {width}×{height} image {problem}: scale it down first")
    results = _plan(raw, source.work)
    layers = [cost.layer_cost(r, i) for i, r in enumerate(results)]
    network = price(source.work, results)
    pricing.check_network(source.work, results, layers, network, price, settings)
    return max(network.bytes, decode)


def _field(field: tuple[AxisField, AxisField] | None) -> dict[str, list[int]] | None:
    if field is None:
        return None
    h, w = field
    return {"size": [h.size, w.size], "stride": [h.stride, w.stride], "padding": [h.padding, w.padding]}


def _box(rows: tuple[int, int], cols: tuple[int, int]) -> dict[str, int]:
    # The box form of POST /receptive-field/region: inclusive pixel indices.
    return {"top": rows[0], "left": cols[0], "bottom": rows[1], "right": cols[1]}


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
        _, height, width = _sample(name, "gray", 2**31).pixels.shape
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
    return _json({"samples": samples})


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
FileField = Annotated[UploadFile | None, File(description="a PNG, JPEG or WebP image")]
SampleField = Annotated[str | None, Form(description="a built-in sample name (GET /images/samples)")]
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
    data = await _upload_bytes(file, sample)
    # The work runs in the thread pool (torch releases the GIL), so one request does not stall the event loop.
    return await run_in_threadpool(_feature_maps, (data, sample, color), layers, seed, settings)


ImageArgs = tuple[bytes | None, str | None, Color]


def _feature_maps(image: ImageArgs, layers: str, seed: int, settings: Settings) -> Response:
    source = _source(*image, settings)
    raw = _parse_layers(layers)
    nbytes = _priced(source, raw, _maps_price, settings)
    with admitted(settings, nbytes):
        return _encode_maps(source, source.decode(settings), raw, seed)


def _encode_maps(source: Source, decoded: imaging.DecodedImage, raw: list[Any], seed: int) -> Response:
    started = time.perf_counter()
    network = build_network(raw, Shape(*decoded.pixels.shape), seed=seed)
    maps = run_network(network, decoded.pixels)
    computed = time.perf_counter()
    report = analyze(network.layers, network.input_shape)
    out_layers = []
    for row, values in zip(report.layers, maps, strict=True):
        max_abs = float(np.abs(values).max())
        channels = []
        for c, channel in enumerate(values):
            item: dict[str, Any] = {"channel": c, **_stats(channel), "image": imaging.encode_map(channel, max_abs)}
            if channel.size == 1:
                item["value"] = float(channel.flat[0])
            channels.append(item)
        out_layers.append(
            {
                "index": row.index,
                "type": row.layer.type,
                "output": {"channels": values.shape[0], "height": values.shape[1], "width": values.shape[2]},
                "receptive_field": _field(row.field),
                "scale": {"min": -max_abs, "max": max_abs},
                **_stats(values),
                "maps": channels,
            }
        )
    encoded = time.perf_counter()
    return json_response(
        {
            "input": {**_input_info(decoded, source.label), "image": source.photo(decoded)},
            "layers": out_layers,
            "warnings": [
                {"code": w.code, "layer": w.layer, "axis": w.axis, "count": w.count, "message": w.message}
                for w in report.warnings
            ],
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
    data = await _upload_bytes(file, sample)
    unit = (layer_index, channel, row, col)
    return await run_in_threadpool(_receptive_field, (data, sample, color), layers, seed, unit, erf, settings)


def _receptive_field(
    image: ImageArgs, layers: str, seed: int, unit: tuple[int, int, int, int], erf: bool, settings: Settings
) -> Response:
    source = _source(*image, settings)
    layer_index = unit[0]
    raw = _parse_layers(layers)
    if layer_index >= len(raw):
        raise ValueError(f"layer_index must be between 0 and {len(raw) - 1}, got {layer_index}")
    # Layers after the unit's own play no part: they are neither priced nor built.
    upto = raw[: layer_index + 1]
    nbytes = _priced(source, upto, cost.erf_cost, settings)
    with admitted(settings, nbytes):
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
        "receptive_field": _field(box.field),
        "unclipped": _box(*box.unclipped),
        "clipped": None if box.clipped is None else _box(*box.clipped),
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
            "support": None if result.support is None else _box(*result.support),
        }
    return json_response(body)
