"""Payouts on hand-built orders where every fen is known."""

from __future__ import annotations

import numpy as np

from sim.ledger import PLATFORM, Ledger
from sim.payouts import PayoutScheme, rank_within, settle_orders
from sim.state import Consumers, Orders


def scheme(**kw) -> PayoutScheme:
    base = dict(
        price_fen=np.array([10_000, 2_999]),
        commission_rate=np.array([0.10, 0.05]),
        self_purchase_discount_rate=0.05,
        referrer_bonus_fen=500,
        referee_bonus_fen=300,
        referral_bonus_cap=2,
    )
    base.update(kw)
    return PayoutScheme(**base)


def consumers(n=6) -> Consumers:
    c = Consumers.create(np.ones(n, bool), 2)
    c.is_sharer[[0, 1]] = True
    c.first_order_day[[0, 1]] = 0
    return c


def orders(buyer, cat, first, shared_by) -> Orders:
    return Orders(np.array(buyer), np.array(cat), np.array(first, bool), np.array(shared_by))


def test_direct_commission_self_purchase_and_bound_customer():
    c = consumers()
    c.referrer[3] = 1  # consumer 3 was brought by sharer 1 earlier
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
    c.referrer[3] = 1
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
    s = settle_orders(0, o2, c, new2, scheme(), ledger)
    assert s.referral_fen.tolist() == [300]


def test_rank_within():
    assert rank_within(np.array([5, 3, 5, 5, 3])).tolist() == [0, 0, 1, 2, 1]


def test_money_balances_on_every_order():
    c = consumers(50)
    rng = np.random.default_rng(0)
    c.referrer[10:40] = rng.integers(0, 2, 30)
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
    totals = dict(
        zip(
            [
                "order_payment",
                "self_purchase_discount",
                "direct_commission",
                "referral_bonus_referrer",
                "referral_bonus_referee",
            ],
            ledger.daily_fen[0].tolist(),
            strict=True,
        )
    )
    assert totals["order_payment"] == s.paid_fen.sum() == ledger.paid_fen.sum()
    payouts = (
        totals["direct_commission"]
        + totals["referral_bonus_referrer"]
        + totals["referral_bonus_referee"]
    )
    assert payouts == s.payouts_fen.sum() == ledger.received_fen.sum()
