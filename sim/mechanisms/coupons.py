"""Coupons: a new-user coupon lowers the price a newcomer weighs.

With a `[payout.coupon]` whose new-user coupon applies to a category (its price reaches the
coupon's minimum spend), a consumer who has never ordered sees the category's adoption
hazard multiplied by exp(s x min(coupon, price) / 100 yuan), s the price sensitivity per
100 yuan: the coupon undoes that much of the price's deterrence. A share coupon travels
with a sharer's share: the share channel's hazard of a consumer who has not bought the
category is multiplied by exp(s x min(share coupon, price) / 100 yuan), so the shares that
carry it convert better. The discounts themselves are taken off the order at settlement
(`sim.payout.coupon`). A coupon of 0 multiplies by exactly 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.mechanisms.purchase import price_cut_factor

if TYPE_CHECKING:
    from sim.scenario import Scenario


class Coupons(Mechanism):
    name = "coupons"
    phase = "purchase"

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("coupon") is not None

    def setup(self) -> None:
        coupon = self.spec.payout.coupon
        prices = np.array([c.price_yuan for c in self.spec.categories])
        coupon_yuan = np.where(prices >= coupon.min_spend_yuan, coupon.new_user_yuan, 0.0)
        self.boost = price_cut_factor(
            prices, coupon_yuan, self.spec.behavior.price_sensitivity_per_100_yuan
        )
        share_yuan = np.where(prices >= coupon.min_spend_yuan, coupon.share_yuan, 0.0)
        self.share_boost = price_cut_factor(
            prices, share_yuan, self.spec.behavior.price_sensitivity_per_100_yuan
        )

    def expose(self, day: Day) -> None:
        """Shares carrying a coupon weigh more with consumers new to the category."""
        new_to = ~self.pop.customer_of
        day.hazard["share"] = day.hazard["share"] * np.where(new_to, self.share_boost, 1.0)

    def adoption_factor(self, day: Day) -> np.ndarray:
        return np.where(self.pop.first_order_day[:, None] < 0, self.boost, 1.0)
