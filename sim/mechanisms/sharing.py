"""Sharing (分享): active sharers share categories to all their ties.

Each active sharer shares category c today with probability

    share_rate_per_day x share_appeal_c x hype_c   (clipped to 0..1)

and a share reaches every tie, weighted by the listener's trust in the sharer. A listener's
adoption hazard for c rises by share_conversion_per_share x the trust-weighted shares
received (the `share` channel); a purchase credited to a share binds the buyer to one of
the sharers who shared it (odds by trust), who earns the payouts on it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.mechanisms.base import Day, Mechanism, State
from sim.schema_base import Probability, Section, param


def share_products(sharers: np.ndarray, share_probability: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which sharers share which category today.

    sharers: (S,) indices of active sharers; share_probability: (C,) per-day probability
    that a sharer shares the category; u: (S, C) uniform draws. Returns (S, C) bool.
    """
    return u < share_probability[None, :]


def share_exposure(
    trust_by_speaker: sp.csr_matrix, sharers: np.ndarray, shared: np.ndarray
) -> np.ndarray:
    """Trust-weighted number of shares each consumer receives per category.

    trust_by_speaker: (N, N) CSR, row i lists the listeners of speaker i with their trust;
    sharers: (S,) speaker indices; shared: (S, C) bool. Returns (N, C) float (shares).
    """
    n = trust_by_speaker.shape[0]
    if sharers.size == 0:
        return np.zeros((n, shared.shape[1]))
    return np.asarray(trust_by_speaker[sharers].T @ shared.astype(np.float64))


class SharingBehavior(Section):
    """How often sharers share and how shares convert. (`[behavior]` keys.)"""

    share_conversion_per_share: float = param(
        0.02,
        "Daily adoption hazard added by one share received over a tie of trust 1.",
        "per share",
        ge=0.0,
        le=50.0,
    )
    share_rate_per_day: Probability = param(
        0.2,
        "Probability that an active sharer shares a category (x its share appeal) on a day.",
        "per day",
    )


class Sharing(Mechanism):
    name = "sharing"
    params = SharingBehavior
    phase = "expose"
    streams = ("exposure",)
    series = ("shares",)
    states = (
        State("shared_today", bool, False, per_category=True, doc="shared the category today"),
    )

    def setup(self) -> None:
        self.share_appeal = np.array([c.share_appeal for c in self.spec.categories])

    def expose(self, day: Day) -> None:
        beh, c = self.spec.behavior, self.pop
        sharer_idx = np.flatnonzero(c.is_sharer)
        share_prob = np.clip(beh.share_rate_per_day * self.share_appeal * day.hype, 0, 1)
        u = self.uniform("exposure", (day.consumers, day.categories))
        shared = share_products(sharer_idx, share_prob, u[sharer_idx])
        received = share_exposure(self.platform.network.by_speaker, sharer_idx, shared)
        day.hazard["share"] = beh.share_conversion_per_share * received
        c.shared_today[:] = False
        c.shared_today[sharer_idx] = shared
        day.shared = shared
        day.count("shares", shared.sum())
