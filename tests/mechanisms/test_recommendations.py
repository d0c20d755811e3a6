"""Recommendations: co-purchase affinity, and who is reached."""

from __future__ import annotations

import numpy as np

from sim.market import Market
from sim.mechanisms import recommendations
from sim.mechanisms.base import Day
from tests.conftest import QUIET_BEHAVIOR, small_scenario


def test_co_purchase_affinity_is_the_share_of_one_categorys_customers_buying_another():
    customer_of = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0], [0, 1, 0, 0]], dtype=bool)
    a = recommendations.co_purchase_affinity(customer_of)
    # of category 0's 3 customers, 2 buy category 1 and 1 buys category 2
    np.testing.assert_allclose(a[0], [0.0, 2 / 3, 1 / 3, 0.0])
    np.testing.assert_allclose(a[1], [2 / 3, 0.0, 1 / 3, 0.0])
    np.testing.assert_allclose(a[2], [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(a[3], 0.0)  # nobody bought category 3


def test_strength_is_the_mean_affinity_of_the_basket():
    affinity = np.array([[0.0, 0.5, 0.1], [0.2, 0.0, 0.3], [0.0, 0.0, 0.0]])
    customer_of = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    s = recommendations.recommendation_strength(customer_of, affinity)
    np.testing.assert_allclose(s[0], [0.0, 0.5, 0.1])
    np.testing.assert_allclose(s[1], [0.1, 0.25, 0.2])
    np.testing.assert_allclose(s[2], 0.0)  # no order, no recommendation


def test_only_active_customers_are_recommended_anything():
    market = Market(small_scenario(behavior={**QUIET_BEHAVIOR, "recommendation_per_day": 0.1}))
    p = market.platform
    c = p.consumers
    c.customer_of[:4, 0] = True
    c.customer_of[:2, 1] = True  # half of category 0's customers also buy category 1
    c.first_order_day[:5] = 0
    c.customer_of[4, 0] = True
    c.online_ready[:4] = True
    c.online_ready[4] = False  # 4 buys through a proxy: not in the app
    c.lapsed[3] = True
    day = Day(0, c.n, len(p.spec.categories), p.ledger, np.zeros(c.n, bool))
    p.get("recommendations").expose(day)
    hazard = day.hazard["recommendation"]
    # 2 of category 0's 4 active customers (0, 1, 2, 4) buy category 1
    np.testing.assert_allclose(hazard[2], [0.0, 0.1 * 2 / 4, 0.0, 0.0])
    assert not hazard[3].any()  # lapsed
    assert not hazard[4].any()  # offline
    assert not hazard[5:].any()  # never ordered
