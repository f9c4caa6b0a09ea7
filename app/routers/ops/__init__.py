"""``/ops``: operations on toy tensors, one module per kind; :data:`ROUTERS` lists their routers."""

from fastapi import APIRouter

from app.routers.ops import conv, norm

ROUTERS: list[APIRouter] = [conv.router, norm.router]
