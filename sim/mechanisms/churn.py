"""Churn: customers lapse, more so the longer since their last order.

An active customer lapses today with probability

    min(1, h0 x (1 + d / T) x (1 + b) ** n)

with h0 the base hazard per day, d the days since their last order, T the recency scale in
days, b the extra hazard per bad experience and n their bad experiences. A lapsed customer
stops buying, stops counting as word of mouth, and quits sharing; lapsing is absorbing. Other mechanisms multiply the hazard (`churn_factor`: bad news heard).

Besides, a customer who made a repeat order today (not their first) lapses right after it
with probability p_i, BG/NBD's dropout (which happens only after repeat purchases: a
customer without repeats is still active): with `lapse_after_order_probability` p and
`lapse_after_order_concentration` phi set, p_i ~ Beta(phi p, phi (1 - p)) drawn once
(mean p; smaller phi = more unequal), else p_i = p for everyone. Fader, Hardie and Lee
(2005) estimate a = 0.793, b = 2.426 on the CDNOW log (p = 0.25, phi = 3.2). The two
chances combine: 1 - (1 - hazard)(1 - p_i).

Bad experiences fade: with `bad_experience_half_life_days` H set, n above is each bad
experience weighted by 0.5 ** (its age in days / H), so a mismatch a year ago hardly counts;
unset, every bad experience counts for life.

Lapsing need not be final: with `win_back_per_day` w set, each lapsed customer is won back
(the platform's reminders, coupons and ads reach them) with probability w a day, before the
day's lapses. A won-back customer is active again: their reorders fall due at once (an
interval that ran out while they were away), and their recency clock restarts on the day
they came back. Unset (0), lapsing is absorbing as in BG/NBD.

Win-back also answers the platform's and the sharers' efforts: with
`win_back_per_exposure` r set, a lapsed customer's chance to come back today is

    1 - (1 - w) x exp(-r x E)

where E is the hazard today's efforts give them, summed over the categories they used to
buy: the part of the ad hazard the spend buys (not the organic external influence), and
the share and KOL-post hazards (the raw channel hazards that win new customers, before
price, hype and adoption factors, `sim.mechanisms.purchase`). A share from a tie or more
ad spend brings some lapsed customers back, more effort brings back more; without spend,
shares or posts reaching them, only the base chance w acts, and with r = 0 too.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from sim.mechanisms.base import Day, Mechanism
from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param


def churn_hazard(
    days_since_order: np.ndarray,
    bad_experiences: np.ndarray,
    base_per_day: float,
    recency_scale_days: float,
    per_bad_experience: float,
) -> np.ndarray:
    """Daily lapse probability of each customer (per customer, arrays alike)."""
    h = base_per_day * (1.0 + days_since_order / recency_scale_days)
    h = h * np.power(1.0 + per_bad_experience, bad_experiences)
    return np.minimum(h, 1.0)


def lapse_after_order_probabilities(
    mean: float, concentration: float | None, u: np.ndarray
) -> np.ndarray:
    """Each customer's chance to lapse right after an order: Beta(phi mean, phi (1 - mean))
    by inversion of uniforms u, or `mean` for all without a concentration phi."""
    if concentration is None or mean in (0.0, 1.0):
        return np.full(u.shape, mean)
    return betaincinv(concentration * mean, concentration * (1.0 - mean), u)


def with_dropout(hazard: np.ndarray, ordered_today: np.ndarray, dropout: np.ndarray) -> np.ndarray:
    """The day's lapse probability with the after-order dropout: 1 - (1 - h)(1 - p), where
    p counts only for customers who made a repeat order today; exactly h where p is 0."""
    p = np.where(ordered_today, dropout, 0.0)
    return np.where(p > 0, 1.0 - (1.0 - hazard) * (1.0 - p), hazard)


def lapse(active_customers: np.ndarray, hazard: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which active customers (bool, per consumer) lapse today."""
    return active_customers & (u < hazard)


def faded(weight: np.ndarray, half_life_days: float) -> np.ndarray:
    """Bad-experience weights one day older: x 0.5 ** (1 / half-life in days)."""
    return weight * 0.5 ** (1.0 / half_life_days)


WIN_BACK_CHANNELS = ("share", "kol")  # with the ads' spend part: efforts reaching them

CHANNELS = (
    Channel(
        "behavior.win_back_per_exposure",
        "lapsed customers",
        "the hazard today's ad spend (not the organic p0), shares and KOL posts give them "
        "in the categories they bought (per day)",
        "comes back with probability 1 - (1 - w) exp(-r x E)",
        "win_back_per_exposure r (fraction of the adoption hazard), win_back_per_day w",
        "churn",
        "no ad spend, share or post reaching them: only the base chance w",
        "win_back_exposure",
    ),
)


def win_back_exposure(bought: np.ndarray, hazards: list[np.ndarray]) -> np.ndarray:
    """E: each lapsed customer's adoption hazard from the given channels (per day), summed
    over the categories they bought. bought: (K, C) bool; hazards: (K, C) each."""
    total = np.zeros(bought.shape)
    for hazard in hazards:
        total = total + hazard
    return (total * bought).sum(axis=1)


def won_back(
    lapsed_customers: np.ndarray,
    win_back_per_day: float,
    u: np.ndarray,
    exposure: np.ndarray | None = None,
    per_exposure: float = 0.0,
    boost: np.ndarray | None = None,
) -> np.ndarray:
    """Which lapsed customers (bool, per consumer) are won back today: probability w a day
    each, or 1 - (1 - w) exp(-r x E) with exposure E (per day) and response r; a boost f
    (a win-back coupon) raises the chance of staying away to the power f."""
    if (exposure is None or per_exposure == 0.0) and boost is None:
        return lapsed_customers & (u < win_back_per_day)
    stay = 1.0 - win_back_per_day
    if exposure is not None and per_exposure != 0.0:
        stay = stay * np.exp(-per_exposure * exposure)
    if boost is not None:
        stay = stay**boost
    return lapsed_customers & (u < 1.0 - stay)


class ChurnBehavior(Section):
    """How customers lapse. (`[behavior]` keys.)"""

    churn_base_hazard_per_day: Probability = param(
        0.001,
        "Daily lapse hazard of a customer who ordered today with no bad experiences.",
        "per day",
    )
    churn_recency_scale_days: float = param(
        30.0,
        "Churn hazard grows by the base hazard every this many days since the last order.",
        "days",
        gt=0.0,
    )
    lapse_after_order_probability: Probability = param(
        0.0,
        "Mean chance that a customer lapses right after a repeat order (BG/NBD's dropout p; "
        "CDNOW: 0.25).",
        "probability",
    )
    lapse_after_order_concentration: float | None = param(
        None,
        "Beta concentration phi = a + b of each customer's lapse-after-order chance (mean as "
        "above; smaller = more unequal; CDNOW: 3.2); none = all alike.",
        gt=0.0,
        le=1e6,
    )
    churn_per_bad_experience: float = param(
        1.0,
        "Each bad experience multiplies the churn hazard by (1 + this).",
        "multiplier",
        ge=0.0,
    )
    bad_experience_half_life_days: float | None = param(
        None,
        "Half-life of a bad experience's effect on the churn hazard; none = it counts for life.",
        "days",
        gt=0.0,
    )
    win_back_per_day: Probability = param(
        0.0,
        "Daily chance that a lapsed customer is won back (reminders, coupons, ads) and "
        "buys again; 0 = lapsing is final.",
        "per day",
    )
    win_back_per_exposure: float = param(
        0.0,
        "A lapsed customer also comes back with hazard r x E, E the adoption hazard today's "
        "ads, shares and KOL posts give them in the categories they bought (r = their "
        "response relative to a prospect's); 0 = efforts do not reach lapsed customers.",
        "fraction of the adoption hazard",
        ge=0.0,
        le=100.0,
    )


class Churn(Mechanism):
    name = "churn"
    params = ChurnBehavior
    phase = "churn"
    streams = ("churn", "lapse_propensity", "win_back")
    series = ("lapsed_today", "lapsed", "won_back")

    def setup(self) -> None:
        beh = self.spec.behavior
        mean, phi = beh.lapse_after_order_probability, beh.lapse_after_order_concentration
        u = (  # drawn once, from its own stream, only when customers differ
            self.rng("lapse_propensity").random(self.pop.n)
            if phi is not None and 0.0 < mean < 1.0
            else np.zeros(self.pop.n)
        )
        self.dropout = lapse_after_order_probabilities(mean, phi, u)
        self.bad_weight = np.zeros(self.pop.n)  # faded bad experiences (with a half-life)
        self.bad_seen = np.zeros(self.pop.n, np.int32)  # bad experiences already weighted
        self.back_day = np.full(self.pop.n, -1, np.int32)  # the day each was last won back

    def bad_experience_weight(self) -> np.ndarray:
        """n of the hazard: the count, or with a half-life each experience faded by age."""
        c, half_life = self.pop, self.spec.behavior.bad_experience_half_life_days
        if half_life is None:
            return c.bad_experiences
        self.bad_weight = faded(self.bad_weight, half_life) + (c.bad_experiences - self.bad_seen)
        self.bad_seen = c.bad_experiences.copy()
        return self.bad_weight

    def recent_bad_experiences(self) -> np.ndarray:
        """Each consumer's bad experiences as the hazard last weighed them: faded with a
        half-life, else the count (read only: the churn phase updates them)."""
        if self.spec.behavior.bad_experience_half_life_days is None:
            return self.pop.bad_experiences
        return self.bad_weight

    def win_back(self, day: Day) -> None:
        """Lapsed customers come back (see `won_back`); other mechanisms' win-back factors
        (a coupon waiting for them) raise the chance."""
        c, beh = self.pop, self.spec.behavior
        who = np.flatnonzero(c.is_customer & c.lapsed)  # only they can come back
        exposure = None
        if beh.win_back_per_exposure > 0:
            shape = (c.n, day.categories)
            ads = self.platform.get("advertising").spend_hazard  # not the organic p0
            exposure = win_back_exposure(
                c.customer_of[who],
                [np.broadcast_to(ads, shape)[who]]
                + [np.broadcast_to(day.hazard[ch], shape)[who] for ch in WIN_BACK_CHANNELS],
            )
        boost = None
        for factor in self.platform.factors("win_back_factor"):
            f = factor(day, who)  # None: nothing raises anyone's chance today
            if f is not None:
                boost = f if boost is None else boost * f
        back = np.zeros(c.n, bool)
        back[who] = won_back(
            np.ones(who.size, bool),
            beh.win_back_per_day,
            self.uniform_later("win_back", c.n).at(who),
            exposure,
            beh.win_back_per_exposure,
            boost,
        )
        c.lapsed &= ~back
        self.back_day[back] = day.index
        day.won_back = back
        day.count("won_back", back.sum())

    def anyone_can_lapse(self) -> bool:
        """False when the base hazard and the lapse after an order are both 0: churn_hazard
        is proportional to the base (0, or NaN where a factor overflows, for everyone), so
        nobody lapses whatever the other factors."""
        beh = self.spec.behavior
        return beh.churn_base_hazard_per_day > 0 or beh.lapse_after_order_probability > 0

    def churn(self, day: Day) -> None:
        c, beh = self.pop, self.spec.behavior
        if beh.win_back_per_day > 0 or beh.win_back_per_exposure > 0:
            self.win_back(day)
        weight = self.bad_experience_weight()  # every consumer's: it keeps its own state
        lapsed = np.zeros(c.n, bool)
        if not self.anyone_can_lapse():  # skip the rules; the stream steps past the draw
            self.uniform_later("churn", c.n)
            day.lapsed = lapsed
            return
        active = np.flatnonzero(c.active_customer & ~c.is_leader)  # only they can lapse
        hazard = churn_hazard(
            day.index - np.maximum(c.last_order_day[active], self.back_day[active]),
            weight[active],
            beh.churn_base_hazard_per_day,
            beh.churn_recency_scale_days,
            beh.churn_per_bad_experience,
        )
        for factor in self.platform.factors("churn_factor"):
            hazard = hazard * factor(day, active)
        if beh.lapse_after_order_probability > 0:
            last, first = c.last_order_day[active], c.first_order_day[active]
            repeat_today = (last == day.index) & (first < day.index)
            hazard = with_dropout(hazard, repeat_today, self.dropout[active])
        lapsed[active] = lapse(
            np.ones(active.size, bool), hazard, self.uniform_later("churn", c.n).at(active)
        )
        c.lapsed |= lapsed
        day.quit |= lapsed & c.is_sharer
        c.is_sharer &= ~lapsed
        day.lapsed = lapsed
