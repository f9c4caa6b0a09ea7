"""Models of /output-size, /shapes, /receptive-field/region, /solve and /architectures."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt

from app.schemas.common import (
    MAX_HYPER,
    MAX_SIZE,
    FloatPair,
    InputShape,
    Model,
    NonNegative,
    Pair,
    Positive,
    ShapeOut,
    Size,
)
from app.schemas.layers import LayerList, to_layers
from convcore.networks.chain import Chain

Index = Annotated[StrictInt, Field(ge=0, le=MAX_SIZE)]


class OutputSizeQuery(Model):
    """One layer along one axis. ``op=pool`` uses torch's pooling rules (stride defaults to the kernel).

    Query strings carry text, so these fields parse ``"7"`` and ``"true"`` (the body models are strict).
    """

    size: Annotated[int, Field(ge=1, le=MAX_SIZE)]
    kernel_size: Annotated[int, Field(ge=1, le=MAX_HYPER)]
    stride: Annotated[int, Field(ge=1, le=MAX_HYPER)] | None = Field(
        default=None, description="default 1 for conv, kernel_size for pool"
    )
    padding: Annotated[int, Field(ge=0, le=MAX_HYPER)] = 0
    padding_after: Annotated[int, Field(ge=0, le=MAX_HYPER)] | None = Field(
        default=None,
        description="conv only: the padding after (bottom or right) when it differs from padding, as torch's "
        'padding="same" pads with an even effective kernel',
    )
    dilation: Annotated[int, Field(ge=1, le=MAX_HYPER)] = 1
    op: Literal["conv", "pool"] = "conv"
    transposed: bool = Field(default=False, description="transposed convolution (op=conv only)")
    output_padding: Annotated[int, Field(ge=0, le=MAX_HYPER)] = Field(default=0, description="transposed only")
    ceil_mode: bool = Field(default=False, description="pooling only")


class OutputSizeResponse(BaseModel):
    output_size: int
    formula: str = Field(description="the output-size formula with the numbers plugged in, ready to show")
    unused_input: int = Field(description="positions of the padded input the floor leaves unread (may be padding)")
    unused_image: int = Field(description="real input rows (not padding) the floor leaves unread")
    effective_kernel_size: int = Field(description="d·(k − 1) + 1")
    stride: int = Field(description="the stride used (pooling's default is the kernel size)")


class StackRequest(Model):
    """A layer stack, optionally over an input shape (without it only receptive fields are computed)."""

    input: InputShape | None = None
    layers: LayerList
    _chain: Chain | None = PrivateAttr(default=None)

    def convcore_chain(self) -> Chain:
        """The layers as a convcore :class:`Chain`, made once (a copy of the request keeps it)."""
        if self._chain is None:
            self._chain = Chain(to_layers(self.layers))
        return self._chain


class ReceptiveFieldOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    size: Pair = Field(description="[r_h, r_w]")
    stride: Pair = Field(description="effective stride (jump) [S_h, S_w]")
    padding: Pair = Field(description="effective padding [P_h, P_w]")
    global_: tuple[bool, bool] = Field(
        alias="global",
        description="[height, width]: the axis sees the whole input (after global pooling or a linear layer); "
        "then size is the input's extent and padding 0",
    )


class LayerRow(BaseModel):
    index: int
    type: str
    name: str
    output: ShapeOut | None
    params: int | None
    macs: int | None
    receptive_field: ReceptiveFieldOut | None
    unused: Pair | None = Field(description="[rows, columns] of the padded input the floor leaves unread")


class WarningOut(BaseModel):
    code: Literal["gaps", "unread", "rf_transposed", "rf_needs_input"]
    layer: int
    axis: Literal["height", "width"] | None
    count: int | None
    message: str


class StackResponse(BaseModel):
    layers: list[LayerRow]
    total_params: int | None
    total_macs: int | None
    warnings: list[WarningOut]


class RegionRequest(Model):
    """Which input pixels output ``position`` of layer ``layer_index`` (the last layer by default) sees."""

    input: InputShape
    layers: LayerList
    position: tuple[Index, Index] = Field(description="[row, col] in the chosen layer's output")
    layer_index: Index | None = None


class Box(BaseModel):
    """An input box in pixel indices, all four inclusive: rows ``top..bottom``, columns ``left..right``.

    Unclipped boxes may start below 0 or end past the image (the part that falls on padding).
    """

    top: int
    left: int
    bottom: int
    right: int


class RegionResponse(BaseModel):
    unclipped: Box
    clipped: Box | None = Field(description="the part inside the image; null when the box lies wholly in padding")
    center: FloatPair = Field(description="[y, x]: u·S − P + (r − 1)/2 per axis, a half-integer for even r")
    receptive_field: ReceptiveFieldOut


class SolveRequest(Model):
    """Find kernel_size, stride, padding and dilation that turn ``size`` into ``output_size``; given ones stay fixed."""

    size: Size
    output_size: Size
    op: Literal["conv", "pool", "conv_transpose"] = "conv"
    kernel_size: Positive | None = None
    stride: Positive | None = None
    padding: NonNegative | None = None
    dilation: Positive | None = None


class SettingOut(BaseModel):
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    output_size: int
    unused_rows: int = Field(description="real input rows the floor leaves unread")
    formula: str


class SolveResponse(BaseModel):
    exact: bool
    settings: list[SettingOut]
    message: str
