"""The consumers of one platform as a structure of numpy arrays (N consumers, C categories).

Every consumer is a row; the sharer role is a set of columns on the same rows. The fields
below are the population's core state, shared by many mechanisms; a mechanism's own arrays
are registered on top (`Consumers.register`), so `Consumers.registry()` is the one list of
every per-consumer array, with its owner. Nothing here loops over consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.mechanisms.base import State

NEVER = np.iinfo(np.int32).max  # "no such day"

# How a customer was acquired (first order ever), for the viral coefficient.
SOURCE_NONE, SOURCE_AD, SOURCE_WORD_OF_MOUTH, SOURCE_SHARE, SOURCE_GROUP, SOURCE_KOL = (
    -1,
    0,
    1,
    2,
    3,
    4,
)
SOURCE_RECOMMENDATION = 5  # the platform's recommendations (existing customers only)
VIRAL_SOURCES = (SOURCE_WORD_OF_MOUTH, SOURCE_SHARE, SOURCE_GROUP)


@dataclass
class Consumers:
    online_ready: np.ndarray  # (N,) bool: can buy online
    customer_of: np.ndarray  # (N, C) bool: has bought the category at least once
    next_due_day: np.ndarray  # (N, C) int32: day the category's repurchase is due
    first_order_day: np.ndarray  # (N,) int32, -1 before the first order
    second_order_day: np.ndarray  # (N,) int32, first later day with an order, -1 if none
    last_order_day: np.ndarray  # (N,) int32, -1 before the first order
    orders: np.ndarray  # (N,) int32: orders placed
    acquired_by: np.ndarray  # (N,) int8: SOURCE_* of the first order
    lapsed: np.ndarray  # (N,) bool: churned customer (absorbing)
    bad_experiences: np.ndarray  # (N,) int32
    is_sharer: np.ndarray  # (N,) bool: active sharer today
    sharer_since_day: np.ndarray  # (N,) int32, day the current sharer spell began
    was_sharer: np.ndarray  # (N,) bool: ever a sharer
    monthly_earnings_fen: np.ndarray  # (N,) float: 30-day moving estimate of earnings
    referrer: np.ndarray  # (N,) int64: the sharer this customer is bound to, -1 if none
    bound_day: np.ndarray  # (N,) int32: day the binding to `referrer` began, -1 if none
    referral_bonuses: np.ndarray  # (N,) int32: referrer bonuses this sharer has earned
    recruiter: np.ndarray  # (N,) int64: the sharer who recruited this sharer, -1 if none
    sharer_level: np.ndarray  # (N,) int32: depth in the recruitment tree (1 = root), 0 never
    stock_units: np.ndarray  # (N,) int64: units of stock a sharer holds
    period_sales_fen: np.ndarray  # (N,) int64: list value of sales a sharer brought this month
    last_lead_hours: np.ndarray  # (N,) float: lead time of the consumer's last delivery
    is_leader: np.ndarray  # (N,) bool: a neighborhood group leader
    recommendation_trust: np.ndarray  # (N,) float: strength of the tie that won them, 0..1
    new_customer_of: np.ndarray  # (N, C) bool: first bought the category yesterday
    win_back_coupon: np.ndarray  # (N,) bool: a win-back coupon waits for their next order

    @classmethod
    def create(cls, online_ready: np.ndarray, categories: int) -> Consumers:
        n = online_ready.size
        shape = (n, categories)
        return cls(
            online_ready=online_ready.astype(bool),
            customer_of=np.zeros(shape, bool),
            next_due_day=np.full(shape, NEVER, np.int32),
            first_order_day=np.full(n, -1, np.int32),
            second_order_day=np.full(n, -1, np.int32),
            last_order_day=np.full(n, -1, np.int32),
            orders=np.zeros(n, np.int32),
            acquired_by=np.full(n, SOURCE_NONE, np.int8),
            lapsed=np.zeros(n, bool),
            bad_experiences=np.zeros(n, np.int32),
            is_sharer=np.zeros(n, bool),
            sharer_since_day=np.full(n, -1, np.int32),
            was_sharer=np.zeros(n, bool),
            monthly_earnings_fen=np.zeros(n),
            referrer=np.full(n, -1, np.int64),
            bound_day=np.full(n, -1, np.int32),
            referral_bonuses=np.zeros(n, np.int32),
            recruiter=np.full(n, -1, np.int64),
            sharer_level=np.zeros(n, np.int32),
            stock_units=np.zeros(n, np.int64),
            period_sales_fen=np.zeros(n, np.int64),
            last_lead_hours=np.zeros(n),
            is_leader=np.zeros(n, bool),
            recommendation_trust=np.ones(n),
            new_customer_of=np.zeros(shape, bool),
            win_back_coupon=np.zeros(n, bool),
        )

    @property
    def n(self) -> int:
        return int(self.online_ready.size)

    def register(self, state: State, owner: str) -> np.ndarray:
        """Allocate a mechanism's per-consumer array as an attribute of the population."""
        owners = self.__dict__.setdefault("_owners", {})
        if state.name in owners or state.name in self.__dataclass_fields__:
            taken = owners.get(state.name, "the population")
            raise ValueError(f"state {state.name!r} of {owner!r} is already owned by {taken!r}")
        array = state.allocate(self.n, self.customer_of.shape[1])
        setattr(self, state.name, array)
        owners[state.name] = owner
        return array

    def registry(self) -> dict[str, str]:
        """Every per-consumer array and who owns it ('population' for the core fields)."""
        core = {f.name: "population" for f in fields(self)}
        return core | self.__dict__.get("_owners", {})

    @property
    def is_customer(self) -> np.ndarray:
        return self.first_order_day >= 0

    @property
    def active_customer(self) -> np.ndarray:
        return self.is_customer & ~self.lapsed

    def influence_state(self, who: np.ndarray | slice = slice(None)) -> np.ndarray:
        """What each consumer (or those in `who`) broadcasts: active customer per category,
        then sharer (0 or 1)."""
        customer_of, lapsed = self.customer_of[who], self.lapsed[who]
        out = np.empty((customer_of.shape[0], customer_of.shape[1] + 1))
        out[:, :-1] = customer_of & ~lapsed[:, None]
        out[:, -1] = self.is_sharer[who]
        return out


def _filled(flags, n: int) -> np.ndarray:
    """A fresh (n,) bool array of one flag (a scalar) or of n flags (anything that
    broadcasts to n)."""
    flags = np.asarray(flags, bool)
    return np.full(n, flags, bool) if flags.ndim == 0 else np.broadcast_to(flags, n).copy()


@dataclass
class Orders:
    """One day's orders, one entry each."""

    buyer: np.ndarray  # int64 consumer index
    category: np.ndarray  # int64 category index
    first_in_category: np.ndarray  # bool
    shared_by: np.ndarray  # int64 sharer whose share won this first order, -1 otherwise
    group_order: np.ndarray  # bool: an order of a filled group buy
    bargain_cut: np.ndarray  # float: share of list price cut by friends (bargaining)
    proxy: np.ndarray  # bool: ordered through a proxy (a leader or a tie)
    via_share: np.ndarray  # bool: a first order won by a sharer's share (shared_by is them)

    @classmethod
    def make(
        cls, buyer, category, first_in_category, shared_by=None, group_order=False, via_share=False
    ):
        buyer = np.asarray(buyer, np.int64)
        n = buyer.size
        return cls(
            buyer,
            np.asarray(category, np.int64),
            _filled(first_in_category, n),
            np.full(n, -1, np.int64) if shared_by is None else np.asarray(shared_by, np.int64),
            _filled(group_order, n),
            np.zeros(n),
            np.zeros(n, bool),
            _filled(via_share, n),
        )

    @classmethod
    def concat(cls, *parts: Orders) -> Orders:
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )

    @property
    def size(self) -> int:
        return int(self.buyer.size)

    def subset(self, mask: np.ndarray) -> Orders:
        return Orders(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))
