"""Payouts on hand-built orders where every fen is known."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import PAYOUT_TYPES, PLATFORM, TYPE_INDEX, Ledger
from sim.payout import PayoutScheme, settle_orders
from sim.payout.referral_bonus import rank_within
from sim.state import Consumers, Orders
from tests.conftest import small_scenario


def scheme(**kw) -> PayoutScheme:
    base = dict(
        price_fen=np.array([10_000, 2_999]),
        unit_cost_fen=np.array([7_000, 2_000]),
        commission_rate=np.array([0.10, 0.05]),
        self_purchase_discount_rate=0.05,
        override_rates=np.array([]),
        referrer_bonus_fen=500,
        referee_bonus_fen=300,
        referral_bonus_cap=2,
        entry_fee_fen=0,
        stock_category=-1,
        stock_units=0,
        stock_unit_price_fen=0,
        restock=False,
        group_categories=np.zeros(2, bool),
        group_discount_rate=0.0,
    )
    base.update(kw)
    return PayoutScheme(**base)


def consumers(n=6) -> Consumers:
    c = Consumers.create(np.ones(n, bool), 2)
    c.is_sharer[[0, 1]] = True
    c.first_order_day[[0, 1]] = 0
    return c


def orders(buyer, cat, first, shared_by) -> Orders:
    return Orders.make(buyer, cat, first, shared_by, via_share=np.asarray(shared_by) >= 0)


def test_direct_commission_self_purchase_and_bound_customer():
    c = consumers()
    c.referrer[3], c.bound_day[3] = 1, 0  # consumer 3 was brought by sharer 1 earlier
    c.first_order_day[3] = 0
    ledger = Ledger(6, 5, keep_entries=True)
    o = orders([0, 3, 3, 4], [0, 0, 1, 1], [False, False, True, False], [-1, -1, -1, -1])
    s = settle_orders(2, o, c, np.zeros(6, bool), scheme(), ledger)
    # sharer 0 buys for themself: 5% off 100 yuan, nobody earns commission
    assert s.discount_fen.tolist() == [500, 0, 0, 0]
    # consumer 3 is bound to sharer 1: 10% of 100 yuan and 5% of 29.99 yuan (rounded)
    assert s.commission_fen.tolist() == [0, 1000, 150, 0]
    assert s.sharer.tolist() == [-1, 1, 1, -1]
    assert s.paid_fen.tolist() == [9500, 10_000, 2_999, 2_999]
    assert ledger.received_fen[1] == 1150 and ledger.discount_fen[0] == 500
    assert ledger.daily_fen[2].sum() == 9500 + 10_000 + 2_999 * 2 + 500 + 1150


def test_bound_sharer_who_quit_earns_nothing():
    c = consumers()
    c.referrer[3], c.bound_day[3] = 1, 0
    c.is_sharer[1] = False
    s = settle_orders(
        0, orders([3], [0], [False], [-1]), c, np.zeros(6, bool), scheme(), Ledger(6, 1)
    )
    assert s.commission_fen.tolist() == [0]


def test_referral_bonuses_once_per_new_customer_and_capped_per_referrer():
    c = consumers()
    new = np.zeros(6, bool)
    new[[2, 3, 4, 5]] = True
    ledger = Ledger(6, 1, keep_entries=True)
    # Customers 2..5 arrive through sharer 0's shares; 2 buys two categories at once.
    o = orders([2, 2, 3, 4, 5], [0, 1, 0, 0, 1], [True] * 5, [0, 0, 0, 0, 1])
    settle_orders(0, o, c, new, scheme(), ledger)
    e = ledger.entries()
    referrer = e[e["type"] == "referral_bonus_referrer"]
    referee = e[e["type"] == "referral_bonus_referee"]
    # cap 2: sharer 0 earns for customers 2 and 3 only; sharer 1 for customer 5
    assert sorted(referrer["payee"].tolist()) == [0, 0, 1]
    assert sorted(referee["payee"].tolist()) == [2, 3, 4, 5]
    assert referrer["amount_fen"].sum() == 1500 and referee["amount_fen"].sum() == 1200
    assert c.referral_bonuses[0] == 2
    assert (e["payer"][e["type"] != "order_payment"] == PLATFORM).all()
    # the cap holds across days too
    o2 = orders([1], [0], [True], [0])
    new2 = np.zeros(6, bool)
    new2[1] = True
    c.is_sharer[1] = False
    settle_orders(0, o2, c, new2, scheme(), ledger)
    e = ledger.entries()
    assert (e["type"] == "referral_bonus_referrer").sum() == 3  # no fourth: sharer 0 is capped
    assert (e["type"] == "referral_bonus_referee").sum() == 5  # the referee still gets theirs


def test_rank_within():
    assert rank_within(np.array([5, 3, 5, 5, 3])).tolist() == [0, 0, 1, 2, 1]


def test_money_balances_on_every_order():
    c = consumers(50)
    rng = np.random.default_rng(0)
    c.referrer[10:40] = rng.integers(0, 2, 30)
    c.bound_day[10:40] = 0
    buyer = rng.integers(0, 50, 400)
    o = orders(
        buyer,
        rng.integers(0, 2, 400),
        rng.random(400) < 0.3,
        np.where(rng.random(400) < 0.2, 1, -1),
    )
    new = np.zeros(50, bool)
    new[20:30] = True
    ledger = Ledger(50, 1)
    s = settle_orders(0, o, c, new, scheme(), ledger)
    assert np.all(s.list_fen == s.paid_fen + s.discount_fen)
    totals = {t: ledger.daily_fen[0, TYPE_INDEX[t]] for t in TYPE_INDEX}
    assert totals["order_payment"] == s.paid_fen.sum() == ledger.paid_fen.sum()
    payouts = sum(totals[t] for t in PAYOUT_TYPES)
    assert payouts == ledger.received_fen.sum() > 0
    assert totals["direct_commission"] == s.commission_fen.sum()


def chain_consumers() -> Consumers:
    """Sharers 0 <- 1 <- 2 <- 3: 3 was recruited by 2, 2 by 1, 1 by 0; 4 is 3's customer."""
    c = Consumers.create(np.ones(6, bool), 2)
    c.is_sharer[:4] = True
    c.first_order_day[:5] = 0
    c.recruiter[1:4] = [0, 1, 2]
    c.referrer[4], c.bound_day[4] = 3, 0
    return c


def test_three_level_recruitment_chain_pays_each_level_exactly():
    c = chain_consumers()
    ledger = Ledger(6, 1, keep_entries=True)
    s = settle_orders(
        0,
        orders([4], [0], [False], [-1]),
        c,
        np.zeros(6, bool),
        scheme(override_rates=np.array([0.03, 0.02, 0.01])),
        ledger,
    )
    e = ledger.entries().set_index("type")
    assert s.sharer.tolist() == [3]
    assert e.loc["direct_commission", "payee"] == 3
    assert e.loc["direct_commission", "amount_fen"] == 1000
    over = ledger.entries().query("type == 'upline_override'")
    assert over[["payee", "level", "amount_fen"]].values.tolist() == [
        [2, 2, 300],
        [1, 3, 200],
        [0, 4, 100],
    ]
    np.testing.assert_array_equal(ledger.payout_by_level_fen[1:5], [1000, 300, 200, 100])


def test_overrides_skip_uplines_who_quit_and_stop_at_the_top():
    c = chain_consumers()
    c.is_sharer[1] = False  # level 3 quit: not paid, but the chain goes on above them
    ledger = Ledger(6, 1, keep_entries=True)
    settle_orders(
        0,
        orders([4], [0], [False], [-1]),
        c,
        np.zeros(6, bool),
        scheme(override_rates=np.array([0.03, 0.02, 0.01, 0.01])),
        ledger,
    )
    over = ledger.entries().query("type == 'upline_override'")
    assert over[["payee", "level"]].values.tolist() == [[2, 2], [0, 4]]


def test_sales_from_stock_pay_the_sharer_and_restock():
    c = chain_consumers()
    c.stock_units[3] = 2
    ledger = Ledger(6, 1, keep_entries=True)
    sch = scheme(stock_category=0, stock_units=5, stock_unit_price_fen=6_500, restock=True)
    # Three orders of customer 4 (bound to sharer 3) in the stocked category today.
    s = settle_orders(
        0, orders([4, 4, 4], [0, 0, 0], [False] * 3, [-1] * 3), c, np.zeros(6, bool), sch, ledger
    )
    assert s.from_stock.tolist() == [True, True, False]
    assert ledger.sales_fen[3] == 20_000  # two units at the list price, paid to the sharer
    assert s.commission_fen.tolist() == [0, 0, 1000]  # the third came from the platform
    assert c.stock_units[3] == 5  # sold out, then bought 5 more
    assert ledger.dues_fen[3] == 5 * 6_500
    # the platform's cost of goods: the platform-sold order and the 5 restocked units
    assert s.cost_of_goods_fen == 7_000 + 5 * 7_000


def test_entry_fee_and_first_stock_on_joining():
    from sim.payout import onboard_sharers

    c = consumers()
    ledger = Ledger(6, 1, keep_entries=True)
    sch = scheme(entry_fee_fen=39_800, stock_category=1, stock_units=10, stock_unit_price_fen=2_000)
    cost = onboard_sharers(0, np.array([2, 5]), c, sch, ledger)
    assert ledger.dues_fen.tolist() == [0, 0, 59_800, 0, 0, 59_800]
    assert c.stock_units.tolist() == [0, 0, 10, 0, 0, 10]
    assert cost == 2 * 10 * 2_000


def tiered(**kw) -> PayoutScheme:
    """Stock of category 0 (list 100 yuan, cost 70) in batches of 5: tier 1 pays 65 yuan a
    unit, each tier down 10 yuan more."""
    base = dict(stock_category=0, stock_units=5, stock_unit_price_fen=6_500, restock=True)
    base.update(stock_tiers=3, stock_tier_markup_fen=1_000)
    base.update(kw)
    return scheme(**base)


def test_stock_is_sold_down_two_tiers():
    from sim.payout import onboard_sharers

    c = chain_consumers()  # 0 <- 1 <- 2 <- 3
    c.sharer_level[:4] = [1, 2, 3, 4]
    c.stock_units[:2] = [5, 0]
    ledger = Ledger(6, 1, keep_entries=True)
    # Sharer 3 (level 4, capped at the lowest tier, 3) joins; their upline 2 is on tier 3
    # too, so not above them: 3 buys a batch from the platform at tier 3's price.
    cost = onboard_sharers(0, np.array([3]), c, tiered(), ledger)
    assert ledger.entries()[["type", "payer", "payee", "amount_fen"]].values.tolist() == [
        ["stock_purchase", 3, PLATFORM, 5 * 8_500]
    ]
    assert cost == 5 * 7_000
    # Sharer 2 (tier 3) restocks: buys 5 units at 85 yuan from sharer 1 (tier 2), who has
    # none and buys two batches at 75 yuan from sharer 0 (enough to keep a unit in hand),
    # who has 5 and buys two batches at 65 yuan from the platform.
    ledger = Ledger(6, 1, keep_entries=True)
    c.stock_units[2] = 0
    cost = onboard_sharers(0, np.array([2]), c, tiered(), ledger)
    rows = ledger.entries()[["type", "payer", "payee", "amount_fen"]].values.tolist()
    # each sale down: the upline's own price passes through, the markup is theirs
    assert rows == [
        ["downline_stock_sale", 2, 1, 5 * 7_500],
        ["downline_stock_markup", 2, 1, 5 * 1_000],
        ["downline_stock_sale", 1, 0, 10 * 6_500],
        ["downline_stock_markup", 1, 0, 10 * 1_000],
        ["stock_purchase", 0, PLATFORM, 10 * 6_500],
    ]
    assert c.stock_units[:3].tolist() == [5, 5, 5]
    assert cost == 10 * 7_000  # the platform's goods: only what it sold
    # each upline's income from selling down: what they sold minus what they bought
    assert ledger.sales_fen[1] - ledger.dues_fen[1] == 5 * 8_500 - 10 * 7_500
    assert ledger.sales_fen[0] - ledger.dues_fen[0] == 10 * 7_500 - 10 * 6_500
    # no platform revenue from the transfers between agents, and no payout
    assert ledger.daily_fen[0, TYPE_INDEX["stock_purchase"]] == 10 * 6_500
    assert ledger.daily_fen[0][[TYPE_INDEX[t] for t in PAYOUT_TYPES]].sum() == 0


def test_stock_comes_from_the_platform_when_the_upline_is_gone():
    from sim.payout import onboard_sharers

    c = chain_consumers()
    c.sharer_level[:4] = [1, 2, 3, 4]
    c.is_sharer[1] = False  # sharer 2's upline quit
    ledger = Ledger(6, 1, keep_entries=True)
    onboard_sharers(0, np.array([2]), c, tiered(), ledger)
    # tier 3's price, paid to the platform
    assert ledger.entries()[["type", "payer", "payee", "amount_fen"]].values.tolist() == [
        ["stock_purchase", 2, PLATFORM, 5 * 8_500]
    ]


def test_an_upline_supplying_several_recruits_buys_just_enough():
    from sim.payout import onboard_sharers

    c = chain_consumers()  # 0 <- 1 <- 2, and 5 recruited by 1 too
    c.is_sharer[5], c.recruiter[5] = True, 1
    c.sharer_level[[0, 1, 2, 5]] = [1, 2, 3, 3]
    ledger = Ledger(6, 1)
    onboard_sharers(0, np.array([2, 5]), c, tiered(), ledger)
    # 1 sells 10 units with none in hand: 3 batches (10 plus one in hand), from 0, who
    # buys 4 from the platform (15 plus one in hand)
    assert c.stock_units[[0, 1, 2, 5]].tolist() == [5, 5, 5, 5]
    assert ledger.daily_fen[0, TYPE_INDEX["stock_purchase"]] == 20 * 6_500


def test_an_upline_buying_the_same_day_counts_the_batch_already_coming():
    from sim.payout import onboard_sharers

    c = chain_consumers()
    c.sharer_level[:3] = [1, 2, 3]
    # 1 rejoins today (buying a batch) as 2 joins and buys a batch from 1: one more batch
    # covers 2 and keeps one in hand
    onboard_sharers(0, np.array([1, 2]), c, tiered(), Ledger(6, 1))
    assert c.stock_units[:3].tolist() == [5, 5, 5]


def test_a_downline_selling_out_restocks_from_the_upline():
    c = chain_consumers()
    c.sharer_level[:4] = [1, 2, 3, 4]
    c.stock_units[:4] = [20, 20, 20, 1]
    ledger = Ledger(6, 1, keep_entries=True)
    sch = tiered(stock_tiers=4)
    settle_orders(0, orders([4], [0], [False], [-1]), c, np.zeros(6, bool), sch, ledger)
    rows = ledger.entries().query("type != 'order_payment'")
    assert rows[["type", "payer", "payee", "amount_fen"]].values.tolist() == [
        ["retail_sale", 4, 3, 10_000],
        ["downline_stock_sale", 3, 2, 5 * 8_500],
        ["downline_stock_markup", 3, 2, 5 * 1_000],
    ]
    assert c.stock_units[:4].tolist() == [20, 20, 15, 5]


def test_a_gift_pack_is_a_purchase_that_makes_a_member():
    from sim.payout import onboard_sharers

    c = consumers()
    ledger = Ledger(6, 1, keep_entries=True)
    sch = scheme(gift_pack_fen=39_800, gift_pack_premium_fen=7_960, gift_pack_cost_fen=27_860)
    cost = onboard_sharers(0, np.array([2, 5]), c, sch, ledger)
    rows = ledger.entries()[["type", "payer", "payee", "amount_fen"]].values.tolist()
    assert rows == [
        ["gift_pack", 2, PLATFORM, 31_840],
        ["gift_pack", 5, PLATFORM, 31_840],
        ["gift_pack_premium", 2, PLATFORM, 7_960],
        ["gift_pack_premium", 5, PLATFORM, 7_960],
    ]
    # the goods' worth is the member's spending, like an order; the premium is dues
    assert ledger.paid_fen[[2, 5]].tolist() == [31_840, 31_840]
    assert ledger.dues_fen[[2, 5]].tolist() == [7_960, 7_960]
    assert cost == 2 * 27_860  # the platform's cost of the packs' goods
    # joining costs what the goods are worth less than their price
    assert sch.joining_cost_yuan() == pytest.approx(79.6)


def test_scheme_compiles_every_rule():
    s = small_scenario(
        payout={
            "coupon": {"new_user_yuan": 8.0, "min_spend_yuan": 39.0},
            "sales_bonus": {},
            "gift": {"gift_cost_yuan": 3.5},
            "gift_pack": {"yuan": 398.0, "category": "beauty"},
        }
    )
    compiled = PayoutScheme.from_section(s.payout, s.categories)
    beauty = s.categories[[c.name for c in s.categories].index("beauty")]
    assert compiled.gift_pack_fen == 39_800 and compiled.gift_pack_premium_fen == 7_960
    assert compiled.gift_pack_cost_fen == round(39_800 * (1 - beauty.margin))
    assert compiled.coupon_new_user_fen == 800 and compiled.coupon_min_spend_fen == 3_900
    assert compiled.sales_thresholds_fen.tolist() == [100_000, 500_000]
    assert compiled.gift_cost_fen == 350


def test_a_binding_ends_after_its_period():
    """Store binding: orders follow the binding for `binding.days` days, then stop."""
    c = consumers()
    c.referrer[3], c.bound_day[3] = 1, 10
    short = scheme(binding_days=30)
    for day, expected in ((39, [1]), (40, [-1])):
        s = settle_orders(
            day, orders([3], [0], [False], [-1]), c, np.zeros(6, bool), short, Ledger(6, 41)
        )
        assert s.sharer.tolist() == expected


def test_a_binding_to_a_sharer_who_quit_ends():
    from sim.payout.binding import bind

    referrer = np.array([-1, 5, 5, -1, -1, -1, -1])
    bound_day = np.array([-1, 10, 10, -1, -1, -1, -1])
    active = np.zeros(7, bool)
    active[[4, 6]] = True
    active_and_5 = active.copy()
    active_and_5[5] = True
    # customer 1 stays with active sharer 5; customer 0 is free and takes 4 (first listed)
    bind(referrer, bound_day, np.array([0, 0, 1]), np.array([4, 6, 6]), 20, 365, active_and_5)
    assert referrer.tolist()[:3] == [4, 5, 5]
    # once 5 quits, their customers go to the next sharer who brings them
    bind(referrer, bound_day, np.array([2]), np.array([6]), 21, 365, active)
    assert referrer[2] == 6 and bound_day[2] == 21


def test_pay_per_recruit_is_paid_once_per_recruit_to_an_active_recruiter():
    from sim.payout.settle import pay_recruiters

    c = consumers()
    c.recruiter[[3, 4]] = [0, 2]  # 2 is not a sharer
    ledger = Ledger(6, 1, keep_entries=True)
    pay_recruiters(0, np.array([3, 4]), c, scheme(recruit_bonus_fen=3000), ledger)
    paid = ledger.entries()
    assert paid["payee"].tolist() == [0] and paid["amount_fen"].tolist() == [3000]


def test_only_shares_earn_referral_bonuses_and_share_coupons():
    """A new customer a sharer brought through a group or a proxy order is credited to the
    sharer (commission) but is no referral: the bonus and the share coupon need a share."""
    c = consumers()
    ledger = Ledger(6, 1, keep_entries=True)
    new = np.zeros(6, bool)
    new[[3, 4]] = True
    o = Orders.make([3, 4], [0, 0], True, [1, 1], via_share=[True, False])
    s = settle_orders(0, o, c, new, scheme(coupon_share_fen=200), ledger)
    entries = ledger.entries()
    referee = entries[entries["type"] == "referral_bonus_referee"]
    assert referee["payee"].tolist() == [3]
    assert s.discount_fen.tolist() == [200, 0] and s.sharer.tolist() == [1, 1]
