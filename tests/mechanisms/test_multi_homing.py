"""Multi-homing: customers of several platforms split their orders by share of wallet."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.market import Market
from sim.mechanisms import multi_homing
from sim.mechanisms.base import Day
from sim.runner import run
from tests.conftest import QUIET_BEHAVIOR, small_scenario

RIVAL = [{"name": "rival"}]


def test_wallet_attraction_weighs_price_binding_and_bad_experiences():
    a = multi_homing.wallet_attraction(
        np.array([0.0, 0.1, 0.0, 0.0]),
        np.array([False, False, True, False]),
        np.array([0, 0, 0, 1]),
        5.0,
        1.0,
        0.7,
    )
    np.testing.assert_allclose(a, [1.0, math.exp(-0.5), 2.0, math.exp(-0.7)])


def test_wallet_share_counts_only_the_platforms_a_consumer_buys_from():
    attraction = np.array([[1.0, 1.0, 2.0], [1.0, 3.0, 2.0], [2.0, 2.0, 2.0]])
    customer = np.array([[False, False, False], [True, False, True], [False, True, True]])
    np.testing.assert_allclose(multi_homing.wallet_share(attraction, customer), [0.5, 1 / 3, 1 / 3])


def test_wallet_share_without_any_pull_splits_equally():
    attraction = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    customer = np.array([[False, False, False], [True, False, True]])
    np.testing.assert_array_equal(multi_homing.wallet_share(attraction, customer), [0.5, 1.0, 0.0])


def customers_of_fresh_produce(market: Market, days: int) -> int:
    """Every consumer is a customer of fresh produce (weekly) on every platform of a quiet
    market, due on a day of the first week; returns the market's orders over `days`."""
    rng = np.random.default_rng(3)
    for p in market.platforms:
        c = p.consumers
        c.customer_of[:, 0] = True
        c.first_order_day[:] = 0
        c.next_due_day[:, 0] = rng.integers(1, 8, c.n)
    for _ in range(days):
        market.step()
    return sum(int(p.recorder.values["orders"].sum()) for p in market.platforms)


@pytest.mark.slow
def test_a_customer_of_two_platforms_orders_as_often_as_a_customer_of_one():
    """The split thins each platform's reorders by its share of wallet: two platforms'
    clocks together give about one platform's orders (without it, twice as many)."""
    quiet = {**QUIET_BEHAVIOR, "multi_homing": True}
    alone = customers_of_fresh_produce(Market(small_scenario(behavior=quiet)), 60)
    both = customers_of_fresh_produce(Market(small_scenario(behavior=quiet, rivals=RIVAL)), 60)
    assert alone > 10_000
    assert 0.95 < both / alone < 1.05


def day_of(market: Market) -> Day:
    p = market.platform
    n = p.consumers.n
    return Day(0, n, len(p.spec.categories), p.ledger, np.zeros(n, bool))


def two_platforms(customers: np.ndarray, price_premium: float):
    """A quiet market of two platforms (the rival's first category dearer by the premium)
    where `customers` are active customers of categories 0 and 1 on both."""
    market = Market(
        small_scenario(
            behavior={**QUIET_BEHAVIOR, "multi_homing": True},
            rivals=[{"name": "rival", "categories": rival_categories(price_premium)}],
        )
    )
    for p in market.platforms:
        p.consumers.customer_of[customers, :2] = True
        p.consumers.first_order_day[customers] = 0
    return market, *market.platforms


def test_a_multi_homing_consumer_splits_orders_by_share_of_wallet():
    """Hand-built: consumers 0-4 are customers of category 0 on both platforms except 1."""
    market, own, rival = two_platforms(np.arange(5), price_premium=0.0)
    rival.consumers.customer_of[1, 0] = False  # 1 buys category 0 only here
    # 2 is bound to an active sharer of the rival: the rival pulls twice as hard
    rival.consumers.is_sharer[10] = True
    rival.consumers.referrer[2], rival.consumers.bound_day[2] = 10, 0
    own.consumers.bad_experiences[3] = 1  # 3 had a bad experience here
    rival.consumers.lapsed[4] = True  # 4 lapsed on the rival: all their orders stay here
    share = own.get("multi_homing").reorder_factor(
        day_of(market), np.arange(5), np.zeros(5, np.int64)
    )
    bad = math.exp(-0.7)
    np.testing.assert_allclose(share, [0.5, 1.0, 1 / 3, bad / (1 + bad), 1.0])


def rival_categories(price_premium: float) -> list[dict]:
    from sim.scenario import Scenario

    cats = [c.model_dump() for c in Scenario().categories]
    cats[0]["price_yuan"] *= 1.0 + price_premium
    return cats


def test_a_dearer_rival_gets_less_of_the_wallet():
    market, own, rival = two_platforms(np.array([0]), price_premium=0.1)
    share = own.get("multi_homing").reorder_factor(
        day_of(market), np.array([0, 0]), np.array([0, 1])
    )
    # category 0 costs 10% more on the rival; category 1 the same
    np.testing.assert_allclose(share, [1 / (1 + math.exp(-0.5)), 0.5])
    back = rival.get("multi_homing").reorder_factor(day_of(market), np.array([0]), np.array([0]))
    np.testing.assert_allclose(back, math.exp(-0.5) / (1 + math.exp(-0.5)))


@pytest.mark.slow
def test_without_multi_homing_a_rivals_customers_are_out_of_reach():
    off = small_scenario(run={"days": 120, "replications": 2}, rivals=RIVAL)
    on = small_scenario(
        run={"days": 120, "replications": 2}, rivals=RIVAL, behavior={"multi_homing": True}
    )
    k_off, k_on = run(off, progress=False).kpi_values, run(on, progress=False).kpi_values
    assert k_off["multi_homing_share"].isna().all()
    assert (k_on["multi_homing_share"] > 0.1).all()
    # both platforms reach everyone: together they hold more customers
    assert (k_on["customers"] > k_off["customers"]).all()
    # equal platforms split the market's orders about evenly
    assert k_on["market_share_orders"].between(0.35, 0.65).all()


def test_a_platform_on_its_own_is_unchanged_by_multi_homing():
    alone = run(small_scenario(run={"days": 60}), progress=False).daily
    on = run(small_scenario(run={"days": 60}, behavior={"multi_homing": True}), progress=False)
    for column in ("orders", "customers", "gmv", "active_sharers"):
        np.testing.assert_array_equal(alone[column], on.daily[column], column)


@pytest.mark.parametrize("key", ["multi_homing", "wallet_price_sensitivity"])
def test_rivals_cannot_set_how_consumers_treat_the_market(key):
    with pytest.raises(ScenarioError) as info:
        small_scenario(rivals=[{"name": "rival", "behavior": {key: 1}}])
    (problem,) = info.value.problems
    assert problem.key == f"rivals[0].behavior.{key}"
    assert "base scenario" in problem.allowed
