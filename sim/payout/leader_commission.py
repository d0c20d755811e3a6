"""Leader commission (社区团购 团长佣金): each neighborhood's group leader earns a share of
the list price of every order picked up at their point, whoever brought it.

Parameters only; the point's orders are settled by `sim.mechanisms.community_group_buying`,
the leaders' responses are in `sim.mechanisms.incentives` (sharing effort) and
`sim.mechanisms.group_leaders` (staying on).
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "leader_commission",
        "group leaders",
        "the leader commission an order they bring is worth, rate x mean list price "
        "(yuan per order), added to their expected reward per order r_i",
        "effort = min(max_share_effort, (r_i / share_reward_reference_yuan) ^ "
        "share_effort_elasticity): leaders share harder to their neighborhood",
        "share_effort_elasticity (elasticity), share_reward_reference_yuan (yuan per order)",
        "incentives",
        "a rate of 0 adds exactly 0 to r_i",
        probe="leader_commission",
    ),
    Channel(
        "leader_commission",
        "group leaders",
        "their income from the platform over the last 30 days I (yuan), most of it the "
        "commission on their point's sales",
        "quit with probability leader_quit_per_day x max(0, 1 - I / "
        "leader_reservation_income_yuan_per_month) a day (after a grace period); a rival "
        "paying a higher rate poaches them at leader_poach_per_day x (rival - own) / rival",
        "leader_reservation_income_yuan_per_month (yuan per month), leader_quit_per_day "
        "(per day), leader_poach_per_day (per day)",
        "group_leaders",
        "no commission: leaders earn only what other rules pay them, and quit at the rate "
        "that income sets",
        probe="leader_commission",
    ),
)


class LeaderCommission(Section):
    """Commission to each neighborhood's group leader on all of their point's sales."""

    enabled: bool = param(True, "Pay this rule.")
    rate: Probability = param(
        0.10,
        "Commission, share of the list price of every order of the leader's neighborhood "
        "(public figures 5-20%, most often about 10%: docs/parameter-sources.md).",
        "fraction",
    )

    def describe(self) -> str:
        return f"leader commission {self.rate:.0%} on the point's sales"


def leader_commission_fen(list_fen: np.ndarray, rate: float, has_leader: np.ndarray) -> np.ndarray:
    """round(list price x rate) for orders of a neighborhood with a leader, else 0 (fen)."""
    return np.where(has_leader, np.rint(list_fen * rate), 0).astype(np.int64)
