"""Self-purchase (自购省钱): a sharer's own orders cost less, so sharers buy more often.

With a `[payout.self_purchase_discount]` of rate d, an active sharer due to reorder
category c does so with probability multiplied by

    exp(s x d x price_c / 100 yuan)

with s the price sensitivity per 100 yuan (`purchase`): the discount undoes that much of
the price's deterrence (the same price response as every first purchase and reorder). The
saving on their own spend also makes becoming a sharer more attractive (`incentives`). A
rate of 0 multiplies by exactly 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.mechanisms.purchase import price_cut_factor

if TYPE_CHECKING:
    from sim.scenario import Scenario


class SelfPurchase(Mechanism):
    name = "self_purchase"
    phase = "reorder"

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("self_purchase_discount") is not None

    def setup(self) -> None:
        prices = np.array([c.price_yuan for c in self.spec.categories])
        rate = self.spec.payout.self_purchase_discount.rate
        self.boost = price_cut_factor(
            prices, rate * prices, self.spec.behavior.price_sensitivity_per_100_yuan
        )

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        return np.where(self.pop.is_sharer[buyers], self.boost[categories], 1.0)
