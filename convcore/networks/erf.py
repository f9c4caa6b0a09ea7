"""The effective receptive field of one output unit (Luo, Li, Urtasun & Zemel, NIPS 2016).

The theoretical receptive field (:mod:`convcore.arithmetic.receptive_field`) is the box of input pixels that *can*
influence an output unit. The effective one is how much each of them *does*: the gradient of the unit
``y = out[layer][channel, row, col]`` with respect to the input image ``x``,

    E[i, j] = Σ_c |∂y / ∂x[c, i, j]|,   normalised to ``E / max E`` (so the heatmap lies in [0, 1]),

computed with torch autograd (float32) through the same network the feature maps come from: ReLUs that are
off and max pools that pick another pixel cut paths, so the heatmap depends on the image. It is zero
outside the theoretical box, and for one convolution with no zero weights its support is that box, clipped.
"""

from dataclasses import dataclass

import numpy as np
import torch

from convcore.networks.network import Network, forward

__all__ = ["ErfResult", "effective_receptive_field"]


@dataclass(frozen=True)
class ErfResult:
    """``heatmap`` ``(H, W)`` in [0, 1]; ``peak`` is ``max E`` before normalising (0 means no path at all);
    ``support`` the inclusive ``((row0, row1), (col0, col1))`` bounding box of the non-zero pixels or ``None``."""

    heatmap: np.ndarray
    peak: float
    support: tuple[tuple[int, int], tuple[int, int]] | None


def effective_receptive_field(
    network: Network, image: np.ndarray, *, layer_index: int, row: int, col: int, channel: int = 0
) -> ErfResult:
    """The effective receptive field of unit ``(channel, row, col)`` of layer ``layer_index`` for ``image``
    ``(C, H, W)``. Raises ``ValueError`` if the layer or the unit does not exist."""
    if not 0 <= layer_index < len(network.steps):
        raise ValueError(f"layer_index must be between 0 and {len(network.steps) - 1}, got {layer_index}")
    out = network.results[layer_index].output
    for name, value, size in (("channel", channel, out.channels), ("row", row, out.height), ("col", col, out.width)):
        if not 0 <= value < size:
            raise ValueError(f"{name} must be between 0 and {size - 1} for layer {layer_index}, got {value}")
    x = torch.tensor(image, dtype=torch.float32)[None].requires_grad_(True)
    unit = forward(network, x, upto=layer_index)[-1][0, channel, row, col]
    (grad,) = torch.autograd.grad(unit, x)
    magnitude = grad[0].abs().sum(dim=0).numpy()
    peak = float(magnitude.max())
    if not np.isfinite(peak):
        raise ValueError("the gradient overflows float32: use smaller weights")
    if peak == 0.0:
        return ErfResult(np.zeros_like(magnitude), 0.0, None)
    rows = np.flatnonzero(magnitude.any(axis=1))
    cols = np.flatnonzero(magnitude.any(axis=0))
    support = ((int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1])))
    return ErfResult((magnitude / peak).astype(np.float32), peak, support)
