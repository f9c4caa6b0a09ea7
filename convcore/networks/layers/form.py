"""The layer form: the typed values a layer description becomes, and the bounds and fields each type has.

The layer types here are values: nothing changes them once built. :class:`Layer`, :class:`Shape` and
:class:`LayerResult` are plain slotted dataclasses, not frozen ones, because a frozen dataclass assigns each field
through ``object.__setattr__`` and costs about five times as much to build, and ``/shapes`` builds one of each
per layer (``benchmarks/api.py`` prints the stages).
"""

import reprlib
from dataclasses import dataclass
from typing import Any

from convcore.arithmetic.receptive_field import Window
from convcore.arithmetic.shapes import Pair

#: Largest input height/width, channel count (also out_features, groups) and kernel, stride, padding,
#: dilation or output_padding a layer description may hold. The arithmetic costs the same for 7 and 7000;
#: the bounds keep every size torch is given within 64 bits and every count in a browser's exact range.
MAX_SIZE = 100_000
MAX_CHANNELS = 100_000
MAX_HYPER = 4096
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxtuple, short.maxdict = 2, 4, 4, 4
    short.maxstring = short.maxother = short.maxlong = 40
    return short


_SHORT = _short_repr()


def short_repr(value: Any) -> str:
    """``repr(value)`` cut short (depth, items, characters): safe to put any input into a message."""
    return _SHORT.repr(value)


LAYER_TYPES = (
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm2d",
    "relu",
    "dropout",
    "global_avg_pool2d",
    "linear",
)
PASS_THROUGH = frozenset({"batch_norm2d", "relu", "dropout"})
#: The types that slide a window over the input (kernel, stride, padding, dilation).
SLIDING = frozenset({"conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"})
FIELDS: dict[str, frozenset[str]] = {
    "conv2d": frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"}
    ),
    "conv_transpose2d": frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias"}
    ),
    "max_pool2d": frozenset({"kernel_size", "stride", "padding", "dilation", "ceil_mode"}),
    "avg_pool2d": frozenset({"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"}),
    "batch_norm2d": frozenset({"eps", "momentum", "affine"}),
    "relu": frozenset(),
    "dropout": frozenset({"p"}),
    "global_avg_pool2d": frozenset(),
    "linear": frozenset({"out_features", "bias"}),
}


@dataclass(slots=True)
class Shape:
    """A feature map's shape without the batch axis: ``(C, H, W)``."""

    channels: int
    height: int
    width: int

    @property
    def size(self) -> Pair:
        return (self.height, self.width)


@dataclass(slots=True)
class Layer:
    """One parsed layer. Fields a type does not use keep torch's defaults."""

    type: str
    name: str = ""
    out_channels: int | None = None
    kernel_size: Pair = (1, 1)
    stride: Pair = (1, 1)
    padding: tuple[Pair, Pair] = ((0, 0), (0, 0))
    padding_spec: str | Pair = (0, 0)
    dilation: Pair = (1, 1)
    output_padding: Pair = (0, 0)
    groups: int = 1
    bias: bool = True
    ceil_mode: bool = False
    count_include_pad: bool = True
    padding_mode: str = "zeros"
    p: float = 0.5
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True
    out_features: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The layer back in the shared dict form, with every field its type uses."""
        d: dict[str, Any] = {"type": self.type}
        if self.name:
            d["name"] = self.name
        for key in sorted(FIELDS[self.type]):
            value = self.padding_spec if key == "padding" else getattr(self, key)
            d[key] = list(value) if isinstance(value, tuple) else value
        return d


@dataclass(slots=True)
class LayerResult:
    """A layer applied to a known input shape."""

    layer: Layer
    input: Shape
    output: Shape
    params: int
    macs: int
    windows: tuple[Window, Window] | None
    unused: Pair
    unused_image: Pair


def is_int(value: Any) -> bool:
    """An integer that is not a bool (JSON's ``true`` is an int to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)
