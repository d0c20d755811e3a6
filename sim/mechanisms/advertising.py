"""Advertising: the platform's ads, with a saturating response, and other external influence.

From the platform's start day, every consumer's adoption hazard for every category has an
external part (the Bass model's innovation coefficient)

    p = p0 + a_max x (1 - exp(-x / x_sat))

p0 the organic external influence (press, app stores: `external_influence_per_day`), x
the platform's ad spend per day per 1,000 consumers of the market (yuan), a_max the most
ads can add and x_sat the spend at which they reach 63% of it: diminishing returns, the
exponential saturation curve of marketing-mix models. So ad budget is a lever: more spend,
more customers, at a rising cost per customer (CAC).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.payout.channel import Channel
from sim.schema_base import Section, param

CHANNELS = (
    Channel(
        "platform.ad_spend_yuan_per_day",
        "every consumer who has not bought a category",
        "the platform's ad spend per day per 1,000 consumers x (yuan)",
        "external adoption hazard p = p0 + a_max x (1 - exp(-x / x_sat))",
        "external_influence_per_day (per day), ad_response_max_per_day (per day), "
        "ad_saturation_yuan_per_1000_per_day (yuan per 1,000 consumers per day)",
        "advertising",
        "no spend: the organic p0 only",
        probe="ad_spend",
    ),
)


def ad_hazard(
    organic_per_day: float,
    spend_yuan_per_1000_per_day: float,
    response_max_per_day: float,
    saturation_yuan_per_1000_per_day: float,
) -> float:
    """p = p0 + a_max x (1 - exp(-x / x_sat)): the daily external adoption hazard."""
    reach = -np.expm1(-spend_yuan_per_1000_per_day / saturation_yuan_per_1000_per_day)
    return float(organic_per_day + response_max_per_day * reach)


class AdvertisingBehavior(Section):
    """External influence and the response to ads. (`[behavior]` keys.)"""

    external_influence_per_day: float = param(
        0.0002,
        "Bass p without ads: daily adoption hazard from external influence other than the "
        "platform's ads (press, app stores).",
        "per day",
        ge=0.0,
        le=5.0,
    )
    ad_response_max_per_day: float = param(
        0.001,
        "Most that ads can add to the daily external adoption hazard, however large the spend.",
        "per day",
        ge=0.0,
        le=5.0,
    )
    ad_saturation_yuan_per_1000_per_day: float = param(
        15.0,
        "Ad spend per day per 1,000 consumers at which ads reach 63% of their maximum effect.",
        "yuan per 1,000 consumers per day",
        gt=0.0,
    )


class Advertising(Mechanism):
    name = "advertising"
    params = AdvertisingBehavior
    phase = "expose"
    series = ("ad_spend",)

    def setup(self) -> None:
        beh = self.spec.behavior
        spend = self.platform.ad_spend_yuan_per_day / (self.pop.n / 1000.0)
        self.hazard = ad_hazard(
            beh.external_influence_per_day,
            spend,
            beh.ad_response_max_per_day,
            beh.ad_saturation_yuan_per_1000_per_day,
        )
        # the part the spend buys (without the organic p0): what reaches lapsed customers
        self.spend_hazard = ad_hazard(
            0.0, spend, beh.ad_response_max_per_day, beh.ad_saturation_yuan_per_1000_per_day
        )

    def expose(self, day: Day) -> None:
        day.hazard["ad"] = self.hazard
        started = day.index >= self.spec.platform.start_day
        day.count("ad_spend", round(self.platform.ad_spend_yuan_per_day * 100) * started)
