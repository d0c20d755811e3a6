"""Thresholds of the compliance flags (see `sim.payout.compliance`)."""

from __future__ import annotations

from sim.schema_base import Probability, Section, param


class ComplianceLimits(Section):
    """Where the compliance flags are raised."""

    level_cap: int = param(
        3, "Most levels of people paid on one sale (the seller is level 1).", "levels", ge=1
    )
    max_downline_income_share: Probability = param(
        0.5,
        "Flag when more of sharers' income than this comes from downline sales.",
        "fraction",
    )
    max_negative_income_share: Probability = param(
        0.5, "Flag when more sharers than this have negative net income.", "fraction"
    )
