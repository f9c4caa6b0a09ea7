"""The answer of ``GET /kernels``."""

from pydantic import BaseModel, Field


class KernelOut(BaseModel):
    name: str
    weights: list[list[float]] = Field(description="(kH, kW), applied as torch's conv2d applies a weight")
    description_ru: str
    description_en: str


class KernelsResponse(BaseModel):
    kernels: list[KernelOut]
