"""The layer description shared by convcore, the API, the CLI and the front end.

A layer is a dict such as ``{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 1,
"padding": 1, "dilation": 1, "groups": 1, "bias": true}``; every int field may be an ``[h, w]`` pair and
``padding`` may be ``"same"`` or ``"valid"`` where torch allows it. Three modules, each building on the one before:
:mod:`.form` the typed values (:class:`Layer`, :class:`Shape`, :class:`LayerResult`) and the bounds; :mod:`.parse`
checks a dict and returns a :class:`Layer` (:func:`parse_layer`); :mod:`.propagation` runs a stack over an input
shape and gives each layer's output shape, parameters, multiply-accumulates and the per-axis window the receptive
field needs (:func:`propagate`; :class:`~convcore.arithmetic.receptive_field.Window` lives with the arithmetic).
Callers import from here.
"""

from convcore.arithmetic.receptive_field import Window
from convcore.networks.layers.form import (
    LAYER_TYPES,
    MAX_CHANNELS,
    MAX_HYPER,
    MAX_SIZE,
    PADDING_MODES,
    PASS_THROUGH,
    Layer,
    LayerResult,
    Shape,
    short_repr,
)
from convcore.networks.layers.parse import assemble, assemble_layers, parse_layer, parse_layers
from convcore.networks.layers.propagation import apply_layer, check_input, pass_params, propagate, static_windows

__all__ = [
    "LAYER_TYPES",
    "MAX_CHANNELS",
    "MAX_HYPER",
    "MAX_SIZE",
    "PADDING_MODES",
    "PASS_THROUGH",
    "Layer",
    "LayerResult",
    "Shape",
    "Window",
    "apply_layer",
    "assemble",
    "assemble_layers",
    "check_input",
    "parse_layer",
    "parse_layers",
    "pass_params",
    "propagate",
    "short_repr",
    "static_windows",
]
