"""``/experiments``: the lessons' measurements, one module per kind; :data:`ROUTERS` lists their routers.

``lessons`` (residual variance, dropout over many masks, parameter counts: JSON in, numbers out) and
``intro`` (the lecture's opening on a photo: why not dense layers, what a convolution keeps).
"""

from fastapi import APIRouter

from app.routers.experiments import intro, lessons

ROUTERS: list[APIRouter] = [lessons.router, intro.router]
