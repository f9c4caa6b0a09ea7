"""Convolution and pooling on toy tensors: ``/ops/conv2d``, ``/ops/conv_transpose2d`` and the pools.

A single image ``x (C, H, W)`` in, ``(C_out, H_out, W_out)`` out (see :mod:`app.schemas.ops`). The geometry is
validated by convcore before any array is allocated, so the work is bounded by ``Settings`` (tensor
elements in and out); responses are serialized by orjson straight from numpy.
"""

from contextlib import AbstractContextManager
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from app import pricing
from app.admission import admitted
from app.dependencies import SettingsDep
from app.json_body import JSONBodyRoute
from app.schemas.common import ERROR_RESPONSES
from app.schemas.ops import (
    AvgPool2dRequest,
    Conv2dRequest,
    ConvTranspose2dRequest,
    GlobalAvgPool2dRequest,
    MaxPool2dRequest,
    OpResponse,
)
from app.settings import Settings
from convcore import conv, formulas, matrix, pooling
from convcore import trace as tracing

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute, responses=ERROR_RESPONSES)

TraceQuery = Annotated[bool, Query(description="return the step-by-step trace (same as trace in the body)")]

#: Multiply-adds one request may cost (about 20 ms with im2col); the naive loop has its own, lower limit
#: (Settings.max_naive_macs).
MAX_OP_MACS = 20_000_000
#: Taps listed in one trace (steps × window size): each is a handful of numbers in the JSON, so this keeps
#: a trace response near a megabyte and its building to milliseconds; the playground asks for at most
#: 20,000 (static/js/playground/serverview.js). Settings.max_trace_steps bounds the number of steps.
MAX_TRACE_TAPS = 32_768


def as_array(values: list[Any], name: str, settings: Settings) -> np.ndarray:
    """A float64 array from nested lists; ragged lists and tensors over the element limit are refused."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular nested list (every row the same length)") from exc
    if array.size > settings.max_tensor_elements:
        raise ValueError(
            f"{name} has {array.size:,} elements, more than the limit of {settings.max_tensor_elements:,}: "
            "send a smaller tensor"
        )
    return array


def check_work(output_shape: tuple[int, ...], macs: int, settings: Settings) -> None:
    """Refuse before computing when the output or the arithmetic would be too large for a toy tensor."""
    elements = int(np.prod(output_shape))
    if elements > settings.max_tensor_elements:
        raise ValueError(
            f"the output would have shape {output_shape} = {elements:,} elements, more than the limit of "
            f"{settings.max_tensor_elements:,}: use a smaller input, a larger stride or less padding"
        )
    if macs > MAX_OP_MACS:
        raise ValueError(
            f"this operation needs {macs:,} multiply-adds, more than the limit of {MAX_OP_MACS:,}: "
            "use a smaller input or kernel"
        )


def check_naive(macs: int, settings: Settings) -> None:
    """Refuse a naive-loop convolution that would hold the interpreter for more than a few milliseconds."""
    if macs > settings.max_naive_macs:
        raise ValueError(
            f"method naive runs one Python multiply-add at a time and is limited to {settings.max_naive_macs:,} "
            f"of them; this convolution needs {macs:,}: use a smaller input or kernel, or method im2col"
        )


def check_trace(steps: int, taps_per_step: int) -> None:
    """Refuse a trace whose steps together list too many taps (a large window over many positions)."""
    if steps * taps_per_step > MAX_TRACE_TAPS:
        raise ValueError(
            f"the trace would list {steps:,} steps × {taps_per_step:,} taps = {steps * taps_per_step:,} values, "
            f"more than the limit of {MAX_TRACE_TAPS:,}: use a smaller input or kernel, or trace=false"
        )


def json_response(
    output: np.ndarray,
    formula: tuple[str, str] | None,
    trace: Any = None,
    indices: np.ndarray | None = None,
) -> Response:
    """Serialize with orjson straight from numpy (never FastAPI's jsonable_encoder for arrays)."""
    body: dict[str, Any] = {
        "output": output,
        "shape": list(output.shape),
        "formula": None if formula is None else {"height": formula[0], "width": formula[1]},
        "indices": indices,
        "trace": trace,
    }
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SERIALIZE_DATACLASS),
        media_type="application/json",
    )


def _conv_formulas(g: conv.ConvGeometry) -> tuple[str, str]:
    h, w = (
        formulas.conv_formula(
            g.input_size[axis],
            kernel_size=g.kernel_size[axis],
            stride=g.stride[axis],
            padding=g.padding[axis],
            dilation=g.dilation[axis],
        )
        for axis in (0, 1)
    )
    return h, w


@router.post("/conv2d", response_model=OpResponse)
def conv2d(body: Conv2dRequest, settings: SettingsDep, trace: TraceQuery = False) -> Response:
    """torch's ``conv2d`` on one image by ``method`` (naive, im2col, fft or torch).

    ``H_out = ⌊(H + 2p − d·(kH − 1) − 1)/s⌋ + 1`` (likewise ``W_out``). With ``trace``, per output position:
    the input window's coordinates, which of them are padding, the weights, the products, the sum and the bias.
    """
    x = as_array(body.x, "x", settings)[None]
    weight = as_array(body.weight, "weight", settings)
    bias = None if body.bias is None else as_array(body.bias, "bias", settings)
    s, p, d, groups = body.stride, body.padding, body.dilation, body.groups
    g = conv.conv_geometry(x.shape, weight.shape, stride=s, padding=p, dilation=d, groups=groups)
    check_work((g.out_channels, *g.output_size), g.macs, settings)
    if body.method == "naive":
        check_naive(g.macs, settings)
    taps = 0
    if trace or body.trace:
        check_trace(g.out_channels * g.output_size[0] * g.output_size[1], int(weight[0].size))
        taps = g.out_channels * g.output_size[0] * g.output_size[1] * int(weight[0].size)
    price = pricing.conv_price(g, int(weight.size), body.method, taps)
    pricing.check(price, settings, "this convolution", pricing.OPS_CHANGE)
    with admitted(settings, price.bytes):
        return _conv2d(body, x, weight, bias, g, settings, trace or body.trace)


def _conv2d(
    body: Conv2dRequest,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    g: conv.ConvGeometry,
    settings: Settings,
    trace: bool,
) -> Response:
    s, p, d, groups = body.stride, body.padding, body.dilation, body.groups
    steps = None
    if trace:
        steps = tracing.conv2d_trace(
            x[0],
            weight,
            bias,
            stride=s,
            padding=p,
            dilation=d,
            groups=groups,
            padding_mode=body.padding_mode,
            flip=body.flip,
            max_steps=settings.max_trace_steps,
        )
    out = conv.conv2d(
        x,
        weight,
        bias,
        stride=s,
        padding=p,
        dilation=d,
        groups=groups,
        padding_mode=body.padding_mode,
        flip=body.flip,
        method=body.method,
    )
    return json_response(out[0], _conv_formulas(g), steps)


@router.post("/conv_transpose2d", response_model=OpResponse)
def conv_transpose2d(body: ConvTranspose2dRequest, settings: SettingsDep, trace: TraceQuery = False) -> Response:
    """torch's ``conv_transpose2d`` on one image: every input cell scatters its value times the kernel.

    ``H_out = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1`` (likewise ``W_out``). With ``trace``, per
    input cell: the output cells it adds to, the weights, the products and which land inside the output.
    """
    x = as_array(body.x, "x", settings)[None]
    weight = as_array(body.weight, "weight", settings)
    bias = None if body.bias is None else as_array(body.bias, "bias", settings)
    s, p, op, d, groups = body.stride, body.padding, body.output_padding, body.dilation, body.groups
    g = matrix.conv_transpose_geometry(
        x.shape, weight.shape, stride=s, padding=p, output_padding=op, dilation=d, groups=groups
    )
    # Every input cell scatters (C_out/groups)·kH·kW products.
    macs = g.in_channels * g.input_size[0] * g.input_size[1] * (g.out_channels // g.groups) * int(weight[0, 0].size)
    check_work((g.out_channels, *g.output_size), macs, settings)
    taps = 0
    if trace or body.trace:
        check_trace(g.in_channels * g.input_size[0] * g.input_size[1], int(weight[0].size))
        taps = g.in_channels * g.input_size[0] * g.input_size[1] * int(weight[0].size)
    price = pricing.conv_transpose_price(g, int(weight.size), macs, taps)
    pricing.check(price, settings, "this transposed convolution", pricing.OPS_CHANGE)
    with admitted(settings, price.bytes):
        return _conv_transpose2d(body, x, weight, bias, g, settings, trace or body.trace)


def _conv_transpose2d(
    body: ConvTranspose2dRequest,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    g: matrix.TransposeGeometry,
    settings: Settings,
    trace: bool,
) -> Response:
    s, p, op, d, groups = body.stride, body.padding, body.output_padding, body.dilation, body.groups
    steps = None
    if trace:
        steps = tracing.conv_transpose2d_trace(
            x[0],
            weight,
            stride=s,
            padding=p,
            output_padding=op,
            dilation=d,
            groups=groups,
            max_steps=settings.max_trace_steps,
        )
    out = matrix.conv_transpose2d(x, weight, bias, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
    h, w = (
        formulas.conv_transpose_formula(
            g.input_size[axis],
            kernel_size=g.kernel_size[axis],
            stride=g.stride[axis],
            padding=g.padding[axis],
            output_padding=g.output_padding[axis],
            dilation=g.dilation[axis],
        )
        for axis in (0, 1)
    )
    return json_response(out[0], (h, w), steps)


def _pool_formulas(g: pooling.PoolGeometry, ceil_mode: bool) -> tuple[str, str]:
    h, w = (
        formulas.pool_formula(
            g.input_size[axis],
            kernel_size=g.kernel_size[axis],
            stride=g.stride[axis],
            padding=g.padding[axis],
            dilation=g.dilation[axis],
            ceil_mode=ceil_mode,
        )
        for axis in (0, 1)
    )
    return h, w


def _pool_geometry(
    x: np.ndarray, body: MaxPool2dRequest | AvgPool2dRequest, settings: Settings
) -> pooling.PoolGeometry:
    dilation = body.dilation if isinstance(body, MaxPool2dRequest) else 1
    g = pooling.pool_geometry(
        x.shape,
        kernel_size=body.kernel_size,
        stride=body.stride,
        padding=body.padding,
        dilation=dilation,
        ceil_mode=body.ceil_mode,
    )
    channels, (ho, wo), (kh, kw) = x.shape[1], g.output_size, g.kernel_size
    check_work((channels, ho, wo), channels * ho * wo * kh * kw, settings)
    return g


def _pool_admitted(
    x: np.ndarray, g: pooling.PoolGeometry, traced: bool, what: str, settings: Settings
) -> AbstractContextManager[None]:
    """Price a pool (with its trace's taps) and hold its bytes of the process's budget while it runs."""
    channels, (ho, wo), (kh, kw) = x.shape[1], g.output_size, g.kernel_size
    if traced:
        check_trace(channels * ho * wo, kh * kw)
    price = pricing.pool_price(channels, g, channels * ho * wo * kh * kw if traced else 0)
    pricing.check(price, settings, what, pricing.OPS_CHANGE)
    return admitted(settings, price.bytes)


@router.post("/max_pool2d", response_model=OpResponse)
def max_pool2d(body: MaxPool2dRequest, settings: SettingsDep, trace: TraceQuery = False) -> Response:
    """Maximum over each window (padding never wins); ``indices`` are torch's flat argmax ``row·W + col``.

    With ``trace``, per output cell: the window's taps, which are padding, their values, the winner and its index.
    """
    x = as_array(body.x, "x", settings)[None]
    g = _pool_geometry(x, body, settings)
    with _pool_admitted(x, g, trace or body.trace, "this max pooling", settings):
        return _max_pool2d(body, x, g, settings, trace or body.trace)


def _max_pool2d(
    body: MaxPool2dRequest, x: np.ndarray, g: pooling.PoolGeometry, settings: Settings, trace: bool
) -> Response:
    k, s, p, d, ceil = body.kernel_size, body.stride, body.padding, body.dilation, body.ceil_mode
    steps = None
    if trace:
        steps = tracing.pool2d_trace(
            "max",
            x[0],
            kernel_size=k,
            stride=s,
            padding=p,
            dilation=d,
            ceil_mode=ceil,
            max_steps=settings.max_trace_steps,
        )
    out, indices = pooling.max_pool2d(
        x, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil, return_indices=True
    )
    return json_response(out[0], _pool_formulas(g, ceil), steps, indices[0])


@router.post("/avg_pool2d", response_model=OpResponse)
def avg_pool2d(body: AvgPool2dRequest, settings: SettingsDep, trace: TraceQuery = False) -> Response:
    """Mean over each window with torch's divisor (``count_include_pad`` decides whether padding counts).

    With ``trace``, per output cell: the window's taps, which are padding, their values, the sum and the divisor.
    """
    x = as_array(body.x, "x", settings)[None]
    g = _pool_geometry(x, body, settings)
    with _pool_admitted(x, g, trace or body.trace, "this average pooling", settings):
        return _avg_pool2d(body, x, g, settings, trace or body.trace)


def _avg_pool2d(
    body: AvgPool2dRequest, x: np.ndarray, g: pooling.PoolGeometry, settings: Settings, trace: bool
) -> Response:
    k, s, p, ceil, include = body.kernel_size, body.stride, body.padding, body.ceil_mode, body.count_include_pad
    steps = None
    if trace:
        steps = tracing.pool2d_trace(
            "avg",
            x[0],
            kernel_size=k,
            stride=s,
            padding=p,
            ceil_mode=ceil,
            count_include_pad=include,
            max_steps=settings.max_trace_steps,
        )
    out = pooling.avg_pool2d(x, kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=include)
    return json_response(out[0], _pool_formulas(g, ceil), steps)


@router.post("/global_avg_pool2d", response_model=OpResponse)
def global_avg_pool2d(body: GlobalAvgPool2dRequest, settings: SettingsDep) -> Response:
    """The mean of each channel: ``(C, H, W) → (C, 1, 1)``."""
    x = as_array(body.x, "x", settings)[None]
    return json_response(pooling.global_avg_pool2d(x)[0], None)
