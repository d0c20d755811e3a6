"""`Market`: the Mesa model. One world, one or more platforms; one step is one day.

The world (population, neighborhoods, trust network) is built once per replication; the
scenario's platform and each `[[rivals]]` entry are `Platform` agents on it, each with its
own payout scheme, mechanisms, consumers' state, ledger and recorder. A consumer belongs
to one platform at a time: before a platform's day, the consumers another platform holds
are out of its reach; with `behavior.multi_homing` every platform reaches everyone and a
customer of several splits their orders by share of wallet (`sim.mechanisms.multi_homing`). Platforms take turns in alternating order (fair on ties). A Mesa user
can drive it step by step::

    market = Market(load_scenario("scenarios/baseline.toml"))
    for _ in range(30):
        market.step()
    market.daily_frame()
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from sim.catalog import series, series_entry
from sim.metrics import ratio
from sim.network import EdgeList
from sim.platform import Platform
from sim.scenario import Scenario, rival_scenarios
from sim.streams import Streams
from sim.threads import threads
from sim.world import World


class Market(mesa.Model):
    """Consumers and sharers on a trust network, buying from one or more platforms."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        edge_list: EdgeList | None = None,
        source: str = "<scenario>",
        spawn_prefix: tuple[int, ...] = (),
    ):
        threads()  # a bad SIM_THREADS is reported before any work, not on a large pass
        streams = Streams(scenario.run.seed, replication, spawn_prefix)
        super().__init__(rng=streams["mesa"])
        # `self.scenario` belongs to Mesa (>= 3.4); ours is `self.spec`.
        self.spec = scenario
        self.replication = replication
        self.streams = streams
        self.day = 0
        self.days = scenario.run.days
        self.world = World.build(scenario, streams, edge_list, source)
        self.world.add_neighborhood_agents(self)
        self.platforms = [Platform(self, 0, scenario, self.world, streams)]
        for i, spec in enumerate(rival_scenarios(scenario), start=1):
            rival_streams = Streams(spec.run.seed, replication, (*spawn_prefix, i))
            self.platforms.append(Platform(self, i, spec, self.world, rival_streams))
        self.market_series = {
            name: np.zeros(self.days, np.int64)
            for name in (s.name for s in series() if s.provider == "market")
        }
        self.running = True

    # ------------------------------------------------------------------ views
    @property
    def platform(self) -> Platform:
        """The scenario's own platform (the first)."""
        return self.platforms[0]

    @property
    def rivals(self) -> list[Platform]:
        return self.platforms[1:]

    @property
    def consumers(self):
        return self.platform.consumers

    @property
    def ledger(self):
        return self.platform.ledger

    @property
    def recorder(self):
        return self.platform.recorder

    @property
    def layout(self):
        return self.world.layout

    @property
    def neighborhoods(self):
        return self.world.neighborhoods

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day for every platform, in alternating order; then the market's series."""
        if self.day >= self.days:
            self.running = False
            return
        day = self.day
        platforms = self.platforms if day % 2 == 0 else self.platforms[::-1]
        for platform in platforms:
            held = np.zeros(self.world.consumers, bool)
            if len(self.platforms) > 1 and not self.spec.behavior.multi_homing:
                for other in self.platforms:
                    if other is not platform:
                        held |= other.claimed()
            platform.step_day(held)
        if self.rivals:
            self.market_series["rival_customers"][day] = sum(
                int(np.count_nonzero(r.consumers.active_customer)) for r in self.rivals
            )
            self.market_series["rival_gmv"][day] = sum(
                int(r.recorder.values["gmv"][day]) for r in self.rivals
            )
            self.market_series["rival_orders"][day] = sum(
                int(r.recorder.values["orders"][day]) for r in self.rivals
            )
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def run_model(self) -> None:
        while self.running:
            self.step()

    def release(self) -> None:
        """Let a finished model be freed.

        Mesa 3.3 keeps every model alive in the class-level `Agent._ids` counter (keyed by
        model); a sweep of thousands of runs would hold them all. Call this when done.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    # ------------------------------------------------------------------ results
    def daily_frame(self) -> pd.DataFrame:
        """The first platform's daily series, then the market's (and market share)."""
        frame = self.platform.recorder.frame(self.day)
        for name, values in self.market_series.items():
            col = values[: self.day]
            frame[name] = col / 100.0 if series_entry(name).in_fen else col
        if self.rivals:  # the platform's share of the consumers some platform holds
            own, other = frame["active_customers"].to_numpy(), frame["rival_customers"].to_numpy()
            total = own + other
            frame["market_share"] = np.divide(
                own, total, out=np.full(self.day, np.nan), where=total > 0
            )
        return frame

    def kpis(self) -> dict[str, float]:
        """End-of-run KPIs of the first platform, in catalog order (see `sim.catalog`)."""
        values = self.platform.kpis()
        if self.rivals:
            active = np.count_nonzero(self.platform.consumers.active_customer)
            rivals = self.market_series["rival_customers"][self.day - 1]
            values["market_share"] = ratio(active, active + rivals)
            v, m = self.platform.recorder.values, self.market_series
            orders, gmv = int(v["orders"][: self.day].sum()), int(v["gmv"][: self.day].sum())
            values["market_share_orders"] = ratio(orders, orders + int(m["rival_orders"].sum()))
            values["market_share_gmv"] = ratio(gmv, gmv + int(m["rival_gmv"].sum()))
        return values


SocialCommerceModel = Market  # the name earlier versions used
