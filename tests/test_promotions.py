"""Coupons, bargaining, gifting and sales-threshold bonuses on hand-built cases."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import Ledger
from sim.network import ties_to_matrix
from sim.payout import PayoutScheme, pay_sales_bonuses, settle_orders
from sim.payout.coupon import coupon_fen
from sim.payout.sales_bonus import SalesBonus, tier_bonus_fen
from sim.rules import bargaining, gifting
from sim.runner import run
from sim.state import Consumers, Orders
from tests.conftest import small_scenario
from tests.test_payouts import scheme


def star_by_speaker(leaves: int, weight: float = 1.0):
    trust = ties_to_matrix(
        leaves + 1,
        np.zeros(leaves, int),
        np.arange(1, leaves + 1),
        np.full(leaves, weight),
        symmetric=True,
    )
    return trust.T.tocsr()


# ------------------------------------------------------------------ coupons
def test_coupon_needs_minimum_spend_and_never_exceeds_price():
    got = coupon_fen(
        np.array([3_000, 5_000, 500, 5_000]),
        np.array([True, True, True, False]),
        np.array([False, True, False, False]),
        1_000,
        400,
        4_000,
    )
    assert got.tolist() == [0, 1_400, 0, 0]
    assert coupon_fen(np.array([800]), np.array([True]), np.array([True]), 1_000, 400, 0)[0] == 800


def test_new_user_coupon_applies_to_the_first_order_of_the_first_day_only():
    c = Consumers.create(np.ones(3, bool), 2)
    new = np.array([False, True, False])
    ledger = Ledger(3, 1, keep_entries=True)
    orders = Orders.make([1, 1, 2], [0, 1, 0], [True, True, True])
    s = settle_orders(
        0, orders, c, new, scheme(coupon_new_user_fen=1_000, coupon_min_spend_fen=2_000), ledger
    )
    # consumer 1's first order (100 yuan) gets 10 yuan off; their second (29.99) is below
    # the minimum anyway; consumer 2 is not new
    assert s.discount_fen.tolist() == [1_000, 0, 0]
    e = ledger.entries()
    assert e[e.type == "coupon_discount"]["amount_fen"].tolist() == [1_000]


def test_coupons_raise_first_purchases():
    base = small_scenario(run={"days": 60, "replications": 3})
    with_coupon = small_scenario(
        run={"days": 60, "replications": 3}, payout={"coupon": {"new_user_yuan": 20.0}}
    )
    a = run(base, progress=False).kpis
    b = run(with_coupon, progress=False).kpis
    assert b["customers"]["mean"] > a["customers"]["mean"]
    assert b["discounts_total"]["mean"] > a["discounts_total"]["mean"]


# ------------------------------------------------------------------ bargaining
def test_every_tie_helps_when_certain_and_the_cut_is_capped():
    owner, helper = bargaining.ask_helpers(
        np.array([0]), star_by_speaker(7), 1.0, np.random.Generator(np.random.PCG64(1)).random
    )
    assert sorted(helper.tolist()) == list(range(1, 8)) and (owner == 0).all()
    cut = bargaining.cut_rate(np.array([0, 2, 7]), 5, 0.2)
    np.testing.assert_allclose(cut, [0.0, 0.08, 0.2])


def test_help_odds_scale_with_trust():
    gen = np.random.Generator(np.random.PCG64(2))
    _, helper = bargaining.ask_helpers(np.array([0]), star_by_speaker(40_000, 0.5), 0.6, gen.random)
    assert abs(helper.size / 40_000 - 0.3) < 0.01


def test_bargains_cut_prices_and_spread_awareness():
    s = small_scenario(
        run={"days": 60, "replications": 2, "ledger": "entries"},
        payout={"bargain": {"ask_probability": 1.0, "help_probability": 0.5}},
    )
    result = run(s, progress=False)
    d = result.daily
    assert d["bargains"].sum() > 100 and d["bargain_helpers"].sum() > d["bargains"].sum()
    e = result.ledger
    assert e[e.type == "bargain_discount"]["amount_fen"].sum() > 0


# ------------------------------------------------------------------ gifting
def test_gifts_go_to_a_tie_and_only_some_are_claimed():
    by_speaker = star_by_speaker(3)
    sender, receiver = gifting.send_gifts(
        np.array([0, 1]), 0.5, by_speaker, np.array([0.1, 0.9]), np.array([0.99, 0.0])
    )
    assert sender.tolist() == [0] and receiver.tolist() == [3]  # 1 sent nothing
    can_claim = np.array([True, True, True, False])
    claimed = gifting.claim_gifts(np.array([1, 3]), can_claim, 1.0, np.array([0.5, 0.5]))
    assert claimed.tolist() == [True, False]  # consumer 3 cannot buy online: unclaimed


def test_claimed_gifts_bind_the_receiver_and_are_paid_for(tmp_path):
    from tests.conftest import edge_list_scenario

    n = 31
    edges = [(0, i, 1.0) for i in range(1, n)]

    def gift_run(claim):
        s = edge_list_scenario(
            tmp_path,
            edges,
            n,
            run={"days": 40, "ledger": "entries"},
            payout={
                "gift": {
                    "gifts_per_sharer_per_month": 30.0,
                    "claim_probability": claim,
                    "gift_cost_yuan": 4.0,
                }
            },
        )
        from sim.model import SocialCommerceModel

        model = SocialCommerceModel(s)
        model.consumers.is_sharer[0] = True
        model.consumers.first_order_day[0] = 0
        model.consumers.customer_of[0] = True
        model.run_model()
        return model

    claimed = gift_run(1.0)
    v = claimed.recorder.values
    assert v["gifts_sent"].sum() == 40 and v["gifts_claimed"].sum() == 40
    assert v["payout_gift"].sum() == 40 * 400
    bound = np.flatnonzero(claimed.consumers.referrer == 0)
    assert bound.size > 10 and bound.min() >= 1
    unclaimed = gift_run(0.0)
    assert unclaimed.recorder.values["gifts_claimed"].sum() == 0
    assert unclaimed.recorder.values["payout_gift"].sum() == 0
    assert (unclaimed.consumers.referrer == -1).all()


# ------------------------------------------------------------------ sales bonuses
def test_tier_bonus_uses_the_highest_tier_reached():
    bonus = tier_bonus_fen(
        np.array([50_000, 100_000, 700_000]), np.array([100_000, 500_000]), np.array([0.02, 0.05])
    )
    assert bonus.tolist() == [0, 2_000, 35_000]


def test_sales_bonus_paid_at_period_end_and_reset():
    c = Consumers.create(np.ones(3, bool), 2)
    c.is_sharer[:] = [True, True, False]
    c.period_sales_fen[:] = [600_000, 20_000, 900_000]  # 2 is no longer a sharer
    ledger = Ledger(3, 30, keep_entries=True)
    sch = scheme(
        sales_thresholds_fen=np.array([100_000, 500_000]), sales_bonus_rates=np.array([0.02, 0.05])
    )
    pay_sales_bonuses(29, c, sch, ledger)
    e = ledger.entries()
    assert e[["payee", "amount_fen"]].values.tolist() == [[0, 30_000]]
    assert (c.period_sales_fen == 0).all()


def test_tiers_must_increase():
    with pytest.raises(ValueError, match="increasing"):
        SalesBonus(
            tiers=[
                {"monthly_sales_yuan": 500, "rate": 0.05},
                {"monthly_sales_yuan": 100, "rate": 0.02},
            ]
        )


def test_unknown_gift_category_is_reported():
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        small_scenario(payout={"gift": {"category": "fruits"}})
    assert info.value.problems[0].key == "payout.gift.category"


def test_scheme_compiles_every_rule():
    s = small_scenario(
        payout={
            "coupon": {"new_user_yuan": 8.0, "min_spend_yuan": 39.0},
            "sales_bonus": {},
            "gift": {"gift_cost_yuan": 3.5},
        }
    )
    compiled = PayoutScheme.from_section(s.payout, s.categories)
    assert compiled.coupon_new_user_fen == 800 and compiled.coupon_min_spend_fen == 3_900
    assert compiled.sales_thresholds_fen.tolist() == [100_000, 500_000]
    assert compiled.gift_cost_fen == 350
