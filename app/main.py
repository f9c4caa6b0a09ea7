"""The FastAPI application: routers, static files, templates and error mapping."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.admission import install_busy_handler, return_freed_memory
from app.errors import install_error_handlers
from app.middleware import install_hardening
from app.routers import API_ROUTERS, PAGE_ROUTERS

ROOT = Path(__file__).resolve().parent.parent


def create_app() -> FastAPI:
    app = FastAPI(
        title="convviz",
        version="1.0.0",
        description="Convolution output shapes, receptive fields and toy-tensor operations.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    install_busy_handler(app)
    return_freed_memory()
    install_hardening(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


app = create_app()
