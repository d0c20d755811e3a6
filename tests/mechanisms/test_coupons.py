"""Coupons: the discount at settlement and the newcomer's adoption boost."""

from __future__ import annotations

import numpy as np

from sim.ledger import Ledger
from sim.payout import settle_orders
from sim.payout.coupon import coupon_fen
from sim.runner import run
from sim.state import Consumers, Orders
from tests.conftest import small_scenario
from tests.test_payouts import consumers, scheme


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


def test_a_win_back_coupon_raises_the_chance_of_coming_back(rng):
    from sim.mechanisms import churn

    n = 200_000
    u = rng.random(n)
    boost = np.where(np.arange(n) < n // 2, 1.0, 1.5)
    back = churn.won_back(np.ones(n, bool), 0.02, u, boost=boost)
    for part, f in ((slice(0, n // 2), 1.0), (slice(n // 2, n), 1.5)):
        expected = 1 - (1 - 0.02) ** f
        assert abs(back[part].mean() - expected) < 5 * np.sqrt(expected / (n // 2))
    # f = 1: exactly the chance without a coupon, draw for draw
    np.testing.assert_array_equal(
        churn.won_back(np.ones(n, bool), 0.02, u, boost=np.ones(n)), u < 1 - (1 - 0.02)
    )


def test_the_win_back_coupon_comes_off_the_first_order_after_coming_back():
    c = consumers()
    c.win_back_coupon[[3, 4]] = True  # 3 came back today; 4 orders only a cheap item
    ledger = Ledger(6, 1, keep_entries=True)
    orders = Orders.make(
        np.array([3, 3, 4]), np.array([0, 0, 1]), False, np.full(3, -1), via_share=False
    )
    sch = scheme(coupon_win_back_fen=1_500, coupon_min_spend_fen=5_000)
    s = settle_orders(0, orders, c, np.zeros(6, bool), sch, ledger)
    # 3's first order gets 15 yuan off, the second nothing; 4's order misses the minimum
    assert s.discount_fen.tolist() == [1_500, 0, 0]
    assert c.win_back_coupon.tolist() == [False, False, False, False, True, False]


def test_lapsed_customers_get_the_coupon_and_come_back_more():
    """Paired: a win-back coupon worth most of a basket's price brings more lapsed customers
    back than none (f = exp(0.4 x min(100, p_j) / 100), about 1.3-1.5)."""
    from sim.runner import run

    def won_back(yuan: float):
        spec = small_scenario(
            run={"days": 120, "replications": 2},
            behavior={"churn_base_hazard_per_day": 0.01, "win_back_per_day": 0.01},
            payout={"coupon": {"new_user_yuan": 0.0, "win_back_yuan": yuan}},
        )
        return run(spec, progress=False).daily

    none, coupon = won_back(0.0), won_back(100.0)
    assert coupon["won_back"].sum() > 1.15 * none["won_back"].sum()
    assert coupon["discount_coupon"].sum() > 0 and none["discount_coupon"].sum() == 0
