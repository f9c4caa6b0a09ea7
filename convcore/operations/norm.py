"""Batch, layer, instance and group normalization on NCHW arrays, with torch's semantics.

All four compute ``y = γ · (x - μ) / sqrt(σ² + eps) + β`` and differ only in which elements share one
(μ, σ²) pair (Wu & He, "Group Normalization", 2018, figure 2):

- batch norm: one pair per channel, over (N, H, W);
- layer norm: one pair per sample, over (C, H, W);
- instance norm: one pair per (sample, channel), over (H, W);
- group norm: one pair per (sample, group of C/G channels), over (C/G, H, W).

σ² is always the biased variance (divide by the element count m), as the lecture's formula and torch use.
Batch norm additionally keeps running statistics for inference; torch stores the *unbiased* batch variance
(``m / (m - 1)`` times the biased one) in ``running_var``.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "BatchNormResult",
    "NormKind",
    "NormResult",
    "batch_norm2d",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "normalization_axes",
    "statistics_index",
]

NormKind = Literal["batch", "layer", "instance", "group"]

_REDUCED_AXES: dict[str, tuple[int, ...]] = {
    "batch": (0, 2, 3),
    "layer": (1, 2, 3),
    "instance": (2, 3),
    "group": (1, 2, 3),
}


@dataclass(frozen=True)
class BatchNormResult:
    """Everything batch norm computes for one batch.

    ``mean`` and ``var`` (shape (C,)) are the statistics used to normalize: the batch's own mean and
    biased variance in training, the running ones in evaluation. ``x_hat`` is ``(x - mean) / sqrt(var + eps)``
    before γ and β. ``running_mean``, ``running_var`` and ``num_batches_tracked`` are the values after this
    call (unchanged in evaluation).
    """

    output: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    x_hat: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    num_batches_tracked: int
    training: bool


@dataclass(frozen=True)
class NormResult:
    """Output of layer, instance or group norm plus its statistics.

    ``mean`` and ``var`` have one entry per normalized group: shape (N,) for layer norm, (N, C) for
    instance norm, (N, G) for group norm. ``x_hat`` is the normalized input before γ and β.
    """

    output: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    x_hat: np.ndarray


def normalization_axes(kind: NormKind) -> tuple[int, ...]:
    """The NCHW axes a normalization averages over (the shaded part of the lecture's cube figure).

    batch → (0, 2, 3); layer → (1, 2, 3); instance → (2, 3); group → (1, 2, 3), where the channel axis is
    averaged only within each group of C/G consecutive channels.
    """
    if kind not in _REDUCED_AXES:
        raise ValueError(f"unknown normalization {kind!r}; choose one of: {', '.join(_REDUCED_AXES)}")
    return _REDUCED_AXES[kind]


def statistics_index(kind: NormKind, shape: tuple[int, int, int, int], num_groups: int | None = None) -> np.ndarray:
    """For every element of an NCHW tensor of ``shape``, the index of the (μ, σ²) pair it is normalized with.

    Returns an int64 array of ``shape``; elements with equal labels share statistics. Labels count in the
    order of the ``mean`` arrays: c for batch, n for layer, n·C + c for instance, n·G + c // (C/G) for group.
    ``num_groups`` is required for ``kind="group"`` and ignored otherwise.
    """
    normalization_axes(kind)
    n, c, h, w = _check_shape4(shape)
    batch_idx = np.arange(n).reshape(n, 1, 1, 1)
    channel_idx = np.arange(c).reshape(1, c, 1, 1)
    if kind == "batch":
        labels = np.broadcast_to(channel_idx, (n, c, h, w))
    elif kind == "layer":
        labels = np.broadcast_to(batch_idx, (n, c, h, w))
    elif kind == "instance":
        labels = np.broadcast_to(batch_idx * c + channel_idx, (n, c, h, w))
    else:
        if num_groups is None:
            raise ValueError("num_groups is required for group normalization")
        _check_groups(c, num_groups)
        labels = np.broadcast_to(batch_idx * num_groups + channel_idx // (c // num_groups), (n, c, h, w))
    return np.ascontiguousarray(labels, dtype=np.int64)


def batch_norm2d(
    x: np.ndarray,
    *,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    num_batches_tracked: int = 0,
) -> BatchNormResult:
    """Batch norm over an (N, C, H, W) batch, as ``torch.nn.BatchNorm2d`` in train or eval mode.

    Training: μ_c and the biased σ²_c over the m = N·H·W elements of channel c normalize x, and
    ``running = (1 - momentum) · running + momentum · batch_stat`` with the unbiased variance
    ``σ²_c · m / (m - 1)`` for ``running_var``; ``momentum=None`` uses the cumulative average
    ``momentum = 1 / num_batches_tracked`` (after incrementing), as torch does.
    Evaluation: the running statistics normalize x and are returned unchanged, so each sample's output no
    longer depends on its batch-mates.
    ``weight`` (γ) and ``bias`` (β) have shape (C,); None means γ = 1, β = 0. Output shape = input shape.
    """
    x = _as_nchw(x)
    channels = x.shape[1]
    running_mean = _per_channel(running_mean, channels, "running_mean")
    running_var = _per_channel(running_var, channels, "running_var")
    gamma, beta = _affine(weight, bias, channels)
    _check_eps(eps)
    if np.any(running_var < 0):
        raise ValueError("running_var must be non-negative: it is a variance")
    if momentum is not None and not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be between 0 and 1 (or None for a cumulative average), got {momentum}")
    if num_batches_tracked < 0:
        raise ValueError(f"num_batches_tracked must be non-negative, got {num_batches_tracked}")

    if training:
        count = x.shape[0] * x.shape[2] * x.shape[3]
        if count <= 1:
            raise ValueError(
                "batch norm in training needs more than one value per channel (N·H·W > 1) to compute a "
                f"variance, got input shape {tuple(x.shape)}; use a batch of at least 2 or a larger "
                "feature map, or switch to evaluation mode"
            )
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        num_batches_tracked += 1
        factor = 1.0 / num_batches_tracked if momentum is None else momentum
        new_running_mean = (1.0 - factor) * running_mean + factor * mean
        new_running_var = (1.0 - factor) * running_var + factor * var * (count / (count - 1))
    else:
        mean, var = running_mean.copy(), running_var.copy()
        new_running_mean, new_running_var = running_mean.copy(), running_var.copy()

    x_hat = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + eps)
    output = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    return BatchNormResult(
        output=output,
        mean=mean,
        var=var,
        x_hat=x_hat,
        running_mean=new_running_mean,
        running_var=new_running_var,
        num_batches_tracked=num_batches_tracked,
        training=training,
    )


def layer_norm(
    x: np.ndarray,
    normalized_shape: tuple[int, ...] | None = None,
    *,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> NormResult:
    """Layer norm as ``torch.nn.functional.layer_norm``: statistics over the trailing ``normalized_shape``.

    ``normalized_shape`` defaults to ``x.shape[1:]`` — for NCHW that is (C, H, W), one (μ, σ²) per sample,
    as in the lecture's figure. ``weight``/``bias`` are elementwise with shape ``normalized_shape``.
    ``mean``/``var`` have shape ``x.shape[:-len(normalized_shape)]``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"layer_norm expects at least 2 dimensions (N, ...), got shape {tuple(x.shape)}")
    shape = tuple(x.shape[1:]) if normalized_shape is None else tuple(normalized_shape)
    if not shape or len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"normalized_shape {shape} must equal the trailing dimensions of the input shape {tuple(x.shape)}"
        )
    _check_eps(eps)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    gamma = _elementwise(weight, shape, "weight", 1.0)
    beta = _elementwise(bias, shape, "bias", 0.0)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    stats_shape = x.shape[: x.ndim - len(shape)]
    return NormResult(
        output=gamma * x_hat + beta, mean=mean.reshape(stats_shape), var=var.reshape(stats_shape), x_hat=x_hat
    )


def instance_norm(
    x: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> NormResult:
    """Instance norm as ``torch.nn.functional.instance_norm`` (input statistics, no running ones).

    One (μ, σ²) per (sample, channel) over the H·W pixels; ``weight``/``bias`` have shape (C,).
    ``mean``/``var`` have shape (N, C).
    """
    x = _as_nchw(x)
    if x.shape[2] * x.shape[3] <= 1:
        raise ValueError(
            "instance norm needs more than one spatial element per channel (H·W > 1) to compute a variance, "
            f"got input shape {tuple(x.shape)}; use a larger feature map"
        )
    return _grouped_norm(x, x.shape[1], weight, bias, eps)


def group_norm(
    x: np.ndarray,
    num_groups: int,
    *,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> NormResult:
    """Group norm as ``torch.nn.functional.group_norm``.

    The C channels are split into ``num_groups`` groups of C/G consecutive channels; one (μ, σ²) per
    (sample, group) over (C/G, H, W). G = 1 is layer norm over (C, H, W); G = C is instance norm.
    ``weight``/``bias`` have shape (C,). ``mean``/``var`` have shape (N, G). A group of a single value
    would always normalize to 0, so it is refused (torch refuses it for N = 1).
    """
    x = _as_nchw(x)
    _check_groups(x.shape[1], num_groups)
    if x.shape[1] // num_groups * x.shape[2] * x.shape[3] <= 1:
        raise ValueError(
            "group norm needs more than one value per group (C/G·H·W > 1) to compute a variance, got input "
            f"shape {tuple(x.shape)} with num_groups={num_groups}; use fewer groups or a larger feature map"
        )
    return _grouped_norm(x, num_groups, weight, bias, eps)


def _grouped_norm(
    x: np.ndarray, num_groups: int, weight: np.ndarray | None, bias: np.ndarray | None, eps: float
) -> NormResult:
    n, c, h, w = x.shape
    gamma, beta = _affine(weight, bias, c)
    _check_eps(eps)
    grouped = x.reshape(n, num_groups, (c // num_groups) * h * w)
    mean = grouped.mean(axis=2)
    var = grouped.var(axis=2)
    x_hat = ((grouped - mean[:, :, None]) / np.sqrt(var[:, :, None] + eps)).reshape(n, c, h, w)
    output = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    return NormResult(output=output, mean=mean, var=var, x_hat=x_hat)


def _as_nchw(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"expected an NCHW input with 4 dimensions, got shape {tuple(x.shape)}")
    if x.size == 0:
        raise ValueError(f"the input must not be empty, got shape {tuple(x.shape)}")
    return x


def _check_shape4(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4 or any(int(s) < 1 for s in shape):
        raise ValueError(f"shape must be four positive sizes (N, C, H, W), got {tuple(shape)}")
    n, c, h, w = (int(s) for s in shape)
    return n, c, h, w


def _check_groups(channels: int, num_groups: int) -> None:
    if isinstance(num_groups, bool) or not isinstance(num_groups, int | np.integer) or num_groups < 1:
        raise ValueError(f"num_groups must be an integer of at least 1, got {num_groups!r}")
    if channels % num_groups != 0:
        raise ValueError(
            f"the number of channels ({channels}) must be divisible by num_groups ({num_groups}); "
            "pick a divisor of the channel count"
        )


def _check_eps(eps: float) -> None:
    # eps = 0 would divide by zero on any constant group, so unlike torch we insist on a positive eps
    if not eps > 0.0:
        raise ValueError(f"eps must be positive (torch's default is 1e-5), got {eps}")


def _per_channel(values: np.ndarray, channels: int, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (channels,):
        raise ValueError(f"{name} must have one value per channel, shape ({channels},), got {tuple(values.shape)}")
    return values


def _affine(weight: np.ndarray | None, bias: np.ndarray | None, channels: int) -> tuple[np.ndarray, np.ndarray]:
    gamma = np.ones(channels) if weight is None else _per_channel(weight, channels, "weight")
    beta = np.zeros(channels) if bias is None else _per_channel(bias, channels, "bias")
    return gamma, beta


def _elementwise(values: np.ndarray | None, shape: tuple[int, ...], name: str, default: float) -> np.ndarray:
    if values is None:
        return np.full(shape, default)
    values = np.asarray(values, dtype=np.float64)
    if tuple(values.shape) != shape:
        raise ValueError(f"{name} must have the normalized shape {shape}, got {tuple(values.shape)}")
    return values
