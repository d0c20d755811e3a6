"""Referrals: the referee's bonus works like a price cut on the first purchase a share wins.

With a `[payout.referral_bonus]`, a consumer who has never ordered gets `referee_yuan` on
the first order a sharer brings them, so a share is worth more to them: the share
channel's adoption hazard of a never-ordered consumer for category c is multiplied by

    exp(s x min(referee_yuan, price_c) / 100 yuan)

with s the price sensitivity per 100 yuan (`purchase`): the bonus undoes that much of the
price's deterrence, as a coupon does. The referrer's side acts on sharers' effort and
joining through the bonus they can still earn within the cap (`incentives`). A bonus of 0
multiplies by exactly 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.mechanisms.purchase import price_cut_factor

if TYPE_CHECKING:
    from sim.scenario import Scenario


class Referrals(Mechanism):
    name = "referrals"
    phase = "expose"

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("referral_bonus") is not None

    def setup(self) -> None:
        prices = np.array([c.price_yuan for c in self.spec.categories])
        self.boost = price_cut_factor(
            prices,
            np.full(prices.size, self.spec.payout.referral_bonus.referee_yuan),
            self.spec.behavior.price_sensitivity_per_100_yuan,
        )

    def expose(self, day: Day) -> None:
        """Shares weigh more with consumers who would get the referee bonus."""
        never_ordered = (self.pop.first_order_day < 0)[:, None]
        day.hazard["share"] = day.hazard["share"] * np.where(never_ordered, self.boost, 1.0)
