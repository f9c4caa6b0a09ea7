"""``/ops/batch_norm2d``, ``/ops/layer_norm``, ``/ops/instance_norm`` and ``/ops/group_norm`` on a toy batch.

Thin shell over :mod:`convcore.operations.norm`: validate, call, serialize. Every value is finite and bounded,
every axis is bounded, and the total number of elements is at most ``Settings.max_tensor_elements``.
"""

import numpy as np
from fastapi import APIRouter, Response

from app.dependencies import SettingsDep
from app.encoding import respond
from app.json_body import JSONBodyRoute
from app.schemas.common import ERROR_RESPONSES
from app.schemas.ops import (
    BatchNormRequest,
    BatchNormResponse,
    GroupNormRequest,
    LayerNormRequest,
    NormRequest,
    NormResponse,
)
from app.tensors import as_array, optional_array
from convcore.operations import norm

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute, responses=ERROR_RESPONSES)


@router.post("/batch_norm2d", response_model=BatchNormResponse)
def batch_norm2d(body: BatchNormRequest, settings: SettingsDep) -> Response:
    """Batch norm as ``torch.nn.BatchNorm2d``: train (batch stats, running stats updated) or eval (running stats).

    Send the returned running statistics back with the next batch to step through training.
    """
    x = as_array(body.x, "x", settings, ndim=4)
    channels = x.shape[1]
    running_mean = np.zeros(channels) if body.running_mean is None else np.asarray(body.running_mean)
    running_var = np.ones(channels) if body.running_var is None else np.asarray(body.running_var)
    result = norm.batch_norm2d(
        x,
        running_mean=running_mean,
        running_var=running_var,
        weight=optional_array(body.weight),
        bias=optional_array(body.bias),
        training=body.training,
        momentum=body.momentum,
        eps=body.eps,
        num_batches_tracked=body.num_batches_tracked,
    )
    return respond(
        {
            "output": result.output,
            "x_hat": result.x_hat,
            "mean": result.mean,
            "var": result.var,
            "running_mean": result.running_mean,
            "running_var": result.running_var,
            "num_batches_tracked": result.num_batches_tracked,
            "training": result.training,
            "axes": list(norm.normalization_axes("batch")),
        }
    )


def _norm_response(
    result: norm.NormResult, kind: norm.NormKind, shape: tuple[int, ...], groups: int | None
) -> Response:
    n, c, h, w = shape
    return respond(
        {
            "output": result.output,
            "x_hat": result.x_hat,
            "mean": result.mean,
            "var": result.var,
            "axes": list(norm.normalization_axes(kind)),
            "statistics_index": norm.statistics_index(kind, (n, c, h, w), groups),
        }
    )


@router.post("/layer_norm", response_model=NormResponse)
def layer_norm(body: LayerNormRequest, settings: SettingsDep) -> Response:
    """Layer norm as ``torch.nn.functional.layer_norm`` over (C, H, W): one (μ, σ²) per sample."""
    x = as_array(body.x, "x", settings, ndim=4)
    weight = None if body.weight is None else as_array(body.weight, "weight", settings, ndim=3)
    bias = None if body.bias is None else as_array(body.bias, "bias", settings, ndim=3)
    result = norm.layer_norm(x, weight=weight, bias=bias, eps=body.eps)
    return _norm_response(result, "layer", x.shape, None)


@router.post("/instance_norm", response_model=NormResponse)
def instance_norm(body: NormRequest, settings: SettingsDep) -> Response:
    """Instance norm as ``torch.nn.functional.instance_norm``: one (μ, σ²) per (sample, channel)."""
    x = as_array(body.x, "x", settings, ndim=4)
    result = norm.instance_norm(x, weight=optional_array(body.weight), bias=optional_array(body.bias), eps=body.eps)
    return _norm_response(result, "instance", x.shape, None)


@router.post("/group_norm", response_model=NormResponse)
def group_norm(body: GroupNormRequest, settings: SettingsDep) -> Response:
    """Group norm as ``torch.nn.functional.group_norm``: one (μ, σ²) per (sample, group of C/G channels)."""
    x = as_array(body.x, "x", settings, ndim=4)
    result = norm.group_norm(
        x, body.num_groups, weight=optional_array(body.weight), bias=optional_array(body.bias), eps=body.eps
    )
    return _norm_response(result, "group", x.shape, body.num_groups)
