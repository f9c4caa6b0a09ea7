"""The residual-variance experiment reproduces the lecture's argument.

Tolerances come from the finite-width noise of the default configuration (width 64, 16 samples, 32
networks), measured over seeds 0..99 (the float32 stream of :func:`convcore.networks.residual.draw`; the former
float64 stream gave the same distribution): the fitted per-block ratio of the residual stack has mean
2.017 and standard deviation 0.025 (extremes 1.974 and 2.106, the latter at seed 0; the float64 stream's
extremes were 1.951 and 2.099). The pooled variance is a mean over 32 networks of a heavy-tailed product of
per-block factors, so one network with a large product pulls the whole fit: the former band 2 ± 0.1 was
3.3 standard deviations above the mean and failed once in 100 seeds on either stream. The band
2 ± 0.125 is 4.3 standard deviations wide above the mean and still tells doubling (2) from growth by √2 or
none (1). The scaled stack is the residual one divided by 2^(k/2) exactly (ReLU and W commute with a
positive scale), so its ratio is half of it: 1 ± 0.0625. Plain: mean 0.997, sd 0.013 (0.972–1.041);
batch-norm increment: mean 1.005, sd 0.015 (0.971–1.051). The largest |log2| of the scaled pooled variance
over 50 blocks has mean 1.0 and sd 0.6, at most 3.30 (seed 0) and 3.34 (seed 50 of the float64 stream):
the bound 4 (a factor 16, against 2^50 for the residual stack) is 5 standard deviations above the mean.
These were measured with float64 arithmetic; the float32 arithmetic of today moves no variance by more than
1e-5 relative (:func:`test_float32_reports_what_float64_computes_from_the_same_draws`).
"""

import math

import numpy as np
import pytest
import torch

from convcore.errors import InputError
from convcore.networks.residual import (
    VARIANTS,
    ResidualExperiment,
    check_work,
    run_residual_experiment,
    theoretical_variance,
)


@pytest.fixture(scope="module", params=[0, 1, 2, 3])
def experiment(request: pytest.FixtureRequest) -> ResidualExperiment:
    return run_residual_experiment(seed=request.param)


def test_result_carries_its_configuration_and_one_value_per_depth(experiment: ResidualExperiment) -> None:
    assert experiment.depths == list(range(51))
    assert (experiment.depth, experiment.width, experiment.samples, experiment.networks) == (50, 64, 16, 32)
    assert experiment.dtype == "float32"
    assert "N(0, 2/width)" in experiment.init
    for variant in VARIANTS:
        assert len(experiment.variances[variant]) == 51
        assert len(experiment.low[variant]) == len(experiment.high[variant]) == 51
        assert all(lo <= hi for lo, hi in zip(experiment.low[variant], experiment.high[variant], strict=True))
    # every stack starts from the same N(0, 1) input
    assert len({experiment.variances[v][0] for v in VARIANTS}) == 1
    assert experiment.variances["plain"][0] == pytest.approx(1.0, abs=0.03)


def test_unscaled_residual_doubles_the_variance_per_block(experiment: ResidualExperiment) -> None:
    assert experiment.ratio_per_block["residual"] == pytest.approx(2.0, abs=0.125)
    variances = experiment.variances["residual"]
    # the first block sees exactly the argument's symmetric zero-mean input
    assert variances[1] / variances[0] == pytest.approx(2.0, abs=0.15)
    assert variances[50] > 2.0**45


@pytest.mark.parametrize("variant", ["scaled", "plain"])
def test_scaled_residual_and_plain_stack_stay_flat(experiment: ResidualExperiment, variant: str) -> None:
    band = {"scaled": 0.0625, "plain": 0.05}[variant]
    assert experiment.ratio_per_block[variant] == pytest.approx(1.0, abs=band)
    # flat on the log scale the lesson plots: within a factor 16 of the input at every depth, vs 2^50
    assert np.all(np.abs(np.log2(experiment.variances[variant])) < 4.0)


def test_batch_norm_turns_exponential_growth_into_linear(experiment: ResidualExperiment) -> None:
    assert experiment.increment_per_block["batch_norm"] == pytest.approx(1.0, abs=0.08)
    assert experiment.variances["batch_norm"][50] == pytest.approx(theoretical_variance("batch_norm", 50), rel=0.1)


# float32 against the float64 replay of the same draws: the measured largest relative difference (see below)
FLOAT32_RTOL = 1e-5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_blocks_match_torch_modules_with_kaiming_weights(dtype: torch.dtype) -> None:
    """Replay a 3-block run with nn.Linear / nn.BatchNorm1d holding the experiment's weights, in float32 as the
    experiment computes and in float64. Both differ from it by at most 1.3e-7 relative (float32 rounding: the
    experiment scales each product rather than the weights, and sums in another order), so 5e-7 is 4 ulps."""
    depth, width, samples = 3, 8, 5
    result = run_residual_experiment(depth=depth, width=width, samples=samples, networks=1, seed=4)
    generator = torch.Generator().manual_seed(4)
    # the same stream: float32 standard normals, the inputs first, then one block's matrices after another
    h0 = torch.randn(1, samples, width, generator=generator, dtype=torch.float32)[0].to(dtype)
    raw = [torch.randn(1, width, width, generator=generator, dtype=torch.float32)[0].to(dtype) for _ in range(depth)]
    # the experiment's scale is Kaiming normal's std for ReLU: gain √2 over √fan_in
    std = torch.nn.init.calculate_gain("relu") / math.sqrt(width)
    linears = []
    for weight in raw:
        linear = torch.nn.Linear(width, width, bias=False, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(weight * std)
        linears.append(linear)
    bn = torch.nn.BatchNorm1d(width, eps=1e-5, affine=False, dtype=dtype).train()
    relu = torch.nn.ReLU()

    def block(variant: str, h: torch.Tensor, linear: torch.nn.Linear) -> torch.Tensor:
        return {
            "plain": lambda: linear(relu(h)),
            "residual": lambda: h + linear(relu(h)),
            "scaled": lambda: (h + linear(relu(h))) / math.sqrt(2.0),
            "batch_norm": lambda: h + linear(relu(bn(h))),
        }[variant]()

    with torch.no_grad():
        for variant in VARIANTS:
            h = h0
            expected = [float(h.double().var(unbiased=False))]
            for linear in linears:
                h = block(variant, h, linear)
                expected.append(float(h.double().var(unbiased=False)))
            np.testing.assert_allclose(result.variances[variant], expected, rtol=5e-7)


def _float64_replay(seed: int, depth: int, width: int, samples: int, networks: int) -> list[list[torch.Tensor]]:
    """The activations ``(networks, samples, width)`` of every stack (in :data:`VARIANTS` order) after each
    block, from the experiment's draws, computed in float64 with torch (batch norm in training mode, over each
    network's samples, as in the 3-block replay above)."""
    generator = torch.Generator().manual_seed(seed)
    h0 = torch.randn(networks, samples, width, generator=generator, dtype=torch.float32).double()
    states = dict.fromkeys(VARIANTS, h0)
    std = math.sqrt(2.0 / width)
    activations = [[h0] * len(VARIANTS)]
    for _ in range(depth):
        weights = torch.randn(networks, width, width, generator=generator, dtype=torch.float32).double() * std

        def branch(x: torch.Tensor, w: torch.Tensor = weights) -> torch.Tensor:
            return torch.bmm(torch.relu(x), w.transpose(1, 2))

        h = states["batch_norm"]
        bn = (h - h.mean(dim=1, keepdim=True)) / (h.var(dim=1, unbiased=False, keepdim=True) + 1e-5).sqrt()
        states = {
            "plain": branch(states["plain"]),
            "residual": states["residual"] + branch(states["residual"]),
            "scaled": (states["scaled"] + branch(states["scaled"])) / math.sqrt(2.0),
            "batch_norm": states["batch_norm"] + branch(bn),
        }
        activations.append([states[v] for v in VARIANTS])
    return activations


def test_float32_reports_what_float64_computes_from_the_same_draws() -> None:
    """The default run against the float64 replay: every pooled variance and 10th/90th percentile within
    FLOAT32_RTOL (over seeds 0..99 the largest relative difference was 3.7e-6), the fitted slopes too. One seed:
    the replay takes about as long as all the other tests of this module."""
    experiment = run_residual_experiment(seed=0)
    replay = _float64_replay(experiment.seed, experiment.depth, experiment.width, experiment.samples, 32)
    pooled = np.array([[float(h.var(unbiased=False)) for h in block] for block in replay])
    per_network = np.array([[h.var(dim=(1, 2), unbiased=False).numpy() for h in block] for block in replay])
    for position, variant in enumerate(VARIANTS):
        np.testing.assert_allclose(experiment.variances[variant], pooled[:, position], rtol=FLOAT32_RTOL)
        for field, quantile in ((experiment.low, 0.1), (experiment.high, 0.9)):
            expected = np.quantile(per_network[:, position], quantile, axis=1)
            np.testing.assert_allclose(field[variant], expected, rtol=FLOAT32_RTOL)
        depths = np.arange(experiment.depth + 1)
        # a least-squares slope over 0..50 moves by at most 0.06 × the largest change of a value
        slope = np.polyfit(depths, pooled[:, position], 1)[0]
        largest = np.max(pooled[:, position])
        assert experiment.increment_per_block[variant] == pytest.approx(slope, abs=FLOAT32_RTOL * largest)
        fitted = 2.0 ** np.polyfit(depths, np.log2(pooled[:, position]), 1)[0]
        assert experiment.ratio_per_block[variant] == pytest.approx(fitted, rel=FLOAT32_RTOL)


def test_theoretical_curves() -> None:
    assert [theoretical_variance("residual", k) for k in (0, 1, 10)] == [1.0, 2.0, 1024.0]
    assert theoretical_variance("scaled", 50) == theoretical_variance("plain", 50) == 1.0
    assert theoretical_variance("batch_norm", 7) == 8.0
    with pytest.raises(ValueError, match="unknown variant 'dense'"):
        theoretical_variance("dense", 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 0}, "depth must be an integer from 1 to 50, got 0"),
        ({"depth": 51}, "depth must be an integer from 1 to 50"),
        ({"width": 1}, "width must be an integer from 2 to 512"),
        ({"samples": 1}, "samples must be an integer from 2 to 1024"),
        ({"networks": 0}, "networks must be an integer from 1 to 256"),
        ({"depth": 2.5}, "depth must be an integer"),
        ({"seed": -3}, "seed must be a non-negative integer"),
        ({"seed": 0.5}, "seed must be a non-negative integer"),
    ],
)
def test_bad_configuration(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_residual_experiment(**kwargs)


def test_the_work_bound_is_the_callers_and_names_both_numbers() -> None:
    sizes = {"depth": 50, "width": 64, "samples": 16, "networks": 32}
    assert check_work(**sizes, max_work=32 * 16 * 64 * 64 * 50) == 104_857_600
    with pytest.raises(InputError) as refused:
        check_work(**sizes, max_work=104_857_599)
    assert str(refused.value) == (
        "networks × samples × width² × depth must be at most 104,857,599 for one request, got 104,857,600; "
        "reduce networks, samples, width or depth"
    )
    assert refused.value.code == "residual_work_too_large"
    assert refused.value.params == {"work": 104_857_600, "limit": 104_857_599}


def test_a_stack_whose_signal_dies_still_gets_a_finite_ratio() -> None:
    # Width 2: every ReLU input of some plain network turns negative, its variance is exactly 0 from then on.
    result = run_residual_experiment(depth=50, width=2, samples=2, networks=1, seed=0)
    assert 0.0 in result.variances["plain"]
    assert all(np.isfinite(list(result.ratio_per_block.values())))
    assert result.ratio_per_block["plain"] < 1.0
