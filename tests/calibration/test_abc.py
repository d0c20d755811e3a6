"""APMC on known-answer models: a normal mean whose posterior is known, so the intervals'
coverage can be checked; and the pieces: proposals stay in the cube, missing statistics
are infinitely far, the same seed gives the same particles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.calibration.abc import (
    apmc,
    distances,
    importance_weights,
    propose,
    resample,
    spread,
    weighted_quantile,
)
from sim.streams import design_generator

SIGMA = 0.04  # the statistic's noise: the posterior's standard deviation


def normal_mean_fit(log: int, kept: int = 100, budget: int = 2000):
    """Data: the mean of a normal with known noise; true mean in the unit square."""
    data = np.random.Generator(np.random.PCG64(log))
    true = 0.2 + 0.6 * data.random(2)
    observed = true + SIGMA * data.standard_normal(2)

    def simulate(theta: np.ndarray, generation: int) -> np.ndarray:
        noise = design_generator(log * 1000 + generation, "noise")
        return theta + SIGMA * noise.standard_normal(theta.shape)

    result = apmc(
        simulate,
        observed,
        2,
        lambda g: design_generator(log, f"gen{g}"),
        kept=kept,
        max_simulations=budget,
    )
    return true, observed, result


def test_the_intervals_cover_a_known_posterior_mean():
    """Over 20 data sets the 90% intervals cover the true mean about 90% of the time (at
    least 32 of 40), and the medians sit near the observed mean (the posterior mode)."""
    covered, total = 0, 0
    for log in range(20):
        true, observed, result = normal_mean_fit(log)
        f = result.final
        for k in range(2):
            lo = weighted_quantile(f.kept_theta[:, k], f.kept_weight, 0.05)
            hi = weighted_quantile(f.kept_theta[:, k], f.kept_weight, 0.95)
            med = weighted_quantile(f.kept_theta[:, k], f.kept_weight, 0.5)
            covered += lo <= true[k] <= hi
            total += 1
            assert abs(med - observed[k]) < 2 * SIGMA
            assert hi - lo < 8 * SIGMA  # it did tighten: the prior's interval is 0.9 wide
    assert covered >= 32, f"{covered} of {total} intervals cover"


def test_the_same_seed_gives_the_same_particles():
    a = normal_mean_fit(3)[2].final
    b = normal_mean_fit(3)[2].final
    np.testing.assert_array_equal(a.kept_theta, b.kept_theta)
    np.testing.assert_array_equal(a.kept_weight, b.kept_weight)


def test_it_stops_by_acceptance_or_budget():
    _, _, result = normal_mean_fit(1, budget=600)
    assert result.simulations <= 600 and "budget" in result.stopped_by
    _, _, result = normal_mean_fit(1, budget=100_000)
    assert "acceptance" in result.stopped_by
    assert result.generations[-1].acceptance <= 0.05
    eps = [g.epsilon for g in result.generations]
    assert all(b <= a for a, b in itertools.pairwise(eps))  # the tolerance only falls


def test_proposals_stay_in_the_unit_cube():
    rng = design_generator(1, "t")
    theta = np.array([[0.0, 1.0], [0.99, 0.01]])
    out = propose(rng, theta, np.array([0.5, 0.5]), np.eye(2) * 0.5, 500)
    assert out.shape == (500, 2) and out.min() >= 0.0 and out.max() <= 1.0


def test_importance_weights_are_prior_over_proposal_density():
    """One particle, proposal N(theta, cov): the weight is 1 / that normal density."""
    cov = np.eye(2) * 0.01
    w = importance_weights(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]), np.array([1.0]), cov)
    assert w[0] == pytest.approx(2 * np.pi * 0.01)


def test_missing_statistics_are_infinitely_far_and_constant_ones_do_not_count():
    stats = np.array([[1.0, 5.0], [np.nan, 5.0], [3.0, 5.0]])
    scale = spread(stats)
    assert np.isfinite(scale[0]) and np.isinf(scale[1])
    d = distances(stats, np.array([1.0, 7.0]), scale)
    assert d[0] == 0 and np.isinf(d[1]) and d[2] > 0


def test_weighted_quantiles_and_resampling():
    values = np.array([1.0, 2.0, 3.0])
    assert weighted_quantile(values, np.array([0.0, 1.0, 0.0]), 0.5) == 2.0
    idx = resample(design_generator(0, "r"), np.array([0.0, 0.25, 0.75]), 100)
    assert np.bincount(idx, minlength=3).tolist() == [0, 25, 75]


def test_a_true_value_at_the_edge_of_the_prior_is_still_covered():
    """True mean 0.02 (near the cube's edge): the truncated kernel keeps the posterior's
    mass inside and its interval covers the truth in most data sets."""
    covered = 0
    for log in range(10):
        data = np.random.Generator(np.random.PCG64(100 + log))
        true = np.array([0.02, 0.97])
        observed = true + SIGMA * data.standard_normal(2)

        def simulate(theta, generation, log=log):
            noise = design_generator(log * 1000 + generation, "edge")
            return theta + SIGMA * noise.standard_normal(theta.shape)

        f = apmc(simulate, observed, 2, lambda g, log=log: design_generator(log, f"e{g}")).final
        for k in range(2):
            lo = weighted_quantile(f.kept_theta[:, k], f.kept_weight, 0.05)
            hi = weighted_quantile(f.kept_theta[:, k], f.kept_weight, 0.95)
            covered += lo <= true[k] <= hi
        assert f.kept_theta.min() >= 0 and f.kept_theta.max() <= 1
    assert covered >= 16, covered


def test_a_statistic_most_runs_tie_on_does_not_swamp_the_others():
    """A statistic that is 0 in 60% of the first generation is scaled by its standard
    deviation, not by a zero median deviation; one that never varies is left out."""
    rng = design_generator(9, "tie")
    informative = rng.normal(0, 1, 400)
    mostly_zero = np.where(rng.random(400) < 0.6, 0.0, rng.normal(0, 1, 400))
    constant = np.full(400, 3.0)
    stats = np.column_stack([informative, mostly_zero, constant])
    scale = spread(stats)
    assert 0.3 < scale[1] < 2 and np.isinf(scale[2])
    d = distances(stats, np.array([0.0, 0.0, 5.0]), scale)
    assert np.all(np.isfinite(d))
    kept = np.argsort(d)[:100]
    assert np.mean(np.abs(informative[kept])) < np.mean(np.abs(informative))
