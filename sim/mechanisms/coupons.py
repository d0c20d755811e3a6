"""Coupons: a new-user coupon lowers the price a newcomer weighs.

With a `[payout.coupon]` whose new-user coupon applies to a category (its price reaches the
coupon's minimum spend), a consumer who has never ordered sees the category's adoption
hazard multiplied by exp(s x min(coupon, price) / 100 yuan), s the price sensitivity per
100 yuan: the coupon undoes that much of the price's deterrence. A share coupon travels
with a sharer's share: the share channel's hazard of a consumer who has not bought the
category is multiplied by exp(s x min(share coupon, price) / 100 yuan), so the shares that
carry it convert better. The discounts themselves are taken off the order at settlement
(`sim.payout.coupon`). A coupon of 0 multiplies by exactly 1.

A win-back coupon (`win_back_yuan`) is sent to each customer on the day they lapse and
waits for their next order. While it waits, it raises their win-back chance as a price cut
on what they buy would: the chance of staying away, (1 - w) exp(-r x E) (`churn`), is
raised to the power f = exp(s x min(coupon, p_j) / 100 yuan), p_j the mean price of the
categories they bought. It comes off their first order after they return, if the order
reaches the minimum spend. Without a win-back response (w = r = 0) nobody comes back and
the coupon costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import exact
from sim.mechanisms.base import Day, Factor, Mechanism
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
        self.prices = prices
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

    def win_back_factor(self, day: Day, who: np.ndarray) -> np.ndarray | None:
        """f of each lapsed customer in `who`: exp(s x min(coupon, p_j) / 100 yuan) with a
        win-back coupon waiting for them, else 1; None when no coupon waits for any."""
        c = self.pop
        if not c.win_back_coupon[who].any():
            return None
        bought = c.customer_of[who]
        mean_price = exact.matmul(bought, self.prices) / np.maximum(bought.sum(axis=1), 1)
        cut = price_cut_factor(
            mean_price,
            self.spec.payout.coupon.win_back_yuan,
            self.spec.behavior.price_sensitivity_per_100_yuan,
        )
        return np.where(c.win_back_coupon[who], cut, 1.0)

    def update(self, day: Day) -> None:
        """Send the win-back coupon to the customers who lapsed today."""
        if self.spec.payout.coupon.win_back_yuan > 0 and day.lapsed is not None:
            self.pop.win_back_coupon |= day.lapsed

    def adoption_factor(self, day: Day) -> Factor:
        boost = np.where(self.pop.first_order_day[:, None] < 0, self.boost, 1.0)
        return Factor(
            boost, min(float(np.min(self.boost)), 1.0), max(float(np.max(self.boost)), 1.0)
        )
