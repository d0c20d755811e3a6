"""Proxy purchase."""

from __future__ import annotations

import numpy as np

from sim.market import SocialCommerceModel
from sim.mechanisms import proxy_purchase
from tests.conftest import edge_list_scenario


def proxy_model(tmp_path, **behavior):
    """Consumer 1 cannot buy online; their only tie, 0, buys online and is a sharer."""
    s = edge_list_scenario(
        tmp_path,
        [(0, 1, 1.0)],
        2,
        run={"days": 60},
        population={
            "online_readiness": {"tier1": 0.5},
            "neighborhoods": [{"count": 1, "city_tier": "tier1"}],
        },
        behavior={"external_influence_per_day": 0.2, "proxy_purchase_propensity": 1.0, **behavior},
    )
    model = SocialCommerceModel(s)
    c = model.consumers
    c.online_ready[:] = [True, False]
    c.is_sharer[0] = True
    c.first_order_day[0] = 0
    c.customer_of[0] = True
    model.platform.get("word_of_mouth").broadcast[:] = c.influence_state()
    model.run_model()
    return model


def test_proxy_purchase_through_a_named_neighbor_pays_the_neighbor(tmp_path):
    model = proxy_model(tmp_path)
    c = model.consumers
    v = model.recorder.values
    assert c.orders[1] > 0  # the offline consumer bought, through consumer 0
    assert v["proxy_orders"].sum() == c.orders[1]
    assert c.referrer[1] == 0
    # 10% commission on each of consumer 1's 100-yuan orders went to consumer 0
    assert model.ledger.received_fen[0] == 1000 * c.orders[1]


def test_without_proxies_offline_consumers_never_buy(tmp_path):
    model = proxy_model(tmp_path, proxy_via_ties=False)
    assert model.consumers.orders[1] == 0


def test_leaders_never_quit_or_lapse_and_take_orders_for_offline_neighbors(tmp_path):
    s = edge_list_scenario(
        tmp_path,
        [(0, 1, 1.0)],
        40,
        run={"days": 90},
        population={
            "online_readiness": {"village": 0.3},
            "neighborhoods": [{"count": 2, "city_tier": "village"}],
        },
        behavior={
            "external_influence_per_day": 0.05,
            "proxy_via_ties": False,
            "churn_base_hazard_per_day": 0.05,
        },
        group_leaders={"per_neighborhood": 1},
    )
    model = SocialCommerceModel(s)
    model.run_model()
    c = model.consumers
    leaders = np.flatnonzero(c.is_leader)
    assert leaders.size == 2 and c.is_sharer[leaders].all() and not c.lapsed[leaders].any()
    offline_buyers = np.flatnonzero(~c.online_ready & (c.orders > 0))
    assert offline_buyers.size > 5
    assert (
        c.referrer[offline_buyers] == model.platform.get("group_leaders").leader_of(offline_buyers)
    ).all()


def test_the_kept_online_tie_is_always_what_a_fresh_count_gives():
    """Whether an offline consumer has an online customer tie is recomputed only for the
    listeners of consumers whose status changed since the last call: after every day it
    equals the count over every offline consumer's ties (as of that call)."""
    from sim.market import Market
    from tests.conftest import small_scenario

    model = Market(small_scenario(run={"days": 40}, population={"consumers": 1500}))
    proxy, c = model.platform.get("proxy_purchase"), model.platform.consumers
    net = model.platform.network
    checked = 0
    while model.running:
        model.step()
        offline = np.flatnonzero(~c.online_ready)
        basis = proxy._online_tie_basis
        fresh = proxy_purchase.has_online_tie(net.trust, net.local, offline, basis)
        np.testing.assert_array_equal(proxy._online_tie[offline], fresh)
        checked += int(fresh.sum())
    assert checked > 0 and (~c.online_ready).any()
