"""``GET /kernels``: the preset kernels of :mod:`convcore.kernels`, with their Russian and English descriptions."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from convcore.kernels import list_kernels

router = APIRouter(tags=["kernels"])


class KernelOut(BaseModel):
    name: str
    weights: list[list[float]] = Field(description="(kH, kW), applied as torch's conv2d applies a weight")
    description_ru: str
    description_en: str


class KernelsResponse(BaseModel):
    kernels: list[KernelOut]


@router.get("/kernels")
def kernels() -> KernelsResponse:
    """Every preset kernel in teaching order (identity, blurs, sharpen, edges, emboss)."""
    return KernelsResponse(
        kernels=[
            KernelOut(
                name=k.name,
                weights=k.weights.tolist(),
                description_ru=k.description_ru,
                description_en=k.description_en,
            )
            for k in list_kernels()
        ]
    )
