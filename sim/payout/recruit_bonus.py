"""Pay per recruit (拉人头): a recruiter is paid for each new sharer they bring in.

When a sharer recruited by an active sharer joins, the recruiter earns `yuan` plus
`entry_fee_share` of the new sharer's entry fee. Pay computed from the number of people
recruited, or from their entry fees, is the core of pyramid selling in Chinese law
(拉人头, Decree 444 Art. 7); see the compliance flags.
"""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "recruit_bonus",
        "active sharers, recruiting the customers bound to them",
        "the pay per recruit (yuan, plus its share of the entry fee), part of V",
        "join hazard of a customer bound to an active sharer x (1 + recruitment_push x V / "
        "recruit_value_reference_yuan)",
        "recruitment_push (multiplier), recruit_value_reference_yuan (yuan)",
        "sharers",
        "an amount of 0 adds exactly 0 to V",
        probe="recruit_bonus",
    ),
)


class RecruitBonus(Section):
    """Pay to a recruiter for each new sharer they recruit."""

    enabled: bool = param(True, "Pay this rule.")
    yuan: float = param(50.0, "Fixed pay per recruit.", "yuan", ge=0.0)
    entry_fee_share: Probability = param(
        0.0, "Share of the recruit's entry fee paid to the recruiter.", "fraction"
    )

    def describe(self) -> str:
        fee = f" plus {self.entry_fee_share:.0%} of their entry fee" if self.entry_fee_share else ""
        return f"pay per recruit {self.yuan:g} yuan{fee}"
