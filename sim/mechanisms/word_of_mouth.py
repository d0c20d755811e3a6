"""Word of mouth: customers talk about what they buy to the people who trust them.

Under the Bass model, consumer j's word-of-mouth hazard for category c is
q x W_jc, with q = `behavior.word_of_mouth_per_day` and W_jc the trust-weighted share of
j's ties who are active customers of c (with uniform mixing, the share of all consumers
who are: the classic Bass model). Under the independent cascade, each tie that first
bought c yesterday converts j with probability cascade_probability x trust, once.

What consumers heard from a tie outside word of mouth proper (a gift they claimed, a
bargain they helped) is their `awareness`: it joins the word-of-mouth hazard for one day.

W is kept up to date incrementally: each day only the columns of consumers whose state
changed are added (`update`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from sim.kernels import add_rows, changed_influence
from sim.mechanisms.base import Day, Mechanism, ScaledHazard, State, spread, spread_reached
from sim.schema_base import Probability, Section, param
from sim.threads import by_row_chunks


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
    return spread(cascade_by_speaker, speakers, new_customer_of[speakers])


class WordOfMouthBehavior(Section):
    """How word of mouth converts consumers. (`[behavior]` keys.)"""

    word_of_mouth_model: Literal["bass", "independent_cascade"] = param(
        "bass",
        "'bass': hazard p + q x trust-weighted share of ties who are customers; "
        "'independent_cascade': each new customer tells each tie once.",
    )
    word_of_mouth_per_day: float = param(
        0.03,
        "Bass q: daily adoption hazard per unit trust-weighted share of ties who are customers.",
        "per day",
        ge=0.0,
        le=50.0,
    )
    cascade_probability: Probability = param(
        0.1,
        "Independent cascade: probability that a new customer converts a tie of trust 1.",
        "probability",
    )


# No signal exceeds 1. The signal is kept by adding what speakers broadcast at set-up and
# then each change of it, over ties scaled to sum to 1 in absolute value per listener
# (`sim.network.row_normalized`): it is the scaled ties times what each speaker
# broadcasts, 0 or 1, so it is at most 1 (distrust ties only lower it) and at least -1
# (in rounding, within half an ulp per addition: some 1e-10 after a million updates of a
# row). A rule may bound a rate by it.
SIGNAL_CEILING = 1.0


class WordOfMouth(Mechanism):
    name = "word_of_mouth"
    params = WordOfMouthBehavior
    phase = "expose"
    states = (
        State("awareness", np.float64, 0.0, per_category=True, doc="heard from a tie today"),
        State(
            "wom_signal",
            np.float64,
            0.0,
            per_category=True,
            extra_columns=1,
            doc="trust-weighted share of ties who are customers of each category, then sharers",
        ),
        State(
            "wom_broadcast",
            np.int8,
            0.0,
            per_category=True,
            extra_columns=1,
            doc="what the consumer broadcast when the signal was last updated (0 or 1)",
        ),
    )

    def setup(self) -> None:
        self._slot = np.full(self.pop.n, -1, np.int32)  # scratch of `spread_reached`
        # built with the world, not on the first day: every day's update reads it
        self.influence = self.platform.network.influence_by_speaker
        self.awareness_raised = any(m.raises_awareness for m in self.platform.mechanisms.values())
        self.broadcast_start()

    def broadcast_start(self) -> None:
        """What consumers broadcast before day 0 (the group leaders appointed then are
        sharers) enters the signal at once, as every later change does in `update`: the
        signal is then the ties times what each speaker broadcasts."""
        c = self.pop
        state = c.influence_state()
        speaking = np.flatnonzero(state.any(axis=1))
        if speaking.size:
            reached, sums = spread_reached(self.influence, speaking, state[speaking], self._slot)
            add_rows(c.wom_signal, reached, sums)
        self.broadcast[:] = state

    @property
    def signal(self) -> np.ndarray:
        return self.pop.wom_signal

    @property
    def broadcast(self) -> np.ndarray:
        return self.pop.wom_broadcast

    @cached_property
    def cascade_by_speaker(self) -> sp.csr_matrix:
        """Entry (i, j): -log(1 - pc x trust_ji), the cascade hazard of speaker i on j."""
        matrix = self.platform.network.by_speaker.copy()
        pc = self.spec.behavior.cascade_probability
        matrix.data = -np.log1p(-pc * np.clip(matrix.data, 0.0, 1.0) * (1 - 1e-12))
        return matrix

    @property
    def sharer_signal(self) -> np.ndarray:
        """(N,) trust-weighted share of each consumer's ties who are sharers."""
        return self.signal[:, -1]

    def expose(self, day: Day) -> None:
        beh, k = self.spec.behavior, day.categories
        if beh.word_of_mouth_model == "bass" and self.spec.network.mixing == "network":
            # q x the signal, read where the signal is kept (not written out every day)
            # no signal above its ceiling, give or take rounding's 1e-10 (above): a
            # margin of 1e-6 is ten thousand times that drift (and costs nothing)
            ceiling = SIGNAL_CEILING * (1 + 1e-6)
            rate = ScaledHazard(beh.word_of_mouth_per_day, self.signal, k, ceiling)
        elif beh.word_of_mouth_model == "bass":
            wom = word_of_mouth_signal(
                self.spec.network.mixing, self.signal[:, :k], self.broadcast[:, :k]
            )
            rate = np.multiply(
                beh.word_of_mouth_per_day, wom, out=self.kept_array("rate", wom.shape)
            )
        else:
            rate = cascade_rate(self.cascade_by_speaker, self.pop.new_customer_of)
        # a gift or a bargain help: one day of awareness (only those mechanisms give any)
        if self.awareness_raised and self.pop.awareness.any():
            rate = rate + self.pop.awareness
            self.pop.awareness[:] = 0.0
        day.hazard["word_of_mouth"] = rate

    def update(self, day: Day) -> None:
        """Add the columns of consumers whose broadcast state changed today."""
        c = self.pop
        changed = by_row_chunks(
            changed_influence,
            c.customer_of,
            c.lapsed,
            c.is_sharer,
            self.broadcast,
            rows=c.n,
            columns=self.broadcast.shape[1],
        )
        if changed.size:
            now = c.influence_state(changed)
            delta = now - self.broadcast[changed]
            reached, sums = spread_reached(self.influence, changed, delta, self._slot)
            add_rows(c.wom_signal, reached, sums)  # the dense sum adds 0 to everyone else
            self.broadcast[changed] = now
