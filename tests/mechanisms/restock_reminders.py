"""Restock reminders: a mechanism that lives only in the tests.

It shows that adding a mechanism is one new file plus one line of registration
(`REGISTRY.append(RestockReminders)`, done by the `reminders` fixture of
`test_contract.py`): it brings its own random stream, per-consumer state, daily series
and KPI, and it moves behaviour through the protocol's `reorder_factor`.

Rule: each day the platform sends a reminder to every customer whose repurchase of a
category is due, with probability REACH; a reminded customer reorders with probability
multiplied by (1 + LIFT). (Parameters are class constants here; a shipped mechanism
declares them in its schema section, see docs/adding-a-mechanism.md.)
"""

from __future__ import annotations

import numpy as np

from sim.catalog import KPI, Series
from sim.mechanisms.base import Day, Mechanism, State


def reminded(due: np.ndarray, reach: float, u: np.ndarray) -> np.ndarray:
    """Which due (customer, category) pairs get a reminder: u < reach."""
    return due & (u < reach)


class RestockReminders(Mechanism):
    name = "restock_reminders"
    phase = "reorder"
    streams = ("reminders",)
    states = (State("reminders_received", np.int32, 0, doc="reminders received so far"),)
    series = (
        Series("reminders_sent", "Restock reminders sent today.", "count", "restock_reminders"),
    )
    kpis = (
        KPI(
            "reminded_customers",
            "Customers who received at least one restock reminder.",
            "count(reminders received > 0)",
            "people",
            None,
            "restock_reminders",
            when_off=0.0,
        ),
    )
    REACH = 0.8
    LIFT = 1.0

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        u = self.uniform("reminders", (day.consumers, day.categories))
        sent = reminded(np.ones(buyers.size, bool), self.REACH, u[buyers, categories])
        np.add.at(self.pop.reminders_received, buyers[sent], 1)
        day.count("reminders_sent", sent.sum())
        return np.where(sent, 1.0 + self.LIFT, 1.0)

    def kpi_values(self) -> dict[str, float]:
        return {"reminded_customers": float(np.count_nonzero(self.pop.reminders_received))}
