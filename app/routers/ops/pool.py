"""``/ops/max_pool2d``, ``/ops/avg_pool2d`` and ``/ops/global_avg_pool2d`` on toy tensors.

A single image ``x (C, H, W)`` in, ``(C, H_out, W_out)`` out (see :mod:`app.schemas.ops`), priced and bounded
like the convolutions.
"""

from contextlib import AbstractContextManager

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from app import pricing
from app.admission import priced
from app.dependencies import SettingsDep
from app.json_body import JSONBodyRoute
from app.routers.ops.checks import TraceQuery, check_trace, check_work, op_response
from app.schemas.common import ERROR_RESPONSES
from app.schemas.ops import AvgPool2dRequest, GlobalAvgPool2dRequest, MaxPool2dRequest, OpResponse
from app.settings import Settings
from app.tensors import as_array
from convcore.arithmetic import formulas
from convcore.operations import pooling
from convcore.operations import steps as tracing

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute, responses=ERROR_RESPONSES)


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
        check_trace(channels * ho * wo, kh * kw, settings)
    price = pricing.pool_price(channels, g, channels * ho * wo * kh * kw if traced else 0)
    return priced(price, settings, what, pricing.OPS_CHANGE)


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
    return op_response(out[0], _pool_formulas(g, ceil), steps, indices[0])


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
    return op_response(out[0], _pool_formulas(g, ceil), steps)


@router.post("/global_avg_pool2d", response_model=OpResponse)
def global_avg_pool2d(body: GlobalAvgPool2dRequest, settings: SettingsDep) -> Response:
    """The mean of each channel: ``(C, H, W) → (C, 1, 1)``."""
    x = as_array(body.x, "x", settings)[None]
    return op_response(pooling.global_avg_pool2d(x)[0], None)
