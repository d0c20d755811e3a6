"""Self-purchase discount: a sharer's own orders cost less, and earn nobody a commission.

Behaviour (CHANNELS, docs/incentives.md): the saving on one's own spend makes becoming a
sharer more attractive (save when you buy), and sharers reorder more often.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "self_purchase_discount",
        "active customers who are not sharers",
        "the saving on their own monthly spend: rate x sum over the categories they buy of "
        "price x 30 / repurchase interval (yuan per month), part of E_j",
        "join hazard x min(3, E_j / sharer_earnings_reference_yuan_per_month) ^ "
        "sharer_join_elasticity",
        "sharer_join_elasticity (elasticity)",
        "sharers",
        probe="self_purchase_discount",
    ),
    Channel(
        "self_purchase_discount",
        "active sharers due to reorder",
        "the discount on their own order, as a price cut (yuan)",
        "reorder probability x exp(s x rate x price / 100 yuan)",
        "price_sensitivity_per_100_yuan (per 100 yuan)",
        "self_purchase",
        "a rate of 0 multiplies by exactly 1",
        probe="self_purchase_discount",
    ),
)


class SelfPurchaseDiscount(Section):
    """Discount on a sharer's own orders."""

    enabled: bool = param(True, "Pay this rule.")
    rate: Probability = param(0.05, "Discount, share of list price.", "fraction")

    def describe(self) -> str:
        return f"self-purchase discount {self.rate:.0%}"
