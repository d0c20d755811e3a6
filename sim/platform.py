"""A platform: a payout scheme, its mechanisms, its consumers' state, its ledger and recorder.

`Platform` is a Mesa agent of the `Market`. It holds no mechanism logic: its day creates a
`Day` context and runs every phase of `sim.mechanisms.base.PHASES` in order, each through
the mechanisms of `sim.mechanisms.REGISTRY` that the scenario switches on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from sim.catalog import kpis
from sim.ledger import Ledger
from sim.mechanisms import REGISTRY
from sim.mechanisms.base import FACTORS, PHASES, Day, Mechanism
from sim.metrics import platform_kpis
from sim.payout import PayoutScheme
from sim.recorder import Recorder
from sim.state import Consumers

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.streams import Streams
    from sim.world import World


DEFAULT_AD_SPEND_YUAN_PER_1000_PER_DAY = 15.0


def ad_spend_yuan_per_day(spec: Scenario) -> float:
    """The platform's ad spend: the scenario's, else 15 yuan a day per 1,000 consumers."""
    spend = spec.platform.ad_spend_yuan_per_day
    if spend is None:
        spend = DEFAULT_AD_SPEND_YUAN_PER_1000_PER_DAY * spec.population.consumers / 1000.0
    return float(spend)


class Platform(mesa.Agent):
    """One platform on the market's world."""

    def __init__(
        self, market: mesa.Model, index: int, spec: Scenario, world: World, streams: Streams
    ):
        super().__init__(market)
        self.index = index
        self.spec = spec
        self.name = spec.platform.name
        self.world = world
        self.layout = world.layout
        self.network = world.network  # mechanisms may add this platform's own ties
        self.streams = streams
        self.days = spec.run.days
        self.scheme = PayoutScheme.from_section(spec.payout, spec.categories)
        self.ad_spend_yuan_per_day = ad_spend_yuan_per_day(spec)
        self.hype_half_life = np.array(
            [c.hype_half_life_days if c.hype_half_life_days else np.inf for c in spec.categories]
        )
        self.consumers = Consumers.create(world.layout.online_ready, len(spec.categories))
        self.ledger = Ledger(self.consumers.n, self.days, spec.run.ledger == "entries")
        self.recorder = Recorder(self.days)
        self.mechanisms: dict[str, Mechanism] = {
            cls.name: cls(self) for cls in REGISTRY if cls.enabled(spec)
        }
        for mechanism in self.mechanisms.values():
            for state in mechanism.states:
                self.consumers.register(state, mechanism.name)
        for mechanism in self.mechanisms.values():
            mechanism.setup_network()
        for mechanism in self.mechanisms.values():
            mechanism.setup()
        self._plan = {
            hook: [getattr(m, hook) for m in self.mechanisms.values() if hook in m.hooks()]
            for hook in (*PHASES, *FACTORS)
        }
        self.day = 0

    # ------------------------------------------------------------------ wiring
    def get(self, name: str) -> Mechanism | None:
        """The mechanism of that name, or None where the scenario switches it off."""
        return self.mechanisms.get(name)

    def factors(self, hook: str) -> list:
        """The mechanisms' factor methods of one kind (adoption, reorder, churn), in order."""
        return self._plan[hook]

    def hype(self, day: int) -> np.ndarray:
        """Demand multiplier per category from its hype half-life (1 without one)."""
        return np.power(0.5, day / self.hype_half_life)

    def claimed(self) -> np.ndarray:
        """Consumers this platform holds: active customers and members of its open groups."""
        held = self.consumers.active_customer.copy()
        groups = self.get("group_buying")
        if groups is not None:
            held |= groups.book.member_group >= 0
        return held

    def step_day(self, held_elsewhere: np.ndarray | None = None) -> Day | None:
        """Run one day: every phase in order, then record it. Returns the day's context."""
        if self.day >= self.days:
            return None
        n = self.consumers.n
        day = Day(
            index=self.day,
            consumers=n,
            categories=len(self.spec.categories),
            ledger=self.ledger,
            held_elsewhere=np.zeros(n, bool) if held_elsewhere is None else held_elsewhere,
            hype=self.hype(self.day),
        )
        for phase in PHASES:
            for run in self._plan[phase]:
                run(day)
        self.recorder.record(day, self)
        self.day += 1
        return day

    def step(self) -> None:  # a Mesa agent's step: the market decides the order
        self.step_day()

    # ------------------------------------------------------------------ results
    def daily_frame(self) -> pd.DataFrame:
        """This platform's daily series so far (money in yuan)."""
        return self.recorder.frame(self.day)

    def kpis(self) -> dict[str, float]:
        """This platform's end-of-run KPIs in catalog order; a switched-off mechanism's
        KPIs take their `when_off` value (market share is the market's)."""
        values = platform_kpis(self)
        for mechanism in self.mechanisms.values():
            values.update(mechanism.kpi_values())
        return {k.name: values.get(k.name, k.when_off) for k in kpis()}
