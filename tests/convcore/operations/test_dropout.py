"""Dropout semantics against torch's F.dropout, and the expectation/ensemble arguments of the lecture.

Our masks come from numpy's generator, torch's from its own, so masks are compared in distribution:
the kept fraction of 100,000 units must lie within 4 standard errors (sqrt(p(1-p)/n)) of 1 - p.
"""

import itertools
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convcore.operations.dropout import (
    count_distinct_masks,
    dropout,
    ensemble_average,
    expected_activation,
    measure_mean_activation,
)

N_UNITS = 100_000


def within_four_standard_errors(fraction: float, p: float, n: int) -> bool:
    return abs(fraction - (1.0 - p)) <= 4.0 * np.sqrt(p * (1.0 - p) / n)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_training_matches_torch_in_pattern_scale_and_kept_fraction(p: float) -> None:
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(4, N_UNITS // 4))
    torch.manual_seed(0)
    theirs = F.dropout(torch.from_numpy(x), p=p, training=True).numpy()
    ours = dropout(x, p=p, training=True, inverted=True, seed=0)
    assert ours.output.shape == theirs.shape == x.shape
    assert ours.mask.dtype == np.bool_
    assert ours.scale == pytest.approx(1.0 / (1.0 - p))
    for output in (ours.output, theirs):
        kept = output != 0.0
        np.testing.assert_allclose(output[kept], x[kept] / (1.0 - p), rtol=1e-12)
        assert within_four_standard_errors(kept.mean(), p, x.size)
    # our zero pattern is exactly our mask
    np.testing.assert_array_equal(ours.output != 0.0, ours.mask)


def test_inverted_dropout_keeps_the_mean_of_the_input() -> None:
    # mean of x·mask/(1-p) over n units of value 1: standard error sqrt(p/((1-p) n)) = 0.0032; tolerance 0.013
    result = dropout(np.ones(N_UNITS), p=0.5, training=True, inverted=True, seed=7)
    assert abs(result.output.mean() - 1.0) < 0.013


def test_standard_dropout_scales_at_inference_and_not_in_training() -> None:
    x = np.random.default_rng(1).normal(size=(3, 5, 4))
    train = dropout(x, p=0.25, training=True, inverted=False, seed=3)
    assert train.scale == 1.0
    np.testing.assert_array_equal(train.output, np.where(train.mask, x, 0.0))
    infer = dropout(x, p=0.25, training=False, inverted=False)
    assert infer.scale == 0.75
    assert infer.mask.all()
    np.testing.assert_allclose(infer.output, 0.75 * x, rtol=1e-15)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_inverted_inference_is_the_identity_like_torch_eval(p: float) -> None:
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    expected = F.dropout(torch.from_numpy(x), p=p, training=False).numpy()
    result = dropout(x, p=p, training=False, inverted=True)
    assert result.output.shape == expected.shape
    np.testing.assert_array_equal(result.output, expected)


def test_p_one_drops_everything_and_p_zero_nothing_like_torch() -> None:
    x = np.random.default_rng(3).normal(size=(6, 7))
    all_dropped = dropout(x, p=1.0, training=True)
    np.testing.assert_array_equal(all_dropped.output, F.dropout(torch.from_numpy(x), p=1.0).numpy())
    np.testing.assert_array_equal(all_dropped.output, np.zeros_like(x))
    assert not all_dropped.mask.any()
    none_dropped = dropout(x, p=0.0, training=True)
    np.testing.assert_array_equal(none_dropped.output, F.dropout(torch.from_numpy(x), p=0.0).numpy())
    assert none_dropped.mask.all()


def test_masks_are_reproducible_per_seed() -> None:
    x = np.ones((8, 8))
    np.testing.assert_array_equal(dropout(x, seed=5).mask, dropout(x, seed=5).mask)
    assert not np.array_equal(dropout(x, seed=5).mask, dropout(x, seed=6).mask)


@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    p=st.floats(0.0, 1.0),
    inverted=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_output_is_input_times_mask_times_scale(shape: tuple[int, ...], p: float, inverted: bool, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=shape)
    result = dropout(x, p=p, training=True, inverted=inverted, seed=seed)
    assert result.output.shape == result.mask.shape == x.shape
    np.testing.assert_array_equal(result.output, x * result.mask * result.scale)
    assert result.output[~result.mask].tolist() == [0.0] * int((~result.mask).sum())


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_expectation_over_all_masks_is_the_inference_output(p: float, inverted: bool) -> None:
    # enumerate all 2^3 masks of three units with their probabilities: the exact ensemble average
    x = np.array([1.5, -2.0, 0.25])
    total = np.zeros(3)
    for kept in itertools.product([False, True], repeat=3):
        mask = np.array(kept)
        probability = (1.0 - p) ** mask.sum() * p ** (~mask).sum()
        total += probability * x * mask * (1.0 / (1.0 - p) if inverted else 1.0)
    assert count_distinct_masks(3) == 8
    np.testing.assert_allclose(total, expected_activation(x, p=p, inverted=inverted), rtol=1e-12)
    np.testing.assert_allclose(total, dropout(x, p=p, training=False, inverted=inverted).output, rtol=1e-12)


def test_expected_activation_follows_the_lecture() -> None:
    x = np.array([2.0, -4.0])
    np.testing.assert_allclose(expected_activation(x, p=0.25, inverted=False), [1.5, -3.0])
    np.testing.assert_allclose(expected_activation(x, p=0.25, inverted=False, training=False), [1.5, -3.0])
    np.testing.assert_allclose(expected_activation(x, p=0.25, inverted=True), x)
    np.testing.assert_allclose(expected_activation(x, p=1.0, inverted=True), [0.0, 0.0])
    np.testing.assert_allclose(expected_activation(x, p=1.0, inverted=True, training=False), x)


@pytest.mark.parametrize("inverted", [True, False])
def test_measured_mean_activation_converges_to_the_expectation(inverted: bool) -> None:
    x = np.array([1.0, -3.0, 0.5, 2.0])
    p, n_masks = 0.4, 20_000
    measured = measure_mean_activation(x, p=p, inverted=inverted, n_masks=n_masks, seed=11)
    scale = 1.0 / (1.0 - p) if inverted else 1.0
    standard_error = np.abs(x) * scale * np.sqrt(p * (1.0 - p) / n_masks)
    expected = expected_activation(x, p=p, inverted=inverted)
    assert measured.shape == x.shape
    assert np.all(np.abs(measured - expected) <= 4.0 * standard_error)


def test_ensemble_average_approaches_the_inference_output() -> None:
    x = np.random.default_rng(4).normal(size=(2, 10))
    result = ensemble_average(x, p=0.5, inverted=True, n_masks=400, seed=0)
    assert result.n_distinct_masks == 2**20
    assert result.rms_error.shape == (400,)
    np.testing.assert_array_equal(result.inference_output, x)
    # RMS error shrinks like 1/sqrt(k): 400 masks should be ~20 times closer than one
    assert result.rms_error[-1] < result.rms_error[0] / 8.0
    np.testing.assert_allclose(result.rms_error[-1], np.sqrt(np.mean((result.average - x) ** 2)))


def test_first_measured_mask_is_the_dropout_mask_of_the_same_seed() -> None:
    x = np.arange(1.0, 13.0).reshape(3, 4)
    ensemble = ensemble_average(x, p=0.3, inverted=False, n_masks=1, seed=9)
    np.testing.assert_array_equal(ensemble.average, dropout(x, p=0.3, inverted=False, seed=9).output)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dropout(np.ones(3), p=1.5), "p must be between 0 and 1, got 1.5"),
        (lambda: dropout(np.ones(3), p=-0.1), "p must be between 0 and 1"),
        (lambda: dropout(np.ones(3), seed=-1), "seed must be a non-negative integer"),
        (lambda: dropout(np.ones(0)), "must not be empty"),
        (
            lambda: measure_mean_activation(np.ones(3), p=0.5, inverted=True, n_masks=0),
            "n_masks must be an integer of at least 1",
        ),
        (lambda: dropout(np.ones(3), seed=1.5), "seed must be a non-negative integer"),  # type: ignore[arg-type]
        (
            lambda: measure_mean_activation(np.ones(1000), p=0.5, inverted=True, n_masks=100_000),
            "at most 10,000,000",
        ),
        (lambda: count_distinct_masks(-1), "n_units must be non-negative"),
    ],
)
def test_bad_arguments(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
