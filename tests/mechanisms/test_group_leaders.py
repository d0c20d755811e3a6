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


def test_a_neighborhoods_consumers_are_split_among_its_seated_leaders():
    seated = group_leaders.seated_by_neighborhood(
        np.array([7, -1, 9, 4]), np.array([0, 1, 1, 1]), 3
    )
    # neighborhood 0: seat 0; neighborhood 1: seats 2 and 3 (seat 1 empty); 2: none
    who = np.array([0, 1, 2, 3, 4, 5, 6])
    neighborhood = np.array([0, 0, 1, 1, 1, 1, 2])
    start = np.array([0, 2, 6])
    points = group_leaders.point_seats(who, neighborhood, start, seated)
    assert points.tolist() == [0, 0, 2, 3, 2, 3, -1]


def leader_model(tmp_path, days, sections=None, **behavior):
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
        **(sections or {}),
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


def test_leaders_earning_their_reservation_income_stay(tmp_path):
    """Certain to quit below 1 yuan a month, leaders paid 10 yuan an order stay; at a
    reservation income no point reaches, they all go."""
    kept = leader_model(
        tmp_path, 60, leader_reservation_income_yuan_per_month=1.0, leader_quit_per_day=1.0
    )
    kept.run_model()
    gone = leader_model(
        tmp_path, 60, leader_reservation_income_yuan_per_month=1e6, leader_quit_per_day=1.0
    )
    gone.run_model()
    assert kept.recorder.values["orders"].sum() > 20
    assert kept.recorder.values["leaders_quit"].sum() == 0
    assert gone.recorder.values["leaders_quit"][30] == 2


def test_the_income_kpi_is_the_last_30_days_of_payouts(tmp_path):
    model = leader_model(tmp_path, 70, leader_reservation_income_yuan_per_month=0.0)
    model.run_model()
    leaders = model.platform.get("group_leaders")
    v = model.recorder.values
    assert (leaders.seat_since_day == 0).all()  # R = 0: nobody leaves
    # the median of the two founders' incomes is their mean: half of the last 30 days' pay
    last_30_days = v["payout_leader_commission"][-30:].sum() / 100.0
    assert last_30_days > 0
    assert leaders.kpi_values()["leader_income_yuan_per_month"] == pytest.approx(last_30_days / 2)


def test_a_late_entrant_keeps_its_leaders_until_it_opens(tmp_path):
    model = leader_model(
        tmp_path,
        60,
        {"platform": {"start_day": 40}},
        leader_reservation_income_yuan_per_month=1e6,
        leader_quit_per_day=1.0,
        leader_grace_days=10,
    )
    model.run_model()
    quit_days = np.flatnonzero(model.recorder.values["leaders_quit"])
    assert quit_days.tolist() == [50]  # judged from the day it opened, after the grace


def test_several_leaders_share_a_neighborhood_and_its_commission(tmp_path):
    s = edge_list_scenario(
        tmp_path,
        [(i, i + 1, 1.0) for i in range(11)],
        12,
        run={"days": 60},
        population={"neighborhoods": [{"count": 1, "city_tier": "tier1"}]},
        behavior={
            "external_influence_per_day": 0.3,
            "leader_reservation_income_yuan_per_month": 0.0,
        },
        group_leaders={"per_neighborhood": 2, "presale": True},
        fulfillment={"mode": "pickup"},
        payout={"preset": "community_group_buy"},
    )
    model = SocialCommerceModel(s)
    model.run_model()
    leaders, c = model.platform.get("group_leaders"), model.consumers
    point = leaders.point_of(np.arange(12))
    assert sorted(np.bincount(point).tolist()) == [6, 6]  # each runs the point of half
    for seat, leader in enumerate(leaders.seat_leader):
        mine = c.orders[point == seat].sum()
        assert mine > 0 and model.ledger.received_fen[leader] == 1000 * mine


def test_a_rival_paying_a_higher_leader_commission_poaches_leaders(tmp_path):
    """The rival's own leaders leave on day 5 and it recruits nobody: only our leaders,
    won by its offer, can sit in its seats afterwards."""

    def run(rival_rate):
        rival_behavior = {
            "leader_reservation_income_yuan_per_month": 1e6,
            "leader_quit_per_day": 1.0,
            "leader_grace_days": 5,
            "leader_replacement_per_day": 0.0,
        }
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
            rivals=[
                {
                    "name": "rival",
                    "payout": {"leader_commission": {"rate": rival_rate}},
                    "behavior": rival_behavior,
                }
            ],
        )
        model = SocialCommerceModel(s)
        model.run_model()
        return model.recorder.values, model.rivals[0].recorder.values

    ours, theirs = run(0.05)
    assert ours["leaders_poached"].sum() == 0 and theirs["leaders_active"][6:].sum() == 0
    ours, theirs = run(0.15)
    assert ours["leaders_poached"].sum() >= 1
    assert theirs["leaders_appointed"].sum() == 0 and theirs["leaders_active"][6:].sum() > 0
