"""Churn: the lapse hazard."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import (
    churn,
)


def test_churn_hazard_rises_with_recency_and_bad_experiences():
    h = churn.churn_hazard(np.array([0, 30, 30, 100_000]), np.array([0, 0, 2, 0]), 0.001, 30.0, 1.0)
    np.testing.assert_allclose(h, [0.001, 0.002, 0.008, 1.0], rtol=1e-4)
    lapsed = churn.lapse(np.array([True, False]), np.array([1.0, 1.0]), np.zeros(2))
    assert lapsed.tolist() == [True, False]


def test_lapse_after_order_chances_are_beta_with_the_mean(rng):
    """p_i ~ Beta(phi p, phi (1 - p)): mean p, variance p (1 - p) / (phi + 1); all p without
    a concentration."""
    u = rng.random(400_000)
    p = churn.lapse_after_order_probabilities(0.25, 3.2, u)
    assert abs(p.mean() - 0.25) < 0.005
    assert abs(p.var() - 0.25 * 0.75 / 4.2) < 0.003
    assert (churn.lapse_after_order_probabilities(0.25, None, u) == 0.25).all()


def test_dropout_adds_to_the_hazard_only_for_todays_buyers():
    hazard = np.array([0.1, 0.1, 0.0])
    ordered = np.array([True, False, True])
    got = churn.with_dropout(hazard, ordered, np.array([0.5, 0.5, 0.0]))
    assert got.tolist() == [1 - 0.9 * 0.5, 0.1, 0.0]


@pytest.mark.slow
def test_lapsing_after_orders_shortens_customer_lives():
    """BG/NBD dropout: with a 30% chance to lapse after each repeat order, more customers
    have lapsed by the end; a zero chance changes nothing (paired streams); a certain
    dropout still lets every customer make their first repeat order."""
    from sim.runner import run
    from tests.conftest import small_scenario

    def lapsed(**behavior):
        spec = small_scenario(run={"replications": 1, "days": 120}, behavior=behavior)
        return run(spec, progress=False).daily["lapsed"].iloc[-1]

    base = lapsed()
    assert lapsed(lapse_after_order_probability=0.0, lapse_after_order_concentration=2.0) == base
    assert lapsed(lapse_after_order_probability=0.3) > base * 2
    assert lapsed(lapse_after_order_probability=0.3, lapse_after_order_concentration=1.0) > base
    certain = run(
        small_scenario(
            run={"replications": 1, "days": 120},
            behavior={"lapse_after_order_probability": 1.0, "churn_base_hazard_per_day": 0.0},
        ),
        progress=False,
    )
    assert certain.kpis["repeat_rate_30d"]["mean"] > 0  # dropout only after a repeat


def test_a_bad_experience_fades_with_its_half_life():
    """One bad experience, b = 1, half-life 30 days: the hazard's multiplier is 2 on the day,
    2 ** 0.5 after 30 days, and close to 1 after a year."""
    weight = np.array([1.0])
    for _ in range(30):
        weight = churn.faded(weight, 30.0)
    assert weight[0] == pytest.approx(0.5)
    h = churn.churn_hazard(np.array([0]), weight, 0.001, 30.0, 1.0)
    assert h[0] == pytest.approx(0.001 * 2**0.5)
    for _ in range(335):
        weight = churn.faded(weight, 30.0)
    assert churn.churn_hazard(np.array([0]), weight, 0.001, 30.0, 1.0)[0] < 0.001 * 1.001


def test_only_lapsed_customers_are_won_back_at_the_daily_chance():
    lapsed = np.array([True, True, False])
    assert churn.won_back(lapsed, 0.2, np.array([0.1, 0.3, 0.0])).tolist() == [True, False, False]
    assert not churn.won_back(lapsed, 0.0, np.zeros(3)).any()


@pytest.mark.slow
def test_won_back_customers_return_and_buy_and_faded_experiences_lapse_fewer():
    """Without win-back the lapsed count only grows (every lapse so far); with one, customers come
    back (the lapsed count falls on some days) and buy again (more orders); with bad
    experiences that fade, fewer customers lapse than when they count for life."""
    from sim.runner import run
    from tests.conftest import small_scenario

    def result(**behavior):
        spec = small_scenario(
            run={"replications": 1, "days": 150},
            behavior={"churn_base_hazard_per_day": 0.01, **behavior},
        )
        return run(spec, progress=False)

    base = result()  # no win-back: the lapsed count is every lapse so far
    assert base.daily["lapsed"].tolist() == base.daily["lapsed_today"].cumsum().tolist()
    back = result(win_back_per_day=0.02)
    assert (back.daily["lapsed"].diff() < 0).any()  # customers came back
    assert (base.daily["lapsed"].diff().fillna(0) >= 0).all()  # without win-back, never
    assert back.kpis["orders"]["mean"] > base.kpis["orders"]["mean"]
    bad = {"product_mismatch_probability": 0.3, "churn_per_bad_experience": 3.0}
    for_life = result(**bad).daily["lapsed"].iloc[-1]
    fading = result(**bad, bad_experience_half_life_days=7.0).daily["lapsed"].iloc[-1]
    assert fading < for_life


def test_exposure_is_the_efforts_hazard_over_the_categories_bought():
    bought = np.array([[True, False], [True, True], [False, False]])
    ad, share = 0.01, np.array([[0.1, 0.5], [0.0, 0.2], [0.3, 0.3]])
    exposure = churn.win_back_exposure(bought, [np.full((3, 2), ad), share])
    np.testing.assert_allclose(exposure, [0.11, 0.01 + 0.21, 0.0])


def test_efforts_win_lapsed_customers_back_at_the_stated_chance(rng):
    n = 200_000
    lapsed = np.ones(n, bool)
    exposure = np.where(np.arange(n) < n // 2, 0.0, 0.4)
    u = rng.random(n)
    back = churn.won_back(lapsed, 0.01, u, exposure, per_exposure=0.5)
    for part, e in ((slice(0, n // 2), 0.0), (slice(n // 2, n), 0.4)):
        expected = 1 - (1 - 0.01) * np.exp(-0.5 * e)
        assert abs(back[part].mean() - expected) < 5 * np.sqrt(expected / (n // 2))
    # no response: exactly the base chance, draw for draw
    np.testing.assert_array_equal(churn.won_back(lapsed, 0.01, u, exposure, 0.0), u < 0.01)
