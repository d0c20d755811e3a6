"""Gift-pack membership (礼包会员, Yunji-style): a consumer becomes a sharer (shopkeeper) by
buying a gift pack of goods at a set price.

The pack is mostly a purchase: the member pays the platform its price and receives goods
they use (the platform bears their cost at the margin of `category`). The ledger splits
the price: what the goods are worth to the member, value_share x price, is their spending
like an order (`gift_pack`); the rest is what membership costs them (`gift_pack_premium`,
dues that count against their net income). Joining is deterred by that premium only: the
earnings appeal is scaled by exp(-price x (1 - value_share) / tolerance). The goods replace
the member's own orders: their next order of the pack's category is pushed back by the
orders the pack's worth covers (`sharers`). A purchase required to qualify is still an
entry fee in Chinese law (入门费) and a required purchase in the FTC's guidance; see the
compliance flags.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "gift_pack",
        "active customers who are not sharers",
        "the pack's price less the value of its goods to them, price x (1 - value_share) (yuan)",
        "join hazard x exp(-(fee + first stock + price x (1 - value_share)) / "
        "entry_fee_tolerance_yuan)",
        "entry_fee_tolerance_yuan (yuan)",
        "sharers",
        "a price of 0 multiplies by exactly 1",
        probe="gift_pack",
    ),
)


class GiftPack(Section):
    """A gift pack a consumer buys to become a sharer."""

    enabled: bool = param(True, "Require the gift pack.")
    yuan: float = param(398.0, "Price of the pack (each time a consumer joins).", "yuan", ge=0.0)
    category: str | None = param(
        None, "The category of the pack's goods (sets its cost); default: the first."
    )
    value_share: Probability = param(
        0.8,
        "What the pack's goods are worth to the member, as a share of its price: joining "
        "costs them price x (1 - this).",
        "fraction",
    )

    def describe(self) -> str:
        return f"a {self.yuan:g}-yuan gift pack to join (goods valued at {self.value_share:.0%})"
