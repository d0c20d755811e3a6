"""Validation against the canonical diffusion model: Bass (1969) under uniform mixing.

With uniform mixing, one category, everyone online, no price effect and no churn, the
model's daily adoption hazard of a non-customer is p + q F(t), F the share of consumers who
are customers at the start of the day, and the daily probability is 1 - exp(-(p + q F)).
The expected cumulative adoption then follows the discrete-time Bass recursion
F(t + 1) = F(t) + (1 - F(t)) (1 - exp(-(p + q F(t)))).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.runner import run
from tests.conftest import ALL_ONLINE, QUIET_BEHAVIOR, deep_update

P, Q = 0.03, 0.38  # Sultan, Farley & Lehmann (1990) average coefficients
N = 10_000
DAYS = 40
REPLICATIONS = 20


def bass_recursion(p: float, q: float, days: int) -> np.ndarray:
    """F after each of `days` daily steps, starting from F(0) = 0."""
    f = np.zeros(days + 1)
    for t in range(days):
        f[t + 1] = f[t] + (1 - f[t]) * (1 - np.exp(-(p + q * f[t])))
    return f[1:]


def bass_closed_form(p: float, q: float, t: np.ndarray) -> np.ndarray:
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def bass_scenario() -> dict:
    return {
        "run": {"name": "bass", "seed": 1969, "days": DAYS, "replications": REPLICATIONS},
        "population": {
            "consumers": N,
            "neighborhoods": [{"count": 20}],
            "online_readiness": ALL_ONLINE,
        },
        "network": {"mixing": "uniform"},
        "categories": [
            {"name": "product", "price_yuan": 50.0, "margin": 0.3, "repurchase_interval_days": 30}
        ],
        "behavior": deep_update(
            QUIET_BEHAVIOR, {"external_influence_per_day": P, "word_of_mouth_per_day": Q}
        ),
        "payout": {
            "direct_commission": {"enabled": False},
            "self_purchase_discount": {"enabled": False},
        },
    }


@pytest.mark.slow  # a validation case: runs the model
def test_uniform_mixing_reproduces_the_discrete_bass_recursion():
    result = run(bass_scenario(), progress=False)
    curves = result.daily.pivot(index="day", columns="replication", values="customers") / N
    mean = curves.mean(axis=1).to_numpy()
    expected = bass_recursion(P, Q, DAYS)
    assert np.max(np.abs(mean - expected)) < 0.01  # within 1 percentage point every day
    # Not trivially true: the curve rises from ~3% to near saturation.
    assert mean[0] < 0.05 and mean[-1] > 0.95
    # A real bug (e.g. q applied to the share of non-customers) breaks the 1 pp band.
    assert np.max(np.abs(bass_recursion(P, Q * 0.8, DAYS) - expected)) > 0.03


def test_discrete_step_sits_near_the_continuous_closed_form():
    """Documented in docs/validation.md: the daily step's distance to the Bass formula.

    With p and q per day as large as 0.03 and 0.38, one step a day is coarse: the recursion
    leads the closed form by up to about 10 percentage points (around day 8). With the same
    coefficients per year and one step a day (p/365, q/365), the gap is below 0.1 point.
    """
    t = np.arange(1, DAYS + 1)
    gap = np.abs(bass_recursion(P, Q, DAYS) - bass_closed_form(P, Q, t))
    assert 0.09 < gap.max() < 0.11
    steps = 365 * DAYS
    fine = np.abs(
        bass_recursion(P / 365, Q / 365, steps)
        - bass_closed_form(P / 365, Q / 365, np.arange(1, steps + 1))
    )
    assert fine.max() < 0.001
