"""``/ops``: operations on toy tensors, one module per kind; :data:`ROUTERS` lists their routers."""

from fastapi import APIRouter

from app.routers.ops import conv, dropout, norm, pool

ROUTERS: list[APIRouter] = [conv.router, pool.router, norm.router, dropout.router]
