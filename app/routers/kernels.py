"""``GET /kernels``: the preset kernels of :mod:`convcore.operations.kernels`, with their Russian and English
descriptions."""

from fastapi import APIRouter

from app.schemas.kernels import KernelOut, KernelsResponse
from convcore.operations.kernels import list_kernels

router = APIRouter(tags=["kernels"])


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
