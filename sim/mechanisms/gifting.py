"""Gifting (派礼): sharers send gifts; receivers register to claim them.

Each active sharer sends a gift on a day with probability gifts_per_sharer_per_month / 30
(at most one a day), to one of their ties picked at random. A receiver who can buy online
and has not lapsed claims it with probability `claim_probability`: they register, which
binds them to the sharer (unless still bound to another), and the gift makes them aware of its category (their adoption
hazard rises by `awareness_per_gift` that day). The platform pays `gift_cost_yuan` for each
claimed gift; unclaimed gifts cost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.mechanisms.base import Day, Mechanism
from sim.payout import pay_gifts
from sim.payout.binding import bind

if TYPE_CHECKING:
    from sim.scenario import Scenario


def send_gifts(
    sharers: np.ndarray,
    daily_probability: float,
    trust_by_speaker: sp.csr_matrix,
    u_send: np.ndarray,
    u_pick: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(sender, receiver) of today's gifts; u_send, u_pick: (S,) uniforms per sharer."""
    start = trust_by_speaker.indptr[sharers]
    degree = trust_by_speaker.indptr[sharers + 1] - start
    send = (u_send < daily_probability) & (degree > 0)
    pick = start[send] + np.minimum(
        (u_pick[send] * degree[send]).astype(np.int64), degree[send] - 1
    )
    return sharers[send], trust_by_speaker.indices[pick].astype(np.int64)


def claim_gifts(
    receivers: np.ndarray, can_claim: np.ndarray, claim_probability: float, u: np.ndarray
) -> np.ndarray:
    """Which gifts (by position) are claimed; u: (G,) uniforms."""
    return can_claim[receivers] & (u < claim_probability)


class Gifting(Mechanism):
    name = "gifting"
    phase = "expose"
    raises_awareness = True
    streams = ("gifts",)
    series = ("gifts_sent", "gifts_claimed")

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("gift") is not None

    def setup(self) -> None:
        rule = self.spec.payout.gift
        names = self.spec.category_names
        self.category = names.index(rule.category) if rule.category else 0

    def expose(self, day: Day) -> None:
        """Sharers send gifts; receivers who register are bound to the sender and aware."""
        c, rule = self.pop, self.spec.payout.gift
        sharer_idx = np.flatnonzero(c.is_sharer)
        u = self.uniform_later("gifts", (3, c.n))  # send, pick, claim: read where needed
        sender, receiver = send_gifts(
            sharer_idx,
            min(1.0, rule.gifts_per_sharer_per_month / 30.0),
            self.platform.network.by_speaker,
            u.at(sharer_idx),
            u.at(c.n + sharer_idx),
        )
        claimed = claim_gifts(
            receiver, c.online_ready & ~c.lapsed, rule.claim_probability, u.at(2 * c.n + receiver)
        )
        sender, receiver = sender[claimed], receiver[claimed]
        bind(
            c.referrer,
            c.bound_day,
            receiver,
            sender,
            day.index,
            self.platform.scheme.binding_days,
            c.is_sharer & ~c.lapsed,
        )
        c.awareness[receiver, self.category] += rule.awareness_per_gift
        pay_gifts(day.index, receiver, self.platform.scheme, day.ledger)
        day.count("gifts_sent", claimed.size)
        day.count("gifts_claimed", receiver.size)
