"""Behavioural channels: how each payout rule moves behaviour.

Every payout rule declares, next to its arithmetic, the channel(s) through which it acts:
who responds, to which quantity they can expect (within caps and tiers), in which
functional form, through which `[behavior]` parameter and unit, in which mechanism, and
what the rule does when it pays nothing. `docs/incentives.md` is generated from these.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    rule: str  # the `[payout]` table (or scenario key) of the rule
    who: str  # who responds
    responds_to: str  # the quantity they can expect
    form: str  # the functional form
    parameters: str  # `[behavior]` keys and units
    mechanism: str  # where it happens (`sim.mechanisms.<name>`)
    when_unpaid: str = "an amount of 0 adds exactly 0 to the expectation: nothing changes"
    probe: str = ""  # the probe in tests/test_incentive_probes.py that shows it, if any


# Modules that declare CHANNELS, in the order of docs/incentives.md.
MODULES = (
    "sim.payout.direct_commission",
    "sim.payout.referral_bonus",
    "sim.payout.self_purchase_discount",
    "sim.payout.coupon",
    "sim.payout.sales_bonus",
    "sim.payout.upline_override",
    "sim.payout.recruit_bonus",
    "sim.payout.entry_fee",
    "sim.payout.gift_pack",
    "sim.payout.stock",
    "sim.payout.group_buy",
    "sim.payout.bargain",
    "sim.payout.gift",
    "sim.payout.binding",
    "sim.payout.leader_commission",
    "sim.mechanisms.advertising",
    "sim.mechanisms.recommendations",
    "sim.mechanisms.churn",
)


def all_channels() -> list[Channel]:
    """Every declared channel, rule by rule."""
    out: list[Channel] = []
    for name in MODULES:
        out.extend(importlib.import_module(name).CHANNELS)
    return out
