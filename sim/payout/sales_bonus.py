"""Sales-threshold bonuses: every 30 days, sharers are paid a rate on the sales they
brought that month, by tier (the highest tier whose threshold they reached).

Behaviour (CHANNELS, docs/incentives.md): an extra order is worth the tier's rate, or the
bonus jump when the next tier is within reach, so effort rises most near a threshold.
"""

from __future__ import annotations

import numpy as np
from pydantic import field_validator

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "sales_bonus",
        "active sharers",
        "the bonus an extra order is worth t_i (yuan): the projected tier's rate x price, "
        "or, when the next tier is at most sales_bonus_reach_orders orders beyond the "
        "month's projected sales, the bonus jump spread over the orders still needed",
        "adds t_i to r_i: effort rises most for sharers within reach of the next tier",
        "sales_bonus_reach_orders (orders), share_effort_elasticity (elasticity)",
        "incentives",
        "rates of 0 add exactly 0 to r_i",
        probe="sales_bonus",
    ),
)


class SalesTier(Section):
    """One tier: from this monthly sales level, this bonus rate."""

    monthly_sales_yuan: float = param(..., "Monthly sales a sharer must reach.", "yuan", gt=0)
    rate: Probability = param(..., "Bonus, share of that month's sales.", "fraction")


class SalesBonus(Section):
    """Monthly bonus by sales tier."""

    enabled: bool = param(True, "Pay this rule.")
    tiers: list[SalesTier] = param(
        [
            SalesTier(monthly_sales_yuan=1000.0, rate=0.02),
            SalesTier(monthly_sales_yuan=5000.0, rate=0.05),
        ],
        "Tiers in increasing order of monthly sales.",
        min_length=1,
        max_length=20,
    )

    def describe(self) -> str:
        return (
            "monthly sales bonus ("
            + ", ".join(f"{t.rate:.0%} from {t.monthly_sales_yuan:,.0f} yuan" for t in self.tiers)
            + ")"
        )

    @field_validator("tiers")
    @classmethod
    def _increasing(cls, tiers: list[SalesTier]) -> list[SalesTier]:
        levels = [t.monthly_sales_yuan for t in tiers]
        if levels != sorted(levels) or len(set(levels)) != len(levels):
            raise ValueError("tiers must be in strictly increasing order of monthly_sales_yuan")
        return tiers


BONUS_PERIOD_DAYS = 30


def tier_bonus_fen(
    sales_fen: np.ndarray, thresholds_fen: np.ndarray, rates: np.ndarray
) -> np.ndarray:
    """Bonus of each sharer: the rate of the highest tier reached x the month's sales."""
    tier = np.searchsorted(thresholds_fen, sales_fen, side="right") - 1
    rate = np.where(tier >= 0, rates[np.maximum(tier, 0)], 0.0)
    return np.rint(sales_fen * rate).astype(np.int64)
