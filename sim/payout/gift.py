"""Gifting (派礼): parameters. The daily mechanism is `sim.mechanisms.gifting`."""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "gift",
        "sharers' ties who receive a gift",
        "the gift itself (the platform pays gift_cost_yuan per claim)",
        "claim with claim_probability: bound to the sender, adoption hazard + "
        "awareness_per_gift that day",
        "claim_probability (probability), awareness_per_gift (per day)",
        "gifting",
        "a gift cost of 0 still sends gifts: the cost is the platform's, not a reward",
    ),
)


class Gift(Section):
    """Sharers send gifts; a receiver must register (give an address) to claim one."""

    enabled: bool = param(True, "Run gifting.")
    gifts_per_sharer_per_month: float = param(
        2.0,
        "Gifts an active sharer sends a month, each to a random tie.",
        "gifts",
        ge=0.0,
        le=300.0,
    )
    gift_cost_yuan: float = param(5.0, "Cost of one gift to the platform.", "yuan", ge=0.0)
    claim_probability: Probability = param(
        0.5,
        "Probability that a receiver who can buy online registers to claim the gift.",
        "probability",
    )
    category: str | None = param(None, "Category of the gift (default: the first).")
    awareness_per_gift: float = param(
        0.2,
        "Adoption hazard added on the claim day for the gift's category.",
        "per day",
        ge=0.0,
        le=50.0,
    )

    def describe(self) -> str:
        return (
            f"gifts of {self.gift_cost_yuan:g} yuan, {self.gifts_per_sharer_per_month:g} per "
            "sharer a month"
        )
