"""The lecture's residual-variance argument, measured: activation variance against depth.

The block (a pre-activation residual block of width D, as in Prince, "Understanding Deep Learning",
ch. 11, with a fully connected layer — a 1×1 convolution applied to one pixel):

    F(h) = W · ReLU(h),   W ∈ R^{D×D},  W_ij ~ N(0, 2/D)  (Kaiming/He normal, fan_in, gain √2, no bias)

Why the variance doubles: if h has zero mean, a symmetric distribution and variance σ², then
E[ReLU(h)²] = σ²/2, so each output of F has variance D · (2/D) · σ²/2 = σ² — Kaiming's initialization keeps
the variance of one layer constant. F(h) is uncorrelated with h (W has zero mean, independent of h), hence
Var(h + F(h)) = σ² + σ² = 2σ²: the variance doubles in every block, i.e. grows as 2^k.

The four stacks, k = 1..depth blocks, all sharing the same weights W_1..W_depth:

- ``plain``:       h_k = F_k(h_{k-1})                          — Kaiming keeps Var(h_k) ≈ Var(h_0)
- ``residual``:    h_k = h_{k-1} + F_k(h_{k-1})                — Var(h_k) ≈ 2^k · Var(h_0)
- ``scaled``:      h_k = (h_{k-1} + F_k(h_{k-1})) / √2         — Var(h_k) ≈ Var(h_0)
- ``batch_norm``:  h_k = h_{k-1} + W_k · ReLU(BN(h_{k-1}))     — BN feeds the branch unit variance, so
  the branch adds ≈ 1 per block: Var(h_k) ≈ Var(h_0) + k (linear growth instead of exponential). BN uses
  the statistics of each network's batch of ``samples`` inputs (training mode), γ = 1, β = 0, eps = 1e-5.

The argument is about the expectation over the random initialization, and a single finite-width network
drifts away from it (its per-block factor fluctuates by some percent at width 64, and the fluctuations
compound over depth). So the experiment runs ``networks`` independently initialised copies of each stack,
each on its own batch of ``samples`` inputs with i.i.d. N(0, 1) entries, and reports the biased variance
of all networks × samples × D activations pooled, plus the 10th and 90th percentiles of the per-network
variance. Computed in float32 from standard normal values drawn in float32 by a ``torch.Generator`` seeded
with ``seed`` (:func:`draw`); the per-network moments are combined in float64. 2^50 ≈ 1e15 is far from
float32's overflow (3e38), and float32 changes no figure the page shows: over seeds 0..99 of the default run,
against the same draws computed in float64, no pooled variance moved by more than 2.1e-6 of itself, no 10th or
90th percentile by more than 3.7e-6, no fitted ratio by more than 4.2e-8, and no fitted increment by more than
3.4e-8 of its curve's largest variance (the page shows 4 digits). float64 took 1.5–2 times as long: its
products took three times as long, and every drawn value had to be widened.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from convcore.errors import InputError

__all__ = [
    "VARIANTS",
    "ResidualExperiment",
    "check_work",
    "draw",
    "run_residual_experiment",
    "theoretical_variance",
]

VARIANTS = ("plain", "residual", "scaled", "batch_norm")
_RESIDUAL, _SCALED = 1, 2  # positions in VARIANTS
# the stacks run block by block (the scaled one follows from the residual one), and their positions in the state
_RUN = ("plain", "residual", "batch_norm")
_PLAIN, _BATCH_NORM = 0, 2
#: Library guards on one experiment's sizes; the API narrows width, samples and networks further
#: (app.schemas.experiments) and bounds their product (app.settings.Settings.max_residual_work).
MAX_DEPTH = 50
MAX_WIDTH = 512
MAX_SAMPLES = 1024
MAX_NETWORKS = 256

_BN_EPS = 1e-5
_LOW_QUANTILE, _HIGH_QUANTILE = 0.1, 0.9


@dataclass(frozen=True)
class ResidualExperiment:
    """Result of :func:`run_residual_experiment`.

    ``depths`` is ``[0, 1, ..., depth]`` (0 is the input). For each variant, lists as long as ``depths``:
    ``variances`` (pooled over all networks), ``low``/``high`` (10th/90th percentile of the per-network
    variance). Fitted over the pooled curve: ``ratio_per_block`` = 2^slope of log2(variance) where it is positive
    (≈ 2 for residual, ≈ 1 for plain and scaled) and ``increment_per_block`` = slope of the variance
    itself (≈ 1 for batch_norm, whose growth is linear).
    """

    depths: list[int]
    variances: dict[str, list[float]]
    low: dict[str, list[float]]
    high: dict[str, list[float]]
    ratio_per_block: dict[str, float]
    increment_per_block: dict[str, float]
    depth: int
    width: int
    samples: int
    networks: int
    seed: int
    dtype: str
    init: str
    block: str


def theoretical_variance(variant: str, depth: int) -> float:
    """The argument's prediction for Var(h_depth) with Var(h_0) = 1: 1, 2^k, 1, or 1 + k."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    _check_int("depth", depth, 0, MAX_DEPTH)
    if variant == "residual":
        return float(2**depth)
    if variant == "batch_norm":
        return 1.0 + depth
    return 1.0


def check_work(*, depth: int, width: int, samples: int, networks: int, max_work: int) -> int:
    """The work of one run, networks × samples × width² × depth (what the 4·depth batched matrix products
    cost), if it is at most ``max_work`` (the API's is ``Settings.max_residual_work``); else an
    :class:`InputError` saying what to reduce."""
    work = networks * samples * width * width * depth
    if work > max_work:
        raise InputError(
            f"networks × samples × width² × depth must be at most {max_work:,} for one request, got {work:,}; "
            "reduce networks, samples, width or depth",
            code="residual_work_too_large",
            work=work,
            limit=max_work,
        )
    return work


def run_residual_experiment(
    *, depth: int = MAX_DEPTH, width: int = 64, samples: int = 16, networks: int = 32, seed: int = 0
) -> ResidualExperiment:
    """Measure activation variance after 0..``depth`` blocks for the four stacks described above.

    Cost: depth batched products of ``networks`` (3 · samples × width) by (width × width) matrices; the
    default (depth 50, width 64, 16 samples, 32 networks) draws 6.6 M normals. Under the app's malloc settings on
    a 2-core machine with a load of 4 it took 56–60 ms of CPU time at best, half of it drawing (torch's mt19937
    uniforms; numpy's float32 normals took 2–3 times as long with any of its bit generators). Drawing the next
    block's matrices on a helper thread took 0–15 % more CPU time and paid off only with a free core (at a load
    of 5 the median wall time rose, as each handoff waited for the scheduler: benchmarks/residual_compute.py),
    so a classroom's busy server draws them inline. float64 arithmetic took 1.5–2 times as long; 180–250 ms
    when each block allocated its temporaries, 430 ms with float64 draws, torch.bmm and var_mean. The fields are
    checked one by one; what they allow together is the caller's to bound with :func:`check_work`.
    """
    _check_int("depth", depth, 1, MAX_DEPTH)
    _check_int("width", width, 2, MAX_WIDTH)
    _check_int("samples", samples, 2, MAX_SAMPLES)
    _check_int("networks", networks, 1, MAX_NETWORKS)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")

    with torch.no_grad():
        moments = _run_stacks(torch.Generator().manual_seed(seed), depth, networks, samples, width)
    means, squares = moments[..., 0], moments[..., 1]
    variances = squares - means.square()
    # pooled over networks × samples × width: the mean per-network variance plus the variance of their means
    pooled = squares.mean(dim=2) - means.mean(dim=2).square()
    spread = variances.numpy()
    low = dict(zip(VARIANTS, np.quantile(spread, _LOW_QUANTILE, axis=2).T.tolist(), strict=True))
    high = dict(zip(VARIANTS, np.quantile(spread, _HIGH_QUANTILE, axis=2).T.tolist(), strict=True))
    pooled_lists = dict(zip(VARIANTS, pooled.T.tolist(), strict=True))

    depths = np.arange(depth + 1)
    return ResidualExperiment(
        depths=depths.tolist(),
        variances=pooled_lists,
        low=low,
        high=high,
        ratio_per_block={v: _ratio_per_block(depths, pooled_lists[v]) for v in VARIANTS},
        increment_per_block={v: float(np.polyfit(depths, pooled_lists[v], 1)[0]) for v in VARIANTS},
        depth=depth,
        width=width,
        samples=samples,
        networks=networks,
        seed=seed,
        dtype="float32",
        init="Kaiming normal, fan_in, gain √2: W_ij ~ N(0, 2/width), no bias",
        block="F(h) = W · ReLU(h); plain F(h), residual h + F(h), scaled (h + F(h))/√2, batch_norm h + W · ReLU(BN(h))",
    )


def _ratio_per_block(depths: np.ndarray, variances: list[float]) -> float:
    """2^slope of log2(variance), fitted where the variance is still positive: a narrow plain stack can die
    out completely (every ReLU input negative), and log2(0) has no slope. 0 when only the input is alive."""
    alive = np.asarray(variances) > 0
    if alive.sum() < 2:
        return 0.0
    return float(2.0 ** np.polyfit(depths[alive], np.log2(np.asarray(variances)[alive]), 1)[0])


def draw(generator: torch.Generator, shape: tuple[int, ...], out: torch.Tensor | None = None) -> torch.Tensor:
    """Standard normal values from ``generator`` in float32 (torch's vectorised Box–Muller, five times faster
    than its float64 path), into ``out`` (float32, of ``shape``) if given: every value of the experiment is
    drawn this way, so a replay in torch reproduces it exactly."""
    return torch.randn(shape, generator=generator, dtype=torch.float32, out=out)


def _run_stacks(generator: torch.Generator, depth: int, networks: int, samples: int, width: int) -> torch.Tensor:
    """Per-network mean and mean square ``(depth + 1, len(VARIANTS), networks, 2)`` (float64) of every stack
    after each block. Drawn from ``generator`` in this order: the inputs ``(networks, samples, width)``, then
    block 1's matrices ``(networks, width, width)`` (unscaled), then block 2's, ...

    The scaled stack is the residual one times 2^(-k/2) exactly — W · ReLU(c·h) = c · W · ReLU(h) for c > 0,
    so dividing by √2 after each block equals dividing by 2^(k/2) at the end — and is not run. The other
    three share each block's matrices, so they run as one batched product that adds into the state in place
    (h ← h + scale · ReLU(h) · Wᵀ; the plain stack's rows are zeroed first): each network's three activations
    ``(samples, width)`` are its ``3 · samples`` rows. The Kaiming scale √(2/width) multiplies the product
    (ReLU and batch norm commute with a positive scale), not the width² weights.

    A block's matrices are drawn just before its product into one reused buffer. Every buffer is allocated once,
    before the first block: the app hands each allocation over 128 KiB back to the kernel when it is freed
    (:func:`app.admission.return_freed_memory`), and faulting a block's temporaries back in took as long as all of
    its arithmetic. Everything is float32, as drawn.
    """
    state = draw(generator, (networks, samples, width))[:, None].repeat(1, len(_RUN), 1, 1)
    relu_in = torch.empty_like(state)
    weights = torch.empty(networks, width, width, dtype=torch.float32)
    squares = torch.empty(networks, samples, width, dtype=torch.float32)
    sums = torch.empty(depth + 1, 2, networks, len(_RUN), dtype=torch.float32)
    rows = (networks, len(_RUN) * samples, width)
    state_rows, relu_in_rows = state.view(rows), relu_in.view(rows)
    scale = math.sqrt(2.0 / width)
    for block in range(depth + 1):
        _sums(state, sums[block])
        if block == depth:
            break
        _branch_inputs(state, relu_in, squares)
        draw(generator, (networks, width, width), out=weights)
        state[:, _PLAIN].zero_()
        # rows are samples, so W · ReLU(h) for every sample is ReLU(h) @ Wᵀ (batched over networks)
        state_rows.baddbmm_(relu_in_rows, weights.transpose(1, 2), alpha=scale)
    moments = sums.double().div_(samples * width).permute(0, 3, 2, 1)
    return _with_scaled(moments)


def _with_scaled(run: torch.Tensor) -> torch.Tensor:
    """The moments of :data:`VARIANTS` from those of :data:`_RUN`: the scaled stack's mean is the residual
    one's over 2^(k/2), its mean square over 2^k."""
    moments = torch.empty(run.shape[0], len(VARIANTS), *run.shape[2:], dtype=run.dtype)
    for position, variant in enumerate(_RUN):
        moments[:, VARIANTS.index(variant)] = run[:, position]
    halving = 2.0 ** -torch.arange(run.shape[0], dtype=run.dtype)[:, None]
    moments[:, _SCALED, :, 0] = moments[:, _RESIDUAL, :, 0] * halving.sqrt()
    moments[:, _SCALED, :, 1] = moments[:, _RESIDUAL, :, 1] * halving
    return moments


def _sums(state: torch.Tensor, out: torch.Tensor) -> None:
    """Sum and sum of squares of each network's activations of each stack, as ``out[0 or 1, network, stack]``:
    one summing pass and one batched dot product (torch's var_mean is several times slower)."""
    flat = state.view(*state.shape[:2], -1)
    torch.sum(flat, dim=-1, out=out[0])
    rows = flat.view(-1, 1, flat.shape[-1])
    torch.bmm(rows, rows.transpose(1, 2), out=out[1].view(-1, 1, 1))


def _branch_inputs(state: torch.Tensor, out: torch.Tensor, squares: torch.Tensor) -> None:
    """ReLU(h) for plain, residual and scaled, ReLU(BN(h)) for batch_norm, written into ``out``; ``squares``
    ``(networks, samples, width)`` holds batch norm's squared deviations."""
    h = state[:, _BATCH_NORM]
    centred = out[:, _BATCH_NORM]
    # batch statistics per network and unit, over that network's samples (two passes, as torch's BatchNorm)
    torch.sub(h, h.mean(dim=1, keepdim=True), out=centred)
    var = torch.mul(centred, centred, out=squares).mean(dim=1, keepdim=True)
    centred.div_(var.add_(_BN_EPS).sqrt_()).clamp_min_(0.0)
    torch.clamp_min(state[:, :_BATCH_NORM], 0.0, out=out[:, :_BATCH_NORM])


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
