"""``/ops/conv2d`` and ``/ops/conv_transpose2d`` on toy tensors.

A single image ``x (C, H, W)`` in, ``(C_out, H_out, W_out)`` out (see :mod:`app.schemas.ops`). The geometry is
validated by convcore before any array is allocated, so the work is bounded by ``Settings`` (tensor
elements in and out, multiply-adds, trace taps).
"""

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from app import pricing
from app.admission import priced
from app.dependencies import SettingsDep
from app.json_body import JSONBodyRoute
from app.routers.ops.checks import TraceQuery, check_naive, check_trace, check_work, op_response
from app.schemas.common import ERROR_RESPONSES
from app.schemas.ops import Conv2dRequest, ConvTranspose2dRequest, OpResponse
from app.settings import Settings
from app.tensors import as_array
from convcore.arithmetic import formulas
from convcore.operations import conv, transposed
from convcore.operations import steps as tracing

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute, responses=ERROR_RESPONSES)


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
        check_trace(g.out_channels * g.output_size[0] * g.output_size[1], int(weight[0].size), settings)
        taps = g.out_channels * g.output_size[0] * g.output_size[1] * int(weight[0].size)
    price = pricing.conv_price(g, int(weight.size), body.method, taps)
    with priced(price, settings, "this convolution", pricing.OPS_CHANGE):
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
    return op_response(out[0], _conv_formulas(g), steps)


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
    g = transposed.conv_transpose_geometry(
        x.shape, weight.shape, stride=s, padding=p, output_padding=op, dilation=d, groups=groups
    )
    macs = g.macs
    check_work((g.out_channels, *g.output_size), macs, settings)
    taps = 0
    if trace or body.trace:
        check_trace(g.in_channels * g.input_size[0] * g.input_size[1], int(weight[0].size), settings)
        taps = g.in_channels * g.input_size[0] * g.input_size[1] * int(weight[0].size)
    price = pricing.conv_transpose_price(g, int(weight.size), macs, taps)
    with priced(price, settings, "this transposed convolution", pricing.OPS_CHANGE):
        return _conv_transpose2d(body, x, weight, bias, g, settings, trace or body.trace)


def _conv_transpose2d(
    body: ConvTranspose2dRequest,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    g: transposed.TransposeGeometry,
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
    out = transposed.conv_transpose2d(
        x, weight, bias, stride=s, padding=p, output_padding=op, dilation=d, groups=groups
    )
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
    return op_response(out[0], (h, w), steps)
