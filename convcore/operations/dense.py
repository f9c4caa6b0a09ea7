"""Why not dense layers: three layers from a C×H×W image to a C_out×H×W map, and what each one costs.

- dense (``nn.Linear(C·H·W, C_out·H·W)``): every output sees every input pixel with its own weight;
- locally connected: every output sees a k×k window (padding k // 2, so the size is kept), with weights of
  its own at each position (no sharing);
- convolution (``nn.Conv2d(C, C_out, k, padding=k // 2)``): the same k×k window, one set of weights shared
  by every position.

Locality takes the dense count down to the locally connected one; weight sharing takes that down to the
convolution's. MACs count one multiply-add per weight tap and output, padding taps included, as
:func:`convcore.arithmetic.shapes.conv_macs` does. Also the permutation experiment: a dense layer never knew which
pixels were neighbours, so scrambling the pixels and its weights alike changes nothing, while a
convolution's output turns to noise.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from convcore.arithmetic import shapes
from convcore.errors import InputError

Array = NDArray[np.float64]

__all__ = [
    "LayerCost",
    "PermutationResult",
    "conv_cost",
    "dense_cost",
    "layer_costs",
    "locally_connected2d",
    "locally_connected_cost",
    "permutation_experiment",
]


@dataclass(frozen=True)
class LayerCost:
    params: int
    macs: int
    params_formula: str
    macs_formula: str


def _check(channels: int, height: int, width: int, out_channels: int, kernel_size: int) -> None:
    for name, value in [("channels", channels), ("height", height), ("width", width)]:
        if value < 1:
            raise InputError(
                f"{name} must be at least 1, got {value}", code="too_small", field=name, minimum=1, value=value
            )
    if out_channels < 1:
        raise InputError(
            f"out_channels must be at least 1, got {out_channels}",
            code="too_small",
            field="out_channels",
            minimum=1,
            value=out_channels,
        )
    _check_odd_kernel(kernel_size)


def _check_odd_kernel(kernel_size: int) -> None:
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise InputError(
            f"kernel_size must be odd (so that padding k // 2 keeps the size), got {kernel_size}",
            code="not_odd",
            field="kernel_size",
            value=kernel_size,
        )


def dense_cost(channels: int, height: int, width: int, out_channels: int, *, bias: bool = True) -> LayerCost:
    """``nn.Linear(C·H·W, C_out·H·W)``: ``params = C·H·W · C_out·H·W (+ C_out·H·W)``, ``macs = C·H·W · C_out·H·W``."""
    _check(channels, height, width, out_channels, 1)
    n_in = channels * height * width
    n_out = out_channels * height * width
    params = shapes.linear_params(n_in, n_out, bias=bias)
    macs = shapes.linear_macs(n_in, n_out)
    bias_term = f" + {n_out}" if bias else ""
    return LayerCost(
        params=params,
        macs=macs,
        params_formula=f"({channels}·{height}·{width})·({out_channels}·{height}·{width}){bias_term} = {params}",
        macs_formula=f"({channels}·{height}·{width})·({out_channels}·{height}·{width}) = {macs}",
    )


def locally_connected_cost(
    channels: int, height: int, width: int, out_channels: int, kernel_size: int, *, bias: bool = True
) -> LayerCost:
    """A k×k window per output position, unshared.

    ``params = H·W·C_out·C·k² (+ C_out·H·W)``, ``macs = H·W·C_out·C·k²``.
    """
    _check(channels, height, width, out_channels, kernel_size)
    k = kernel_size
    # The products of a convolution, each with a weight of its own: one weight per multiply-add.
    macs = shapes.conv_macs(channels, out_channels, (k, k), (height, width))
    params = macs + (out_channels * height * width if bias else 0)
    bias_term = f" + {out_channels}·{height}·{width}" if bias else ""
    return LayerCost(
        params=params,
        macs=macs,
        params_formula=f"{height}·{width}·{out_channels}·{channels}·{k}·{k}{bias_term} = {params}",
        macs_formula=f"{height}·{width}·{out_channels}·{channels}·{k}·{k} = {macs}",
    )


def conv_cost(
    channels: int, height: int, width: int, out_channels: int, kernel_size: int, *, bias: bool = True
) -> LayerCost:
    """``nn.Conv2d(C, C_out, k, padding=k // 2)``: ``params = C_out·C·k² (+ C_out)``, ``macs = C_out·C·k²·H·W``."""
    _check(channels, height, width, out_channels, kernel_size)
    k = kernel_size
    params = shapes.conv_params(channels, out_channels, (k, k), bias=bias)
    macs = shapes.conv_macs(channels, out_channels, (k, k), (height, width))
    bias_term = f" + {out_channels}" if bias else ""
    return LayerCost(
        params=params,
        macs=macs,
        params_formula=f"{out_channels}·{channels}·{k}·{k}{bias_term} = {params}",
        macs_formula=f"{out_channels}·{channels}·{k}·{k}·{height}·{width} = {macs}",
    )


def layer_costs(
    channels: int, height: int, width: int, out_channels: int, kernel_size: int, *, bias: bool = True
) -> dict[str, LayerCost]:
    """The three layers' costs for one image size, keyed ``dense``, ``locally_connected``, ``conv``."""
    _check(channels, height, width, out_channels, kernel_size)
    return {
        "dense": dense_cost(channels, height, width, out_channels, bias=bias),
        "locally_connected": locally_connected_cost(channels, height, width, out_channels, kernel_size, bias=bias),
        "conv": conv_cost(channels, height, width, out_channels, kernel_size, bias=bias),
    }


def locally_connected2d(x: Array, weight: Array, bias: Array | None = None) -> Array:
    """Locally connected layer, size kept (padding k // 2).

    Shape: ``x`` (C, H, W), ``weight`` (H, W, C_out, C, k, k), ``bias`` (C_out, H, W) → (C_out, H, W);
    ``out[o, i, j] = Σ_{c,u,v} weight[i, j, o, c, u, v] · x_pad[c, i + u, j + v] (+ bias[o, i, j])``.
    """
    c, h, w = x.shape
    k = weight.shape[-1]
    if weight.shape[:2] != (h, w) or weight.shape[3] != c or weight.shape[4] != k:
        raise ValueError(
            f"weight must have shape (H, W, C_out, C, k, k) = ({h}, {w}, ·, {c}, k, k), got {weight.shape}"
        )
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))  # (C, H, W, k, k)
    out = np.einsum("cijuv,ijocuv->oij", windows, weight)
    return out if bias is None else out + bias


@dataclass(frozen=True)
class PermutationResult:
    """Images are (H, W); dense outputs are vectors of ``units``."""

    image: Array
    scrambled: Array
    conv: Array
    conv_scrambled: Array
    conv_unscrambled: Array
    dense: Array
    dense_scrambled: Array
    dense_max_difference: float
    conv_relative_difference: float
    permutation: NDArray[np.int64]


def _conv_same(x: Array, kernel: Array) -> Array:
    k = kernel.shape[0]
    p = k // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, p), (k, k))
    return np.einsum("ijuv,uv->ij", windows, kernel)


def permutation_experiment(image: Array, kernel: Array, *, units: int, seed: int) -> PermutationResult:
    """Scramble the pixels of ``image`` (H, W) with one fixed permutation π (seeded).

    Dense: ``y = W·x`` and ``y' = W[:, π]·x[π]``: equal up to the order of the sum (rounding).
    Convolution (``kernel`` k×k, padding k // 2): ``conv(x)`` vs ``conv(x[π])``, and the latter unscrambled,
    ``π⁻¹(conv(x[π]))``, which a permutation-blind layer would give back as ``conv(x)``; its relative
    difference ``‖π⁻¹(conv(x[π])) − conv(x)‖ / ‖conv(x)‖`` is what the convolution loses.
    """
    h, w = image.shape
    rng = np.random.default_rng(seed)
    permutation = rng.permutation(h * w)
    weights = rng.standard_normal((units, h * w)) / np.sqrt(h * w)
    flat = image.reshape(-1)
    scrambled = flat[permutation]
    dense = weights @ flat
    dense_scrambled = weights[:, permutation] @ scrambled
    conv = _conv_same(image, kernel)
    conv_scrambled = _conv_same(scrambled.reshape(h, w), kernel)
    unscrambled = np.empty(h * w)
    unscrambled[permutation] = conv_scrambled.reshape(-1)
    norm = float(np.linalg.norm(conv))
    difference = float(np.linalg.norm(unscrambled - conv.reshape(-1)))
    return PermutationResult(
        image=image,
        scrambled=scrambled.reshape(h, w),
        conv=conv,
        conv_scrambled=conv_scrambled,
        conv_unscrambled=unscrambled.reshape(h, w),
        dense=dense,
        dense_scrambled=dense_scrambled,
        dense_max_difference=float(np.abs(dense - dense_scrambled).max()),
        conv_relative_difference=difference / norm if norm > 0 else 0.0,
        permutation=permutation,
    )
