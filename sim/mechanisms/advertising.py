"""Advertising: the platform's ads and other external influence.

From the platform's start day, every consumer's adoption hazard for every category has an
external part p = `behavior.external_influence_per_day` (the Bass model's innovation
coefficient), and the platform spends `platform.ad_spend_yuan_per_day`. Ad spend enters CAC;
it does not yet scale p (a known gap: see the incentives issue).
"""

from __future__ import annotations

from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Section, param


class AdvertisingBehavior(Section):
    """External influence (ads). (`[behavior]` keys.)"""

    external_influence_per_day: float = param(
        0.0008,
        "Bass p: daily adoption hazard from platform ads and other external influence.",
        "per day",
        ge=0.0,
        le=5.0,
    )


class Advertising(Mechanism):
    name = "advertising"
    params = AdvertisingBehavior
    phase = "expose"
    series = ("ad_spend",)

    def expose(self, day: Day) -> None:
        day.hazard["ad"] = self.spec.behavior.external_influence_per_day
        started = day.index >= self.spec.platform.start_day
        day.count("ad_spend", round(self.platform.ad_spend_yuan_per_day * 100) * started)
