"""Rule 1b, gifting (派礼): sharers send gifts; receivers register to claim them.

Each active sharer sends a gift on a day with probability gifts_per_sharer_per_month / 30
(at most one a day), to one of their ties picked at random. A receiver who can buy online
and has not lapsed claims it with probability `claim_probability`: they register, which
binds them to the sharer, and the gift makes them aware of its category (their adoption
hazard rises by `awareness_per_gift` that day). The platform pays `gift_cost_yuan` for each
claimed gift; unclaimed gifts cost nothing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


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
