"""Tests of chapter 4's measurement of why attention scales its scores by 1/√d_k."""

import dataclasses
import time

import numpy as np
import pytest

from chapters.ch04_dot_product_attention.scaling import (
    KEY_DIMS,
    STATISTICS,
    ScoreStatistics,
    mean_largest_weight,
    measure_scaling,
    score_statistics,
    softmax_jacobian,
)


@pytest.fixture(scope="module")
def timed():
    """The default measurements, and the seconds they took."""
    started = time.perf_counter()
    measurements = measure_scaling()
    return measurements, time.perf_counter() - started


@pytest.fixture(scope="module")
def measured(timed):
    return timed[0]


def test_score_statistics_by_hand():
    # e = [0, ln 3]: alpha = [1/4, 3/4]; the largest weight is 0.75; the entropy
    # -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.562335 nats; the variance of the two scores
    # (ln 3 / 2)^2 = 0.301737. The Jacobian diag(alpha) - alpha alpha^T is
    # [[0.1875, -0.1875], [-0.1875, 0.1875]], of Frobenius norm 0.375.
    statistics = score_statistics([[0.0, np.log(3.0)]])
    assert isinstance(statistics, ScoreStatistics)
    assert dataclasses.asdict(statistics) == pytest.approx(
        {
            "variance": 0.301737,
            "max_weight": 0.75,
            "entropy": 0.562335,
            "gradient": 0.375,
        },
        abs=1e-6,
    )
    np.testing.assert_allclose(
        softmax_jacobian(np.array([0.25, 0.75])),
        [[0.1875, -0.1875], [-0.1875, 0.1875]],
    )


def test_uniform_and_one_hot_rows_are_the_two_ends():
    # Equal scores: every weight 1/S, entropy ln S, gradient sqrt(S - 1) / S.
    uniform = score_statistics(np.zeros((2, 4)))
    assert uniform.max_weight == pytest.approx(0.25)
    assert uniform.entropy == pytest.approx(np.log(4))
    assert uniform.gradient == pytest.approx(np.sqrt(3) / 4)
    # One score far above the rest: one-hot weights, no entropy, no gradient.
    saturated = score_statistics([[1000.0, 0.0, 0.0, 0.0]])
    assert saturated.max_weight == 1.0
    assert saturated.entropy == 0.0 and saturated.gradient == 0.0


def test_the_gradient_equals_finite_differences_of_the_softmax():
    scores = np.array([0.3, -1.2, 2.0])

    def softmax(scores):
        exponentials = np.exp(scores - scores.max())
        return exponentials / exponentials.sum()

    step = 1e-6
    numerical = np.stack(
        [
            (softmax(scores + step * unit) - softmax(scores - step * unit)) / (2 * step)
            for unit in np.eye(3)
        ],
        axis=1,
    )  # numerical[i, j] = ∂alpha_i / ∂e_j
    np.testing.assert_allclose(softmax_jacobian(softmax(scores)), numerical, atol=1e-8)


def test_measurements_are_fast_seeded_and_complete(timed):
    measured, seconds = timed
    assert seconds < 2.0
    assert measured.key_dims == KEY_DIMS and measured.source_length == 16
    assert len(measured.raw) == len(measured.scaled) == len(KEY_DIMS)
    assert measure_scaling((4, 64), rows=32) == measure_scaling((4, 64), rows=32)
    assert measure_scaling((4,), rows=32, seed=1) != measure_scaling((4,), rows=32)
    for statistic in STATISTICS:
        raw, scaled = measured.series(statistic)
        assert raw.shape == scaled.shape == (len(KEY_DIMS),)
    table = measured.table().splitlines()
    assert len(table) == 2 + len(KEY_DIMS) and table[-1].split()[0] == "1024"


def test_raw_score_variance_grows_like_d_k_and_scaled_stays_near_one(measured):
    raw, scaled = measured.series("variance")
    key_dims = np.array(measured.key_dims)
    np.testing.assert_allclose(raw / key_dims, 1.0, atol=0.1)
    slope = np.polyfit(key_dims, raw, 1)[0]
    assert slope == pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(scaled, 1.0, atol=0.1)


def test_without_scaling_the_softmax_saturates_and_its_gradient_vanishes(measured):
    raw_max, scaled_max = measured.series("max_weight")
    raw_entropy, scaled_entropy = measured.series("entropy")
    raw_gradient, scaled_gradient = measured.series("gradient")
    # Unscaled: the largest weight heads for 1, the entropy and gradient for 0.
    assert raw_max[-1] > 0.95 and raw_entropy[-1] < 0.15
    assert raw_gradient[-1] < raw_gradient[0] / 5
    assert raw_gradient[-1] < scaled_gradient[-1] / 5
    assert np.all(np.diff(raw_max) > 0) and np.all(np.diff(raw_gradient[1:]) < 0)
    # Scaled: all three stay put, whatever d_k.
    for series in (scaled_max, scaled_entropy, scaled_gradient):
        np.testing.assert_allclose(series, series.mean(), rtol=0.1)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"key_dims": ()}, ValueError, "at least one width"),
        ({"key_dims": (4, 0)}, ValueError, "key_dims must be a positive integer"),
        ({"source_length": 1}, ValueError, "source_length must be an integer >= 2"),
        ({"rows": 2.5}, TypeError, "rows must be an integer"),
    ],
)
def test_bad_arguments_raise_clear_errors(arguments, error, message):
    with pytest.raises(error, match=message):
        measure_scaling(**arguments)
    with pytest.raises(ValueError, match=r"statistic must be one of"):
        measure_scaling((4,), rows=8).series("mean")
    with pytest.raises(ValueError, match=r"Received: scores with shape \(3,\)"):
        score_statistics([1.0, 2.0, 3.0])


def test_mean_largest_weight_counts_every_row_of_every_sentence():
    one_hot = np.eye(3)  # three rows, largest 1 each
    uniform = np.full((1, 4), 0.25)  # one row, largest 1/4
    # Rows, not sentences, are averaged: (1 + 1 + 1 + 0.25) / 4, not (1 + 0.25) / 2.
    assert mean_largest_weight([one_hot, uniform]) == pytest.approx(0.8125)
    assert mean_largest_weight([uniform]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="at least one row"):
        mean_largest_weight([])
    with pytest.raises(ValueError, match=r"Received: shape \(4,\) for sentence 0"):
        mean_largest_weight([np.full(4, 0.25)])
