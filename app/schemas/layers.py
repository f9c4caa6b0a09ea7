"""The layer description of DESIGN.md as bounded request models, one per type, told apart by ``type``.

The models only bound and type the fields; the rules between fields (groups dividing channels, "same"
padding needing stride 1, a kernel larger than its input) are convcore's: :func:`to_layers` hands the
validated values straight to :func:`convcore.networks.layers.assemble` (no dicts, no second parse), the function the
CLI's :func:`convcore.networks.layers.parse_layer` ends in, so the API and the CLI make the same layers.
"""

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat

from app.schemas.common import MAX_CHANNELS, MAX_STACK_LAYERS, Channels, Model, NonNegativePair, PositivePair
from convcore.networks.layers import Layer, assemble_layers

Name = Annotated[str, Field(max_length=64)]
Padding = NonNegativePair | Literal["same", "valid"]


class Conv2dLayer(Model):
    type: Literal["conv2d"]
    name: Name = ""
    out_channels: Channels
    kernel_size: PositivePair
    stride: PositivePair = 1
    padding: Padding = 0
    dilation: PositivePair = 1
    groups: Annotated[int, Field(strict=True, ge=1, le=MAX_CHANNELS)] = 1
    bias: StrictBool = True
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"


class ConvTranspose2dLayer(Model):
    type: Literal["conv_transpose2d"]
    name: Name = ""
    out_channels: Channels
    kernel_size: PositivePair
    stride: PositivePair = 1
    padding: NonNegativePair = 0
    output_padding: NonNegativePair = 0
    dilation: PositivePair = 1
    groups: Annotated[int, Field(strict=True, ge=1, le=MAX_CHANNELS)] = 1
    bias: StrictBool = True


class MaxPool2dLayer(Model):
    type: Literal["max_pool2d"]
    name: Name = ""
    kernel_size: PositivePair
    stride: PositivePair | None = Field(default=None, description="defaults to kernel_size, as in torch")
    padding: NonNegativePair = 0
    dilation: PositivePair = 1
    ceil_mode: StrictBool = False


class AvgPool2dLayer(Model):
    type: Literal["avg_pool2d"]
    name: Name = ""
    kernel_size: PositivePair
    stride: PositivePair | None = Field(default=None, description="defaults to kernel_size, as in torch")
    padding: NonNegativePair = 0
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True


class BatchNorm2dLayer(Model):
    type: Literal["batch_norm2d"]
    name: Name = ""
    eps: Annotated[StrictFloat, Field(gt=0, le=1)] = 1e-5
    momentum: Annotated[StrictFloat, Field(ge=0, le=1)] = 0.1
    affine: StrictBool = True


class ReluLayer(Model):
    type: Literal["relu"]
    name: Name = ""


class DropoutLayer(Model):
    type: Literal["dropout"]
    name: Name = ""
    p: Annotated[StrictFloat, Field(ge=0, le=1, description="probability of dropping")] = 0.5


class GlobalAvgPool2dLayer(Model):
    type: Literal["global_avg_pool2d"]
    name: Name = ""


class LinearLayer(Model):
    type: Literal["linear"]
    name: Name = ""
    out_features: Channels
    bias: StrictBool = True


LayerSpec = Annotated[
    Conv2dLayer
    | ConvTranspose2dLayer
    | MaxPool2dLayer
    | AvgPool2dLayer
    | BatchNorm2dLayer
    | ReluLayer
    | DropoutLayer
    | GlobalAvgPool2dLayer
    | LinearLayer,
    Field(discriminator="type"),
]
LayerList = Annotated[list[LayerSpec], Field(min_length=1, max_length=MAX_STACK_LAYERS)]


def to_layers(layers: Sequence[Model]) -> list[Layer]:
    """The validated layers as convcore's :class:`Layer` objects (unset fields keep torch's defaults)."""
    return assemble_layers([layer.__dict__ for layer in layers])
