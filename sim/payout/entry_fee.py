"""Entry fee: a consumer pays the platform to become a sharer.

Behaviour (CHANNELS, docs/incentives.md): the fee deters joining: the earnings appeal is scaled by exp(-fee / tolerance), with the
tolerance `behavior.entry_fee_tolerance_yuan`. Chinese law treats a fee or purchase required
to qualify as pyramid selling (入门费); see the compliance flags.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Section, param

CHANNELS = (
    Channel(
        "entry_fee",
        "active customers who are not sharers",
        "the up-front cost of becoming a sharer (yuan)",
        "join hazard x exp(-(fee + first stock) / entry_fee_tolerance_yuan)",
        "entry_fee_tolerance_yuan (yuan)",
        "sharers",
        "a fee of 0 multiplies by exactly 1",
        probe="entry_fee",
    ),
)


class EntryFee(Section):
    """Fee a new sharer pays the platform."""

    enabled: bool = param(True, "Charge this fee.")
    yuan: float = param(398.0, "Fee per new sharer (each time they join).", "yuan", ge=0.0)

    def describe(self) -> str:
        return f"entry fee {self.yuan:g} yuan"
