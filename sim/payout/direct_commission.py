"""Direct commission: the sharer who brought a sale earns a share of its list price.

Behaviour (CHANNELS, docs/incentives.md): sharers share harder, and customers join as
sharers more, the more they can expect to earn per order and per month.
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "direct_commission",
        "active sharers",
        "expected reward per order brought r_i (yuan), of which the commission is the mean "
        "over categories of price x rate",
        "effort = min(max_share_effort, (r_i / share_reward_reference_yuan) ^ "
        "share_effort_elasticity)",
        "share_effort_elasticity (elasticity), share_reward_reference_yuan (yuan per order), "
        "max_share_effort (multiplier)",
        "sharing",
        probe="direct_commission",
    ),
    Channel(
        "direct_commission",
        "active customers who are not sharers",
        "expected monthly earnings as a sharer E_j = r_new x O + saving (yuan per month), O "
        "the orders a sharer is believed to bring a month",
        "join hazard x min(3, E_j / sharer_earnings_reference_yuan_per_month) ^ "
        "sharer_join_elasticity",
        "sharer_join_elasticity (elasticity), sharer_earnings_reference_yuan_per_month "
        "(yuan per month), sharer_orders_per_month_prior (orders per month)",
        "sharers",
        probe="direct_commission",
    ),
)


class DirectCommission(Section):
    """Commission to the sharer on each sale they brought (level 1)."""

    enabled: bool = param(True, "Pay this rule.")
    rate: Probability = param(0.10, "Commission, share of the order's list price.", "fraction")
    by_category: dict[str, Probability] = param(
        {}, "Per-category overrides of `rate`, by category name.", "fraction"
    )

    def describe(self) -> str:
        extra = " (per-category overrides)" if self.by_category else ""
        return f"direct commission {self.rate:.0%}{extra}"

    def rate_for(self, category: str) -> float:
        return self.by_category.get(category, self.rate) if self.enabled else 0.0


def commission_fen(list_fen: np.ndarray, rate: np.ndarray, has_sharer: np.ndarray) -> np.ndarray:
    """round(list price x rate) for orders with a sharer, else 0 (fen)."""
    return np.where(has_sharer, np.rint(list_fen * rate), 0).astype(np.int64)
