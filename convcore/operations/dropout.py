"""Dropout, standard and inverted, with the mask returned, and the lecture's expectation arguments.

``p`` is the probability of *dropping* a unit (torch's convention). A unit is kept with probability 1 - p.

- Standard dropout (Srivastava et al., 2014): training output ``x · mask``; inference output ``x · (1 - p)``,
  so that the inference activation equals the training expectation ``(1 - p) · x``.
- Inverted dropout (what torch's ``F.dropout`` does): training output ``x · mask / (1 - p)``; inference
  output ``x``. The compensation happens during training, so inference needs no change.

Masks come from numpy's ``Generator`` (PCG64) seeded with ``seed``: reproducible, but not bit-identical to
the masks torch draws for the same seed. They agree with torch in distribution and in semantics.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DropoutResult",
    "EnsembleResult",
    "count_distinct_masks",
    "dropout",
    "ensemble_average",
    "expected_activation",
    "measure_mean_activation",
]

#: masks × units of one Monte Carlo measurement: a library guard. The API never reaches it: its schema
#: allows at most 256 units × 2000 masks (app.schemas.experiments.DropoutExperimentRequest).
MAX_MONTE_CARLO_VALUES = 10_000_000


@dataclass(frozen=True)
class DropoutResult:
    """``output = x · mask · scale``; ``mask`` is True for kept units (all True at inference)."""

    output: np.ndarray
    mask: np.ndarray
    scale: float


@dataclass(frozen=True)
class EnsembleResult:
    """Averages of masked training outputs compared with the inference output.

    ``average`` is the mean of all ``n_masks`` masked outputs; ``rms_error[k - 1]`` is the root-mean-square
    difference between the mean of the first k masked outputs and ``inference_output``.
    ``n_distinct_masks`` = 2^(number of units): the size of the "ensemble of sub-networks".
    """

    inference_output: np.ndarray
    average: np.ndarray
    rms_error: np.ndarray
    n_distinct_masks: int


def dropout(
    x: np.ndarray, *, p: float = 0.5, training: bool = True, inverted: bool = True, seed: int = 0
) -> DropoutResult:
    """Apply dropout to ``x`` (any shape); output has the shape of ``x``.

    Training: each unit is kept independently with probability 1 - p; scale is ``1 / (1 - p)`` for
    inverted dropout and 1 for standard dropout. With p = 1 every unit is dropped and the output is all
    zeros, as in torch (scale 0 instead of 1/0). Inference: nothing is dropped; scale is 1 for inverted
    and ``1 - p`` for standard dropout.
    """
    x = _as_float_array(x)
    _check_p(p)
    if training:
        mask = np.random.default_rng(_check_seed(seed)).random(x.shape) >= p
        scale = _training_scale(p, inverted)
    else:
        mask = np.ones(x.shape, dtype=bool)
        scale = 1.0 if inverted else 1.0 - p
    return DropoutResult(output=x * mask * scale, mask=mask, scale=scale)


def expected_activation(x: np.ndarray, *, p: float, inverted: bool, training: bool = True) -> np.ndarray:
    """Expectation of the dropout output over masks, per unit.

    Training: ``(1 - p) · x`` for standard dropout (the lecture's ``(1 - p)x + p·0``), ``x`` for inverted
    dropout (``(1 - p) · x / (1 - p)``; 0 when p = 1). Inference is deterministic: ``(1 - p) · x`` standard,
    ``x`` inverted. Same shape as ``x``.
    """
    x = _as_float_array(x)
    _check_p(p)
    if inverted:
        return x * (0.0 if training and p == 1.0 else 1.0)
    return x * (1.0 - p)


def measure_mean_activation(x: np.ndarray, *, p: float, inverted: bool, n_masks: int, seed: int = 0) -> np.ndarray:
    """Monte-Carlo estimate of ``expected_activation(x, training=True)``: mean over ``n_masks`` masks.

    The masks are ``n_masks`` independent draws from one generator seeded with ``seed``. Same shape as
    ``x``; the standard error per unit is ``|x| · scale · sqrt(p (1 - p) / n_masks)``.
    """
    return _masked_outputs(x, p=p, inverted=inverted, n_masks=n_masks, seed=seed).mean(axis=0)


def ensemble_average(x: np.ndarray, *, p: float, inverted: bool = True, n_masks: int, seed: int = 0) -> EnsembleResult:
    """The "ensemble of sub-networks" view: averaging masked outputs approaches the inference output.

    Each mask picks one of 2^n sub-networks; the inference output is their (weighted) average, and the
    running mean of k sampled sub-networks converges to it as k grows (RMS error ∝ 1/√k).
    """
    outputs = _masked_outputs(x, p=p, inverted=inverted, n_masks=n_masks, seed=seed)
    inference = dropout(x, p=p, training=False, inverted=inverted).output
    counts = np.arange(1, n_masks + 1).reshape((n_masks,) + (1,) * inference.ndim)
    running_means = np.cumsum(outputs, axis=0) / counts
    rms_error = np.sqrt(np.mean((running_means - inference) ** 2, axis=tuple(range(1, outputs.ndim))))
    return EnsembleResult(
        inference_output=inference,
        average=running_means[-1],
        rms_error=rms_error,
        n_distinct_masks=count_distinct_masks(inference.size),
    )


def count_distinct_masks(n_units: int) -> int:
    """Number of distinct dropout masks (sub-networks) over ``n_units`` units: 2^n, as an exact int."""
    if n_units < 0:
        raise ValueError(f"n_units must be non-negative, got {n_units}")
    return 2**n_units


def _masked_outputs(x: np.ndarray, *, p: float, inverted: bool, n_masks: int, seed: int) -> np.ndarray:
    """Training outputs for ``n_masks`` masks, stacked on a new leading axis."""
    x = _as_float_array(x)
    _check_p(p)
    if isinstance(n_masks, bool) or not isinstance(n_masks, int | np.integer) or n_masks < 1:
        raise ValueError(f"n_masks must be an integer of at least 1, got {n_masks!r}")
    if n_masks * x.size > MAX_MONTE_CARLO_VALUES:
        raise ValueError(
            f"n_masks × number of units must be at most {MAX_MONTE_CARLO_VALUES:,}, got "
            f"{n_masks} × {x.size}; use fewer masks or a smaller input"
        )
    masks = np.random.default_rng(_check_seed(seed)).random((n_masks, *x.shape)) >= p
    return x[None] * masks * _training_scale(p, inverted)


def _training_scale(p: float, inverted: bool) -> float:
    if not inverted:
        return 1.0
    # torch returns zeros for p = 1 instead of dividing by 1 - p = 0
    return 1.0 / (1.0 - p) if p < 1.0 else 0.0


def _as_float_array(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"the input must not be empty, got shape {tuple(x.shape)}")
    return x


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be between 0 and 1, got {p}")


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return seed
