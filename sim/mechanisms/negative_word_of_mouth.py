"""Negative word of mouth: bad experiences are told to ties.

Every bad experience (product mismatch, late delivery, failed group buy) is told to all of
the consumer's ties. A consumer's negative signal N_j is the trust-weighted number of bad
experiences they heard, fading with a half-life of `negative_wom_half_life_days`:

    N_j(t+1) = N_j(t) x 0.5 ** (1 / half-life) + sum_i trust_ji x bad_i(t)

It lowers the adoption hazard by exp(-a x N_j) and raises the churn hazard by (1 + b x N_j)
(a = negative_wom_adoption_sensitivity, b = negative_wom_churn_sensitivity). In a dense
neighborhood a consumer has more neighbor ties, so the same bad experience reaches more
people: "a dense neighborhood can lose a whole building".
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.arrays import GrowingSet
from sim.kernels import add_rows
from sim.mechanisms.base import Day, Factor, Mechanism, State, spread_reached
from sim.metrics import ratio
from sim.schema_base import Section, param


def spread_bad_news(
    signal: np.ndarray,
    trust_by_speaker: sp.csr_matrix,
    tellers: np.ndarray,
    told: np.ndarray,
    half_life_days: float,
    slot: np.ndarray | None = None,
) -> np.ndarray:
    """Fade and add today's bad news (each listener's trust-weighted bad experiences of
    their ties today, distrust counting 0), in place. tellers: the consumers who had bad
    experiences today (ascending, distinct); told: how many each (int). Returns the
    consumers who heard some (ascending). slot: optional (N,) int32 scratch of -1
    (`spread_reached`)."""
    signal *= 0.5 ** (1.0 / half_life_days)
    if tellers.size == 0:
        return np.empty(0, np.int64)
    if slot is None:
        slot = np.full(signal.size, -1, np.int32)
    reached, heard = spread_reached(trust_by_speaker, np.asarray(tellers, np.int64), told, slot)
    add_rows(signal[:, None], reached, np.maximum(heard, 0.0))  # a view: written through
    return np.sort(reached[heard.reshape(reached.size) > 0])


def adoption_damper(
    signal: np.ndarray, sensitivity: float, heard: np.ndarray | None = None
) -> np.ndarray:
    """Multiplier of the adoption hazard, exp(-sensitivity x signal) (computed where the
    signal is not 0: exp(-0) is 1 exactly, and most consumers heard no bad news). heard:
    optional consumers outside whom every signal is 0 (read instead of the signal)."""
    out = np.ones(signal.shape)
    heard = np.flatnonzero(signal) if heard is None else heard
    out[heard] = np.exp(-sensitivity * signal[heard])
    return out


def churn_amplifier(signal: np.ndarray, sensitivity: float) -> np.ndarray:
    """Multiplier of the churn hazard, 1 + sensitivity x signal."""
    return 1.0 + sensitivity * signal


class NegativeWordOfMouthBehavior(Section):
    """How bad news spreads, fades and deters. (`[behavior]` keys.)"""

    negative_wom_half_life_days: float = param(
        14.0, "Half-life of the bad news a consumer heard from ties.", "days", gt=0.0
    )
    negative_wom_adoption_sensitivity: float = param(
        0.5,
        "Adoption hazard falls by exp(-this x trust-weighted bad news heard).",
        "per unit of bad news",
        ge=0.0,
    )
    negative_wom_churn_sensitivity: float = param(
        0.5,
        "Churn hazard grows by (1 + this x trust-weighted bad news heard).",
        "per unit of bad news",
        ge=0.0,
    )


class NegativeWordOfMouth(Mechanism):
    name = "negative_word_of_mouth"
    params = NegativeWordOfMouthBehavior
    phase = "experience"
    series = ("bad_news_hearers",)
    kpis = ("bad_news_reach",)
    states = (State("bad_news", np.float64, 0.0, doc="trust-weighted bad news heard"),)

    def setup(self) -> None:
        self._slot = np.full(self.pop.n, -1, np.int32)  # scratch of `spread_reached`
        # who ever heard bad news (only `experience` brings any): the rest have signal 0
        self.heard = GrowingSet(self.pop.n)

    def adoption_factor(self, day: Day) -> Factor | float:
        """The damper of everyone's adoption hazard, in [0, 1]: the sensitivity is at
        least 0 (validated) and so is every signal (trust of 0 or more added, faded)."""
        if not self.heard.members.size:  # every signal is 0, and exp(-a x 0) is 1 for everyone
            return 1.0
        sensitivity = self.spec.behavior.negative_wom_adoption_sensitivity
        damper = adoption_damper(self.pop.bad_news, sensitivity, self.heard.members)
        return Factor(damper[:, None], 0.0, 1.0)

    def idle(self, day: Day) -> bool:
        """Nothing to do today: no bad experience to tell, and every signal is 0 (faded,
        still 0): nobody heard any news, and no signal was set otherwise (by hand)."""
        return (
            not self.heard.members.size
            and not day.bad_experience_total
            and not self.pop.bad_news.any()
        )

    def experience(self, day: Day) -> None:
        if self.idle(day):
            return
        hearers = spread_bad_news(
            self.pop.bad_news,
            self.platform.network.by_speaker,
            *day.bad_experiences_today(),
            self.spec.behavior.negative_wom_half_life_days,
            self._slot,
        )
        self.heard.add(hearers)
        day.count("bad_news_hearers", hearers.size)

    def churn_factor(self, day: Day, who: np.ndarray) -> np.ndarray:
        sensitivity = self.spec.behavior.negative_wom_churn_sensitivity
        return churn_amplifier(self.pop.bad_news[who], sensitivity)

    def kpi_values(self) -> dict[str, float]:
        v = self.platform.recorder.values
        return {"bad_news_reach": ratio(v["bad_news_hearers"].sum(), v["bad_experiences"].sum())}
