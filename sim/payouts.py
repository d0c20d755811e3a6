"""Rule 4, payouts: settle the day's orders in the ledger.

For each order of list price L (fen):

* a sharer buying for themselves gets the self-purchase discount round(L x d) and nobody
  earns a commission on the order;
* otherwise the order's sharer earns the direct commission round(L x r_c): the sharer whose
  share won the first order in the category, else the sharer the customer is bound to (the
  one whose share first brought them), if that sharer is still active;
* a new customer whose first order came through a share earns the referee bonus, and the
  sharer the referrer bonus (at most referral_bonus_cap_per_referrer per sharer);
* the buyer pays L minus the discount.

So the list-price value of orders = what consumers paid + discounts, and what they paid =
platform revenue (after payouts) + payouts, to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.ledger import PLATFORM, Ledger
from sim.scenario import Scenario
from sim.state import Consumers, Orders


def to_fen(yuan: float | np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(yuan, dtype=np.float64) * 100.0).astype(np.int64)


@dataclass(frozen=True)
class PayoutScheme:
    """A payout scheme compiled to arrays over categories."""

    price_fen: np.ndarray  # (C,)
    commission_rate: np.ndarray  # (C,)
    self_purchase_discount_rate: float
    referrer_bonus_fen: int
    referee_bonus_fen: int
    referral_bonus_cap: int

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PayoutScheme:
        pay = scenario.payout
        return cls(
            price_fen=to_fen([c.price_yuan for c in scenario.categories]),
            commission_rate=np.array([pay.commission_rate(c.name) for c in scenario.categories]),
            self_purchase_discount_rate=pay.self_purchase_discount_rate,
            referrer_bonus_fen=int(to_fen(pay.referrer_bonus_yuan)),
            referee_bonus_fen=int(to_fen(pay.referee_bonus_yuan)),
            referral_bonus_cap=pay.referral_bonus_cap_per_referrer,
        )

    def reward_per_order_yuan(self) -> float:
        """What a sharer can expect to earn per order brought: mean commission + bonus."""
        commission = float(np.mean(self.price_fen * self.commission_rate)) / 100.0
        return commission + self.referrer_bonus_fen / 100.0


@dataclass
class Settlement:
    """Per-order amounts of one day (fen)."""

    list_fen: np.ndarray
    discount_fen: np.ndarray
    paid_fen: np.ndarray
    commission_fen: np.ndarray
    sharer: np.ndarray  # who earned the commission, -1 if nobody
    referral_fen: np.ndarray  # referrer + referee bonus attached to the order

    @property
    def payouts_fen(self) -> np.ndarray:
        return self.commission_fen + self.referral_fen


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... for the successive occurrences of each value (stable order)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(groups.size), 0))
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - run_start
    return ranks


def settle_orders(
    day: int,
    orders: Orders,
    consumers: Consumers,
    new_customers: np.ndarray,
    scheme: PayoutScheme,
    ledger: Ledger,
) -> Settlement:
    """Record payments, discounts and payouts of the day's orders; return per-order amounts.

    new_customers: (N,) bool, consumers whose first order ever is today.
    """
    buyer, cat = orders.buyer, orders.category
    list_fen = scheme.price_fen[cat]
    self_buy = consumers.is_sharer[buyer]
    discount = np.where(self_buy, np.rint(list_fen * scheme.self_purchase_discount_rate), 0)
    discount = discount.astype(np.int64)
    paid = list_fen - discount

    bound = consumers.referrer[buyer]
    bound_ok = bound >= 0
    bound_ok[bound_ok] = consumers.is_sharer[bound[bound_ok]] & ~consumers.lapsed[bound[bound_ok]]
    sharer = np.where(orders.shared_by >= 0, orders.shared_by, np.where(bound_ok, bound, -1))
    sharer = np.where(self_buy, -1, sharer)
    commission = np.where(sharer >= 0, np.rint(list_fen * scheme.commission_rate[cat]), 0)
    commission = commission.astype(np.int64)

    # Referral bonuses: once per new customer, on their first order that came via a share.
    referral = np.zeros(orders.size, np.int64)
    via_share = (orders.shared_by >= 0) & new_customers[buyer] & ~self_buy
    idx = np.flatnonzero(via_share)
    if idx.size:
        _, first = np.unique(buyer[idx], return_index=True)
        idx = idx[np.sort(first)]
        referrer = orders.shared_by[idx]
        if scheme.referee_bonus_fen:
            ledger.record(
                day,
                "referral_bonus_referee",
                np.full(idx.size, PLATFORM),
                buyer[idx],
                np.full(idx.size, scheme.referee_bonus_fen),
            )
            referral[idx] += scheme.referee_bonus_fen
        if scheme.referrer_bonus_fen:
            earned = consumers.referral_bonuses[referrer] + rank_within(referrer)
            ok = earned < scheme.referral_bonus_cap
            ledger.record(
                day,
                "referral_bonus_referrer",
                np.full(int(ok.sum()), PLATFORM),
                referrer[ok],
                np.full(int(ok.sum()), scheme.referrer_bonus_fen),
            )
            np.add.at(consumers.referral_bonuses, referrer[ok], 1)
            referral[idx[ok]] += scheme.referrer_bonus_fen

    platform = np.full(orders.size, PLATFORM)
    ledger.record(day, "order_payment", buyer, platform, paid)
    ledger.record(day, "self_purchase_discount", platform, buyer, discount)
    paid_sharer = sharer >= 0
    ledger.record(
        day,
        "direct_commission",
        platform[paid_sharer],
        sharer[paid_sharer],
        commission[paid_sharer],
    )
    return Settlement(list_fen, discount, paid, commission, sharer, referral)
