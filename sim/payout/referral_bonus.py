"""Two-sided referral bonus: a new customer brought by a sharer earns the referee bonus,
the sharer the referrer bonus (capped per referrer over the run).

Behaviour (CHANNELS, docs/incentives.md): the referrer's side raises the reward a sharer
expects per order only while they are under the cap (a bonus that can never be paid moves
nothing); the referee's side acts on the referee's first purchase like a price cut.
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Section, param

CHANNELS = (
    Channel(
        "referral_bonus (referrer)",
        "active sharers, and customers weighing becoming one",
        "the bonus per order brought: referrer_yuan x rho, rho the believed share of a "
        "sharer's orders that are a new customer's first, counted only while the sharer "
        "is under cap_per_referrer",
        "adds to r_i (sharing effort) and to E_j (joining), as the commission does",
        "referral_share_prior (fraction), belief_prior_weight (observations)",
        "incentives",
        "a bonus of 0, or a cap of 0, adds exactly 0 to r_i and E_j: nothing changes",
        probe="referral_bonus_referrer, referral_bonus_cap",
    ),
    Channel(
        "referral_bonus (referee)",
        "consumers who have never ordered",
        "the bonus on the first order a sharer brings them, as a price cut (yuan)",
        "share-channel adoption hazard x exp(s x min(referee_yuan, price) / 100 yuan)",
        "price_sensitivity_per_100_yuan (per 100 yuan)",
        "referrals",
        "a bonus of 0 multiplies by exactly 1",
        probe="referral_bonus_referee",
    ),
)


class ReferralBonus(Section):
    """Bonuses to both sides of a referral, paid on the new customer's first order."""

    enabled: bool = param(True, "Pay this rule.")
    referrer_yuan: float = param(
        5.0, "Bonus to the sharer who brought a new customer.", "yuan", ge=0.0
    )
    referee_yuan: float = param(5.0, "Bonus to the new customer.", "yuan", ge=0.0)
    cap_per_referrer: int = param(
        100, "Most referrer bonuses one sharer can earn over the run.", "bonuses", ge=0
    )

    def describe(self) -> str:
        return (
            f"referral bonus {self.referrer_yuan:g} yuan to the referrer and "
            f"{self.referee_yuan:g} yuan to the new customer"
        )


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... for the successive occurrences of each value (stable order)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(groups.size), 0))
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - run_start
    return ranks


def referrals_within_cap(referrer: np.ndarray, earned_so_far: np.ndarray, cap: int) -> np.ndarray:
    """Which of today's referrals (in order) still fall under each referrer's cap."""
    return earned_so_far[referrer] + rank_within(referrer) < cap
