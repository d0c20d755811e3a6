"""Rule 2c, competition: rival platforms on the same network.

Each rival platform r starts on its own day and wins consumers who belong to no platform
yet, with a daily hazard built like the platform's own:

    h_rj = (p_r + q_r x W_rj) x exp(-s x mean price x m_r / 100)

with p_r its external influence (ads), W_rj the trust-weighted share of j's ties who are
its active customers (the population share under uniform mixing), q_r its word-of-mouth
strength, s the price sensitivity and m_r its price level relative to the platform. A
consumer who joins a rival is that rival's customer and out of reach of the platform; rival
customers lapse with the rival's churn hazard and are then free to choose again. So a
platform that enters late meets a network whose consumers, and whose word of mouth, an
incumbent already holds.

Rivals are modelled at this level only: they have no sharers, payout schemes or
fulfillment of their own.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.schema_base import Probability, Section, param


class RivalSection(Section):
    """A rival platform competing for the same consumers."""

    name: str = param(..., "Rival's name.", min_length=1, max_length=60)
    start_day: int = param(0, "Day the rival enters the market.", "day", ge=0)
    external_influence_per_day: float | None = param(
        None,
        "The rival's Bass p (default: behavior.external_influence_per_day).",
        "per day",
        ge=0.0,
        le=5.0,
    )
    word_of_mouth_per_day: float | None = param(
        None,
        "The rival's Bass q (default: behavior.word_of_mouth_per_day).",
        "per day",
        ge=0.0,
        le=50.0,
    )
    price_multiplier: float = param(
        1.0, "The rival's prices relative to the platform's.", gt=0.0, le=10.0
    )
    churn_hazard_per_day: Probability | None = param(
        None,
        "Daily hazard that a rival customer lapses (default: behavior.churn_base_hazard_per_day).",
        "per day",
    )


def rival_signals(
    member_of: np.ndarray, rivals: int, influence_by_speaker: sp.csr_matrix, mixing: str
) -> np.ndarray:
    """(R, N): share of each consumer's (trust-weighted) ties who are each rival's customers.

    member_of: (N,) rival index (0..R-1) of each consumer's rival, -1 for none.
    """
    n = member_of.size
    out = np.zeros((rivals, n))
    for r in range(rivals):  # a few rivals, not consumers
        x = (member_of == r).astype(float)
        out[r] = x.mean() if mixing == "uniform" else influence_by_speaker.T @ x
    return out


def join_rivals(
    free: np.ndarray, hazards: np.ndarray, u_join: np.ndarray, u_pick: np.ndarray
) -> np.ndarray:
    """Which rival (0..R-1) each free consumer joins today, -1 for none.

    hazards: (R, N) daily hazards; u_join, u_pick: (N,) uniforms. A consumer joins some
    rival with probability 1 - exp(-sum of hazards), that rival chosen by its share.
    """
    total = hazards.sum(axis=0)
    joins = free & (u_join < -np.expm1(-total))
    cum = np.cumsum(hazards, axis=0)
    pick = (u_pick * total)[None, :] >= cum
    choice = pick.sum(axis=0)
    return np.where(joins, np.minimum(choice, hazards.shape[0] - 1), -1)
