"""Rule 2, purchase: first purchases by category, and who gets the credit.

A consumer j who can buy online, has not lapsed and has not yet bought category c buys it
today with probability

    1 - exp(-f_c x (p + q x W_jc + r x S_jc + K_jc))

where p is the external influence (per day), W_jc the word-of-mouth signal (share of ties
who are customers, 0..1) times q (per day), S_jc the trust-weighted shares received times r
(per share), K_jc the independent-cascade rate, and f_c = exp(-price sensitivity x price /
100 yuan) x hype_c the category's price and hype factor. With f = 1 and uniform mixing this
is the discrete-time Bass model: F(t+1) = F(t) + (1 - F(t))(1 - exp(-(p + q F(t)))).

Credit (for the viral coefficient and for payouts) goes to one channel in proportion to its
share of the hazard rate; a share's credit goes to one of the sharers who shared the
category to j today, chosen with probability proportional to j's trust in them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.state import SOURCE_KOL, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH


def adoption_probability(rate: np.ndarray) -> np.ndarray:
    """Daily probability from a daily hazard rate (rate >= 0, clipped below at 0)."""
    return -np.expm1(-np.maximum(rate, 0.0))


def first_purchases(eligible: np.ndarray, rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which eligible consumer buys which category for the first time today.

    eligible, rate, u: (N, C). Returns (N, C) bool.
    """
    return eligible & (u < adoption_probability(rate))


def credit_channel(channels: dict[int, np.ndarray], u: np.ndarray) -> np.ndarray:
    """Pick the channel credited for each new purchase, proportional to its rate.

    channels: {SOURCE_* code: (K,) rates of the K new purchases}; u: (K,) uniforms.
    Returns (K,) SOURCE_* codes.
    """
    codes = list(channels)
    rates = np.stack([np.maximum(np.asarray(channels[c], float), 0.0) for c in codes])
    cum = np.cumsum(rates, axis=0)
    x = u * cum[-1]
    pick = (x[None, :] >= cum).sum(axis=0)
    return np.asarray(codes, np.int8)[np.minimum(pick, len(codes) - 1)]


def recommendation_trust(
    trust: sp.csr_matrix,
    buyers: np.ndarray,
    channels: np.ndarray,
    recommender: np.ndarray,
    kol_trust: np.ndarray,
    customer: np.ndarray,
) -> np.ndarray:
    """How strong the recommendation that won each new customer was (0..1).

    A share: the buyer's trust in the sharer; word of mouth: their trust in their most
    trusted tie who is a customer; a KOL's post: their trust in the KOL; an ad or a group
    buy: 1 (no recommendation to weigh). buyers, channels, recommender (sharer or -1),
    kol_trust (nan where no KOL): (K,); customer: (N,) bool.
    """
    out = np.ones(buyers.size)
    share = (channels == SOURCE_SHARE) & (recommender >= 0)
    if share.any():
        out[share] = np.asarray(trust[buyers[share], recommender[share]]).ravel()
    wom = channels == SOURCE_WORD_OF_MOUTH
    if wom.any():
        rows = trust[buyers[wom]].multiply(customer[None, :].astype(float)).tocsr()
        out[wom] = np.asarray(rows.max(axis=1).todense()).ravel()
    kol = channels == SOURCE_KOL
    out[kol] = kol_trust[kol]
    return np.clip(out, 0.0, 1.0)


def pick_sharer(
    trust: sp.csr_matrix, listeners: np.ndarray, shared_today: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """For each listener, one sharer who shared to it today, with odds proportional to trust.

    trust: (N, N) CSR, rows listeners; listeners: (K,) consumer indices; shared_today: (N,)
    bool, speakers who shared the category; u: (K,) uniforms. Returns (K,) sharer indices
    (-1 where no tie shared, which cannot happen for a share-credited purchase).
    """
    if listeners.size == 0:
        return np.empty(0, np.int64)
    sub = trust[listeners].tocsr()
    weights = np.where(shared_today[sub.indices], np.maximum(sub.data, 0.0), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    before, after = cum[sub.indptr[:-1]], cum[sub.indptr[1:]]
    totals = after - before
    # First entry whose running sum passes the target: a tie that shared, odds by trust.
    pos = np.searchsorted(cum[1:], before + u * totals, side="right")
    pos = np.clip(pos, sub.indptr[:-1], np.maximum(sub.indptr[1:] - 1, sub.indptr[:-1]))
    chosen = (
        sub.indices[np.minimum(pos, max(sub.indices.size - 1, 0))].astype(np.int64)
        if sub.indices.size
        else np.zeros(listeners.size, np.int64)
    )
    return np.where(totals > 0, chosen, -1)
