"""Every router of the application; one module per resource. Add a router here to mount it."""

from fastapi import APIRouter

from app.routers import health, kernels, pages

API_ROUTERS: list[APIRouter] = [health.router, kernels.router]
PAGE_ROUTERS: list[APIRouter] = [pages.router]
