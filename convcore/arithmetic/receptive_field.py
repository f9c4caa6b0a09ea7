"""Receptive fields per axis, after Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019).

For layers ``l = 1..L`` with effective kernel ``k_l``, stride ``s_l`` and left padding ``p_l``, relative to
the network input:

    r_l = r_{l−1} + (k_l − 1)·S_{l−1}        (size)
    S_l = S_{l−1}·s_l                         (effective stride, the "jump")
    P_l = P_{l−1} + p_l·S_{l−1}               (effective padding)

starting from ``r_0 = 1, S_0 = 1, P_0 = 0``. Output index ``u`` sees the input interval
``[u·S − P, u·S − P + r − 1]`` whose centre is ``u·S − P + (r − 1)/2``.

A *whole* field (``whole=True``) is what an operation that mixes every position of an axis leaves behind
(global pooling, attention over all tokens, a linear layer over a flattened map): every output sees the whole
input along that axis, so ``r`` is the input's extent, ``P`` is 0 and no later layer changes it.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """What a layer does along one axis for the receptive field: effective kernel, stride, left padding."""

    kernel: int
    stride: int
    padding: int


@dataclass(slots=True)
class AxisField:
    """Receptive field along one axis: size ``r``, effective stride ``S``, effective padding ``P``."""

    size: int = 1
    stride: int = 1
    padding: int = 0
    whole: bool = False

    def interval(self, index: int) -> tuple[int, int]:
        """Input positions ``[u·S − P, u·S − P + r − 1]`` seen by output ``u`` (may leave the image)."""
        if self.whole:
            return (0, self.size - 1)
        start = index * self.stride - self.padding
        return (start, start + self.size - 1)

    def center(self, index: int) -> float:
        """``u·S − P + (r − 1)/2``; a half-integer when ``r`` is even."""
        if self.whole:
            return (self.size - 1) / 2
        return index * self.stride - self.padding + (self.size - 1) / 2


def size_after(previous: AxisField, window: Window) -> int:
    """``r_l = r_{l−1} + (k_l − 1)·S_{l−1}``."""
    return previous.size + (window.kernel - 1) * previous.stride


def stride_after(previous: AxisField, window: Window) -> int:
    """``S_l = S_{l−1}·s_l``."""
    return previous.stride * window.stride


def padding_after(previous: AxisField, window: Window) -> int:
    """``P_l = P_{l−1} + p_l·S_{l−1}``."""
    return previous.padding + window.padding * previous.stride


def whole(extent: int, stride: int = 1) -> AxisField:
    """The field of an output that sees all ``extent`` input positions along an axis."""
    return AxisField(extent, stride, 0, True)


def compose(previous: AxisField, window: Window) -> AxisField:
    """The field after one more layer (a whole field stays whole)."""
    if previous.whole:
        return AxisField(previous.size, previous.stride * window.stride, 0, True)
    return AxisField(size_after(previous, window), stride_after(previous, window), padding_after(previous, window))


def chain(windows: Sequence[Window], start: AxisField | None = None) -> list[AxisField]:
    """The field after each layer of a chain, along one axis."""
    field = start or AxisField()
    fields = []
    for window in windows:
        field = compose(field, window)
        fields.append(field)
    return fields


def clip(interval: tuple[int, int], length: int) -> tuple[int, int] | None:
    """The part of ``interval`` inside ``[0, length − 1]``; ``None`` when it lies wholly in the padding."""
    start, end = max(interval[0], 0), min(interval[1], length - 1)
    return (start, end) if start <= end else None
