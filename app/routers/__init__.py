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

#: In the order requests are matched against them: /shapes, which the pages send on every change, right after
#: /health (a router further down costs every /shapes request a few hundred Python steps of matching).
API_ROUTERS: list[APIRouter] = [
    health.router,
    shapes.router,
    kernels.router,
    output_size.router,
    *ops.ROUTERS,
    solve.router,
    receptive_field.router,
    architectures.router,
    images.router,
    *experiments.ROUTERS,
    models.router,
]
PAGE_ROUTERS: list[APIRouter] = [pages.router]
