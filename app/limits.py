"""The bounds each page offers for its fields, built from the API's own bounds (the request schemas'
constants and :class:`app.settings.Settings`) and rendered into the page: the inputs' min/max in the
templates and ``<script id="limits">`` (templates/base.html) that the page's module reads
(static/js/common/limits.js). No page keeps a copy of a server bound.

A field takes the server's bound unless the page narrows it on purpose; the ``PAGE_*`` constants below are
those page-only bounds, each with its reason. tests/app/test_limits.py checks every page bound against the
bound of the API parameter the page sends it as: equal, or narrower where a ``PAGE_*`` constant says so.
"""

from collections.abc import Callable

from app.schemas import experiments as bounds
from app.schemas.common import MAX_AXIS
from app.settings import Settings
from convcore.networks import residual

Bound = dict[str, int | float]
PageLimits = dict[str, Bound]

#: Seeds a page offers: a number a student reads and types; every seed shows the same lesson.
PAGE_MAX_SEED = 100_000
#: The equivariance page's shift sliders: 33 steps keep one pixel of shift a step a finger can take on a
#: 360 px screen; ±16 pixels already moves the photo well past every receptive field of the stack.
PAGE_MAX_SHIFT = 16
#: The image lab's editor draws one kernel grid per channel of a layer: 8 fit in one row at 1280 px.
PAGE_MAX_IMAGE_CHANNELS = 8
#: The dropout page draws each unit as a cell and counts the 2ⁿ masks in words (the server: x is one Row of
#: at most MAX_AXIS values, and at most Settings.max_tensor_elements).
PAGE_MAX_DROPOUT_UNITS = 16
#: The dropout page's p slider stops short of 1, where every unit is dropped and nothing is left to see.
PAGE_MAX_DROPOUT_P = 0.95
#: The dropout page's masks slider moves in steps of 10.
PAGE_MIN_DROPOUT_MASKS = 10
#: The permutation's side slider moves in steps of 4 pixels, from 8: a smaller image is too coarse to show.
PAGE_MIN_PERMUTATION_SIDE = 8


def _bound(low: int | float, high: int | float) -> Bound:
    return {"min": low, "max": high}


def _residual(settings: Settings) -> PageLimits:
    return {
        "depth": _bound(1, residual.MAX_DEPTH),
        "width": _bound(2, bounds.RESIDUAL_MAX_WIDTH),
        "samples": _bound(2, bounds.RESIDUAL_MAX_SAMPLES),
        "networks": _bound(1, bounds.RESIDUAL_MAX_NETWORKS),
        "seed": _bound(0, bounds.RESIDUAL_MAX_SEED),
        "work": _bound(1, settings.max_residual_work),
    }


def _equivariance(settings: Settings) -> PageLimits:
    return {
        "dy": _bound(-PAGE_MAX_SHIFT, PAGE_MAX_SHIFT),
        "dx": _bound(-PAGE_MAX_SHIFT, PAGE_MAX_SHIFT),
        "layers": _bound(1, bounds.EQUIVARIANCE_MAX_LAYERS),
        "channels": _bound(1, bounds.EQUIVARIANCE_MAX_CHANNELS),
        "k": _bound(1, bounds.EQUIVARIANCE_MAX_KERNEL),
        "stride": _bound(1, bounds.EQUIVARIANCE_MAX_STRIDE),
        "ch": _bound(0, bounds.EQUIVARIANCE_MAX_CHANNELS - 1),
        "seed": _bound(0, PAGE_MAX_SEED),
    }


def _why_conv(settings: Settings) -> PageLimits:
    return {
        "c": _bound(1, bounds.WHY_MAX_CHANNELS),
        "h": _bound(1, bounds.WHY_MAX_SIDE),
        "w": _bound(1, bounds.WHY_MAX_SIDE),
        "cout": _bound(1, bounds.WHY_MAX_CHANNELS),
        "k": _bound(1, bounds.WHY_MAX_KERNEL),
        "side": _bound(PAGE_MIN_PERMUTATION_SIDE, bounds.PERMUTATION_MAX_SIDE),
        "seed": _bound(0, PAGE_MAX_SEED),
    }


def _image(settings: Settings) -> PageLimits:
    return {
        "layers": _bound(1, settings.max_image_layers),
        "channels": _bound(1, min(PAGE_MAX_IMAGE_CHANNELS, settings.max_image_channels)),
    }


def _dropout(settings: Settings) -> PageLimits:
    return {
        "p": _bound(0, PAGE_MAX_DROPOUT_P),
        "n": _bound(2, min(PAGE_MAX_DROPOUT_UNITS, MAX_AXIS, settings.max_tensor_elements)),
        "masks": _bound(PAGE_MIN_DROPOUT_MASKS, bounds.MAX_MASKS),
    }


#: page name (app.routers.pages.PAGES) → its bounds; a page not listed has no server-bounded field.
BUILDERS: dict[str, Callable[[Settings], PageLimits]] = {
    "residual": _residual,
    "equivariance": _equivariance,
    "why-conv": _why_conv,
    "image": _image,
    "dropout": _dropout,
}


def page_limits(page: str, settings: Settings) -> PageLimits:
    build = BUILDERS.get(page)
    return build(settings) if build else {}
