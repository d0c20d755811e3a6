"""Up-front stock (the micro-merchant model, 微商): sharers buy stock in advance.

Parameters only; stock purchases and sales from stock are settled in `sim.payout.settle`.
A sharer who joins buys `units` of the stocked category at the wholesale price; sales they
bring in that category are sold from their stock and the customer pays them the list
price; when the stock runs out they buy again (if `restock`). Unsold stock is locked
capital. A purchase required to qualify is an entry fee in Chinese law (入门费) and
inventory loading in the FTC's guidance; see the compliance flags.

Tiers (微商 agent tiers): with `tiers` > 1 a sharer's tier is their level in the
recruitment tree, capped at `tiers`; tier t pays list x (1 - wholesale_discount_rate +
(t - 1) x tier_markup_rate) a unit. A sharer below tier 1 buys from their recruiter (their
upline) when the upline is an active sharer on a higher tier, else from the platform at
their own tier's price. An upline short of stock for a downline's order buys whole batches
from their own supplier first, up the tree (an upline always supplies a recruit; `restock`
governs only restocking after retail sales). The upline earns the difference between the
tiers on every unit sold down (ledger `downline_stock_markup`; the rest, their own unit
price, passes through as `downline_stock_sale`); what nobody sells on is locked capital.
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
    Channel(
        "stock tiers",
        "sharers on a tier above the lowest, with customers bound to them",
        "the tier markup on the stock a recruit will buy from them: markup per unit (yuan) x "
        "units x (1 + floor(recruit_horizon_months x the recruit's expected stock orders a "
        "month / units)) batches (one batch without restock); a recruit on a lower tier "
        "pays more for stock and earns less margin",
        "recruitment hazard x (1 + recruitment_push x V_i / recruit_value_reference_yuan); "
        "joining through exp(-cost / entry_fee_tolerance_yuan) and r_i",
        "recruitment_push (multiplier), recruit_value_reference_yuan (yuan), "
        "recruit_horizon_months (months)",
        "sharers, incentives",
        probe="stock_tiers",
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
    tiers: int = param(
        1,
        "Agent tiers: a sharer's tier is their recruitment level capped at this; below "
        "tier 1 they buy from their upline. 1: everyone buys from the platform.",
        "tiers",
        ge=1,
        le=10,
    )
    tier_markup_rate: Probability = param(
        0.10,
        "Each tier down pays this fraction of the list price more per unit than the tier "
        "above; the upline keeps the difference.",
        "fraction of list price",
    )

    def describe(self) -> str:
        text = (
            f"{self.units} units of stock bought up front at "
            f"{1 - self.wholesale_discount_rate:.0%} of list price"
        )
        if self.tiers > 1:
            text += (
                f", {self.tiers} agent tiers each paying {self.tier_markup_rate:.0%} of list "
                "more than the one above"
            )
        return text

    def unit_price_share(self, tier: int) -> float:
        """What tier `tier` pays per unit, as a share of the list price."""
        return 1.0 - self.wholesale_discount_rate + (tier - 1) * self.tier_markup_rate
