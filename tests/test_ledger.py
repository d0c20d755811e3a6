"""The ledger: integer fen, totals by type and day, per-consumer sums, entries on request."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import EXTERNAL, PLATFORM, TYPE_INDEX, Ledger


def test_totals_per_day_and_type_and_per_consumer_sums():
    ledger = Ledger(3, 2, keep_entries=True)
    ledger.record(0, "order_payment", np.array([0, 1]), np.full(2, PLATFORM), [1000, 250])
    ledger.record(1, "direct_commission", np.full(1, PLATFORM), np.array([2]), [100], level=1)
    ledger.record(1, "kol_fee", np.full(1, PLATFORM), np.full(1, EXTERNAL), [5000], level=1)
    assert ledger.daily_fen[0, TYPE_INDEX["order_payment"]] == 1250
    assert ledger.day_total_fen(1, ("direct_commission", "kol_fee")) == 5100
    assert list(ledger.paid_fen) == [1000, 250, 0]
    assert list(ledger.received_fen) == [0, 0, 100]  # KOLs are outside the consumers
    assert ledger.payout_by_level_fen[1] == 5100
    entries = ledger.entries()
    assert len(entries) == 4 and entries["amount_fen"].sum() == 6350


def test_zero_amounts_are_dropped_and_negative_ones_refused():
    ledger = Ledger(2, 1, keep_entries=True)
    ledger.record(0, "gift", np.full(2, PLATFORM), np.array([0, 1]), [0, 500], level=1)
    assert len(ledger.entries()) == 1
    with pytest.raises(ValueError, match="negative ledger amount in gift"):
        ledger.record(0, "gift", np.full(1, PLATFORM), np.array([0]), [-1])


def test_entries_need_to_be_asked_for():
    with pytest.raises(RuntimeError, match=r'run\.ledger = "entries"'):
        Ledger(1, 1).entries()


def test_sums_that_would_overflow_are_refused_not_wrapped():
    from sim.errors import SimError

    ledger = Ledger(3, 3650)
    big = np.full(3, ledger.limit_fen // 2)
    with pytest.raises(SimError, match="money overflow: 3 gift entries on day 0"):
        ledger.record(0, "gift", np.full(3, PLATFORM), np.arange(3), big, level=1)
    ledger.record(0, "gift", np.full(1, PLATFORM), np.arange(1), big[:1], level=1)  # fits


def test_amounts_in_yuan_are_bounded_and_finite_in_the_schema():
    from sim.errors import ScenarioError
    from tests.conftest import small_scenario

    for bad in (
        {"payout": {"referral_bonus": {"referrer_yuan": 1e16}}},
        {"payout": {"entry_fee": {"yuan": 1e20}}},
        {"kols": [{"name": "k", "fee_per_post_yuan": 1e20}]},
        {"fulfillment": {"cost_per_order_yuan": float("inf")}},
        {"behavior": {"negative_wom_adoption_sensitivity": float("inf")}},
        {"platform": {"ad_spend_yuan_per_day": float("nan")}},
    ):
        with pytest.raises(ScenarioError) as info:
            small_scenario(**bad)
        assert "allowed:" in str(info.value)


def test_money_at_the_bound_runs_and_balances():
    from sim.runner import run
    from tests.conftest import small_scenario

    s = small_scenario(
        run={"days": 30, "replications": 1},
        payout={"referral_bonus": {"referrer_yuan": 1e8, "referee_yuan": 1e8}},
    )
    daily = run(s, progress=False).daily
    bonus = daily["payout_referral_bonus_referee"]
    assert (bonus >= 0).all() and bonus.sum() > 0
    assert (bonus % 1e8 == 0).all()  # whole bonuses, not wrapped


def test_earnings_since_clear_are_what_the_sums_grew_by(rng):
    """Per consumer, what payouts, retail sales and stock sold to a downline added to
    received_fen + sales_fen since the last clear; payments, fees and discounts add
    nothing."""
    ledger = Ledger(50, 3)
    ledger.record(0, "direct_commission", np.full(5, PLATFORM), np.arange(5), np.ones(5))
    ledger.clear_earnings()
    before = ledger.received_fen + ledger.sales_fen
    for entry_type in (
        "direct_commission",
        "upline_override",
        "retail_sale",
        "downline_stock_sale",
        "order_payment",
        "entry_fee",
        "coupon_discount",
    ):
        payer, payee = rng.integers(0, 50, 40), rng.integers(0, 50, 40)
        ledger.record(1, entry_type, payer, payee, rng.integers(0, 1000, 40))
    who, fen = ledger.earned_since_clear()
    grew = ledger.received_fen + ledger.sales_fen - before
    np.testing.assert_array_equal(who, np.flatnonzero(grew))
    np.testing.assert_array_equal(fen, grew[who])
    ledger.clear_earnings()
    assert ledger.earned_since_clear()[0].size == 0
