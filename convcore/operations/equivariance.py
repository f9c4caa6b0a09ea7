"""What convolution keeps: equivariance to shifts, what stride does to it, and invariance through pooling.

The network is a small stack on a one-channel image (C, H, W with C = 1): ``layers`` convolutions of
``kernel_size`` with zero padding k // 2 and ``channels`` filters, ReLU between them. The first one has
stride ``stride``, computed as Zhang (ICML 2019, "Making Convolutional Networks Shift-Invariant Again")
writes it: convolution at stride 1, ReLU, then a binomial blur of size ``blur`` (1: none) and subsampling.
With ``blur = 1`` that is exactly a stride-s convolution followed by ReLU.

Shifts move content by (dy, dx) and fill what enters with zeros. Where the compared maps were computed
only from real pixels (no padding, no fill) — the "trusted" region, found by eroding a mask through the
same layers — conv(shift(x)) and shift(conv(x)) agree; outside it padding makes them differ.
"""

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from convcore.errors import InputError

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]
Span = NDArray[np.bool_]  # one axis of a rectangular mask
G = TypeVar("G", bound=np.generic)

__all__ = [
    "Comparison",
    "EquivarianceNet",
    "binomial_filter",
    "compare_shift",
    "compare_transform",
    "erode",
    "gap_shift_differences",
    "make_net",
    "max_pool_unchanged",
    "run",
    "shift",
    "transform_image",
    "trusted",
]

BLUR_SIZES = (1, 3, 5)


@dataclass(frozen=True)
class EquivarianceNet:
    """``weights[i]`` (C_out, C_in, k, k), no biases; ``stride`` and ``blur`` apply to layer 0."""

    weights: tuple[Array, ...]
    stride: int
    blur: int

    @property
    def kernel_size(self) -> int:
        return int(self.weights[0].shape[-1])


def binomial_filter(size: int) -> Array:
    """The normalised 2-D binomial filter of odd ``size`` (3: [1, 2, 1]ᵀ[1, 2, 1] / 16); size 1 is identity."""
    if size not in BLUR_SIZES:
        raise InputError(
            f"blur must be one of {', '.join(map(str, BLUR_SIZES))} (1 = no blur), got {size}",
            code="not_one_of_value",
            field="blur",
            choices=list(BLUR_SIZES),
            value=size,
        )
    row = np.array([1.0])
    for _ in range(size - 1):
        row = np.convolve(row, [1.0, 1.0])
    kernel = np.outer(row, row)
    return kernel / kernel.sum()


def make_net(*, layers: int, channels: int, kernel_size: int, stride: int, blur: int, seed: int) -> EquivarianceNet:
    """Seeded weights drawn as torch's default init does, U(−1/√fan_in, 1/√fan_in), and no biases: a bias
    only adds a constant to each map, which would hide the structure on the colour scale."""
    if not 1 <= layers <= 3:
        raise InputError(
            f"layers must be between 1 and 3, got {layers}",
            code="out_of_range",
            field="layers",
            minimum=1,
            maximum=3,
            value=layers,
        )
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise InputError(
            f"kernel_size must be odd (padding k // 2 keeps the size), got {kernel_size}",
            code="not_odd",
            field="kernel_size",
            value=kernel_size,
        )
    if stride < 1:
        raise InputError(
            f"stride must be at least 1, got {stride}", code="too_small", field="stride", minimum=1, value=stride
        )
    binomial_filter(blur)
    rng = np.random.default_rng(seed)
    weights = []
    c_in = 1
    for _ in range(layers):
        bound = 1.0 / np.sqrt(c_in * kernel_size * kernel_size)
        weights.append(rng.uniform(-bound, bound, (channels, c_in, kernel_size, kernel_size)))
        c_in = channels
    return EquivarianceNet(tuple(weights), stride, blur)


def _blur_subsample(y: torch.Tensor, blur: int, stride: int) -> torch.Tensor:
    if blur > 1:
        kernel = torch.from_numpy(binomial_filter(blur)).to(y.dtype)
        channels = y.shape[1]
        y = F.conv2d(y, kernel.expand(channels, 1, blur, blur), padding=blur // 2, groups=channels)
    return y[:, :, ::stride, ::stride]


def run(net: EquivarianceNet, image: Array) -> list[Array]:
    """Every layer's output (C, h, w) for ``image`` (1, H, W), float32 through torch.

    float32 is 5–10× faster here than float64 and loses nothing the lesson needs: every output position is
    computed by the same arithmetic, so equal windows give bit-equal outputs and the equivariance error inside
    the trusted region is exactly 0.
    """
    y = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]
    outputs = []
    last = len(net.weights) - 1
    for i, weight in enumerate(net.weights):
        p = weight.shape[-1] // 2
        y = F.conv2d(y, torch.from_numpy(weight).to(y.dtype), padding=p)
        if i < last or i == 0:  # layer 0 keeps its ReLU: Zhang blurs after it
            y = torch.relu(y)
        if i == 0:
            y = _blur_subsample(y, net.blur, net.stride)
        outputs.append(y[0].numpy())
    return outputs


def erode(mask: Span, size: int) -> Span:
    """True where the whole centred window of ``size`` is True (outside the mask counting as False), 1-D."""
    if size == 1:
        return mask
    # a window is all True iff it counts `size` Trues: differences of a running count
    counts = np.concatenate([[0], np.cumsum(np.pad(mask, size // 2), dtype=np.int64)])
    return np.asarray(counts[size:] - counts[:-size] == size)


def _trusted_axis(net: EquivarianceNet, mask: Span) -> Span:
    k = net.kernel_size
    out = erode(erode(mask, k), net.blur)[:: net.stride]
    for _ in net.weights[1:]:
        out = erode(out, k)
    return out


def trusted(net: EquivarianceNet, rows: Span, cols: Span) -> Mask:
    """Output positions computed only from input pixels in ``rows`` × ``cols`` (padding is not).

    Every mask here is a rectangle (a shifted image, eroded, subsampled), so the work is done per axis.
    """
    return np.outer(_trusted_axis(net, rows), _trusted_axis(net, cols))


def _ones_shifted(n: int, d: int) -> Span:
    mask = np.zeros(n, dtype=bool)
    mask[max(0, d) : n + min(0, d)] = True
    return mask


def shift(x: NDArray[G], dy: int, dx: int) -> NDArray[G]:
    """Content moved down by dy and right by dx over the last two axes; what enters is zero (False)."""
    h, w = x.shape[-2:]
    out = np.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_y = slice(max(0, -dy), h - max(0, dy))
    dst_y = slice(max(0, dy), h - max(0, -dy))
    src_x = slice(max(0, -dx), w - max(0, dx))
    dst_x = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


@dataclass(frozen=True)
class Comparison:
    """``transformed`` = net(T(x)), ``expected`` = T'(net(x)); ``region`` where both saw only real pixels."""

    transformed: Array
    expected: Array
    difference: Array
    region: Mask
    max_error_inside: float
    max_error_outside: float
    relative_error: float


def _compare(transformed: Array, expected: Array, region: Mask) -> Comparison:
    difference = transformed - expected
    magnitude = np.abs(difference)
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if rows.size == 0:
        return Comparison(transformed, expected, difference, region, 0.0, float(magnitude.max()), 0.0)
    # the region is a rectangle: slices and the four strips around it, no boolean indexing or copies
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    inside = magnitude[:, r0:r1, c0:c1]
    strips = [magnitude[:, :r0], magnitude[:, r1:], magnitude[:, r0:r1, :c0], magnitude[:, r0:r1, c1:]]
    scale = float(np.abs(expected[:, r0:r1, c0:c1]).mean())
    return Comparison(
        transformed=transformed,
        expected=expected,
        difference=difference,
        region=region,
        max_error_inside=float(inside.max()),
        max_error_outside=max((float(strip.max()) for strip in strips if strip.size), default=0.0),
        relative_error=float(inside.mean()) / scale if scale > 0 else 0.0,
    )


def _output_shifts(d: int, stride: int) -> list[int]:
    return sorted({d // stride, -(-d // stride)})


def compare_shift(
    net: EquivarianceNet, image: Array, dy: int, dx: int, *, base: list[Array] | None = None
) -> tuple[Comparison, tuple[int, int]]:
    """net(shift(x, dy, dx)) against shift(net(x), dy/S, dx/S), S the stride; the output shift used.

    When S does not divide the shift, no output shift reproduces it: of the two nearest (rounded down and
    up per axis) the one with the smaller relative error is compared. ``base`` is ``run(net, image)`` if known.
    """
    outputs = base if base is not None else run(net, image)
    final = outputs[-1]
    shifted = run(net, shift(image, dy, dx))[-1]
    h, w = image.shape[-2:]
    region_in = trusted(net, _ones_shifted(h, dy), _ones_shifted(w, dx))
    region_base = trusted(net, _ones_shifted(h, 0), _ones_shifted(w, 0))
    candidates = [
        (_compare(shifted, shift(final, oy, ox), region_in & shift(region_base, oy, ox)), (oy, ox))
        for oy in _output_shifts(dy, net.stride)
        for ox in _output_shifts(dx, net.stride)
    ]
    return min(candidates, key=lambda candidate: candidate[0].relative_error)


def compare_transform(net: EquivarianceNet, image: Array, transform: str) -> Comparison:
    """net(T(x)) against T(net(x)) for ``rot90``, ``rot180``, ``flip`` or ``scale2`` (nearest, ×2).

    For ``scale2`` the centre half of the image is enlarged, so the work stays that of the whole image.
    """
    if transform not in TRANSFORMS:
        raise InputError(
            f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}",
            code="not_one_of_value",
            field="transform",
            choices=list(TRANSFORMS),
            value=transform,
        )
    h, w = image.shape[-2:]
    source = image
    if transform == "scale2":
        source = image[..., h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2]
    moved = transform_image(source, transform)
    transformed = run(net, moved)[-1]
    expected = transform_image(run(net, source)[-1], transform)
    sh, sw = source.shape[-2:]
    mh, mw = moved.shape[-2:]
    region_source = trusted(net, _ones_shifted(sh, 0), _ones_shifted(sw, 0))
    region = trusted(net, _ones_shifted(mh, 0), _ones_shifted(mw, 0)) & transform_image(region_source, transform)
    return _compare(transformed, expected, region)


TRANSFORMS = ("rot90", "rot180", "flip", "scale2")


def transform_image(x: NDArray[G], transform: str) -> NDArray[G]:
    """``x`` (…, H, W) rotated by 90° or 180° counter-clockwise, flipped left-right, or enlarged ×2 (nearest)."""
    if transform == "rot90":
        return np.ascontiguousarray(np.rot90(x, 1, axes=(-2, -1)))
    if transform == "rot180":
        return np.ascontiguousarray(np.rot90(x, 2, axes=(-2, -1)))
    if transform == "flip":
        return np.ascontiguousarray(x[..., ::-1])
    if transform == "scale2":
        return np.repeat(np.repeat(x, 2, axis=-2), 2, axis=-1)
    raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")


def _blocks(x: NDArray[np.generic], k: int) -> NDArray[np.generic]:
    h, w = x.shape[-2] // k * k, x.shape[-1] // k * k
    return x[..., :h, :w].reshape(*x.shape[:-2], h // k, k, w // k, k)


def max_pool_unchanged(feature: Array, pool: int, shifts: list[int]) -> list[float]:
    """Fraction of max_pool2d(kernel_size=pool, stride=pool) outputs of ``feature`` (H, W) that stay exactly
    the same when the map is shifted right by each of ``shifts``; windows that saw filled zeros are left out."""
    if pool < 1:
        raise InputError(f"pool must be at least 1, got {pool}", code="too_small", field="pool", minimum=1, value=pool)
    reference = _blocks(feature, pool).max(axis=(-3, -1))
    fractions = []
    for t in shifts:
        moved = _blocks(shift(feature, 0, t), pool).max(axis=(-3, -1))
        clean = _blocks(shift(np.ones(feature.shape, dtype=bool), 0, t), pool).all(axis=(-3, -1))
        fractions.append(float((moved == reference)[clean].mean()) if clean.any() else 0.0)
    return fractions


def gap_shift_differences(feature: Array, dy: int, dx: int) -> tuple[float, float]:
    """Largest change of global average pooling (per channel of ``feature`` (C, H, W)) under a circular shift
    by (dy, dx) and under a zero-filled shift by the same amount."""
    reference = feature.mean(axis=(-2, -1))
    circular = np.roll(feature, (dy, dx), axis=(-2, -1)).mean(axis=(-2, -1))
    filled = shift(feature, dy, dx).mean(axis=(-2, -1))
    return float(np.abs(circular - reference).max()), float(np.abs(filled - reference).max())
