"""Sharing (分享): active sharers share categories to all their ties, as hard as it pays.

Each active sharer i shares category c today with probability

    share_rate_per_day x share_appeal_c x hype_c x effort_i   (clipped to 0..1)

where effort_i = min(max_share_effort, (r_i / share_reward_reference_yuan) ^ e): r_i the
reward i expects per order a share brings (commission, referral bonus within its cap,
sales-tier bonus, retail margin; `incentives`; with the same conversion for every sharer,
the ratio of expected earnings per share), e the share_effort_elasticity. A sharer who can
expect nothing does not share. A share reaches every tie, weighted by the listener's trust in the sharer. A listener's
adoption hazard for c rises by share_conversion_per_share x the trust-weighted shares
received (the `share` channel); a purchase credited to a share binds the buyer to one of
the sharers who shared it (odds by trust), who earns the payouts on it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.mechanisms.base import Day, Mechanism, ScaledHazard, State, spread, spread_reached_into
from sim.schema_base import Probability, Section, param


def share_effort(
    reward_per_order_yuan: np.ndarray, reference_yuan: float, elasticity: float, cap: float
) -> np.ndarray:
    """effort = min(cap, (reward / reference) ^ elasticity): sharing effort relative to a
    sharer expecting the reference reward per order (yuan); 0 for no reward."""
    ratio = np.maximum(reward_per_order_yuan, 0.0) / reference_yuan
    return np.where(ratio > 0, np.minimum(cap, ratio**elasticity), 0.0)


def share_products(
    sharers: np.ndarray, share_probability: np.ndarray, effort: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Which sharers share which category today.

    sharers: (S,) indices of active sharers; share_probability: (C,) per-day probability
    that a sharer at effort 1 shares the category; effort: (S,); u: (S, C) uniform draws.
    Returns (S, C) bool.
    """
    return u < np.clip(share_probability[None, :] * effort[:, None], 0.0, 1.0)


def share_exposure(
    trust_by_speaker: sp.csr_matrix, sharers: np.ndarray, shared: np.ndarray
) -> np.ndarray:
    """Trust-weighted number of shares each consumer receives per category.

    trust_by_speaker: (N, N) CSR, row i lists the listeners of speaker i with their trust;
    sharers: (S,) speaker indices; shared: (S, C) bool. Returns (N, C) float (shares).
    The mechanism keeps these sums day to day (`Sharing.receive`, the same numbers).
    """
    return spread(trust_by_speaker, sharers, shared)


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
        "Probability that an active sharer at effort 1 shares a category (x its share "
        "appeal) on a day.",
        "per day",
    )
    share_reward_reference_yuan: float = param(
        5.0,
        "Expected reward per order brought at which a sharer's effort is 1.",
        "yuan per order",
        gt=0.0,
    )
    share_effort_elasticity: float = param(
        0.5,
        "Elasticity of sharing effort (shares per day) with respect to the expected reward "
        "per order.",
        "elasticity",
        ge=0.0,
        le=5.0,
    )
    max_share_effort: float = param(
        3.0, "Most effort a sharer puts in, relative to effort 1.", "multiplier", gt=0.0
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
        self.rows_set = None  # the rows of shared_today set on the last day (None: clear all)
        self.received = None  # (N, C) shares received: 0 but at the rows `reached` last
        self.reached = np.empty(0, np.int64)

    def receive(self, sharers: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """`share_exposure` into the kept (N, C) array of shares received, the same
        numbers: only the rows reached last time are cleared and today's reached written,
        in one compiled pass (`spread_reached_into`; a dense clear cost every day a pass
        over N x C, and scattering the sums' rows with numpy two passes over them)."""
        if self.received is None:  # on the first day of shares: zeros, paged in as written
            self.received = np.zeros(self.pop.customer_of.shape)
            self._slot = np.full(self.pop.n, -1, np.int32)  # scratch of `spread_reached_into`
            self.reached_rows = np.zeros(self.pop.n, bool)  # 0 shares received elsewhere
        self.reached_rows[self.reached] = False
        self.reached, self.received_ceiling = spread_reached_into(
            self.platform.network.by_speaker,
            sharers,
            shared,
            self._slot,
            self.received,
            self.reached,
        )
        self.reached_rows[self.reached] = True
        return self.received

    def idle(self, sharer_idx: np.ndarray) -> bool:
        """Nothing to do today: no sharer, so nobody shares, and no row of shared_today
        set on the last day to clear (a day of no sharer set none; the first day clears
        every row, whoever set them)."""
        return sharer_idx.size == 0 and self.rows_set is not None and not self.rows_set.size

    def expose(self, day: Day) -> None:
        beh, c = self.spec.behavior, self.pop
        sharer_idx = np.flatnonzero(c.is_sharer)
        k = day.categories
        draw = self.uniform_later("exposure", (day.consumers, k))  # read at sharers' rows
        if self.idle(sharer_idx):  # the share hazard stays 0, as if nobody shared
            self.rows_set, day.shared = sharer_idx, np.zeros((0, k), bool)
            return
        share_prob = np.clip(beh.share_rate_per_day * self.share_appeal * day.hype, 0, 1)
        u = draw.at(sharer_idx[:, None] * k + np.arange(k)).reshape(sharer_idx.size, k)
        effort = share_effort(
            self.platform.get("incentives").reward[sharer_idx],
            beh.share_reward_reference_yuan,
            beh.share_effort_elasticity,
            beh.max_share_effort,
        )
        shared = share_products(sharer_idx, share_prob, effort, u)
        if shared.any():
            # a sharer who shared nothing today adds only zeros to its listeners' sums,
            # which leaves every sum as it is (a sum starts at +0 and is never -0): left out
            speaking = shared.any(axis=1)
            received = self.receive(sharer_idx[speaking], shared[speaking])
            # conversion x shares received, multiplied where read: no second (N, C) pass;
            # with the ceiling their sum kept and the rows reached (the purchase kernel
            # bounds rates by them)
            day.hazard["share"] = ScaledHazard(
                beh.share_conversion_per_share,
                received,
                k,
                self.received_ceiling,
                self.reached_rows,
            )
        else:  # nobody shared: nobody received a share (0, as conversion x 0 shares)
            day.hazard["share"] = np.zeros((1, 1))
        # only this mechanism writes shared_today: clear the rows it set yesterday
        c.shared_today[slice(None) if self.rows_set is None else self.rows_set] = False
        c.shared_today[sharer_idx] = shared
        self.rows_set = sharer_idx
        day.shared = shared
        day.count("shares", np.count_nonzero(shared))
