"""The FastAPI application: routers, static files, templates and error mapping."""

import gc
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.admission import collect_rarely, one_thread_per_request, return_freed_memory
from app.body_limits import route_body_limits
from app.errors import install_error_handlers
from app.middleware import install_hardening
from app.routers import API_ROUTERS, PAGE_ROUTERS
from app.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1"


def create_app() -> FastAPI:
    app = FastAPI(
        title="convviz",
        version="1.0.0",
        description="Convolution output shapes, receptive fields and toy-tensor operations.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    settings = get_settings()
    install_error_handlers(app)
    return_freed_memory()
    one_thread_per_request()
    limits: dict[str, int] = {}
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
        limits |= route_body_limits(router.routes, settings.max_tensor_elements, settings.max_body_bytes, API_PREFIX)
    install_hardening(app, settings, body_limits=limits)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


app = create_app()
# Everything imported and built so far (torch, pydantic's validators, the routes) lives as long as the process:
# move it out of the collector's reach. Without this, the full collections a request's short-lived objects set
# off walk all of it: half of a 150-layer /shapes analysis's CPU time (benchmarks/api.py).
gc.freeze()
collect_rarely()
