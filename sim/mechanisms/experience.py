"""Experience: some orders are bad experiences (product mismatch).

Each order is a bad experience with probability product_mismatch_probability; a consumer's
count of bad experiences raises their churn hazard (rule 7). Later mechanisms (late
delivery, failed group buys) add to the same count.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Probability, Section, param


def bad_orders(order_buyers: np.ndarray, mismatch_probability: float, u: np.ndarray) -> np.ndarray:
    """Buyers (with repeats) of today's orders that went badly; u: (K,) uniforms."""
    return order_buyers[u < mismatch_probability]


class ExperienceBehavior(Section):
    """How often an order goes badly. (`[behavior]` keys.)"""

    product_mismatch_probability: Probability = param(
        0.03, "Probability that an order is a bad experience (product mismatch).", "per order"
    )


class Experience(Mechanism):
    name = "experience"
    params = ExperienceBehavior
    phase = "experience"
    streams = ("experience",)

    @classmethod
    def enabled(cls, spec) -> bool:
        """Off when no order is a mismatch (probability 0: no uniform, 0 or more, is
        under 0), as nothing is then recorded."""
        return spec.behavior.product_mismatch_probability > 0

    def experience(self, day: Day) -> None:
        orders = day.orders
        draw = self.uniform_later("experience", (day.consumers, day.categories))
        bad = bad_orders(
            orders.buyer,
            self.spec.behavior.product_mismatch_probability,
            draw.at(orders.buyer * day.categories + orders.category),
        )
        day.bad_experiences(bad, self.pop.bad_experiences)
