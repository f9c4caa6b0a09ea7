"""Models of ``/architectures``: the zoo's entries and one architecture's table."""

from typing import Any

from pydantic import BaseModel, Field

from app.schemas.common import ShapeOut
from app.schemas.shapes import StackResponse


class ArchitectureSummary(BaseModel):
    name: str
    title: str
    description: str
    description_ru: str
    input_size: int


class Shortcut(BaseModel):
    """A residual addition: ``layers`` run on the output of main-path layer ``from`` (−1: the input) and the
    result is added to the output of layer ``to``."""

    from_: int = Field(alias="from")
    to: int
    from_name: str
    to_name: str
    layers: list[dict[str, Any]] = Field(description="empty for an identity shortcut, else the projection")
    table: StackResponse | None = Field(description="the projection's per-layer table; null for an identity")


class ArchitectureResponse(StackResponse):
    """The ``/shapes`` table of the main path plus metadata, the layer list itself and the shortcuts."""

    name: str
    title: str
    description: str
    description_ru: str
    source: str
    input: ShapeOut
    stack: list[dict[str, Any]] = Field(description="the main path's layers; POST them to /shapes as layers")
    shortcuts: list[Shortcut]
