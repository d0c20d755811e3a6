"""Watch one replication unfold, day by day, on a sample of the trust network.

The model is the same `Market` the CLI runs (a `mesa.Model`); the view draws a sample of
consumers and their ties among themselves, coloured by role: customers, sharers, group
leaders and consumers who have not bought.
"""

from __future__ import annotations

import numpy as np

from sim.market import Market
from sim.scenario import Scenario

MAX_WATCH_CONSUMERS = 20_000


class Watch:
    """One replication of a scenario, stepped on demand, with a fixed sample to draw."""

    def __init__(self, scenario: Scenario, sample: int = 150):
        if scenario.population.consumers > MAX_WATCH_CONSUMERS:
            scenario = scenario.model_copy(
                update={
                    "population": scenario.population.model_copy(
                        update={"consumers": MAX_WATCH_CONSUMERS}
                    )
                }
            )
        self.model = Market(scenario, 0)
        n = self.model.consumers.n
        # An evenly spaced sample and a sunflower layout: the view draws no random numbers.
        self.nodes = np.unique(np.linspace(0, n - 1, min(sample, n)).astype(np.int64))
        trust = self.model.platform.network.trust.tocsr()
        sub = trust[self.nodes][:, self.nodes].tocoo()
        self.edges = np.column_stack([sub.row, sub.col])[sub.row < sub.col]
        k = np.arange(self.nodes.size)
        angle = k * np.pi * (3.0 - np.sqrt(5.0))
        radius = np.sqrt((k + 0.5) / self.nodes.size)
        self.xy = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

    @property
    def day(self) -> int:
        return int(self.model.steps)

    def step(self, days: int = 1) -> None:
        for _ in range(days):
            if self.model.running:
                self.model.step()

    def status(self) -> dict[str, int]:
        c = self.model.consumers
        return {
            "day": self.day,
            "customers": int(c.active_customer.sum()),
            "sharers": int(c.is_sharer.sum()),
            "lapsed": int(c.lapsed.sum()),
        }

    def figure(self):
        import matplotlib.pyplot as plt

        c = self.model.consumers
        who = self.nodes
        colour = np.where(
            c.is_leader[who],
            "tab:purple",
            np.where(
                c.is_sharer[who],
                "tab:orange",
                np.where(c.lapsed[who], "tab:red", np.where(c.is_customer[who], "tab:blue", "0.8")),
            ),
        )
        fig, ax = plt.subplots(figsize=(5, 5))
        for a, b in self.edges:
            ax.plot(*self.xy[[a, b]].T, color="0.85", lw=0.5, zorder=0)
        ax.scatter(*self.xy.T, c=list(colour), s=25, zorder=1)
        ax.set_title(
            "day {day}: {customers} customers, {sharers} sharers, {lapsed} lapsed".format(
                **self.status()
            ),
            fontsize=9,
        )
        ax.set_axis_off()
        return fig
