"""The bounds each page offers for its fields, built from the API's own bounds (the request schemas'
constants and :class:`app.settings.Settings`) and rendered into the page: the inputs' min/max in the
templates and ``<script id="limits">`` (templates/base.html) that the page's module reads
(static/js/common/limits.js). No page keeps a copy of a server bound.

A field takes the server's bound unless the page narrows it on purpose; the ``PAGE_*`` constants below are
those page-only bounds, each with its reason. tests/app/test_limits.py checks every page bound against the
bound of the API parameter the page sends it as: equal, or narrower where a ``PAGE_*`` constant says so.
"""

import math
from collections.abc import Callable

from app.schemas import experiments as bounds
from app.schemas.common import MAX_AXIS
from app.schemas.ops import MAX_MOMENTUM
from app.settings import Settings
from convcore.networks import residual

Bound = dict[str, int | float]
PageLimits = dict[str, Bound]

#: Seeds a page offers (sent to the server, or the page's own random numbers): a number a student reads and
#: types; every seed shows the same lesson.
PAGE_MAX_SEED = 100_000
#: The equivariance page's shift sliders: 33 steps keep one pixel of shift a step a finger can take on a
#: 360 px screen; ±16 pixels already moves the photo well past every receptive field of the stack.
PAGE_MAX_SHIFT = 16
#: The image lab's editor draws one kernel grid per channel of a layer: 8 fit in one row at 1280 px.
PAGE_MAX_IMAGE_CHANNELS = 8
#: The image lab's editor fields for a pool's window and stride, a convolution's stride and dilation: up to 8
#: (and padding up to 15), which already shrinks a 512 px working image to a few cells in two or three layers;
#: the server bounds kernel size and dilation by Settings.max_image_kernel, stride and padding only as
#: arithmetic (convcore's MAX_HYPER).
PAGE_MAX_IMAGE_HYPER = 8
PAGE_MAX_IMAGE_PADDING = 15
#: The image lab's dropout p moves in steps of 0.1 and stops short of 1, where every unit is dropped.
PAGE_MAX_IMAGE_DROPOUT_P = 0.9
#: The dropout page draws each unit as a cell and counts the 2ⁿ masks in words (the server: x is one Row of
#: at most MAX_AXIS values, and at most Settings.max_tensor_elements).
PAGE_MAX_DROPOUT_UNITS = 16
#: The dropout page's p slider stops short of 1, where every unit is dropped and nothing is left to see.
PAGE_MAX_DROPOUT_P = 0.95
#: The dropout page's masks slider moves in steps of 10.
PAGE_MIN_DROPOUT_MASKS = 10
#: The permutation's side slider moves in steps of 4 pixels, from 8: a smaller image is too coarse to show.
PAGE_MIN_PERMUTATION_SIDE = 8
#: The playground draws every cell of its input, kernel and output grids and animates them step by step: a
#: 4-channel 32×32 input padded by 5 is four grids of 42×42 cells, at 6 px a cell the widest that fits a 360 px
#: phone and still redraws within a frame; kernels up to 7×7, strides up to 5 and dilations up to 4 already
#: show every case of the lecture's formulas on such an input.
PAGE_PLAYGROUND = {"size": 32, "channels": 4, "kernel": 7, "stride": 5, "padding": 5, "dilation": 4}
#: The transposed convolution's output is drawn cell by cell too: at most 64 cells a side keep it on screen.
PAGE_MAX_TRANSPOSED_OUTPUT = 64
#: The pooling page writes every value of its input as a number and steps one window at a time: a 10×10 input
#: (14×14 padded) fits a 360 px screen with readable digits; windows up to 5×5, strides up to 5 and padding up
#: to 2 already show overlap, skipped cells and ceil_mode's extra window. Global average pooling's volume: up to
#: 6 channels of 12×12, drawn as a cube.
PAGE_POOLING = {"side": 10, "kernel": 5, "stride": 5, "padding": 2, "gap_channels": 6, "gap_side": 12}
#: The pooling page's input starts at 2×2: one cell has nothing to pool.
PAGE_MIN_POOLING_SIDE = 2
#: The normalization page prints every value of its toy batch N×C×H×W in tables: up to 6 samples of 4
#: channels of 4×4; a batch of one has no batch statistics.
PAGE_NORMALIZATION = {"batch": 6, "channels": 4, "side": 4}
PAGE_MIN_NORMALIZATION_BATCH = 2
#: The normalization page's momentum starts at 0.01: at 0 the running statistics never move, nothing to see.
PAGE_MIN_MOMENTUM = 0.01
#: The receptive-field and model pages' input side: up to 1024 px covers the sizes the lecture's networks are
#: used at (224 for classification, about 800–1024 for detection) and keeps the numbers a student reads short;
#: from 8 px, the smallest input the model page's route (/models/builtin) takes (tests/app/test_limits.py).
PAGE_NETWORK_INPUT = {"min": 8, "max": 1024}
#: The receptive-field page's plain-vs-dilated comparison: up to 6 layers, whose dilated receptive field
#: 2^(L+1) − 1 = 127 px stays inside the default 224 px input.
PAGE_MAX_DILATED_LAYERS = 6
#: The compute page's convolution theorem runs in the browser and draws every grid of it: a square input of 4, 8
#: or 16 cells a side (a power of two, so the circular mistake's FFT is the input's own size), kernels up to 7×7
#: with padding up to 3 (a 32×32 FFT grid at most). Its multiplication counts are arithmetic only: maps up to
#: 1024 a side and up to 2048 channels cover every layer of the lecture's networks.
PAGE_COMPUTE = {"min_side": 4, "side": 16, "kernel": 7, "padding": 3, "map": 1024, "channels": 2048}


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
        "kernel": _bound(1, min(PAGE_MAX_IMAGE_HYPER, settings.max_image_kernel)),
        "dilation": _bound(1, min(PAGE_MAX_IMAGE_HYPER, settings.max_image_kernel)),
        "stride": _bound(1, PAGE_MAX_IMAGE_HYPER),
        "padding": _bound(0, PAGE_MAX_IMAGE_PADDING),
        "p": _bound(0, PAGE_MAX_IMAGE_DROPOUT_P),
        "seed": _bound(0, PAGE_MAX_SEED),
    }


def _dropout(settings: Settings) -> PageLimits:
    return {
        "p": _bound(0, PAGE_MAX_DROPOUT_P),
        "n": _bound(2, min(PAGE_MAX_DROPOUT_UNITS, MAX_AXIS, settings.max_tensor_elements)),
        "masks": _bound(PAGE_MIN_DROPOUT_MASKS, bounds.MAX_MASKS),
    }


def _playground(settings: Settings) -> PageLimits:
    """The playground's fields, narrowed to what it draws (PAGE_PLAYGROUND) and to the largest map the server
    takes or returns (Settings.max_tensor_elements): an input of ``channels`` planes, a convolution's output of
    up to size + 2·padding a side, a transposed convolution's output of ``transposed_output`` a side. Traces:
    the server's own bounds, so the page asks for a trace exactly when the server gives one."""
    page = PAGE_PLAYGROUND
    side = math.isqrt(settings.max_tensor_elements // page["channels"])
    return {
        "size": _bound(1, max(1, min(page["size"], side - 2 * page["padding"]))),
        "channels": _bound(1, page["channels"]),
        "groups": _bound(1, page["channels"]),
        "kernel": _bound(1, page["kernel"]),
        "stride": _bound(1, page["stride"]),
        "padding": _bound(0, page["padding"]),
        "dilation": _bound(1, page["dilation"]),
        "transposed_output": _bound(1, max(1, min(PAGE_MAX_TRANSPOSED_OUTPUT, side))),
        "trace_taps": _bound(1, settings.max_trace_taps),
        "trace_steps": _bound(1, settings.max_trace_steps),
    }


def _pooling(settings: Settings) -> PageLimits:
    page = PAGE_POOLING
    return {
        "h": _bound(PAGE_MIN_POOLING_SIDE, page["side"]),
        "w": _bound(PAGE_MIN_POOLING_SIDE, page["side"]),
        "k": _bound(1, page["kernel"]),
        "s": _bound(1, page["stride"]),
        "p": _bound(0, page["padding"]),
        "seed": _bound(0, PAGE_MAX_SEED),
        "gc": _bound(1, page["gap_channels"]),
        "gh": _bound(1, page["gap_side"]),
        "gw": _bound(1, page["gap_side"]),
    }


def _normalization(settings: Settings) -> PageLimits:
    page = PAGE_NORMALIZATION
    return {
        "n": _bound(PAGE_MIN_NORMALIZATION_BATCH, page["batch"]),
        "c": _bound(1, page["channels"]),
        "size": _bound(1, page["side"]),
        "seed": _bound(0, PAGE_MAX_SEED),
        "momentum": _bound(PAGE_MIN_MOMENTUM, MAX_MOMENTUM),
        "g": _bound(1, page["channels"]),
    }


def _receptive_field(settings: Settings) -> PageLimits:
    return {
        "size": _bound(PAGE_NETWORK_INPUT["min"], PAGE_NETWORK_INPUT["max"]),
        "dl": _bound(1, PAGE_MAX_DILATED_LAYERS),
    }


def _model(settings: Settings) -> PageLimits:
    return {"size": _bound(PAGE_NETWORK_INPUT["min"], PAGE_NETWORK_INPUT["max"])}


def _compute(settings: Settings) -> PageLimits:
    page = PAGE_COMPUTE
    return {
        "n": _bound(page["min_side"], page["side"]),
        "k": _bound(1, page["kernel"]),
        "p": _bound(0, page["padding"]),
        "seed": _bound(0, PAGE_MAX_SEED),
        "map": _bound(1, page["map"]),
        "cin": _bound(1, page["channels"]),
        "cout": _bound(1, page["channels"]),
    }


#: page name (app.routers.pages.PAGES) → its bounds.
BUILDERS: dict[str, Callable[[Settings], PageLimits]] = {
    "playground": _playground,
    "pooling": _pooling,
    "normalization": _normalization,
    "receptive-field": _receptive_field,
    "model": _model,
    "residual": _residual,
    "equivariance": _equivariance,
    "why-conv": _why_conv,
    "image": _image,
    "dropout": _dropout,
    "compute": _compute,
}


def page_limits(page: str, settings: Settings) -> PageLimits:
    build = BUILDERS.get(page)
    return build(settings) if build else {}
