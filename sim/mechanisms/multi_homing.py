"""Multi-homing: with rivals, a consumer can be a customer of several platforms at once.

Without it (the default) a consumer belongs to one platform at a time: the consumers
another platform holds are out of a platform's reach (`sim.market`). With
`behavior.multi_homing = true` every platform can reach every consumer, so a customer of
one platform can become a customer of another. Each of their orders then goes to one
platform, by share of wallet:

    w_p(i, c) = a_p(i) / sum over platforms q where i is an active customer of c of a_q(i)

    a_p(i) = exp(-beta x premium_p(c)) x (1 + b x [i is bound to an active sharer of p])
             x exp(-kappa x n_p(i))

premium_p(c) the platform's list price of category c over the lowest list price of c among
those platforms, minus 1; n_p(i) i's bad experiences on p (faded with
`bad_experience_half_life_days` when it is set); beta, b, kappa the `[behavior]` keys
below. Platforms carry categories of the same name; a category only p sells has w = 1.

The rule acts on reorders: on a due day, a customer reorders on p with the usual
probability times w_p(i, c) (a `reorder_factor`); otherwise the need went to another
platform and p draws the next due day. Each platform runs its own repurchase clock, so a
consumer who is a customer of two platforms buys about as often as one who is a customer
of one, split by w. First purchases are not split: a customer of one platform tries
another through its shares, ads and word of mouth as any prospect would. A consumer who is
a customer of only this platform has w = 1 exactly: nothing changes for them.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.payout.binding import bound_sharer
from sim.schema_base import Section, param


def wallet_attraction(
    price_premium: np.ndarray,
    bound: np.ndarray,
    bad_experiences: np.ndarray,
    price_sensitivity: float,
    binding_weight: float,
    bad_experience_weight: float,
) -> np.ndarray:
    """a_p: how strongly a customer's order pulls toward one platform (> 0), per cell.

    price_premium: the platform's price over the lowest among the customer's platforms,
    minus 1 (0 for the cheapest); bound: bool, bound to one of its active sharers;
    bad_experiences: the customer's (faded) bad experiences on it."""
    return (
        np.exp(-price_sensitivity * price_premium)
        * (1.0 + binding_weight * bound)
        * np.exp(-bad_experience_weight * bad_experiences)
    )


def wallet_share(attraction: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """w: the share of each cell's orders that goes to the first platform (row 0).

    attraction, customer: (P, K) per platform (row 0 this one) and cell; a platform counts
    only where the consumer is its active customer in the category. Row 0 always counts.
    Where every counted pull is 0 (underflow), the counted platforms share equally; a
    cell only row 0 counts gets exactly 1."""
    counts = customer.copy()
    counts[0] = True
    counted = np.where(counts, attraction, 0.0)
    total = counted.sum(axis=0)
    equal = 1.0 / counts.sum(axis=0)
    return np.divide(attraction[0], total, out=equal, where=total > 0)


class MultiHomingBehavior(Section):
    """How customers of several platforms split their orders. (`[behavior]` keys.)"""

    multi_homing: bool = param(
        False,
        "With rivals, a consumer can be a customer of several platforms; each order goes "
        "to one of them by share of wallet (price, binding, recent experience). False: a "
        "consumer belongs to one platform at a time. Read from the base scenario: every "
        "platform of the market follows it.",
    )
    wallet_price_sensitivity: float = param(
        5.0,
        "beta: a platform whose price is x above the cheapest of a customer's platforms "
        "gets exp(-beta x x) of the pull (10% dearer: 0.61).",
        "per unit of relative price",
        ge=0.0,
        le=100.0,
    )
    wallet_binding_weight: float = param(
        1.0,
        "b: being bound to an active sharer of a platform multiplies its pull by (1 + b).",
        "multiplier",
        ge=0.0,
        le=100.0,
    )
    wallet_bad_experience_weight: float = param(
        0.7,
        "kappa: each (faded) bad experience on a platform multiplies its pull by "
        "exp(-kappa) (0.7: one halves it).",
        "per bad experience",
        ge=0.0,
        le=100.0,
    )


class MultiHoming(Mechanism):
    name = "multi_homing"
    params = MultiHomingBehavior
    phase = "reorder"  # a factor of the reorder phase only
    kpis = ("multi_homing_share",)

    @classmethod
    def enabled(cls, spec) -> bool:
        return spec.behavior.multi_homing

    def category_columns(self, other) -> np.ndarray:
        """For each of this platform's categories, its column on `other` (-1: not sold)."""
        theirs = {c.name: j for j, c in enumerate(other.spec.categories)}
        return np.array([theirs.get(c.name, -1) for c in self.spec.categories], np.int64)

    @property
    def behavior(self):
        """The wallet keys of the market's base scenario (every platform splits alike)."""
        market = getattr(self.platform.model, "spec", None)
        return market.behavior if market is not None else self.spec.behavior

    def pull(self, platform, day: Day, buyers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """a_p without the price term for these buyers on `platform`, and whether each is
        its active customer at all."""
        c, beh = platform.consumers, self.behavior
        bound = (
            bound_sharer(
                c.referrer,
                c.bound_day,
                c.is_sharer & ~c.lapsed,
                buyers,
                day.index,
                platform.scheme.binding_days,
            )
            >= 0
        )
        churn = platform.get("churn")
        bad = churn.recent_bad_experiences() if churn is not None else c.bad_experiences
        pull = wallet_attraction(
            np.zeros(buyers.size),
            bound,
            bad[buyers],
            0.0,
            beh.wallet_binding_weight,
            beh.wallet_bad_experience_weight,
        )
        return pull, c.active_customer[buyers]

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        """w_p(i, c) of each due (buyer, category): 1 where nobody else holds the buyer."""
        share = np.ones(buyers.size)
        price = self.platform.scheme.price_fen[categories].astype(float)
        rows_pull, rows_price, rows_customer = [], [], []
        for other in self.other_platforms():
            column = self.category_columns(other)[categories]
            carried = column >= 0
            pull, active = self.pull(other, day, buyers)
            customer = np.zeros(buyers.size, bool)
            customer[carried] = other.consumers.customer_of[buyers[carried], column[carried]]
            rows_customer.append(customer & active)
            rows_pull.append(pull)
            rows_price.append(np.where(carried, other.scheme.price_fen[column], np.inf))
        if not rows_pull or not np.any(rows_customer):
            return share
        own_pull, _ = self.pull(self.platform, day, buyers)
        customer = np.vstack([np.ones(buyers.size, bool), *rows_customer])
        prices = np.vstack([price, *rows_price])
        lowest = np.where(customer, prices, np.inf).min(axis=0)
        premium = prices / lowest - 1.0
        attraction = np.vstack([own_pull, *rows_pull]) * np.exp(
            -self.behavior.wallet_price_sensitivity * np.where(customer, premium, 0.0)
        )
        return wallet_share(attraction, customer)

    def kpi_values(self) -> dict[str, float]:
        """Share of this platform's active customers who are also active customers of a
        rival at the end of the run."""
        c = self.pop
        if not self.other_platforms():
            return {"multi_homing_share": float("nan")}
        elsewhere = np.zeros(c.n, bool)
        for other in self.other_platforms():
            elsewhere |= other.consumers.active_customer
        active = c.active_customer
        total = int(np.count_nonzero(active))
        return {
            "multi_homing_share": float(np.count_nonzero(active & elsewhere)) / total
            if total
            else float("nan")
        }
