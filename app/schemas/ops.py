"""Models of the operations on toy tensors (``/ops/...``).

Convolutions and pools take a single image ``x`` of shape ``(C, H, W)`` — what the playground shows — and
return ``(C_out, H_out, W_out)``; the batch axis torch needs is added and removed by the server.
Normalizations take a batch ``(N, C, H, W)`` (their statistics are over it), dropout a vector of units. Weights follow
torch: ``(C_out, C_in/groups, kH, kW)`` for conv2d and ``(C_in, C_out/groups, kH, kW)`` for the transposed one.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.schemas.common import (
    MAX_AXIS,
    Batch,
    Eps,
    Model,
    OpNonNegativePair,
    OpPositivePair,
    RequestModel,
    Row,
    Variances,
    Volume,
    Weights,
)
from convcore.operations.steps import ConvStep, ConvTransposeStep, PoolStep

Groups = Annotated[StrictInt, Field(ge=1, le=MAX_AXIS)]
#: Batch norm's momentum: the weight of the newest batch in the running statistics, a fraction.
MAX_MOMENTUM = 1.0
TraceFlag = Annotated[StrictBool, Field(description="also return the step-by-step trace (bounded by max_trace_steps)")]


class Conv2dRequest(Model):
    """One image ``x (C_in, H, W)`` (no batch axis) → ``(C_out, H_out, W_out)``."""

    x: Volume = Field(description="input image (C_in, H, W)")
    weight: Weights = Field(description="(C_out, C_in/groups, kH, kW)")
    bias: Row | None = Field(default=None, description="(C_out,); null for no bias")
    stride: OpPositivePair = 1
    padding: OpNonNegativePair | Literal["same", "valid"] = 0
    dilation: OpPositivePair = 1
    groups: Groups = 1
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"
    flip: StrictBool = Field(default=False, description="rotate the kernel by 180° (true convolution)")
    method: Literal["naive", "im2col", "fft", "torch"] = "im2col"
    trace: TraceFlag = False


class ConvTranspose2dRequest(Model):
    """One image ``x (C_in, H, W)`` (no batch axis) → ``(C_out, H_out, W_out)``; weight (C_in, C_out/groups, kH, kW)."""

    x: Volume = Field(description="input image (C_in, H, W)")
    weight: Weights = Field(description="(C_in, C_out/groups, kH, kW)")
    bias: Row | None = Field(default=None, description="(C_out,); null for no bias")
    stride: OpPositivePair = 1
    padding: OpNonNegativePair = 0
    output_padding: OpNonNegativePair = 0
    dilation: OpPositivePair = 1
    groups: Groups = 1
    trace: TraceFlag = False


class MaxPool2dRequest(Model):
    """One image ``x (C, H, W)`` (no batch axis) → ``(C, H_out, W_out)``."""

    x: Volume = Field(description="input image (C, H, W)")
    kernel_size: OpPositivePair
    stride: OpPositivePair | None = Field(default=None, description="defaults to kernel_size, as in torch")
    padding: OpNonNegativePair = 0
    dilation: OpPositivePair = 1
    ceil_mode: StrictBool = False
    trace: TraceFlag = False


class AvgPool2dRequest(Model):
    """One image ``x (C, H, W)`` (no batch axis) → ``(C, H_out, W_out)``."""

    x: Volume = Field(description="input image (C, H, W)")
    kernel_size: OpPositivePair
    stride: OpPositivePair | None = Field(default=None, description="defaults to kernel_size, as in torch")
    padding: OpNonNegativePair = 0
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True
    trace: TraceFlag = False


class GlobalAvgPool2dRequest(Model):
    """One image ``x (C, H, W)`` (no batch axis) → ``(C, 1, 1)``."""

    x: Volume = Field(description="input image (C, H, W)")


class AxisFormulas(BaseModel):
    height: str
    width: str


class OpResponse(BaseModel):
    """``output`` is ``(C_out, H_out, W_out)``; ``trace`` is null unless asked for."""

    output: list[list[list[float]]]
    shape: tuple[int, int, int]
    formula: AxisFormulas | None = Field(description="the output-size formula per axis, numbers plugged in")
    indices: list[list[list[int]]] | None = Field(
        default=None, description="max_pool2d only: torch's argmax per window, a flat index row·W + col"
    )
    trace: list[ConvStep] | list[ConvTransposeStep] | list[PoolStep] | None = Field(
        default=None,
        description="null unless asked for. conv2d and the pools: one step per output cell (channel, row, column "
        "order) with the window's input coordinates in the unpadded image, which are padding, the values and "
        "the result; conv_transpose2d: one step per input cell with the output cells it scatters to.",
    )


class BatchNormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W)")
    training: bool = Field(True, description="True: batch statistics and a running-stat update; False: running stats")
    running_mean: Row | None = Field(None, description="running mean per channel; default zeros")
    running_var: Variances | None = Field(None, description="running variance per channel; default ones")
    num_batches_tracked: int = Field(0, ge=0, le=1_000_000)
    weight: Row | None = Field(None, description="γ per channel; default ones")
    bias: Row | None = Field(None, description="β per channel; default zeros")
    momentum: float | None = Field(0.1, ge=0.0, le=MAX_MOMENTUM, description="None: cumulative average, as in torch")
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


class NormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W)")
    weight: Row | None = Field(None, description="γ per channel; default ones")
    bias: Row | None = Field(None, description="β per channel; default zeros")
    eps: Eps = 1e-5


class LayerNormRequest(RequestModel):
    x: Batch = Field(description="input batch (N, C, H, W); normalized over (C, H, W)")
    weight: Volume | None = Field(None, description="γ, elementwise with shape (C, H, W); default ones")
    bias: Volume | None = Field(None, description="β, elementwise with shape (C, H, W); default zeros")
    eps: Eps = 1e-5


class GroupNormRequest(NormRequest):
    num_groups: int = Field(ge=1, le=MAX_AXIS, description="G; the channel count must be divisible by it")


class NormResponse(BaseModel):
    output: list[list[list[list[float]]]]
    x_hat: list[list[list[list[float]]]]
    mean: list[float] | list[list[float]] = Field(description="(N,) for layer norm, (N, C) instance, (N, G) group")
    var: list[float] | list[list[float]]
    axes: list[int] = Field(description="NCHW axes averaged over (for group norm, C only within a group)")
    statistics_index: list[list[list[list[int]]]] = Field(
        description="per element, the index of the (mean, var) pair it is normalized with"
    )


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
