"""Recommendations (推荐, 大数据推荐): the platform recommends to each customer the
categories its orders show go together, the source article's fourth scene.

Every `REFRESH_DAYS` days the platform learns, from its active customers, the co-purchase
affinity

    A[x, y] = (customers of both x and y) / (customers of x),  x != y (0 on the diagonal)

(item-to-item collaborative filtering, Linden, Smith & York 2003, "Amazon.com
recommendations", IEEE Internet Computing 7(1), reduced to co-purchase shares). An active
customer j who has not bought category c is recommended it with strength

    s_jc = mean over the categories x that j has bought of A[x, c]   (0..1)

and buys it for the first time at the daily hazard r x s_jc, r =
`recommendation_per_day`, from the platform's start day. The hazard is the purchase
channel "recommendation": it adds to the other channels' hazards (and, like them, is then
multiplied by the category's price and hype factor and the other mechanisms' adoption
factors) and takes its share of the credit. Recommendations are shown in the app: only
active customers who buy online see them (the affinity is learned from every active
customer). Consumers who have never ordered have no history: recommendations do not reach
them, so they widen existing customers' baskets and never acquire anyone.
"""

from __future__ import annotations

import numpy as np

from sim import exact
from sim.mechanisms.base import Day, Mechanism
from sim.payout.channel import Channel
from sim.schema_base import Section, param
from sim.state import SOURCE_RECOMMENDATION

REFRESH_DAYS = 7  # the platform retrains its recommendations weekly

CHANNELS = (
    Channel(
        "behavior.recommendation_per_day",
        "active customers, for the categories they have not bought",
        "the co-purchase affinity of their basket to the category, s (0..1)",
        "first-purchase hazard r x s, one more purchase channel",
        "recommendation_per_day (per day)",
        "recommendations, purchase",
        "r = 0: the platform does not recommend; nothing changes",
        probe="recommendation",
    ),
)


def co_purchase_affinity(customer_of: np.ndarray) -> np.ndarray:
    """A (C, C): the share of the customers of x who are also customers of y; 0 on the
    diagonal and in the rows of categories nobody bought. customer_of: (N, C) bool."""
    bought = customer_of.astype(np.float64)
    both = bought.T @ bought  # counts of customers: whole numbers, exact in any order
    of_x = np.diag(both).copy()[:, None]
    affinity = np.divide(both, of_x, out=np.zeros_like(both), where=of_x > 0)
    np.fill_diagonal(affinity, 0.0)
    return affinity


def recommendation_strength(customer_of: np.ndarray, affinity: np.ndarray) -> np.ndarray:
    """s (N, C): for each consumer, the mean over the categories they bought of those
    categories' affinity to c (0..1); 0 for a consumer who bought nothing."""
    bought = customer_of.astype(np.float64)
    basket = bought.sum(axis=1, keepdims=True)
    return np.divide(
        exact.matmul(bought, affinity), basket, out=np.zeros(customer_of.shape), where=basket > 0
    )


class RecommendationBehavior(Section):
    """How customers respond to the platform's recommendations. (`[behavior]` keys.)"""

    recommendation_per_day: float = param(
        0.0,
        "r: daily first-purchase hazard of a category recommended with full strength (every "
        "customer of the basket's categories also buys it); 0 = the platform does not "
        "recommend.",
        "per day",
        ge=0.0,
        le=1.0,
    )


class Recommendations(Mechanism):
    name = "recommendations"
    params = RecommendationBehavior
    phase = "expose"
    series = ("recommended_purchases",)

    @classmethod
    def enabled(cls, spec) -> bool:
        return spec.behavior.recommendation_per_day > 0

    def setup(self) -> None:
        self.affinity = np.zeros((len(self.spec.categories),) * 2)

    def expose(self, day: Day) -> None:
        """Today's recommendation hazard of every active customer (retrained weekly)."""
        if day.index < self.spec.platform.start_day:
            return
        c = self.pop
        active = np.flatnonzero(c.active_customer & c.online_ready)  # in the app
        if (day.index - self.spec.platform.start_day) % REFRESH_DAYS == 0:
            self.affinity = co_purchase_affinity(c.customer_of[c.active_customer])
        hazard = np.zeros(c.customer_of.shape)
        hazard[active] = self.spec.behavior.recommendation_per_day * recommendation_strength(
            c.customer_of[active], self.affinity
        )
        day.hazard["recommendation"] = hazard

    def attribute(self, day: Day) -> None:
        """Count the first purchases credited to a recommendation."""
        day.count("recommended_purchases", np.count_nonzero(day.channels == SOURCE_RECOMMENDATION))
