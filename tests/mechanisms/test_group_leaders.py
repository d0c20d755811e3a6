"""Group leaders: appointment, ties, turnover."""

from __future__ import annotations

import numpy as np
import pytest

from sim.market import SocialCommerceModel
from sim.mechanisms import group_leaders
from tests.conftest import edge_list_scenario


def test_leaders_are_chosen_per_neighborhood_online_first():
    neighborhood = np.array([0, 0, 0, 1, 1, 2])
    online = np.array([False, True, True, False, False, True])
    u = np.array([0.1, 0.9, 0.5, 0.3, 0.2, 0.7])
    leaders = group_leaders.choose_leaders(neighborhood, online, 1, u)
    # nb 0: the online consumer with the lowest draw (2); nb 1: nobody online, lowest draw
    assert leaders.tolist() == [2, 4, 5]
    assert group_leaders.choose_leaders(neighborhood, online, 0, u).size == 0


def test_a_leader_is_tied_to_everyone_in_the_neighborhood():
    u, v = group_leaders.leader_ties(
        np.array([1, 4]), np.array([0, 1]), np.array([0, 3]), np.array([3, 2])
    )
    assert sorted(zip(u.tolist(), v.tolist(), strict=True)) == [(1, 0), (1, 2), (4, 3)]


def test_a_leader_quits_more_the_less_they_earn():
    p = group_leaders.leader_quit_probability(np.array([0.0, 500.0, 1000.0, 3000.0]), 1000.0, 0.02)
    np.testing.assert_allclose(p, [0.02, 0.01, 0.0, 0.0])
    assert (group_leaders.leader_quit_probability(np.zeros(2), 0.0, 0.02) == 0).all()


def test_only_a_rival_paying_more_poaches():
    assert group_leaders.poach_probability(0.10, 0.20, 0.05) == pytest.approx(0.025)
    assert group_leaders.poach_probability(0.10, 0.10, 0.05) == 0.0
    assert group_leaders.poach_probability(0.10, 0.05, 0.05) == 0.0
    assert group_leaders.poach_probability(0.0, 0.0, 0.05) == 0.0


def test_a_neighborhoods_point_is_its_first_held_seat():
    point = group_leaders.seat_of_neighborhood(np.array([7, -1, 9, 4]), np.array([0, 1, 1, 1]), 3)
    assert point.tolist() == [0, 2, -1]


def leader_model(tmp_path, days, **behavior):
    s = edge_list_scenario(
        tmp_path,
        [(i, i + 1, 1.0) for i in range(11)],
        12,
        run={"days": days},
        population={"neighborhoods": [{"count": 2, "city_tier": "tier1"}]},
        behavior={"external_influence_per_day": 0.3, **behavior},
        group_leaders={"per_neighborhood": 1, "presale": True},
        fulfillment={"mode": "pickup"},
        payout={"preset": "community_group_buy"},
    )
    return SocialCommerceModel(s)


def test_unpaid_leaders_quit_after_the_grace_period_and_customers_take_the_seats(tmp_path):
    model = leader_model(
        tmp_path,
        12,
        leader_reservation_income_yuan_per_month=1e6,
        leader_quit_per_day=1.0,
        leader_grace_days=10,
        leader_replacement_per_day=1.0,
    )
    leaders = model.platform.get("group_leaders")
    founders = leaders.seat_leader.copy()
    model.run_model()
    v, c = model.recorder.values, model.consumers
    assert v["leaders_quit"][:10].sum() == 0 and v["leaders_quit"][10] == 2
    assert v["leaders_appointed"][11] == 2  # filled the next day, not the same day
    assert not c.is_leader[founders].any() and not c.is_sharer[founders].any()
    new = leaders.seat_leader
    assert (new >= 0).all() and not np.isin(new, founders).any()
    assert c.is_leader[new].all() and c.active_customer[new].all()
    nb = model.layout.neighborhood
    assert (nb[new] == leaders.seat_neighborhood).all()
    assert leaders.kpi_values()["leader_departures"] == 2


def test_well_paid_leaders_stay(tmp_path):
    model = leader_model(tmp_path, 60, leader_reservation_income_yuan_per_month=0.0)
    model.run_model()
    assert model.recorder.values["leaders_quit"].sum() == 0


def test_a_rival_paying_a_higher_leader_commission_poaches_leaders(tmp_path):
    def poached(rival_rate):
        s = edge_list_scenario(
            tmp_path,
            [(i, i + 1, 1.0) for i in range(11)],
            12,
            run={"days": 60},
            population={"neighborhoods": [{"count": 2, "city_tier": "tier1"}]},
            behavior={
                "external_influence_per_day": 0.3,
                "leader_reservation_income_yuan_per_month": 0.0,
                "leader_poach_per_day": 0.5,
            },
            group_leaders={"per_neighborhood": 1, "presale": True},
            fulfillment={"mode": "pickup"},
            payout={"preset": "community_group_buy"},
            rivals=[{"name": "rival", "payout": {"leader_commission": {"rate": rival_rate}}}],
        )
        model = SocialCommerceModel(s)
        model.run_model()
        return model.recorder.values["leaders_poached"].sum()

    assert poached(0.05) == 0
    assert poached(0.15) >= 2
