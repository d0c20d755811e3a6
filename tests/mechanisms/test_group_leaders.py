"""Group leaders: appointment, ties, turnover."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import group_leaders


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
