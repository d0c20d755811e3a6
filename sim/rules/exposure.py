"""Rule 1, exposure: what each consumer hears about each category today.

Three channels reach a consumer j for category c:

* platform ads (external influence): the same daily hazard p for everyone;
* word of mouth: under the Bass model, the trust-weighted share of j's ties who are active
  customers of c (with uniform mixing, the share of all consumers who are); under the
  independent cascade, one message from each tie that first bought c yesterday;
* shares: each active sharer shares category c with probability
  share_rate_per_day x share_appeal_c x hype_c; a share reaches every tie, weighted by the
  listener's trust in the sharer.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


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


def word_of_mouth_signal(
    mixing: str, normalized_signal: np.ndarray, broadcasting: np.ndarray
) -> np.ndarray:
    """Share of a consumer's (trust-weighted) ties who are active customers, per category.

    mixing: "network" uses the maintained row-normalized signal (N, C); "uniform" gives
    every consumer the population share of active customers (Bass 1969).
    """
    if mixing == "uniform":
        share = broadcasting.mean(axis=0)
        return np.broadcast_to(share, broadcasting.shape)
    return normalized_signal


def cascade_rate(cascade_by_speaker: sp.csr_matrix, new_customer_of: np.ndarray) -> np.ndarray:
    """Independent cascade: -log P(no tie that first bought yesterday converts me).

    cascade_by_speaker: (N, N) CSR whose entry (i, j) is -log(1 - pc x trust_ji), pc the
    cascade probability; new_customer_of: (N, C) bool. Returns (N, C) hazard rate, so that
    1 - exp(-rate) is the probability that at least one of those ties converts j.
    """
    speakers = np.flatnonzero(new_customer_of.any(axis=1))
    n, c = new_customer_of.shape
    if speakers.size == 0:
        return np.zeros((n, c))
    return np.asarray(cascade_by_speaker[speakers].T @ new_customer_of[speakers].astype(np.float64))
