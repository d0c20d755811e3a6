"""Self-purchase discount: a sharer's own orders cost less, and earn nobody a commission."""

from __future__ import annotations

from sim.schema_base import Probability, Section, param


class SelfPurchaseDiscount(Section):
    """Discount on a sharer's own orders."""

    enabled: bool = param(True, "Pay this rule.")
    rate: Probability = param(0.05, "Discount, share of list price.", "fraction")

    def describe(self) -> str:
        return f"self-purchase discount {self.rate:.0%}"
