"""Repurchase: gamma intervals and due reorders."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import (
    repurchase,
)


def test_intervals_have_the_category_mean(rng):
    u = rng.random(200_000)
    days = repurchase.draw_intervals(np.full(u.size, 21.0), 4.0, u)
    assert days.min() >= 1
    assert abs(days.mean() - 21.0) < 0.1
    # shape 4: sd = mean / 2
    assert abs(days.std() - 10.5) < 0.2


def test_due_reorders_by_probability(rng):
    due = np.repeat([0, 1], 50_000)
    got = repurchase.due_reorders(np.array([0.9, 0.3])[due], rng.random(due.size))
    assert abs(got[due == 0].mean() - 0.9) < 0.01
    assert abs(got[due == 1].mean() - 0.3) < 0.01


def test_purchase_rate_multipliers_are_gamma_with_mean_one(rng):
    """lambda ~ Gamma(r, 1/r): mean 1 and coefficient of variation 1 / sqrt(r)."""
    u = rng.random(400_000)
    for r in (0.25, 1.0, 4.0):
        lam = repurchase.purchase_rate_multipliers(r, u)
        assert abs(lam.mean() - 1.0) < 0.02
        assert abs(lam.std() - 1.0 / np.sqrt(r)) < 0.03


@pytest.mark.slow
def test_unequal_purchase_rates_spread_the_repeats_across_customers():
    """On paired streams, a small gamma shape leaves more customers without a repeat and
    gives the heaviest tenth of customers a larger share of repeat transactions. (Without a
    shape every earlier result stands: `sim check` holds the baselines exactly.)"""
    from sim.calibration.summaries import orders_from_entries, summarize_log, transactions
    from sim.runner import run
    from tests.conftest import small_scenario

    def repeats(**behavior):
        spec = small_scenario(
            run={"ledger": "entries", "replications": 1, "days": 180},
            behavior={"word_of_mouth_per_day": 0.05, **behavior},
        )
        orders = orders_from_entries(run(spec, progress=False).ledger, "2024-01-01")
        tx = transactions(orders)
        per_customer = tx.groupby("customer_id")["number"].max().sort_values()
        return summarize_log(orders), per_customer

    alike, alike_each = repeats()
    unequal, unequal_each = repeats(purchase_rate_shape=0.3)

    def top_tenth_share(each):
        return each.iloc[-max(1, len(each) // 10) :].sum() / max(each.sum(), 1)

    assert unequal.repeats_histogram[0] / unequal.customers > (
        alike.repeats_histogram[0] / alike.customers + 0.05
    )
    assert top_tenth_share(unequal_each) > top_tenth_share(alike_each) + 0.1


def test_without_reorders_the_mechanism_is_off_and_nothing_else_changes(monkeypatch):
    """repurchase_probability 0 switches repurchase off (no due days drawn) when no other
    mechanism lends a reorder factor: every daily series and KPI is what the mechanism,
    left on, gives."""
    import pandas as pd

    from sim.market import Market
    from tests.conftest import small_scenario

    spec = small_scenario(
        run={"days": 60},
        behavior={"repurchase_probability": 0.0},
        fulfillment={"enabled": False},  # the lenders of reorder factors off
        payout={"self_purchase_discount": {"enabled": False}},
    )
    off = Market(spec, 0)
    assert off.platform.get("repurchase") is None
    off.run_model()
    monkeypatch.setattr(repurchase.Repurchase, "enabled", classmethod(lambda cls, spec: True))
    on = Market(spec, 0)
    assert on.platform.get("repurchase") is not None
    on.run_model()
    pd.testing.assert_frame_equal(off.daily_frame(), on.daily_frame())
    assert off.kpis().keys() == on.kpis().keys()
    np.testing.assert_array_equal(list(off.kpis().values()), list(on.kpis().values()))
    assert off.daily_frame()["orders"].sum() > 0
