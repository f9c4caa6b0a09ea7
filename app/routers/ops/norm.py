"""Normalization and dropout on toy tensors: batch/layer/instance/group norm and seeded dropout.

Thin shell over :mod:`convcore.norm` and :mod:`convcore.dropout`: validate, call, serialize with orjson.
Tensors travel as nested lists; every value is finite and bounded, every size is bounded, and the total
number of elements is at most ``Settings.max_tensor_elements``.
"""

from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.dependencies import SettingsDep
from app.json_body import JSONBodyRoute
from app.schemas.common import RequestModel
from app.settings import Settings
from convcore import dropout as dropout_ops
from convcore import norm

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute)


MAX_VALUE = 1e6
MAX_SIDE = 256


Value = Annotated[float, Field(ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]
Row = Annotated[list[Value], Field(min_length=1, max_length=MAX_SIDE)]
Plane = Annotated[list[Row], Field(min_length=1, max_length=MAX_SIDE)]
Volume = Annotated[list[Plane], Field(min_length=1, max_length=MAX_SIDE)]
Batch = Annotated[list[Volume], Field(min_length=1, max_length=MAX_SIDE)]
PerChannel = Annotated[list[Value], Field(min_length=1, max_length=MAX_SIDE)]
Variance = Annotated[float, Field(ge=0.0, le=MAX_VALUE**2, allow_inf_nan=False)]
PerChannelVariance = Annotated[list[Variance], Field(min_length=1, max_length=MAX_SIDE)]
Eps = Annotated[float, Field(gt=0.0, le=1.0, description="added to the variance before the square root")]


def orjson_response(content: dict[str, Any]) -> Response:
    """Serialize numpy arrays straight to JSON bytes, never through FastAPI's jsonable_encoder."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


def as_tensor(values: list[Any], name: str, settings: Settings, ndim: int | None = None) -> np.ndarray:
    """A rectangular float64 array from nested lists, refused if ragged or over the element limit."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular nested list (every row the same length)") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(array.shape)}")
    if array.size > settings.max_tensor_elements:
        raise ValueError(
            f"{name} has {array.size} elements, more than the limit of {settings.max_tensor_elements}; "
            "send a smaller tensor"
        )
    return array


def _optional(values: list[float] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float64)


class BatchNormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W)")
    training: bool = Field(True, description="True: batch statistics and a running-stat update; False: running stats")
    running_mean: PerChannel | None = Field(None, description="running mean per channel; default zeros")
    running_var: PerChannelVariance | None = Field(None, description="running variance per channel; default ones")
    num_batches_tracked: int = Field(0, ge=0, le=1_000_000)
    weight: PerChannel | None = Field(None, description="γ per channel; default ones")
    bias: PerChannel | None = Field(None, description="β per channel; default zeros")
    momentum: float | None = Field(0.1, ge=0.0, le=1.0, description="None: cumulative average, as in torch")
    eps: Eps = 1e-5


class BatchNormResponse(BaseModel):
    output: list[list[list[list[float]]]]
    x_hat: list[list[list[list[float]]]]
    mean: list[float] = Field(description="statistics used to normalize: the batch's in training, running in eval")
    var: list[float] = Field(description="biased variance used to normalize")
    running_mean: list[float]
    running_var: list[float] = Field(description="updated with the unbiased batch variance, as torch does")
    num_batches_tracked: int
    training: bool
    axes: list[int]


@router.post("/batch_norm2d", response_model=BatchNormResponse)
def batch_norm2d(body: BatchNormRequest, settings: SettingsDep) -> Response:
    """Batch norm as ``torch.nn.BatchNorm2d``: train (batch stats, running stats updated) or eval (running stats).

    Send the returned running statistics back with the next batch to step through training.
    """
    x = as_tensor(body.x, "x", settings, ndim=4)
    channels = x.shape[1]
    running_mean = np.zeros(channels) if body.running_mean is None else np.asarray(body.running_mean)
    running_var = np.ones(channels) if body.running_var is None else np.asarray(body.running_var)
    result = norm.batch_norm2d(
        x,
        running_mean=running_mean,
        running_var=running_var,
        weight=_optional(body.weight),
        bias=_optional(body.bias),
        training=body.training,
        momentum=body.momentum,
        eps=body.eps,
        num_batches_tracked=body.num_batches_tracked,
    )
    return orjson_response(
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


class NormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W)")
    weight: PerChannel | None = Field(None, description="γ per channel; default ones")
    bias: PerChannel | None = Field(None, description="β per channel; default zeros")
    eps: Eps = 1e-5


class LayerNormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W); normalized over (C, H, W)")
    weight: Volume | None = Field(None, description="γ, elementwise with shape (C, H, W); default ones")
    bias: Volume | None = Field(None, description="β, elementwise with shape (C, H, W); default zeros")
    eps: Eps = 1e-5


class GroupNormRequest(NormRequest):
    num_groups: int = Field(ge=1, le=MAX_SIDE, description="G; the channel count must be divisible by it")


class NormResponse(BaseModel):
    output: list[list[list[list[float]]]]
    x_hat: list[list[list[list[float]]]]
    mean: list[float] | list[list[float]] = Field(description="(N,) for layer norm, (N, C) instance, (N, G) group")
    var: list[float] | list[list[float]]
    axes: list[int] = Field(description="NCHW axes averaged over (for group norm, C only within a group)")
    statistics_index: list[list[list[list[int]]]] = Field(
        description="per element, the index of the (mean, var) pair it is normalized with"
    )


def _norm_response(
    result: norm.NormResult, kind: norm.NormKind, shape: tuple[int, ...], groups: int | None
) -> Response:
    n, c, h, w = shape
    return orjson_response(
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
    x = as_tensor(body.x, "x", settings, ndim=4)
    weight = None if body.weight is None else as_tensor(body.weight, "weight", settings, ndim=3)
    bias = None if body.bias is None else as_tensor(body.bias, "bias", settings, ndim=3)
    result = norm.layer_norm(x, weight=weight, bias=bias, eps=body.eps)
    return _norm_response(result, "layer", x.shape, None)


@router.post("/instance_norm", response_model=NormResponse)
def instance_norm(body: NormRequest, settings: SettingsDep) -> Response:
    """Instance norm as ``torch.nn.functional.instance_norm``: one (μ, σ²) per (sample, channel)."""
    x = as_tensor(body.x, "x", settings, ndim=4)
    result = norm.instance_norm(x, weight=_optional(body.weight), bias=_optional(body.bias), eps=body.eps)
    return _norm_response(result, "instance", x.shape, None)


@router.post("/group_norm", response_model=NormResponse)
def group_norm(body: GroupNormRequest, settings: SettingsDep) -> Response:
    """Group norm as ``torch.nn.functional.group_norm``: one (μ, σ²) per (sample, group of C/G channels)."""
    x = as_tensor(body.x, "x", settings, ndim=4)
    result = norm.group_norm(x, body.num_groups, weight=_optional(body.weight), bias=_optional(body.bias), eps=body.eps)
    return _norm_response(result, "group", x.shape, body.num_groups)


class DropoutRequest(RequestModel):
    x: Row = Field(description="the activations of one layer of units, as a vector")
    p: float = Field(0.5, ge=0.0, le=1.0, description="probability of dropping a unit")
    training: bool = True
    inverted: bool = Field(True, description="True: scale kept units by 1/(1-p) in training (torch's way)")
    seed: int = Field(0, ge=0, le=2**32 - 1)


class DropoutResponse(BaseModel):
    output: list[float] = Field(description="x · mask · scale")
    mask: list[bool] = Field(description="True for kept units (all True at inference)")
    scale: float
    expected: list[float] = Field(description="the output's expectation over masks, per unit")
    p: float
    training: bool
    inverted: bool
    seed: int


@router.post("/dropout", response_model=DropoutResponse)
def dropout(body: DropoutRequest, settings: SettingsDep) -> Response:
    """Seeded dropout, standard or inverted, training or inference; the mask and the scale are returned."""
    x = as_tensor(body.x, "x", settings, ndim=1)
    result = dropout_ops.dropout(x, p=body.p, training=body.training, inverted=body.inverted, seed=body.seed)
    expected = dropout_ops.expected_activation(x, p=body.p, inverted=body.inverted, training=body.training)
    return orjson_response(
        {
            "output": result.output,
            "mask": result.mask,
            "scale": result.scale,
            "expected": expected,
            "p": body.p,
            "training": body.training,
            "inverted": body.inverted,
            "seed": body.seed,
        }
    )
