"""Community group buying (社区团购): the leader's pickup point is the neighborhood's shop.

With `group_leaders.presale`, the platform sells only through its group leaders' pickup
points. A consumer can order (first purchases and reorders) only while their neighborhood
has a leader (`group_leaders`; with several, each consumer has their own): orders are
collected through the day until the evening cutoff and delivered to the point for pickup
the next day (fulfillment mode 'pickup': 23:00 release, 06:00 truck, collected in the
afternoon). The leader earns the leader commission
(`[payout.leader_commission]`) on every order of their point, whoever brought it; it is
paid at settlement. Leaders respond to it by sharing harder (`incentives`) and by
staying on (`group_leaders`).

A point serves a day's orders well up to its capacity K (`group_leaders.
capacity_orders_per_day`). Each order for leader l's point goes badly at pickup (missing,
wrong or spoiled; decided the day it is ordered) with probability

    f_l x max(1, orders_l / K)

f_l the leader's own failure chance, drawn when they take the seat uniformly between 0
and 2 f (f = `group_leaders.service_failure_probability`), orders_l the point's orders
today. A bad pickup is a bad experience: it raises the buyer's lapse hazard and spreads as
bad news like any other.
"""

from __future__ import annotations

import numpy as np

from sim.ledger import PLATFORM
from sim.mechanisms.base import Day, Mechanism
from sim.payout.leader_commission import leader_commission_fen


def point_failure_probability(
    failure: np.ndarray, point_orders: np.ndarray, capacity: int
) -> np.ndarray:
    """f_l x max(1, orders_l / K): each point's chance that an order goes badly today,
    from its leader's own chance f_l and its orders against capacity K."""
    return np.minimum(1.0, failure * np.maximum(1.0, point_orders / capacity))


class CommunityGroupBuying(Mechanism):
    name = "community_group_buying"
    phase = "settle"
    streams = ("point_service",)
    series = ("point_service_failures",)

    @classmethod
    def enabled(cls, spec) -> bool:
        return spec.group_leaders.presale and spec.group_leaders.per_neighborhood > 0

    def setup(self) -> None:
        self.leaders = self.platform.get("group_leaders")

    def reach(self, day: Day) -> None:
        """Only neighborhoods with a leader's point are served today."""
        day.can_buy = day.can_buy & (self.leaders.point_of(slice(None)) >= 0)

    def settle(self, day: Day) -> None:
        """Each order's point leader earns the leader commission on its list price."""
        rate = self.platform.scheme.leader_commission_rate
        orders = day.orders
        leader = self.leaders.leader_of(orders.buyer)
        fen = leader_commission_fen(day.settlement.list_fen, rate, leader >= 0)
        paid = fen > 0
        self.platform.ledger.record(
            day.index,
            "leader_commission",
            np.full(int(paid.sum()), PLATFORM),
            leader[paid],
            fen[paid],
            level=1,
        )

    def experience(self, day: Day) -> None:
        """Pickups go badly at each point's failure chance, higher when it is overloaded."""
        orders, gl = day.orders, self.spec.group_leaders
        draw = self.uniform_later("point_service", (day.consumers, day.categories))
        seat = self.leaders.point_of(orders.buyer)
        at_point = np.flatnonzero(seat >= 0)
        seat = seat[at_point]
        load = np.bincount(seat, minlength=self.leaders.seat_leader.size)
        chance = point_failure_probability(
            self.leaders.seat_failure[seat], load[seat], gl.capacity_orders_per_day
        )
        buyer = orders.buyer[at_point]
        u = draw.at(buyer * day.categories + orders.category[at_point])
        bad = buyer[u < chance]
        day.bad_experiences(bad, self.pop.bad_experiences)
        day.count("point_service_failures", bad.size)
