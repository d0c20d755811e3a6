"""Community group buying (社区团购): pickup points, the leader commission, service."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.market import SocialCommerceModel
from sim.mechanisms.community_group_buying import point_failure_probability
from sim.payout.leader_commission import leader_commission_fen
from tests.conftest import edge_list_scenario

PRESALE = {
    "group_leaders": {"per_neighborhood": 1, "presale": True, "service_failure_probability": 0.0},
    "fulfillment": {"mode": "pickup"},
    "payout": {"preset": "community_group_buy", "leader_commission": {"rate": 0.1}},
}


def presale_model(tmp_path, days=40, **behavior):
    """Eight consumers in two neighborhoods of four, a line of ties, everyone online."""
    s = edge_list_scenario(
        tmp_path,
        [(i, i + 1, 1.0) for i in range(7)],
        8,
        run={"days": days},
        population={"neighborhoods": [{"count": 2, "city_tier": "tier1"}]},
        behavior={
            "external_influence_per_day": 0.3,
            "leader_replacement_per_day": 0.0,
            "leader_reservation_income_yuan_per_month": 0.0,  # they stay
            **behavior,
        },
        **PRESALE,
    )
    return SocialCommerceModel(s)


def test_every_order_of_a_point_pays_its_leader_and_is_picked_up_the_next_day(tmp_path):
    model = presale_model(tmp_path)
    leaders = model.platform.get("group_leaders")
    seated = leaders.seat_leader.copy()
    model.run_model()
    c, nb = model.consumers, model.layout.neighborhood
    assert (leaders.seat_leader == seated).all()  # nobody left
    for seat, leader in enumerate(seated):
        point_orders = c.orders[nb == leaders.seat_neighborhood[seat]].sum()
        assert point_orders > 2
        # 10% of each 100-yuan order of the neighborhood, the leader's own included
        assert model.ledger.received_fen[leader] == 1000 * point_orders
    buyers = c.orders > 0
    # ordered by noon, released at the 23:00 cutoff, trucked at 06:00, collected that afternoon
    assert ((c.last_lead_hours[buyers] > 24) & (c.last_lead_hours[buyers] <= 36)).all()


def test_a_neighborhood_without_a_leader_is_not_served(tmp_path):
    model = presale_model(tmp_path)
    leaders = model.platform.get("group_leaders")
    leaders.vacate(np.array([1]))
    model.run_model()
    c, nb = model.consumers, model.layout.neighborhood
    assert c.orders[nb == leaders.seat_neighborhood[1]].sum() == 0
    assert c.orders[nb == leaders.seat_neighborhood[0]].sum() > 5


def test_without_presale_everyone_is_served_and_no_leader_commission_is_paid(tmp_path):
    s = edge_list_scenario(
        tmp_path,
        [(i, i + 1, 1.0) for i in range(7)],
        8,
        run={"days": 40},
        population={"neighborhoods": [{"count": 2, "city_tier": "tier1"}]},
        behavior={"external_influence_per_day": 0.3},
        group_leaders={"per_neighborhood": 1},
    )
    model = SocialCommerceModel(s)
    assert model.platform.get("community_group_buying") is None
    model.run_model()
    assert model.recorder.values["payout_leader_commission"].sum() == 0


def test_an_overloaded_point_fails_more_often():
    failure = np.array([0.02, 0.02, 0.0])
    chance = point_failure_probability(failure, np.array([100, 400, 400]), 200)
    np.testing.assert_allclose(chance, [0.02, 0.04, 0.0])
    assert point_failure_probability(np.array([0.5]), np.array([10_000]), 1)[0] == 1.0


def test_pickup_failures_are_bad_experiences(tmp_path):
    model = presale_model(tmp_path, days=30)
    leaders = model.platform.get("group_leaders")
    leaders.seat_failure[:] = 1.0  # every pickup goes badly
    model.run_model()
    v = model.recorder.values
    assert v["point_service_failures"].sum() == v["orders"].sum() > 0
    assert v["bad_experiences"].sum() >= v["orders"].sum()


def test_the_leader_commission_is_rounded_per_order_and_only_where_there_is_a_leader():
    fen = leader_commission_fen(np.array([2999, 10_000, 500]), 0.1, np.array([True, True, False]))
    assert fen.tolist() == [300, 1000, 0]


@pytest.mark.parametrize(
    ("sections", "key", "needle"),
    [
        (
            {"payout": {"preset": "community_group_buy"}},
            "payout.leader_commission",
            "(preset 'community_group_buy' sets it), but group_leaders.presale is false",
        ),
        (
            {"group_leaders": {"presale": True}},
            "group_leaders.presale",
            "per_neighborhood is 0",
        ),
        (
            {"group_leaders": {"presale": True, "per_neighborhood": 1}},
            "fulfillment.mode",
            "pickup",
        ),
        (
            {
                **PRESALE,
                "payout": {"preset": "community_group_buy", "leader_commission": {"rate": 0.35}},
            },
            "payout.leader_commission.rate",
            "leader commission 0.35",
        ),
    ],
)
def test_a_presale_scenario_that_cannot_work_is_refused_naming_the_key(
    tmp_path, sections, key, needle
):
    with pytest.raises(ScenarioError) as err:
        edge_list_scenario(tmp_path, [(0, 1, 1.0)], 2, **sections)
    assert key in str(err.value) and needle in str(err.value)
