"""Every router of the application; one module per resource. Add a router here to mount it."""

from fastapi import APIRouter

from app.routers import (
    architectures,
    experiments,
    health,
    images,
    kernels,
    models,
    ops,
    output_size,
    pages,
    receptive_field,
    shapes,
    solve,
)

API_ROUTERS: list[APIRouter] = [
    health.router,
    kernels.router,
    output_size.router,
    shapes.router,
    *ops.ROUTERS,
    solve.router,
    receptive_field.router,
    architectures.router,
    images.router,
    *experiments.ROUTERS,
    models.router,
]
PAGE_ROUTERS: list[APIRouter] = [pages.router]
