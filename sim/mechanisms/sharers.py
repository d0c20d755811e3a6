"""Sharers (店主, 分享者): customers who expect to earn become sharers; low earners quit.

An active customer j who is not a sharer becomes one today with probability

    1 - exp(-b x A_j x (1 + e x s_j) x (1 + push x R_j))

where b is sharer_recruitment_per_day, e the peer effect and s_j the trust-weighted share
of j's ties who are sharers (0..1). A_j is the appeal of what j expects to earn:

    A_j = min(3, E_j / E_ref) ^ a  x  exp(-up-front cost / entry_fee_tolerance_yuan)

with E_j j's expected monthly earnings as a sharer (commissions, bonuses and the
self-purchase saving on their own spend; `incentives`), E_ref
sharer_earnings_reference_yuan_per_month, a sharer_join_elasticity; no expected earnings,
no sharers. R_j is 0 unless j is bound to an active sharer i, who then recruits j as hard
as a recruit is worth to them: R_j = V_i / recruit_value_reference_yuan, V_i the value of
one recruit to i (pay per recruit, upline overrides of every level, and with agent tiers
the markup on the recruit's stock when i is above the lowest tier; `incentives`). With
agent tiers, E_j and the up-front cost are those of the tier j would join at.

A new sharer's recruiter is the sharer they are bound to; the recruiter is paid the pay
per recruit, if any. The recruitment tree's levels feed the upline overrides and the
compliance flags.

A sharer's monthly earnings (payouts and sales from stock, including what recruits pay
them for stock and the pay per recruit) are tracked as a 30-day moving sum (exponentially
weighted).
After sharer_grace_days, a sharer earning less than sharer_min_monthly_earnings_yuan quits
with probability sharer_quit_hazard_per_day each day.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import GrowingSet
from sim.ledger import TYPE_INDEX
from sim.mechanisms.base import Day, Mechanism
from sim.mechanisms.word_of_mouth import SIGNAL_CEILING
from sim.metrics import gini, ratio
from sim.payout import onboard_sharers
from sim.payout.binding import bound_sharer
from sim.payout.settle import pay_recruiters
from sim.schema_base import Probability, Section, param
from sim.state import NEVER

MAX_REWARD_APPEAL = 3.0
EARNINGS_WINDOW_DAYS = 30.0


# What sharers can earn while others join (after their month's earnings are updated):
# pay per recruit, and what recruits pay their uplines for stock.
ROLE_EARNINGS = [
    TYPE_INDEX[name] for name in ("recruit_bonus", "downline_stock_sale", "downline_stock_markup")
]


def earnings_appeal(
    expected_monthly_yuan: np.ndarray,
    reference_yuan: float,
    elasticity: float,
    joining_cost_yuan: float,
    cost_tolerance_yuan: float,
) -> np.ndarray:
    """A_j: how attractive becoming a sharer looks to each consumer, 0..3^a.

    (min(3, E / reference) ^ elasticity) x exp(-joining cost / tolerance); E in yuan per
    month, costs in yuan. No expected earnings: 0."""
    ratio = np.minimum(MAX_REWARD_APPEAL, np.maximum(expected_monthly_yuan, 0.0) / reference_yuan)
    appeal = np.where(ratio > 0, ratio**elasticity, 0.0)
    return appeal * np.exp(-joining_cost_yuan / cost_tolerance_yuan)


def join_sharers(
    candidates: np.ndarray,
    sharer_signal: np.ndarray,
    base_per_day: float,
    appeal: float,
    peer_effect: float,
    u: np.ndarray,
) -> np.ndarray:
    """Which candidates (bool, per consumer) become sharers today: at the daily rate
    base x appeal x (1 + peer effect x sharer signal); sharer_signal, u: alike."""
    rate = base_per_day * appeal * (1.0 + peer_effect * np.maximum(sharer_signal, 0.0))
    return candidates & (u < -np.expm1(-rate))


def record_recruitment(
    recruiter: np.ndarray, level: np.ndarray, joined: np.ndarray, bound_to: np.ndarray
) -> np.ndarray:
    """Grow the recruitment tree in place: a new sharer's recruiter is the active sharer
    they are bound to as a customer (if any); their level is the recruiter's level + 1
    (1 for a sharer nobody recruited). A returning sharer keeps their first recruiter.
    joined: (J,) distinct consumers who joined today; bound_to: (J,) the active sharer
    each is bound to, -1 if none. Returns who was recruited today, for the first time."""
    new = level[joined] == 0
    recruited = new & (bound_to >= 0)
    who = joined[recruited]
    recruiter[who] = bound_to[recruited]
    level[joined[new]] = 1
    level[who] = level[bound_to[recruited]] + 1
    return who


def joining_level(level: np.ndarray, candidates: np.ndarray, bound_to: np.ndarray) -> np.ndarray:
    """The recruitment level each candidate would have on joining today (as
    `record_recruitment` sets it): a returning sharer's own, one below the sharer they are
    bound to (bound_to, per candidate: -1 if none), else 1."""
    own = level[candidates]
    up = bound_to
    recruited = np.where(up >= 0, level[np.maximum(up, 0)] + 1, 1)
    return np.where(own > 0, own, recruited)


def tree_roots(recruiter: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The root (first recruiter with no recruiter) of each member's recruitment tree: all
    members climb one level per pass, as many passes as the tree is deep."""
    root = members.copy()
    up = recruiter[root]
    while (up >= 0).any():
        root = np.where(up >= 0, up, root)
        up = recruiter[root]
    return root


def crosses_criminal_line(
    recruiter: np.ndarray,
    level: np.ndarray,
    was_sharer: np.ndarray,
    participants: int = 30,
    levels: int = 3,
) -> bool:
    """Whether one realised recruitment tree has at least `participants` people in at least
    `levels` levels (both bounds inclusive): the 2013 criminal-line thresholds."""
    members = np.flatnonzero(was_sharer & (level > 0))
    if members.size < participants:
        return False
    root = tree_roots(recruiter, members)
    size = np.bincount(root, minlength=recruiter.size)
    depth = np.zeros(recruiter.size, np.int64)
    np.maximum.at(depth, root, level[members])
    return bool(np.any((size >= participants) & (depth >= levels)))


def unsold_stock_yuan(stock_units: np.ndarray, level: np.ndarray, scheme) -> float:
    """Locked capital: the stock everyone still holds, at what their agent tier paid per
    unit (yuan). No stock rule: 0."""
    holders = np.flatnonzero(stock_units)
    if holders.size == 0:
        return 0.0
    price = scheme.stock_price_fen(scheme.stock_tier(level[holders]))
    return float(np.sum(stock_units[holders] * price)) / 100.0


def update_monthly_earnings(
    monthly_fen: np.ndarray,
    earned_today_fen: np.ndarray,
    who: np.ndarray | None = None,
    earners: np.ndarray | None = None,
) -> None:
    """Exponentially weighted 30-day sum of earnings (fen), updated in place: every
    estimate fades by a day (x (1 - 1/30)), then today's earnings are added.

    earned_today_fen: (N,), or with `who` (ascending, distinct consumers) theirs only,
    everyone else having earned 0; earners: the consumers whose estimate may be nonzero
    (only they fade: 0 fades to 0), None for everyone. Sparse or dense, the same numbers.
    """
    fade = 1.0 - 1.0 / EARNINGS_WINDOW_DAYS
    if earners is None:
        monthly_fen *= fade
    else:
        monthly_fen[earners] *= fade
    if who is None:
        monthly_fen += earned_today_fen
    else:
        monthly_fen[who] += earned_today_fen


def quit_sharers(
    is_sharer: np.ndarray,
    days_as_sharer: np.ndarray,
    monthly_fen: np.ndarray,
    grace_days: int,
    min_monthly_fen: float,
    quit_hazard: float,
    u: np.ndarray,
) -> np.ndarray:
    """Which sharers (bool, per consumer) quit today: past the grace period, earning too
    little; the other arguments alike."""
    low = (days_as_sharer >= grace_days) & (monthly_fen < min_monthly_fen)
    return is_sharer & low & (u < quit_hazard)


class SharerBehavior(Section):
    """How customers become sharers and when sharers quit. (`[behavior]` keys.)"""

    sharer_recruitment_per_day: Probability = param(
        0.004,
        "Daily hazard that a customer becomes a sharer when the earnings appeal is 1.",
        "per day",
    )
    sharer_peer_effect: float = param(
        2.0,
        "Recruitment hazard grows by this times the trust-weighted share of ties who are sharers.",
        "multiplier",
        ge=0.0,
    )
    sharer_earnings_reference_yuan_per_month: float = param(
        30.0,
        "Expected monthly earnings at which the earnings appeal is 1 (appeal = (earnings / "
        "this) ^ sharer_join_elasticity, the ratio capped at 3).",
        "yuan per month",
        gt=0.0,
    )
    sharer_join_elasticity: float = param(
        1.0,
        "Elasticity of the joining hazard with respect to expected monthly earnings.",
        "elasticity",
        ge=0.0,
        le=5.0,
    )
    entry_fee_tolerance_yuan: float = param(
        200.0,
        "Up-front costs (entry fee, first stock) scale the earnings appeal by exp(-cost / this).",
        "yuan",
        gt=0.0,
    )
    recruitment_push: float = param(
        1.0,
        "How hard sharers recruit the customers bound to them when a recruit pays: the join "
        "hazard of such a customer grows by this x recruit value / recruit_value_reference_yuan.",
        "multiplier",
        ge=0.0,
    )
    recruit_value_reference_yuan: float = param(
        100.0,
        "Value of a recruit (pay per recruit plus expected overrides) at which the recruitment "
        "push is `recruitment_push`.",
        "yuan",
        gt=0.0,
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
        "sharers_without_sales_share",
        "unsold_stock_yuan",
        "downline_income_share",
        "payout_levels",
        "recruitment_tree_depth",
        "recruited_sharers",
        "criminal_line_crossed",
    )

    def roles(self, day: Day) -> None:
        """Customers join as sharers, low earners quit, new sharers pay their dues."""
        c, beh, ledger = self.pop, self.spec.behavior, day.ledger
        if self.idle(ledger):  # the stream steps past the day's two draws
            self.uniform_later("sharers", c.n), self.uniform_later("sharers", c.n)
            day.joined, day.quit = np.zeros(c.n, bool), np.zeros(c.n, bool)
            return
        self.add_earnings(ledger, fade=True)  # what settlement paid today
        paid_before = ledger.daily_fen[day.index, ROLE_EARNINGS].copy()
        scheme = self.platform.scheme
        joined, recruited = self.join(day)
        sharers = np.flatnonzero(c.is_sharer)  # only sharers can quit
        quit_ = np.zeros(c.n, bool)
        quit_[sharers] = ~c.is_leader[sharers] & quit_sharers(
            np.ones(sharers.size, bool),
            day.index - c.sharer_since_day[sharers],
            c.monthly_earnings_fen[sharers],
            beh.sharer_grace_days,
            beh.sharer_min_monthly_earnings_yuan * 100.0,
            beh.sharer_quit_hazard_per_day,
            self.uniform_later("sharers", c.n).at(sharers),
        )
        c.is_sharer |= joined
        c.is_sharer &= ~quit_
        c.was_sharer |= joined
        c.sharer_since_day[joined] = day.index
        c.monthly_earnings_fen[joined] = 0.0
        day.settlement.cost_of_goods_fen += onboard_sharers(
            day.index, np.flatnonzero(joined), c, scheme, ledger
        )
        if scheme.gift_pack_fen:
            self.stock_up_on_the_pack(day, np.flatnonzero(joined))
        pay_recruiters(day.index, recruited, c, scheme, ledger)
        if not np.array_equal(ledger.daily_fen[day.index, ROLE_EARNINGS], paid_before):
            # what recruits paid their uplines and the pay per recruit count as today's
            self.add_earnings(ledger, fade=False)
        day.joined, day.quit = joined, quit_

    def join(self, day: Day) -> tuple[np.ndarray, np.ndarray]:
        """Which customers join as sharers today ((N,) bool) and who of them was recruited
        for the first time (`record_recruitment`, the tree grown in place)."""
        c, beh = self.pop, self.spec.behavior
        joined = np.zeros(c.n, bool)
        if not self.anyone_can_join():  # skip the rules; the stream steps past the draw
            self.uniform_later("sharers", c.n)
            return joined, np.empty(0, np.int64)
        # only customers who are not sharers can join: every rule below is per consumer.
        # A draw at or above the highest rate anyone could have cannot join: the rules
        # below are computed only for the candidates drawing under it (a few in 100),
        # compared in float64 as the rule compares
        candidates, u = self.uniform_later("sharers", c.n).under(
            c.active_customer & ~c.is_sharer, self.joining_rate_bound()
        )
        if candidates.size == 0:  # most days of a small world: no rule to compute
            return joined, np.empty(0, np.int64)
        bound_to = bound_sharer(
            c.referrer,
            c.bound_day,
            c.is_sharer & ~c.lapsed,
            candidates,
            day.index,
            self.platform.scheme.binding_days,
        )
        joins = join_sharers(
            np.ones(candidates.size, bool),
            self.platform.get("word_of_mouth").sharer_signal[candidates],
            beh.sharer_recruitment_per_day,
            self.join_appeal(candidates, bound_to),
            beh.sharer_peer_effect,
            u,
        )
        joined[candidates] = joins
        recruited = record_recruitment(
            c.recruiter, c.sharer_level, candidates[joins], bound_to[joins]
        )
        return joined, recruited

    def setup(self) -> None:
        self.earners = GrowingSet(self.pop.n)  # only their monthly estimates can be nonzero

    def add_earnings(self, ledger, fade: bool) -> None:
        """Add what consumers earned since the ledger's earnings were last cleared to
        their monthly estimates, every estimate faded by a day first when `fade`; clear
        them. Only consumers who ever earned are read (all of them once they are many:
        one pass is then cheaper)."""
        c = self.pop
        who, earned_fen = ledger.earned_since_clear()
        ledger.clear_earnings()
        earners = self.earners.members if self.earners.members.size * 8 < c.n else None
        if fade:
            update_monthly_earnings(c.monthly_earnings_fen, earned_fen, who, earners)
        else:
            c.monthly_earnings_fen[who] += earned_fen
        self.earners.add(who)

    def idle(self, ledger) -> bool:
        """Nothing to do today: nobody can join (`anyone_can_join`) and nobody is a
        sharer, so nobody joins or quits; and nobody ever earned and nobody earned today,
        so every monthly estimate is 0 and stays 0 when faded."""
        return (
            not self.anyone_can_join()
            and not self.earners.members.size
            and not ledger.earned_since_clear()[0].size
            and not self.pop.is_sharer.any()
        )

    def anyone_can_join(self) -> bool:
        """False when the joining rate is 0: join_sharers' rate, base x appeal x (1 + ...),
        is then 0 (or NaN) for everyone, and nobody joins whatever the appeal."""
        return self.spec.behavior.sharer_recruitment_per_day > 0

    def joining_rate_bound(self) -> float:
        """A number no candidate's joining rate exceeds today (`join_sharers`: base x
        appeal x (1 + peer effect x signal)), hence no joining probability either (1 -
        exp(-rate) <= rate, compared with the uniforms in float64): base x the highest
        appeal x the highest recruiter's push x (1 + peer effect x the signal's ceiling,
        `word_of_mouth.SIGNAL_CEILING`), with a relative margin of 1e-6 for rounding
        (monotone; pow and exp within an ulp; the signal within 1e-10 of its ceiling).
        The highest appeal: min(3, E / reference) ^ a <= 3 ^ a (a >= 0), times exp(-cost /
        tolerance) at the lowest joining cost, the entry fee and gift-pack premium (a tier's
        stock only adds to it; every part is validated >= 0). The highest push: 1 + push x
        the most a recruit is worth to a recruiter (V, or V + W for one who sells stock
        down) / reference. Infinite (no candidate skipped) where no finite bound is found."""
        beh, scheme = self.spec.behavior, self.platform.scheme
        incentives = self.platform.get("incentives")
        values = [0.0, incentives.recruit_value]
        if incentives.stock_recruit_value:
            values.append(incentives.recruit_value + incentives.stock_recruit_value)
        push = 1.0 + beh.recruitment_push * max(values) / beh.recruit_value_reference_yuan
        lowest_cost = (scheme.entry_fee_fen + scheme.gift_pack_premium_fen) / 100.0
        appeal = MAX_REWARD_APPEAL**beh.sharer_join_elasticity * float(
            np.exp(-lowest_cost / beh.entry_fee_tolerance_yuan)
        )
        peers = 1.0 + beh.sharer_peer_effect * SIGNAL_CEILING  # no signal is above it
        bound = beh.sharer_recruitment_per_day * appeal * push * peers * (1.0 + 1e-6)
        return float(bound) if np.isfinite(bound) else np.inf

    def stock_up_on_the_pack(self, day: Day, joined: np.ndarray) -> None:
        """The gift pack's goods replace the new members' own orders of its category: each
        who buys it pushes their next order back by the orders its worth to them covers,
        (value_share x pack price / category price) x repurchase interval days."""
        scheme, c = self.platform.scheme, self.pop
        k = scheme.gift_pack_category
        category = self.spec.categories[k]
        covered = (scheme.gift_pack_fen - scheme.gift_pack_premium_fen) / scheme.price_fen[k]
        buyers = joined[c.customer_of[joined, k]]
        delay_days = round(covered * category.repurchase_interval_days)
        due = c.next_due_day[buyers, k]  # never due (no repurchase): stays never, not wrapped
        c.next_due_day[buyers, k] = np.where(
            due == NEVER, NEVER, np.maximum(due, day.index) + delay_days
        )

    def join_appeal(self, candidates: np.ndarray, bound_to: np.ndarray) -> np.ndarray:
        """Each candidate's appeal of joining today: A_j at the agent tier they would join
        at (expected earnings and up-front cost), raised by their recruiter's push
        (1 + recruitment_push x V_i / reference) when they are bound to a sharer."""
        beh, scheme = self.spec.behavior, self.platform.scheme
        incentives = self.platform.get("incentives")
        tier = scheme.stock_tier(joining_level(self.pop.sharer_level, candidates, bound_to))
        appeal = earnings_appeal(
            incentives.expected_monthly_earnings(candidates, tier),
            beh.sharer_earnings_reference_yuan_per_month,
            beh.sharer_join_elasticity,
            scheme.joining_cost_yuan(tier),
            beh.entry_fee_tolerance_yuan,
        )
        recruiter = bound_to
        push = (
            beh.recruitment_push
            * incentives.recruit_value_of(recruiter)
            / beh.recruit_value_reference_yuan
        )
        return appeal * (1.0 + push * (recruiter >= 0))

    def kpi_values(self) -> dict[str, float]:
        """Income distribution of everyone who was a sharer, and the recruitment tree."""
        c, ledger, scheme = self.pop, self.platform.ledger, self.platform.scheme
        who = np.flatnonzero(c.was_sharer)
        gross = (ledger.received_fen[who] + ledger.sales_fen[who]) / 100.0
        net = gross - ledger.dues_fen[who] / 100.0
        paid_levels = np.flatnonzero(ledger.payout_by_level_fen > 0)
        values = self.platform.recorder.values
        override_fen = (
            values["payout_upline_override"].sum()
            + values["payout_recruit_bonus"].sum()
            + values["downline_stock_markups"].sum()
        )
        nan = float("nan")
        return {
            "active_sharers": float(np.count_nonzero(c.is_sharer)),
            "sharers_ever": float(who.size),
            "sharer_income_median": float(np.median(net)) if who.size else nan,
            "sharer_income_p90": float(np.percentile(net, 90)) if who.size else nan,
            "sharer_income_gini": gini(gross),
            "sharers_negative_income_share": float(np.mean(net < 0)) if who.size else nan,
            "sharers_without_sales_share": float(np.mean(gross == 0)) if who.size else nan,
            "unsold_stock_yuan": unsold_stock_yuan(c.stock_units, c.sharer_level, scheme),
            # stock passed down at the seller's own price is not income: left out of both
            "downline_income_share": ratio(
                override_fen / 100.0, gross.sum() - values["downline_stock_sales"].sum() / 100.0
            ),
            "payout_levels": float(paid_levels.max()) if paid_levels.size else 0.0,
            "recruitment_tree_depth": float(c.sharer_level.max()),
            "recruited_sharers": float(np.count_nonzero(c.recruiter >= 0)),
            "criminal_line_crossed": float(
                crosses_criminal_line(c.recruiter, c.sharer_level, c.was_sharer)
            ),
        }
