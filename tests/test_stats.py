"""Statistics of replications (sim/stats.py): known answers and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.stats import (
    bonferroni_alpha,
    mean_band,
    paired_difference,
    pooled_band,
    summarize,
    t_test_p,
)


def test_summary_is_a_student_t_interval():
    s = summarize(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, df=2) x sd 1 / sqrt(3)
    assert s["mean"] == 2.0
    assert s["ci95_low"] == pytest.approx(2 - half) and s["ci95_high"] == pytest.approx(2 + half)
    assert s["values"] == [1.0, 2.0, 3.0]


def test_summary_of_one_replication_has_no_interval():
    assert summarize(np.array([5.0])) == {
        "mean": 5.0,
        "ci95_low": None,
        "ci95_high": None,
        "values": [5.0],
    }


def test_undefined_values_are_left_out():
    s = summarize(np.array([np.nan, 1.0, 3.0]))
    assert s["mean"] == 2.0 and s["values"] == [None, 1.0, 3.0]
    assert summarize(np.array([np.nan, np.nan]))["mean"] is None


def test_ci_covers_the_true_mean_about_95_percent_of_the_time():
    gen = np.random.Generator(np.random.PCG64(3))
    covered = 0
    trials = 2000
    for _ in range(trials):
        s = summarize(gen.normal(10.0, 2.0, size=8))
        covered += s["ci95_low"] <= 10.0 <= s["ci95_high"]
    # binomial sd of the coverage: sqrt(.95 x .05 / 2000) = 0.005
    assert abs(covered / trials - 0.95) < 0.02


def test_paired_difference_is_a_t_interval_on_the_differences():
    d = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert d["diff"] == 2.0
    assert d["diff_ci95_low"] == pytest.approx(2 - half)
    assert d["p_beats_baseline"] == pytest.approx(stats.t.cdf(2 * math.sqrt(3), 2))
    lower = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]), True)
    assert lower["p_beats_baseline"] == pytest.approx(1 - d["p_beats_baseline"])


def test_bonferroni_splits_the_family_alpha():
    assert bonferroni_alpha(0.01, 20) == pytest.approx(0.0005)
    assert bonferroni_alpha(0.01, 0) == 0.01


def test_paired_band_is_the_t_half_width_of_the_mean_difference():
    d = np.array([1.0, 2.0, 3.0, 6.0])
    expected = stats.t.ppf(1 - 0.01 / 2, 3) * d.std(ddof=1) / 2
    assert mean_band(d, 0.01) == pytest.approx(expected)
    assert mean_band(np.array([1.0]), 0.01) == 0.0


def test_pooled_band_matches_the_textbook_formula():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 9.0])
    sp2 = (2 * a.var(ddof=1) + 2 * b.var(ddof=1)) / 4
    expected = stats.t.ppf(0.975, 4) * math.sqrt(sp2 * (1 / 3 + 1 / 3))
    assert pooled_band(a, b, 0.05) == pytest.approx(expected)


def test_t_test_p_is_none_when_undefined():
    same = np.array([1.0, 1.0, 1.0])
    assert t_test_p(True, same, same) is None
    assert 0 < t_test_p(False, np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 7.0])) < 1
