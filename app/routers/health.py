"""Liveness: answers without touching any computation, on the event loop (never queued behind the worker
threads that run heavy requests)."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
