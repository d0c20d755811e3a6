"""Coupons: the discount at settlement and the newcomer's adoption boost."""

from __future__ import annotations

import numpy as np

from sim.ledger import Ledger
from sim.payout import settle_orders
from sim.payout.coupon import coupon_fen
from sim.runner import run
from sim.state import Consumers, Orders
from tests.conftest import small_scenario
from tests.test_payouts import scheme


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
