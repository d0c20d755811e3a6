"""Sharers (店主, 分享者): customers who see rewards become sharers; low earners quit.

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

from sim.mechanisms.base import Day, Mechanism
from sim.metrics import gini, ratio
from sim.payout import onboard_sharers
from sim.schema_base import Probability, Section, param

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


class SharerBehavior(Section):
    """How customers become sharers and when sharers quit. (`[behavior]` keys.)"""

    sharer_recruitment_per_day: Probability = param(
        0.004,
        "Daily hazard that a customer becomes a sharer when the reward appeal is 1.",
        "per day",
    )
    sharer_peer_effect: float = param(
        2.0,
        "Recruitment hazard grows by this times the trust-weighted share of ties who are sharers.",
        "multiplier",
        ge=0.0,
    )
    sharer_reward_reference_yuan: float = param(
        5.0,
        "Reward per order at which the reward appeal is 1 (appeal = reward / this, capped at 3).",
        "yuan",
        gt=0.0,
    )
    entry_fee_tolerance_yuan: float = param(
        200.0,
        "Up-front costs (entry fee, first stock) scale the reward appeal by exp(-cost / this).",
        "yuan",
        gt=0.0,
    )
    recruitment_push: float = param(
        1.0,
        "How hard sharers recruit their customers when paid on recruits' sales: the join "
        "hazard of a customer bound to a sharer grows by this x upline reward / reference.",
        "multiplier",
        ge=0.0,
    )
    sharer_min_monthly_earnings_yuan: float = param(
        20.0, "Sharers earning less than this per month may quit.", "yuan per month", ge=0.0
    )
    sharer_grace_days: int = param(
        30, "Days a new sharer keeps sharing before judging earnings.", "days", ge=0
    )
    sharer_quit_hazard_per_day: Probability = param(
        0.05, "Daily quitting hazard of a sharer below the earnings threshold.", "per day"
    )


class Sharers(Mechanism):
    name = "sharers"
    params = SharerBehavior
    phase = "roles"
    streams = ("sharers",)
    series = ("new_sharers", "quit_sharers", "active_sharers")
    kpis = (
        "active_sharers",
        "sharers_ever",
        "sharer_income_median",
        "sharer_income_p90",
        "sharer_income_gini",
        "sharers_negative_income_share",
        "downline_income_share",
        "payout_levels",
        "recruitment_tree_depth",
        "recruited_sharers",
    )

    def setup(self) -> None:
        beh, scheme = self.spec.behavior, self.platform.scheme
        self.appeal = reward_appeal(
            scheme.reward_per_order_yuan(), beh.sharer_reward_reference_yuan
        ) * np.exp(-scheme.joining_cost_yuan() / beh.entry_fee_tolerance_yuan)
        self.recruit_appeal = beh.recruitment_push * reward_appeal(
            scheme.upline_reward_per_order_yuan(), beh.sharer_reward_reference_yuan
        )

    def roles(self, day: Day) -> None:
        """Customers join as sharers, low earners quit, new sharers pay their dues."""
        c, beh, ledger = self.pop, self.spec.behavior, day.ledger
        update_monthly_earnings(
            c.monthly_earnings_fen, ledger.received_fen + ledger.sales_fen - day.earned_before_fen
        )
        bound = c.referrer
        recruiting = bound >= 0
        recruiting[recruiting] = c.is_sharer[bound[recruiting]]
        joined = join_sharers(
            c.active_customer & ~c.is_sharer,
            self.platform.get("word_of_mouth").sharer_signal,
            beh.sharer_recruitment_per_day,
            self.appeal * (1.0 + self.recruit_appeal * recruiting),
            beh.sharer_peer_effect,
            self.uniform("sharers", c.n),
        )
        quit_ = ~c.is_leader & quit_sharers(
            c.is_sharer,
            day.index - c.sharer_since_day,
            c.monthly_earnings_fen,
            beh.sharer_grace_days,
            beh.sharer_min_monthly_earnings_yuan * 100.0,
            beh.sharer_quit_hazard_per_day,
            self.uniform("sharers", c.n),
        )
        record_recruitment(c.recruiter, c.sharer_level, joined, bound, recruiting)
        c.is_sharer |= joined
        c.is_sharer &= ~quit_
        c.was_sharer |= joined
        c.sharer_since_day[joined] = day.index
        c.monthly_earnings_fen[joined] = 0.0
        day.settlement.cost_of_goods_fen += onboard_sharers(
            day.index, np.flatnonzero(joined), c, self.platform.scheme, ledger
        )
        day.joined, day.quit = joined, quit_

    def kpi_values(self) -> dict[str, float]:
        """Income distribution of everyone who was a sharer, and the recruitment tree."""
        c, ledger = self.pop, self.platform.ledger
        who = np.flatnonzero(c.was_sharer)
        gross = (ledger.received_fen[who] + ledger.sales_fen[who]) / 100.0
        net = gross - ledger.dues_fen[who] / 100.0
        paid_levels = np.flatnonzero(ledger.payout_by_level_fen > 0)
        override_fen = self.platform.recorder.values["payout_upline_override"].sum()
        nan = float("nan")
        return {
            "active_sharers": float(np.count_nonzero(c.is_sharer)),
            "sharers_ever": float(who.size),
            "sharer_income_median": float(np.median(net)) if who.size else nan,
            "sharer_income_p90": float(np.percentile(net, 90)) if who.size else nan,
            "sharer_income_gini": gini(gross),
            "sharers_negative_income_share": float(np.mean(net < 0)) if who.size else nan,
            "downline_income_share": ratio(override_fen / 100.0, gross.sum()),
            "payout_levels": float(paid_levels.max()) if paid_levels.size else 0.0,
            "recruitment_tree_depth": float(c.sharer_level.max()),
            "recruited_sharers": float(np.count_nonzero(c.recruiter >= 0)),
        }
