"""Models of the operations on toy tensors (``/ops/conv2d``, ``/ops/conv_transpose2d``, the pools).

Operations take a single image ``x`` of shape ``(C, H, W)`` — what the playground shows — and return
``(C_out, H_out, W_out)``; the batch axis torch needs is added and removed by the server. Weights follow
torch: ``(C_out, C_in/groups, kH, kW)`` for conv2d and ``(C_in, C_out/groups, kH, kW)`` for the transposed one.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.schemas.common import (
    MAX_AXIS,
    Model,
    OpNonNegativePair,
    OpPositivePair,
    Row,
    Volume,
    Weights,
)
from convcore.trace import ConvStep, ConvTransposeStep, PoolStep

Groups = Annotated[StrictInt, Field(ge=1, le=MAX_AXIS)]
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
