"""The lecture's opening as experiments: why not dense layers (/why-conv) and what a convolution keeps
(/equivariance). Thin shell over :mod:`convcore.operations.dense` and :mod:`convcore.operations.equivariance`.

Every request is priced before any work: image endpoints decode the image scaled down to a bounded pixel
count, then the multiply-adds of all the network runs the answer needs are computed from the validated
sizes and refused above a budget.
"""

import dataclasses
import hashlib
import time
from functools import lru_cache
from typing import Annotated, Any, NamedTuple

import numpy as np
from fastapi import APIRouter, Form, Query, Response
from starlette.concurrency import run_in_threadpool

from app import imaging
from app.admission import priced
from app.dependencies import SettingsDep
from app.encoding import respond
from app.image_source import FileField, SampleField, Source, load_image
from app.schemas.experiments import (
    EQUIVARIANCE_MAX_BLUR,
    EQUIVARIANCE_MAX_CHANNELS,
    EQUIVARIANCE_MAX_KERNEL,
    EQUIVARIANCE_MAX_LAYERS,
    EQUIVARIANCE_MAX_STRIDE,
    MAX_SEED,
    MAX_SHIFT,
    MAX_UNITS,
    PERMUTATION_MAX_SIDE,
    PERMUTATION_MIN_SIDE,
    WHY_MAX_CHANNELS,
    WHY_MAX_KERNEL,
    WHY_MAX_SIDE,
    WhyConvResponse,
)
from app.settings import Settings
from convcore.errors import InputError
from convcore.networks.cost import Cost
from convcore.operations import dense, equivariance
from convcore.operations.kernels import get_kernel

router = APIRouter(prefix="/experiments", tags=["experiments"])

SWEEP_SIDES = (8, 16, 32, 64, 128, 224, 256, 512, 1024)
EQUIVARIANCE_MAX_SIDE = 256
#: the summary runs the stack 21 times: on at most 128×128 pixels it costs about what two runs at 256² do
SUMMARY_MAX_SIDE = 128
ALIAS_SHIFTS = [0, 1, 2, 3, 4]
POOL_SHIFTS = [0, 1, 2, 3, 4, 5, 6, 7, 8]
POOL_SIZES = (1, 2, 4)
TRANSFORMS = ("rot90", "rot180", "flip", "scale2")


def _modules(c: int, h: int, w: int, c_out: int, k: int, bias: bool) -> dict[str, str]:
    b = "" if bias else ", bias=False"
    return {
        "dense": f"nn.Linear({c * h * w}, {c_out * h * w}{b})",
        "locally_connected": f"LocallyConnected2d({c}, {c_out}, kernel_size={k}, size=({h}, {w}){b})",
        "conv": f"nn.Conv2d({c}, {c_out}, kernel_size={k}, padding={k // 2}{b})",
    }


@router.get("/why-conv", response_model=WhyConvResponse)
def why_conv(
    channels: Annotated[int, Query(ge=1, le=WHY_MAX_CHANNELS, description="input channels C")] = 3,
    height: Annotated[int, Query(ge=1, le=WHY_MAX_SIDE)] = 224,
    width: Annotated[int, Query(ge=1, le=WHY_MAX_SIDE)] = 224,
    out_channels: Annotated[int, Query(ge=1, le=WHY_MAX_CHANNELS, description="output channels C_out")] = 64,
    kernel_size: Annotated[int, Query(ge=1, le=WHY_MAX_KERNEL, description="odd window size k")] = 3,
    bias: bool = True,
) -> Response:
    """Parameters and MACs of a dense, a locally connected and a convolutional layer from a C×H×W image to
    a C_out×H×W map (size kept: padding k // 2), with the formulas in these numbers, and the parameters
    against the side of a square image."""
    costs = dense.layer_costs(channels, height, width, out_channels, kernel_size, bias=bias)
    modules = _modules(channels, height, width, out_channels, kernel_size, bias)
    sweep: dict[str, list[int]] = {"sides": list(SWEEP_SIDES)}
    for side in SWEEP_SIDES:
        for name, cost in dense.layer_costs(channels, side, side, out_channels, kernel_size, bias=bias).items():
            sweep.setdefault(name, []).append(cost.params)
    return respond(
        {
            "layers": {name: {"module": modules[name], **dataclasses.asdict(cost)} for name, cost in costs.items()},
            "locality_saving": costs["dense"].params / costs["locally_connected"].params,
            "sharing_saving": costs["locally_connected"].params / costs["conv"].params,
            "sweep": sweep,
        }
    )


def _limited(settings: Settings, side: int) -> Settings:
    return settings.model_copy(update={"max_work_pixels": min(settings.max_work_pixels, side * side)})


def _decode_priced(source: Source, settings: Settings) -> imaging.DecodedImage:
    nbytes = source.decode_bytes()
    with priced(Cost(nbytes, 0), settings, "decoding this image", "send a smaller image"):
        return source.decode(settings)


async def _gray(file: Any, sample: str | None, settings: Settings, side: int) -> tuple[np.ndarray, str]:
    limited = _limited(settings, side)
    source = await load_image(file, sample, "gray", limited)
    decoded = await run_in_threadpool(_decode_priced, source, limited)
    return decoded.pixels.astype(np.float64), source.label


def _png(values: np.ndarray, max_abs: float | None = None) -> str:
    scale = float(np.abs(values).max()) if max_abs is None else max_abs
    return imaging.encode_map(values, scale)


@router.post("/permutation")
async def permutation(
    settings: SettingsDep,
    file: FileField = None,
    sample: SampleField = None,
    side: Annotated[
        int, Form(ge=PERMUTATION_MIN_SIDE, le=PERMUTATION_MAX_SIDE, description="the image is scaled to side² pixels")
    ] = 32,
    units: Annotated[int, Form(ge=1, le=MAX_UNITS, description="outputs of the dense layer")] = 64,
    kernel: Annotated[str, Form(description="a preset 3×3 or 5×5 kernel (GET /kernels)")] = "sobel_x",
    seed: Annotated[int, Form(ge=0, le=MAX_SEED)] = 0,
) -> Response:
    """Scramble the image's pixels with one seeded permutation. A dense layer whose weights are permuted the
    same way gives the same outputs (``dense_max_difference``: rounding only); a convolution's output of the
    scrambled image, even unscrambled again, is noise (``conv_relative_difference`` = ‖π⁻¹(conv(πx)) −
    conv(x)‖ / ‖conv(x)‖). The input images are gray PNGs, the convolutions' on one two-sided scale."""
    weights = get_kernel(kernel).weights
    pixels, source = await _gray(file, sample, settings, side)
    result = dense.permutation_experiment(pixels[0], weights, units=units, seed=seed)
    conv_scale = float(np.abs(result.conv).max())
    return respond(
        {
            "source": source,
            "height": int(pixels.shape[1]),
            "width": int(pixels.shape[2]),
            "units": units,
            "kernel": kernel,
            "seed": seed,
            "images": {
                "image": imaging.encode_photo(result.image[None]),
                "scrambled": imaging.encode_photo(result.scrambled[None]),
                "conv": _png(result.conv, conv_scale),
                "conv_scrambled": _png(result.conv_scrambled, conv_scale),
                "conv_unscrambled": _png(result.conv_unscrambled, conv_scale),
            },
            "dense": result.dense,
            "dense_scrambled": result.dense_scrambled,
            "dense_max_difference": result.dense_max_difference,
            "conv_relative_difference": result.conv_relative_difference,
        }
    )


def _run_macs(height: int, width: int, layers: int, channels: int, kernel_size: int, blur: int) -> int:
    taps = kernel_size * kernel_size
    per_pixel = channels * taps + (layers - 1) * channels * channels * taps + channels * blur * blur
    return height * width * per_pixel


def _check_budget(runs: int, run_macs: int, settings: Settings) -> None:
    total, limit = runs * run_macs, settings.max_equivariance_macs
    if total > limit:
        raise InputError(
            f"this experiment needs {total / 1e6:.0f} million multiply-adds ({runs} network runs); the limit is "
            f"{limit / 1e6:.0f} million — use fewer layers or channels or a smaller kernel",
            code="experiment_too_large",
            millions=round(total / 1e6),
            runs=runs,
            limit=round(limit / 1e6),
        )


def _box(mask: np.ndarray) -> dict[str, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return {"top": int(rows[0]), "left": int(cols[0]), "bottom": int(rows[-1]), "right": int(cols[-1])}


def _comparison(c: equivariance.Comparison) -> dict[str, Any]:
    return {
        "max_error_inside": c.max_error_inside,
        "max_error_outside": c.max_error_outside,
        "relative_error": c.relative_error,
        "region": _box(c.region),
    }


NetLayers = Annotated[int, Form(ge=1, le=EQUIVARIANCE_MAX_LAYERS, description="convolutions in the stack")]
NetChannels = Annotated[int, Form(ge=1, le=EQUIVARIANCE_MAX_CHANNELS, description="filters per layer")]
NetKernel = Annotated[int, Form(ge=1, le=EQUIVARIANCE_MAX_KERNEL, description="odd kernel size; padding k // 2")]
NetStride = Annotated[int, Form(ge=1, le=EQUIVARIANCE_MAX_STRIDE, description="stride of the first layer")]
NetBlur = Annotated[
    int, Form(ge=1, le=EQUIVARIANCE_MAX_BLUR, description="binomial blur before subsampling: 1 (none), 3 or 5")
]
NetSeed = Annotated[int, Form(ge=0, le=MAX_SEED)]
Shift = Annotated[int, Form(ge=-MAX_SHIFT, le=MAX_SHIFT)]


@router.post("/equivariance")
async def equivariance_shift(
    settings: SettingsDep,
    file: FileField = None,
    sample: SampleField = None,
    dy: Shift = 0,
    dx: Shift = 0,
    layers: NetLayers = 3,
    channels: NetChannels = 4,
    kernel_size: NetKernel = 3,
    stride: NetStride = 1,
    blur: NetBlur = 1,
    channel: Annotated[int, Form(ge=0, le=EQUIVARIANCE_MAX_CHANNELS - 1, description="the map to draw")] = 0,
    seed: NetSeed = 0,
    still: Annotated[
        bool, Form(description="also send the maps a shift does not change: x unshifted and net(x) (``original``)")
    ] = True,
) -> Response:
    """conv(shift(x)) against shift(conv(x)) for a seeded stack on the gray image (at most 256×256): the maps
    of one channel as PNGs on net(x)'s colour scale ``scale`` (``shifted`` = net(shift(x)), ``expected`` = the
    output shifted by ``output_shift``, ``difference`` on its own scale; with ``still``, also ``input`` = x
    unshifted and ``original`` = net(x), which a shift slider does not change), the largest error inside the
    ``region`` no padding or filled pixel reached and outside it, and the relative error (mean |difference| /
    mean |expected| inside).
    ``gap``: how much global average pooling of the output changes under a circular and a zero-filled shift."""
    if channel >= channels:
        raise InputError(
            f"channel must be below channels ({channels}), got {channel}",
            code="too_large",
            field="channel",
            maximum=channels - 1,
            value=channel,
        )
    params = NetParams(layers, channels, kernel_size, stride, blur, seed)
    equivariance.make_net(**params._asdict())  # bad settings answer 422 before the image is decoded
    pixels, source = await _gray(file, sample, settings, EQUIVARIANCE_MAX_SIDE)
    _, h, w = pixels.shape
    _check_budget(2, _run_macs(h, w, layers, channels, kernel_size, blur), settings)
    return await run_in_threadpool(_shift_body, params, pixels, source, (dy, dx), channel, still)


class NetParams(NamedTuple):
    layers: int
    channels: int
    kernel_size: int
    stride: int
    blur: int
    seed: int


class _Image:
    """Pixels that hash by their content, so that a cache can key on the image a student keeps sending."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels
        self.digest = hashlib.blake2b(pixels.tobytes(), digest_size=16).digest()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Image) and other.digest == self.digest


@lru_cache(maxsize=4)
def _base_run(image: _Image, params: NetParams) -> tuple[equivariance.EquivarianceNet, list[np.ndarray]]:
    # A shift slider changes only dy, dx: the unshifted run is the same for every step of a drag.
    net = equivariance.make_net(**params._asdict())
    outputs = equivariance.run(net, image.pixels)
    for output in outputs:
        output.flags.writeable = False
    return net, outputs


@lru_cache(maxsize=8)
def _still_maps(image: _Image, params: NetParams, channel: int) -> tuple[float, dict[str, str]]:
    # What a shift does not change: net(x)'s colour scale (a shifted map's border may go past it and is drawn
    # at the end of the scale), the input x and net(x), encoded once per image, network and channel.
    _, base = _base_run(image, params)
    scale = float(np.abs(base[-1][channel]).max())
    return scale, {"input": imaging.encode_photo(image.pixels), "original": _png(base[-1][channel], scale)}


def _shift_body(
    params: NetParams,
    pixels: np.ndarray,
    source: str,
    offset: tuple[int, int],
    channel: int,
    still: bool,
) -> Response:
    started = time.perf_counter()
    dy, dx = offset
    image = _Image(pixels)
    net, base = _base_run(image, params)
    comparison, output_shift = equivariance.compare_shift(net, pixels, dy, dx, base=base)
    circular, filled = equivariance.gap_shift_differences(base[-1], dy, dx)
    computed = time.perf_counter()
    scale, still_maps = _still_maps(image, params, channel)
    difference = comparison.difference[channel]
    body = {
        "source": source,
        "input": {"height": int(pixels.shape[1]), "width": int(pixels.shape[2])},
        "output": {"height": int(base[-1].shape[1]), "width": int(base[-1].shape[2])},
        "shift": [dy, dx],
        "output_shift": list(output_shift),
        "exact_shift": dy % net.stride == 0 and dx % net.stride == 0,
        "stride": net.stride,
        "blur": net.blur,
        "channel": channel,
        **_comparison(comparison),
        "gap": {"circular": circular, "filled": filled},
        "maps": {
            **(still_maps if still else {}),
            "shifted": _png(comparison.transformed[channel], scale),
            "expected": _png(comparison.expected[channel], scale),
            "difference": _png(difference),
        },
        "scale": scale,
        "difference_scale": float(np.abs(difference).max()),
    }
    body["timing_ms"] = {"compute": (computed - started) * 1e3, "total": (time.perf_counter() - started) * 1e3}
    return respond(body)


@router.post("/equivariance/summary")
async def equivariance_summary(
    settings: SettingsDep,
    file: FileField = None,
    sample: SampleField = None,
    layers: NetLayers = 3,
    channels: NetChannels = 4,
    kernel_size: NetKernel = 3,
    stride: NetStride = 2,
    seed: NetSeed = 0,
) -> Response:
    """What does not depend on the shift slider, on the gray image scaled to at most 128×128: the relative
    equivariance error against a right shift of 0–4 pixels with no blur and with the binomial blur of size 3
    (``alias``); the fraction of max-pooled outputs (pool 1 = none, 2, 4) of the first layer's map that stay
    the same under a right shift of 0–8 (``pooling``); net(T(x)) against T(net(x)) at stride 1 for rotations,
    a flip and a ×2 scaling; and, for reference, the stride-1 stack under a right shift by 1
    (``stride1_shift1``)."""
    nets = {
        b: equivariance.make_net(
            layers=layers, channels=channels, kernel_size=kernel_size, stride=stride, blur=b, seed=seed
        )
        for b in (1, 3)
    }
    plain = equivariance.make_net(
        layers=layers, channels=channels, kernel_size=kernel_size, stride=1, blur=1, seed=seed
    )
    pixels, source = await _gray(file, sample, settings, SUMMARY_MAX_SIDE)
    _, h, w = pixels.shape
    runs = 2 * len(ALIAS_SHIFTS) + 2 * len(TRANSFORMS) + 3
    _check_budget(runs, _run_macs(h, w, layers, channels, kernel_size, 3), settings)
    return await run_in_threadpool(_summary_body, nets, plain, pixels, source)


def _summary_body(
    nets: dict[int, equivariance.EquivarianceNet],
    plain: equivariance.EquivarianceNet,
    pixels: np.ndarray,
    source: str,
) -> Response:
    alias: dict[str, list[float]] = {}
    for b, net in nets.items():
        base = equivariance.run(net, pixels)
        alias[str(b)] = [
            equivariance.compare_shift(net, pixels, 0, t, base=base)[0].relative_error for t in ALIAS_SHIFTS
        ]
    plain_base = equivariance.run(plain, pixels)
    first = plain_base[0][0]
    stride1, _ = equivariance.compare_shift(plain, pixels, 0, 1, base=plain_base)
    pooling = {str(k): equivariance.max_pool_unchanged(first, k, POOL_SHIFTS) for k in POOL_SIZES}
    transforms = {name: _comparison(equivariance.compare_transform(plain, pixels, name)) for name in TRANSFORMS}
    return respond(
        {
            "source": source,
            "input": {"height": int(pixels.shape[1]), "width": int(pixels.shape[2])},
            "stride": nets[1].stride,
            "alias": {"shifts": ALIAS_SHIFTS, "relative_error": alias},
            "pooling": {"shifts": POOL_SHIFTS, "unchanged": pooling},
            "transforms": transforms,
            "stride1_shift1": _comparison(stride1),
        }
    )
