"""Group leaders (团长): each neighborhood's leaders, tied to everyone in it.

Before day 0, up to `group_leaders.per_neighborhood` leaders are appointed in each
neighborhood, online-ready consumers first (ties broken at random), and tied to every
consumer of their neighborhood with trust `group_leaders.trust` (a leader knows the whole
neighborhood: its group chat). A leader is a sharer who does not quit sharing and does not
lapse. Leaders take orders for neighbors who cannot buy online (`proxy_purchase`) and, under
community group buying, run the neighborhood's pickup point (`community_group_buying`).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Mechanism


def choose_leaders(
    neighborhood: np.ndarray, online_ready: np.ndarray, per_neighborhood: int, u: np.ndarray
) -> np.ndarray:
    """Up to `per_neighborhood` leaders per neighborhood, online-ready consumers first."""
    if per_neighborhood == 0:
        return np.empty(0, np.int64)
    key = u + np.where(online_ready, 0.0, 10.0)
    order = np.lexsort((key, neighborhood))
    nb = neighborhood[order]
    starts = np.r_[True, nb[1:] != nb[:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(nb.size), 0))
    rank = np.arange(nb.size) - run_start
    return np.sort(order[rank < per_neighborhood])


def leader_ties(
    leaders: np.ndarray,
    leader_neighborhood: np.ndarray,
    neighborhood_start: np.ndarray,
    neighborhood_size: np.ndarray,
):
    """(leader, member) pairs tying each leader to everyone in their neighborhood
    (a neighborhood's consumers are consecutive)."""
    counts = neighborhood_size[leader_neighborhood]
    leader_rep = np.repeat(leaders, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    members = np.repeat(neighborhood_start[leader_neighborhood], counts) + offsets
    keep = leader_rep != members
    return leader_rep[keep], members[keep]


def first_leader_of(leaders: np.ndarray, leader_neighborhood: np.ndarray, neighborhoods: int):
    """(neighborhoods,) the first of each neighborhood's leaders (in the given order), -1
    where it has none."""
    out = np.full(neighborhoods, -1, np.int64)
    out[leader_neighborhood[::-1]] = leaders[::-1]
    return out


class GroupLeaders(Mechanism):
    name = "group_leaders"
    streams = ("leaders",)

    @classmethod
    def enabled(cls, spec) -> bool:
        return spec.group_leaders.per_neighborhood > 0

    def setup_network(self) -> None:
        """Appoint the neighborhoods' group leaders and tie each to their neighborhood."""
        gl, layout, c = self.spec.group_leaders, self.platform.layout, self.pop
        self.leaders = choose_leaders(
            layout.neighborhood,
            layout.online_ready,
            gl.per_neighborhood,
            self.rng("leaders").random(layout.consumers),
        )
        self.leader_of_neighborhood = first_leader_of(
            self.leaders, layout.neighborhood[self.leaders], layout.neighborhood_size.size
        )
        if self.leaders.size:
            lu, lv = leader_ties(
                self.leaders,
                layout.neighborhood[self.leaders],
                layout.neighborhood_start,
                layout.neighborhood_size,
            )
            w = np.full(lu.size, gl.trust)
            self.platform.network = self.platform.network.with_ties(
                np.concatenate([lu, lv]), np.concatenate([lv, lu]), np.concatenate([w, w])
            )
        for role in (c.is_leader, c.is_sharer, c.was_sharer):
            role[self.leaders] = True
        c.sharer_since_day[self.leaders] = 0
        c.sharer_level[self.leaders] = 1

    def leader_of(self, who: np.ndarray | slice) -> np.ndarray:
        """The leader of each given consumer's neighborhood (-1 where it has none)."""
        return self.leader_of_neighborhood[self.platform.layout.neighborhood[who]]
