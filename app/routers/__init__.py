"""Every router of the application; one module per resource. Add a router here to mount it."""

from fastapi import APIRouter

from app.routers import health, pages

API_ROUTERS: list[APIRouter] = [health.router]
PAGE_ROUTERS: list[APIRouter] = [pages.router]
