"""Repurchase: customers reorder when a category's interval is up.

After every order in category c (and after every skipped reorder) the next due day is drawn
from a gamma distribution with mean repurchase_interval_days_c and shape k (k = 1 is
memoryless; larger k is more regular). On the due day an active customer reorders with
probability

    repurchase_probability x f_c x exp(-s x L) x (1 - e + e x t) x m

with f_c the category's price and hype factor, L the lead time of the customer's last
delivery in days, s the fulfillment's lead_time_sensitivity_per_day, t the strength of the
recommendation that won the customer (1 for ads), e the
recommendation_repurchase_effect, and m the audience match of the KOL who brought them
(1 if none); members of community groups also reorder by their groups' match to the
category. The lead-time, KOL and group factors are other mechanisms' `reorder_factor`s.

Customers differ in how often they buy: with `purchase_rate_shape` r set, customer i's
intervals have mean repurchase_interval_days_c / lambda_i, lambda_i ~ Gamma(r, 1/r) drawn
once (mean 1, coefficient of variation 1 / sqrt(r)), floored at 1e-6. This is the gamma
mixing of purchase rates in Pareto/NBD and BG/NBD; it matches their Poisson purchasing
exactly only with memoryless intervals (`repurchase_interval_shape` = 1; the default 4 is
more regular). The spread of repeat purchases across customers (a few heavy buyers, many
one-timers) follows. Fader, Hardie and Lee (2005) estimate r = 0.243 on the CDNOW log.
Without it every customer buys at the same rate.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv

from sim.kernels import due_cells
from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Probability, Section, param
from sim.state import SOURCE_NONE, Orders
from sim.threads import by_row_chunks, elementwise


def draw_intervals(mean_days: np.ndarray, shape: float, u: np.ndarray) -> np.ndarray:
    """Gamma(shape, mean/shape) intervals by inversion of uniforms u, 1 to 10^6 days."""
    days = gammaincinv(shape, u) * (mean_days / shape)
    return np.clip(np.rint(days), 1, 1_000_000).astype(np.int32)


def purchase_rate_multipliers(shape: float, u: np.ndarray) -> np.ndarray:
    """Each customer's purchase-rate multiplier lambda ~ Gamma(shape, 1/shape) (mean 1) by
    inversion of uniforms u, floored at 1e-6."""
    return np.maximum(gammaincinv(shape, u) / shape, 1e-6)


def due_reorders(reorder_probability: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which due (consumer, category) pairs reorder: (K,) probabilities and uniforms."""
    return u < reorder_probability


class RepurchaseBehavior(Section):
    """How customers reorder. (`[behavior]` keys.)"""

    repurchase_probability: Probability = param(
        0.75,
        "Probability that a customer reorders when a category's repurchase interval is up.",
        "probability",
    )
    repurchase_interval_shape: float = param(
        4.0,
        "Gamma shape of repurchase intervals (1 = memoryless, larger = more regular).",
        ge=0.1,
        le=100.0,
    )
    purchase_rate_shape: float | None = param(
        None,
        "Gamma shape r of each customer's purchase-rate multiplier (mean 1; smaller = more "
        "unequal: a few heavy buyers, many one-timers; CDNOW: 0.243); none = all alike.",
        ge=0.05,
        le=1000.0,
    )
    recommendation_repurchase_effect: Probability = param(
        0.5,
        "Customers won by a recommendation reorder with probability x (1 - e + e x t), "
        "t their trust in the recommender (a share's sharer, their most trusted customer "
        "tie, a KOL).",
        "fraction",
    )


class Repurchase(Mechanism):
    name = "repurchase"
    params = RepurchaseBehavior
    phase = "reorder"
    streams = ("repurchase", "purchase_rate")

    @classmethod
    def enabled(cls, spec) -> bool:
        """Off when nobody ever reorders (repurchase_probability 0) and no other mechanism
        on lends a reorder factor: every due day would be drawn for nothing, and first
        purchases and everything else are the same. A reorder factor may count or draw
        (`docs/adding-a-mechanism.md`), so with one on the due customers are still found
        and shown to it every day."""
        from sim.mechanisms import REGISTRY  # the registry imports this module

        return spec.behavior.repurchase_probability > 0 or any(
            "reorder_factor" in other.hooks() and other.enabled(spec)
            for other in REGISTRY
            if other is not cls
        )

    def setup(self) -> None:
        self.interval_days = np.array([c.repurchase_interval_days for c in self.spec.categories])
        shape = self.spec.behavior.purchase_rate_shape
        self.rate = (  # drawn once, from its own stream: the other draws stay as they were
            purchase_rate_multipliers(shape, self.rng("purchase_rate").random(self.pop.n))
            if shape is not None
            else None
        )

    def schedule(self, buyers: np.ndarray, categories: np.ndarray) -> None:
        """Draw the next repurchase day of each (buyer, category) from today's uniforms."""
        mean_days = self.interval_days[categories]
        if self.rate is not None:
            mean_days = mean_days / self.rate[buyers]
        shape = self.spec.behavior.repurchase_interval_shape
        self.pop.next_due_day[buyers, categories] = self.day + elementwise(
            lambda mean, u: draw_intervals(mean, shape, u),  # many a day: split among threads
            mean_days,
            # the second half of today's draw: one per (consumer, category) for intervals
            self.draws.at(self.draws.count // 2 + buyers * self.interval_days.size + categories),
        )

    def reorder(self, day: Day) -> None:
        """Due customers reorder (or skip and draw their next due day)."""
        c, beh = self.pop, self.spec.behavior
        self.day = day.index
        n, k = day.consumers, day.categories
        # today's draw: a uniform per (consumer, category) to reorder, then one per
        # (consumer, category) for the next interval; read only where a rule needs one
        self.draws = self.uniform_later("repurchase", (2, n, k))
        day.schedule_next_due = self.schedule
        free = day.reachable & day.can_buy
        due = by_row_chunks(
            due_cells, c.next_due_day, free, c.customer_of, day.index, rows=n, columns=k
        )
        due_buyer, due_cat = due // k, due % k
        lead = np.ones(due_buyer.size)  # x 1.0 first: exact, and never aliases a factor
        for factor in self.platform.factors("reorder_factor"):
            lead *= factor(day, due_buyer, due_cat)
        effect = beh.recommendation_repurchase_effect
        lead *= 1.0 - effect + effect * c.recommendation_trust[due_buyer]
        reorder = due_reorders(
            beh.repurchase_probability * day.demand[due_cat] * lead,
            self.draws.at(due_buyer * k + due_cat),
        )
        self.schedule(due_buyer[~reorder], due_cat[~reorder])
        day.orders = Orders.concat(
            day.orders, Orders.make(due_buyer[reorder], due_cat[reorder], False)
        )
        day.channels = np.concatenate(
            [day.channels, np.full(int(reorder.sum()), SOURCE_NONE, np.int8)]
        )
