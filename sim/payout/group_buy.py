"""Group buying (拼团): the price holds only if k people join within a window.

Parameters only; the daily mechanism is `sim.mechanisms.group_buying`.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "group_buy",
        "consumers whose ties wait in an open group",
        "the group price, list x (1 - discount_rate) (yuan), a price cut on joining",
        "join hazard 1 - exp(-join_rate_per_share x E x exp(-s x group price / 100 yuan))",
        "join_rate_per_share (per share), price_sensitivity_per_100_yuan (per 100 yuan)",
        "group_buying",
        "a discount of 0 still routes purchases into groups: the format acts, not the reward",
        "group_buy_discount",
    ),
    Channel(
        "group_buy",
        "online buyers of a group-buy category who find an open group listed on its page",
        "the group price cut, discount_rate (share of list price)",
        "take a listed group with probability 1 - exp(-listed_appeal_per_discount x "
        "discount_rate), else buy alone",
        "listed_appeal_per_discount (per unit of discount)",
        "group_buying",
        "a discount of 0: nobody takes a listed group, every solo order stays solo",
        "group_buy_discount",
    ),
)


class GroupBuy(Section):
    """Group buys: a buyer opens a group; it needs `group_size` members in time."""

    enabled: bool = param(True, "Run group buys.")
    group_size: int = param(
        3, "Members a group needs, opener included (k).", "people", ge=2, le=100
    )
    window_days: int = param(1, "Days a group stays open to fill.", "days", ge=1, le=30)
    discount_rate: Probability = param(
        0.2, "Group price discount, share of list price (paid by every member).", "fraction"
    )
    open_probability: Probability = param(
        0.6, "Share of purchases in group-buy categories made by opening a group.", "fraction"
    )
    join_rate_per_share: float = param(
        0.35,
        "Daily hazard that a tie joins an open group shared to them with trust 1.",
        "per share",
        ge=0.0,
        le=50.0,
    )
    listed_appeal_per_discount: float = param(
        10.0,
        "Open groups are listed on the category's page: a buyer about to buy it alone joins "
        "a listed group (a stranger completing it) with probability 1 - exp(-this x "
        "discount_rate); 0 lists no group.",
        "per unit of discount",
        ge=0.0,
        le=1000.0,
    )
    categories: list[str] = param(
        [], "Categories sold by group buy (empty: all categories).", "category names"
    )

    def describe(self) -> str:
        return (
            f"group buys of {self.group_size} within {self.window_days} day(s) at "
            f"{self.discount_rate:.0%} off"
        )
