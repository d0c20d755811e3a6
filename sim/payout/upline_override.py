"""Upline overrides (team rewards): recruiters above a sharer earn on the sharer's sales.

A sale with a commissioned sharer s pays rates[0] of the list price to s's recruiter (level
2), rates[1] to that recruiter's recruiter (level 3), and so on, to uplines who are still
active sharers. Chinese law counts any pay computed from downline sales as team
compensation (团队计酬); see the compliance flags.

Behaviour (CHANNELS, docs/incentives.md): sharers recruit the customers bound to them as
hard as a recruit is worth, and every level adds its own term to that value.
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "upline_override",
        "active sharers, recruiting the customers bound to them",
        "the value of one recruit V = H x price x O x sum_l rate_l x m^(l-2) (yuan): level l "
        "pays on sales l - 2 generations below the recruit, m the believed recruits per "
        "sharer, so each level adds its own term",
        "join hazard of a customer bound to an active sharer x (1 + recruitment_push x V / "
        "recruit_value_reference_yuan)",
        "recruitment_push (multiplier), recruit_value_reference_yuan (yuan), "
        "recruit_horizon_months (months), recruits_per_sharer_prior (sharers)",
        "sharers",
        "rates of 0 add exactly 0 to V",
        probe="upline_override, override_depth",
    ),
)


class UplineOverride(Section):
    """Overrides to the recruiters above the selling sharer, one rate per level."""

    enabled: bool = param(True, "Pay this rule.")
    rates: list[Probability] = param(
        [0.03],
        "Share of list price paid to the 1st, 2nd, ... recruiter above the selling sharer.",
        "fraction per level",
        min_length=1,
        max_length=10,
    )

    def describe(self) -> str:
        rates = ", ".join(f"{r:.0%}" for r in self.rates)
        return f"upline overrides {rates} to {len(self.rates)} recruiter level(s)"


def upline_chain(recruiter: np.ndarray, sellers: np.ndarray, levels: int) -> np.ndarray:
    """(levels, K) array: row l holds the (l+1)-th recruiter above each seller, -1 if none."""
    chain = np.full((levels, sellers.size), -1, np.int64)
    current = sellers
    for level in range(levels):  # a few levels, not consumers
        valid = current >= 0
        up = np.full(current.size, -1, np.int64)
        up[valid] = recruiter[current[valid]]
        chain[level] = up
        current = up
    return chain


def override_payments(
    list_fen: np.ndarray,
    sellers: np.ndarray,
    recruiter: np.ndarray,
    active: np.ndarray,
    rates: np.ndarray,
):
    """Yield (level, order index, payee, amount fen) arrays for each paid level (level >= 2)."""
    has_seller = sellers >= 0
    idx = np.flatnonzero(has_seller)
    chain = upline_chain(recruiter, sellers[idx], rates.size)
    for level, rate in enumerate(rates):
        payee = chain[level]
        ok = payee >= 0
        ok[ok] = active[payee[ok]]
        amount = np.rint(list_fen[idx[ok]] * rate).astype(np.int64)
        yield level + 2, idx[ok], payee[ok], amount
