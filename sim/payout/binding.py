"""Store binding (锁粉): a customer is bound to the sharer through whom they first came.

A customer who comes through a sharer, by any channel a sharer acts in (their share, their
gift, a group buy they opened, an order they placed as a proxy), is bound to that sharer
for `days` days from that first contact; while bound, every order of theirs is credited to
the sharer (who earns its commission and overrides), unless another sharer's share, group
or proxy order brings that order. When the binding ends (its period is over, or the sharer
quit), the next sharer they come through binds them anew. Group members are bound when
their group fills.
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Section, param

CHANNELS = (
    Channel(
        "binding",
        "sharers (who earn on their bound customers' orders)",
        "orders credited to them while their customers stay bound, which the belief O "
        "learns from (so expected earnings, and hence effort and joining, follow it)",
        "commissions and overrides follow the binding for `days` days",
        "(payout.binding.days, days)",
        "purchase, gifting, group_buying, proxy_purchase; settlement",
        "not a payment: it decides who is paid",
        probe="binding",
    ),
    Channel(
        "binding (share of wallet)",
        "customers of several platforms (with behavior.multi_homing)",
        "whether they are bound to an active sharer of the platform",
        "the platform's pull on their orders x (1 + wallet_binding_weight x bound); orders "
        "split by share of wallet",
        "wallet_binding_weight (multiplier)",
        "multi_homing",
        "not a payment: a platform with no active sharer binds nobody and pulls as before",
        probe="binding_wallet",
    ),
)


class Binding(Section):
    """How long a customer stays bound to the sharer who brought them."""

    days: int = param(
        365,
        "Days a customer stays bound to the sharer through whom they came (commissions "
        "follow the binding).",
        "days",
        ge=1,
        le=36500,
    )

    def describe(self) -> str:
        return f"customers bound to their sharer for {self.days} days"


def binding_expired(bound_day: np.ndarray, day: int, days: int) -> np.ndarray:
    """Whether each binding (day it began, -1 for none) has ended by `day`."""
    return (bound_day < 0) | (day - bound_day >= days)


def bind(
    referrer: np.ndarray,
    bound_day: np.ndarray,
    customers: np.ndarray,
    sharers: np.ndarray,
    day: int,
    days: int,
    active_sharer: np.ndarray,
) -> None:
    """Bind each customer to the sharer they came through today, in place, unless they are
    still bound to an active sharer (a binding to a sharer who quit has ended); where a
    customer came through several, the first listed wins."""
    ok = (sharers >= 0) & (sharers != customers)
    customers, sharers = customers[ok], sharers[ok]
    _, first = np.unique(customers, return_index=True)
    customers, sharers = customers[first], sharers[first]
    current = referrer[customers]
    free = binding_expired(bound_day[customers], day, days) | (current < 0)
    free[~free] = ~active_sharer[current[~free]]
    referrer[customers[free]] = sharers[free]
    bound_day[customers[free]] = day


def bound_sharer(
    referrer: np.ndarray,
    bound_day: np.ndarray,
    active_sharer: np.ndarray,
    buyers: np.ndarray,
    day: int,
    days: int,
) -> np.ndarray:
    """The active sharer each buyer is still bound to, -1 if none."""
    sharer = referrer[buyers]
    ok = (sharer >= 0) & ~binding_expired(bound_day[buyers], day, days)
    ok[ok] = active_sharer[sharer[ok]]
    return np.where(ok, sharer, -1)
