"""Churn: customers lapse, more so the longer since their last order.

An active customer lapses today with probability

    min(1, h0 x (1 + d / T) x (1 + b) ** n)

with h0 the base hazard per day, d the days since their last order, T the recency scale in
days, b the extra hazard per bad experience and n their bad experiences. A lapsed customer
stops buying, stops counting as word of mouth, and quits sharing; lapsing is absorbing. Other mechanisms multiply the hazard (`churn_factor`: bad news heard).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Probability, Section, param


def churn_hazard(
    days_since_order: np.ndarray,
    bad_experiences: np.ndarray,
    base_per_day: float,
    recency_scale_days: float,
    per_bad_experience: float,
) -> np.ndarray:
    """Daily lapse probability of each customer (N,)."""
    h = base_per_day * (1.0 + days_since_order / recency_scale_days)
    h = h * np.power(1.0 + per_bad_experience, bad_experiences)
    return np.minimum(h, 1.0)


def lapse(active_customers: np.ndarray, hazard: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which active customers (N,) bool lapse today."""
    return active_customers & (u < hazard)


class ChurnBehavior(Section):
    """How customers lapse. (`[behavior]` keys.)"""

    churn_base_hazard_per_day: Probability = param(
        0.001,
        "Daily lapse hazard of a customer who ordered today with no bad experiences.",
        "per day",
    )
    churn_recency_scale_days: float = param(
        30.0,
        "Churn hazard grows by the base hazard every this many days since the last order.",
        "days",
        gt=0.0,
    )
    churn_per_bad_experience: float = param(
        1.0,
        "Each bad experience multiplies the churn hazard by (1 + this).",
        "multiplier",
        ge=0.0,
    )


class Churn(Mechanism):
    name = "churn"
    params = ChurnBehavior
    phase = "churn"
    streams = ("churn",)
    series = ("lapsed_today", "lapsed")

    def churn(self, day: Day) -> None:
        c, beh = self.pop, self.spec.behavior
        active = c.active_customer & ~c.is_leader
        hazard = churn_hazard(
            day.index - c.last_order_day,
            c.bad_experiences,
            beh.churn_base_hazard_per_day,
            beh.churn_recency_scale_days,
            beh.churn_per_bad_experience,
        )
        for factor in self.platform.factors("churn_factor"):
            hazard = hazard * factor(day)
        lapsed = lapse(active, hazard, self.uniform("churn", c.n))
        c.lapsed |= lapsed
        day.quit |= lapsed & c.is_sharer
        c.is_sharer &= ~lapsed
        day.lapsed = lapsed
