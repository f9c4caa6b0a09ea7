"""Bounded building blocks shared by the request models: integers, ``[h, w]`` pairs, finite numbers.

The bounds are generous for arithmetic (a shape calculation costs the same for 7 and 7000) and tight where
work grows with the value (tensors, traces); those limits come from :class:`app.settings.Settings` and are
checked in the routers because they can be configured.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from convcore.networks.layers import MAX_CHANNELS, MAX_HYPER, MAX_SIZE

#: Layers in a stack sent to /shapes or /receptive-field/region: arithmetic only, so deeper than the zoo needs.
MAX_STACK_LAYERS = 1000
#: Length of any one axis of a toy tensor; the element count is bounded by Settings.max_tensor_elements.
MAX_AXIS = 256
#: Magnitude of a toy tensor value: far beyond any teaching example, small enough that sums stay finite.
MAX_VALUE = 1e6
#: Stride, padding, dilation and output_padding of an operation on a toy tensor (they size the padded copy).
MAX_OP_HYPER = 64

Size = Annotated[StrictInt, Field(ge=1, le=MAX_SIZE)]
Channels = Annotated[StrictInt, Field(ge=1, le=MAX_CHANNELS)]
Positive = Annotated[StrictInt, Field(ge=1, le=MAX_HYPER)]
NonNegative = Annotated[StrictInt, Field(ge=0, le=MAX_HYPER)]
PositivePair = Positive | tuple[Positive, Positive]
OpPositive = Annotated[StrictInt, Field(ge=1, le=MAX_OP_HYPER)]
OpNonNegative = Annotated[StrictInt, Field(ge=0, le=MAX_OP_HYPER)]
OpPositivePair = OpPositive | tuple[OpPositive, OpPositive]
OpNonNegativePair = OpNonNegative | tuple[OpNonNegative, OpNonNegative]
NonNegativePair = NonNegative | tuple[NonNegative, NonNegative]
Pair = tuple[int, int]
FloatPair = tuple[float, float]


class RequestModel(BaseModel):
    """A request body: NaN and ±Infinity (which Python's JSON parser accepts) are refused in every float field,
    with a 422 naming the field."""

    model_config = ConfigDict(allow_inf_nan=False)


class Model(RequestModel):
    """Request models reject unknown fields, so a typo is a 422 naming it rather than a silent default."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class InputShape(Model):
    """A feature map's shape without the batch axis."""

    channels: Channels
    height: Size
    width: Size


class ShapeOut(BaseModel):
    channels: int
    height: int
    width: int


#: One value of a toy tensor: finite and bounded.
Value = Annotated[StrictFloat, Field(ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]
Row = Annotated[list[Value], Field(min_length=1, max_length=MAX_AXIS)]
Plane = Annotated[list[Row], Field(min_length=1, max_length=MAX_AXIS)]
Volume = Annotated[list[Plane], Field(min_length=1, max_length=MAX_AXIS, description="(C, H, W)")]
Weights = Annotated[list[Volume], Field(min_length=1, max_length=MAX_AXIS)]
Batch = Annotated[list[Volume], Field(min_length=1, max_length=MAX_AXIS, description="(N, C, H, W)")]
Variance = Annotated[StrictFloat, Field(ge=0.0, le=MAX_VALUE**2, allow_inf_nan=False)]
Variances = Annotated[list[Variance], Field(min_length=1, max_length=MAX_AXIS)]
Eps = Annotated[float, Field(gt=0.0, le=1.0, description="added to the variance before the square root")]


class ErrorResponse(BaseModel):
    """A 4xx answer: a sentence saying what to change, or (for a request that does not fit the schema)
    FastAPI's list of ``{loc, msg, type}`` entries naming each field (``type`` and ``ctx`` are pydantic's
    stable codes for those)."""

    detail: str | list[dict[str, Any]]
    code: str | None = Field(
        default=None,
        description="a stable machine code for the sentence in `detail` (e.g. `kernel_exceeds_input`, "
        "`unknown_architecture`, `invalid_value` when there is no finer one), so a client can say it in "
        "its own language; absent for a schema error",
        examples=["kernel_exceeds_input"],
    )
    params: dict[str, Any] | None = Field(
        default=None,
        description='the values `detail` names, by name (e.g. `{"span": 7, "padded": 5, "layer": 3}`; for an '
        "unknown name, `names` lists the valid ones)",
    )


#: Documents the 422 of every router here: convcore's ValueError (a string) or a schema error (a list).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "bad input: the message names the field and what to change"}
}
#: Documents the 404 of a route with a name in its path: ``params.names`` lists the valid names.
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "unknown name: `params.names` lists the valid ones"}
}
