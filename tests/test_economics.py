"""Cash curve, trough, break-even and NPV: known answers on hand-made series."""

from __future__ import annotations

import numpy as np
import pytest

from sim.economics import (
    EconomicsSection,
    daily_cash_fen,
    economics_kpis,
    terminal_value_fen,
    trough_and_breakeven,
)


def test_payouts_are_paid_after_the_settlement_lag():
    margin = np.array([100.0, 100.0, 100.0, 100.0])  # already net of payouts
    payouts = np.array([10.0, 20.0, 30.0, 40.0])
    cash = daily_cash_fen(margin, payouts, np.zeros(4), 5.0, settlement_lag_days=2)
    # day t: margin + payouts(t) - payouts(t - 2) - fixed
    np.testing.assert_allclose(cash, [105, 115, 115, 115])
    same_day = daily_cash_fen(margin, payouts, np.zeros(4), 0.0, settlement_lag_days=0)
    np.testing.assert_allclose(same_day, margin)


def test_trough_and_breakeven():
    cumulative = np.cumsum([-5.0, -5.0, 2.0, 3.0, 6.0, 1.0])  # -5 -10 -8 -5 1 2
    assert trough_and_breakeven(cumulative) == (-10.0, 1, 4.0)
    assert trough_and_breakeven(np.array([1.0, 2.0])) == (0.0, 0, 0.0)
    value, day, never = trough_and_breakeven(np.array([-1.0, -2.0, -1.5]))
    assert (value, day) == (-2.0, 1) and np.isnan(never)


def test_terminal_value_is_a_decaying_perpetuity():
    days = 60
    margin = np.full(days, 1000.0)
    active = np.full(days, 100.0)
    lapsed = np.full(days, 1.0)  # h = 1% a day
    tv = terminal_value_fen(margin, lapsed, active, 0.0)
    assert tv == pytest.approx(1000.0 * 0.99 / 0.01)
    assert terminal_value_fen(-margin, lapsed, active, 0.1) == 0.0


def test_npv_discounts_and_counts_unsettled_payouts():
    days = 365
    values = {
        "contribution_margin": np.full(days, 100.0),
        "payouts_total": np.zeros(days),
        "ad_spend": np.zeros(days),
        "lapsed_today": np.zeros(days),
        "active_customers": np.ones(days),
    }
    flat = economics_kpis(
        values, EconomicsSection(discount_rate_per_year=0.0, terminal_value="none")
    )
    assert flat["npv"] == pytest.approx(365.0) and flat["operating_margin"] == pytest.approx(365.0)
    discounted = economics_kpis(
        values, EconomicsSection(discount_rate_per_year=0.1, terminal_value="none")
    )
    assert 365.0 / 1.1 < discounted["npv"] < 365.0
    values["payouts_total"] = np.full(days, 10.0)  # margin is net of them; 15 days unsettled
    lagged = economics_kpis(
        values, EconomicsSection(discount_rate_per_year=0.0, terminal_value="none")
    )
    assert lagged["npv"] == pytest.approx(365.0)  # paid late, but paid
    fixed = economics_kpis(
        values,
        EconomicsSection(
            discount_rate_per_year=0.0, terminal_value="none", fixed_cost_yuan_per_day=2.0
        ),
    )
    assert fixed["operating_margin"] == pytest.approx(365.0 - 2.0 * 365)
    assert fixed["cash_trough"] < 0 and np.isnan(fixed["breakeven_day"])


def test_terminal_value_runs_while_the_margin_covers_fixed_costs():
    days = 60
    margin, active, lapsed = np.full(days, 1000.0), np.full(days, 100.0), np.full(days, 1.0)
    # h = 1%: the margin 1000 x 0.99^k covers fixed costs of 500 for K = 68 days
    tv = terminal_value_fen(margin, lapsed, active, 0.0, fixed_fen_per_day=500.0)
    k = np.arange(1, 69)
    assert tv == pytest.approx(np.sum(1000.0 * 0.99**k - 500.0))
    assert terminal_value_fen(margin, lapsed, active, 0.0, fixed_fen_per_day=2000.0) == 0.0
    no_fixed = terminal_value_fen(margin, lapsed, active, 0.05)
    assert no_fixed == pytest.approx(terminal_value_fen(margin, lapsed, active, 0.05, 0.0))
