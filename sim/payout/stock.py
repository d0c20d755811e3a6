"""Up-front stock (the micro-merchant model, 微商): sharers buy stock in advance.

Parameters only; stock purchases and sales from stock are settled in `sim.payout.settle`.
A sharer who joins buys `units` of the stocked category at the wholesale price; sales they
bring in that category are sold from their stock and the customer pays them the list
price; when the stock runs out they buy again (if `restock`). Unsold stock is locked
capital. A purchase required to qualify is an entry fee in Chinese law (入门费) and
inventory loading in the FTC's guidance; see the compliance flags.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "stock",
        "active customers who are not sharers; stock-holding sharers",
        "the first stock's cost (yuan, deters joining as the entry fee does); the retail "
        "margin per order (list - wholesale, averaged over categories, yuan) adds to r_i",
        "join hazard x exp(-cost / entry_fee_tolerance_yuan); effort through r_i",
        "entry_fee_tolerance_yuan (yuan), share_effort_elasticity (elasticity)",
        "sharers, incentives",
        probe="stock_margin",
    ),
)


class Stock(Section):
    """Stock a sharer must buy up front."""

    enabled: bool = param(True, "Require stock.")
    category: str | None = param(
        None, "The stocked category (the hot item); default: the first category."
    )
    units: int = param(30, "Units bought on joining and on each restock.", "units", ge=1)
    wholesale_discount_rate: Probability = param(
        0.35, "Sharers buy at list price x (1 - this).", "fraction"
    )
    restock: bool = param(True, "Buy `units` again when the stock runs out.")

    def describe(self) -> str:
        return (
            f"{self.units} units of stock bought up front at "
            f"{1 - self.wholesale_discount_rate:.0%} of list price"
        )
