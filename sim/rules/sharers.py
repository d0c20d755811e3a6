"""Rule 5, sharers: customers who see rewards become sharers; low earners quit.

An active customer who is not a sharer becomes one today with probability

    1 - exp(-b x A_j x (1 + e x s_j))

where b is sharer_recruitment_per_day, e the peer effect, s_j the trust-weighted share of
j's ties who are sharers (0..1), and A_j the reward appeal of the payout scheme: reward per
order in yuan / sharer_reward_reference_yuan (capped at 3; no reward, no sharers), times
exp(-up-front cost / entry_fee_tolerance_yuan), times (1 + push x upline appeal) if j is
bound to an active sharer who earns on recruits' sales (upline overrides).

A new sharer's recruiter is the sharer they are bound to; the recruitment tree's levels
feed the upline overrides and the compliance flags.

A sharer's monthly earnings are tracked as a 30-day moving sum (exponentially weighted).
After sharer_grace_days, a sharer earning less than sharer_min_monthly_earnings_yuan quits
with probability sharer_quit_hazard_per_day each day.
"""

from __future__ import annotations

import numpy as np

MAX_REWARD_APPEAL = 3.0
EARNINGS_WINDOW_DAYS = 30.0


def reward_appeal(reward_per_order_yuan: float, reference_yuan: float) -> float:
    """How attractive the scheme's rewards look, 0..3 (1 = the reference reward)."""
    return float(min(MAX_REWARD_APPEAL, max(reward_per_order_yuan, 0.0) / reference_yuan))


def join_sharers(
    candidates: np.ndarray,
    sharer_signal: np.ndarray,
    base_per_day: float,
    appeal: float,
    peer_effect: float,
    u: np.ndarray,
) -> np.ndarray:
    """Which candidates (N,) bool become sharers today; sharer_signal, u: (N,)."""
    rate = base_per_day * appeal * (1.0 + peer_effect * np.maximum(sharer_signal, 0.0))
    return candidates & (u < -np.expm1(-rate))


def record_recruitment(
    recruiter: np.ndarray,
    level: np.ndarray,
    joined: np.ndarray,
    bound_to: np.ndarray,
    bound_to_sharer: np.ndarray,
) -> None:
    """Grow the recruitment tree in place: a new sharer's recruiter is the active sharer
    they are bound to as a customer (if any); their level is the recruiter's level + 1
    (1 for a sharer nobody recruited). A returning sharer keeps their first recruiter."""
    new = joined & (level == 0)
    recruited = new & bound_to_sharer
    recruiter[recruited] = bound_to[recruited]
    level[new] = 1
    level[recruited] = level[bound_to[recruited]] + 1


def update_monthly_earnings(monthly_fen: np.ndarray, earned_today_fen: np.ndarray) -> None:
    """Exponentially weighted 30-day sum of earnings, updated in place."""
    monthly_fen *= 1.0 - 1.0 / EARNINGS_WINDOW_DAYS
    monthly_fen += earned_today_fen


def quit_sharers(
    is_sharer: np.ndarray,
    days_as_sharer: np.ndarray,
    monthly_fen: np.ndarray,
    grace_days: int,
    min_monthly_fen: float,
    quit_hazard: float,
    u: np.ndarray,
) -> np.ndarray:
    """Which sharers (N,) bool quit today: past the grace period, earning too little."""
    low = (days_as_sharer >= grace_days) & (monthly_fen < min_monthly_fen)
    return is_sharer & low & (u < quit_hazard)
