"""Statistics of replications, in one place, on scipy.stats.

* `summarize`: a KPI's mean over replications and its Student-t confidence interval;
* `paired_difference`: variant - baseline on common random numbers (replication r of both
  shares its streams), its t interval and the probability that the variant is better;
* `bonferroni_alpha`, `mean_band`, `pooled_band`: the regression check's bands, with the
  family-wise error rate controlled over the KPIs (Bonferroni).

Undefined values (NaN, e.g. a 90-day repeat rate in a 60-day run) are left out.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np


def _defined(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def t_half_width(sample: np.ndarray, confidence: float) -> float:
    """Half-width of the two-sided Student-t interval of a sample's mean (0 if constant)."""
    from scipy import stats  # imported when needed: a run's workers never are

    if sample.size < 2:
        return float("nan")
    return float(stats.t.ppf(0.5 + confidence / 2, sample.size - 1) * stats.sem(sample))


def summarize(values: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Mean and two-sided Student-t confidence interval over replications.

    NaNs are left out and reported as None; the CI is None with fewer than two defined
    values.
    """
    values = np.asarray(values, dtype=float)
    defined = _defined(values)
    mean = float(defined.mean()) if defined.size else None
    if defined.size < 2:
        low = high = None
    else:
        half = t_half_width(defined, confidence)
        low, high = mean - half, mean + half
    return {
        "mean": mean,
        "ci95_low": low,
        "ci95_high": high,
        "values": [float(v) if np.isfinite(v) else None for v in values],
    }


def paired_difference(
    baseline: np.ndarray, variant: np.ndarray, lower_is_better: bool = False
) -> dict[str, Any]:
    """Mean paired difference (variant - baseline), its 95% t interval and P(variant better).

    P(better) is the posterior probability that the true mean difference lies on the better
    side, under the usual flat-prior t approximation: T_{R-1}(d / se), or T(-d / se) where
    less is better. Undefined pairs (NaN on either side) are left out.
    """
    from scipy import stats  # imported when needed: a run's workers never are

    d = _defined(np.asarray(variant, float) - np.asarray(baseline, float))
    none = {"diff_ci95_low": None, "diff_ci95_high": None, "p_beats_baseline": None}
    if d.size == 0:
        return {"diff": None, **none}
    mean = float(d.mean())
    if d.size < 2:
        return {"diff": mean, **none}
    se = float(stats.sem(d))
    half = t_half_width(d, 0.95)
    sign = -1.0 if lower_is_better else 1.0
    if se > 0:
        p = float(stats.t.cdf(sign * mean / se, d.size - 1))
    else:
        p = 0.5 if mean == 0 else float(sign * mean > 0)
    return {
        "diff": mean,
        "diff_ci95_low": mean - half,
        "diff_ci95_high": mean + half,
        "p_beats_baseline": p,
    }


def bonferroni_alpha(family_alpha: float, tests: int) -> float:
    """Per-test level that keeps the chance of any false alarm among `tests` at most
    `family_alpha` (Bonferroni)."""
    return family_alpha / max(tests, 1)


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down; controls the family-wise error rate):
    the k-th smallest p is multiplied by (m - k + 1), made monotone and capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def mean_band(d: np.ndarray, alpha: float) -> float:
    """Half-width of the two-sided (1 - alpha) t interval of the mean of paired
    differences d (0 for fewer than two)."""
    from scipy import stats  # imported when needed: a run's workers never are

    if d.size < 2:
        return 0.0
    return float(stats.t.ppf(1 - alpha / 2, d.size - 1) * stats.sem(d))


def pooled_band(a: np.ndarray, b: np.ndarray, alpha: float) -> float:
    """Half-width of the two-sided (1 - alpha) pooled two-sample t interval of
    mean(b) - mean(a)."""
    from scipy import stats  # imported when needed: a run's workers never are

    dof = a.size + b.size - 2
    if dof <= 0:
        return 0.0
    pooled = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / dof)
    return float(stats.t.ppf(1 - alpha / 2, dof) * pooled * math.sqrt(1 / a.size + 1 / b.size))


def t_test_p(paired: bool, a: np.ndarray, b: np.ndarray) -> float | None:
    """The p-value of the t test of no difference (reported only), None if undefined;
    pairs (paired) or values with a NaN are left out."""
    from scipy import stats  # imported when needed: a run's workers never are

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nearly identical samples
        result = (
            stats.ttest_1samp(b - a, 0.0, nan_policy="omit")
            if paired
            else stats.ttest_ind(b, a, nan_policy="omit")
        )
    p = float(result.pvalue)
    return p if math.isfinite(p) else None
