"""Fulfillment: orders, warehouse picking, trucks to neighborhoods, the last mile (SimPy).

One `simpy.Environment` (time unit: hours) runs in step with the model's days: each day the
day's orders are released to the warehouse at the mode's release hour, in one batch per
neighborhood (so the pipeline stays fast at scale), and the environment is advanced to the
end of the day. A batch waits for a free picker (`pickers` of them, SimPy processes taking
batches first come, first served, each picking `orders_per_picker_hour`), then for the next
truck departure to the neighborhoods, travels there (each neighborhood has its own travel time), and finishes with the last mile
(pickup at the group leader's point, or delivery to the home). Every order of the batch
gets the batch's lead time, from the order hour to arrival. Batches that are not delivered
by the end of a day are delivered on a later day: a pipeline short of capacity builds a
backlog.

A lead time above the mode's promise is a bad experience (rule 6); every lead time lowers
the buyer's next repurchase (rule 3) by exp(-sensitivity x lead days); each order costs its
mode's fulfillment cost (in the contribution margin).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import simpy

from sim.mechanisms.base import Day, Mechanism
from sim.metrics import ratio
from sim.schema_base import Section, param

if TYPE_CHECKING:
    from sim.scenario import Scenario

Mode = Literal["pickup", "flash", "same_day", "next_day"]

# Per mode: order hour, release hour, truck departures (hours of day; empty = dispatch at
# once), last mile (hours), promised lead time (hours), cost per order (yuan).
MODES: dict[str, dict] = {
    "pickup": {
        "release": 23.0,
        "departures": (6.0,),
        "last_mile": 8.0,
        "promise": 36.0,
        "cost": 1.0,
    },
    "flash": {"release": 12.0, "departures": (), "last_mile": 0.5, "promise": 2.0, "cost": 8.0},
    "same_day": {
        "release": 12.0,
        "departures": (13.0, 16.0),
        "last_mile": 2.0,
        "promise": 10.0,
        "cost": 5.0,
    },
    "next_day": {
        "release": 20.0,
        "departures": (6.0,),
        "last_mile": 4.0,
        "promise": 36.0,
        "cost": 3.5,
    },
}
ORDER_HOUR = 12.0  # the mean hour of day an order is placed


class FulfillmentSection(Section):
    """The fulfillment pipeline (run with SimPy, in hours)."""

    enabled: bool = param(True, "Run the fulfillment pipeline.")
    mode: Mode = param(
        "next_day",
        "Delivery mode: 'pickup' (next-day pickup at the neighborhood's point), 'flash' "
        "(within hours), 'same_day' or 'next_day' to the home.",
    )
    pickers: int = param(8, "Warehouse pickers working in parallel.", "pickers", ge=1, le=10_000)
    orders_per_picker_hour: float = param(
        120.0, "Orders one picker picks in an hour.", "orders per hour", gt=0.0
    )
    travel_hours: float = param(
        1.5, "Mean truck travel time from the warehouse to a neighborhood.", "hours", ge=0.0
    )
    extra_lead_hours: float = param(
        0.0,
        "Extra delay added to every delivery (to test slower fulfillment).",
        "hours",
        ge=0.0,
    )
    cost_per_order_yuan: float | None = param(
        None,
        "Fulfillment cost per order (default: the mode's: pickup 1, flash 8, same-day "
        "5, next-day 3.5 yuan).",
        "yuan",
        ge=0.0,
    )
    lead_time_sensitivity_per_day: float = param(
        0.3,
        "Repurchase probability falls by exp(-this x lead time in days).",
        "per day",
        ge=0.0,
    )

    def mode_table(self) -> dict:
        table = dict(MODES[self.mode])
        if self.cost_per_order_yuan is not None:
            table["cost"] = self.cost_per_order_yuan
        return table


@dataclass
class Delivered:
    """Orders delivered on one day."""

    buyers: np.ndarray
    lead_hours: np.ndarray


class Fulfillment:
    """The pipeline of one replication: warehouse, trucks and last mile, in SimPy.

    The pickers are SimPy processes taking batches first come, first served from one
    queue; a day's batches join the queue at the mode's release hour. Once a batch is
    picked, its truck departure and arrival follow by arithmetic (the next departure, then
    travel and last mile), so each batch costs the event loop one event, not five.
    """

    def __init__(self, spec: FulfillmentSection, neighborhoods: int, rng: np.random.Generator):
        self.spec = spec
        self.mode = spec.mode_table()
        self.env = simpy.Environment()
        # each neighborhood's trip: lognormal around the mean (a fixed geography)
        self.travel_hours = spec.travel_hours * rng.lognormal(-0.08, 0.4, neighborhoods)
        self._queue: deque[tuple[float, int, np.ndarray]] = deque()  # released, not picked
        self._work = self.env.event()  # succeeds when a release finds pickers idle
        self._idle = 0
        # picked batches: (arrival hour, departure hour, sequence, order hour, buyers)
        self._picked: list[tuple[float, float, int, float, np.ndarray]] = []
        self._sequence = itertools.count()
        self.in_flight = 0
        for _ in range(spec.pickers):
            self.env.process(self.picker())

    def next_departure(self, now: float) -> float:
        """Hours from `now` to the next truck departure (0 when dispatched at once)."""
        departures = self.mode["departures"]
        if not departures:
            return 0.0
        hour = now % 24.0
        waits = [(d - hour) % 24.0 for d in departures]
        return min(waits)

    def picker(self):
        """SimPy process: one picker taking released batches in order, for ever."""
        env, per_hour = self.env, self.spec.orders_per_picker_hour
        trip_extra = self.mode["last_mile"]
        while True:
            while not self._queue:
                self._idle += 1
                yield self._work
                self._idle -= 1
            order_time, neighborhood, buyers = self._queue.popleft()
            yield env.timeout(buyers.size / per_hour)
            departure = env.now + self.next_departure(env.now)
            arrival = departure + (
                self.travel_hours[neighborhood] + trip_extra + self.spec.extra_lead_hours
            )
            heapq.heappush(
                self._picked, (arrival, departure, next(self._sequence), order_time, buyers)
            )

    def release(self, release_time: float, batches: list[tuple[float, int, np.ndarray]]):
        """SimPy process: the day's batches join the pickers' queue at the release hour."""
        yield self.env.timeout(max(0.0, release_time - self.env.now))
        self._queue.extend(batches)
        if self._idle:
            work, self._work = self._work, self.env.event()
            work.succeed()

    def submit(self, day: int, buyers: np.ndarray, neighborhood: np.ndarray) -> None:
        """Release the day's orders: one batch per neighborhood."""
        if buyers.size == 0:
            return
        order = np.argsort(neighborhood, kind="stable")
        buyers, neighborhood = buyers[order], neighborhood[order]
        cuts = (np.flatnonzero(np.diff(neighborhood)) + 1).tolist()
        order_time = day * 24.0 + ORDER_HOUR
        starts, stops = [0, *cuts], [*cuts, buyers.size]
        firsts = neighborhood[starts].tolist()
        batches = [  # neighborhoods, not consumers; each batch a view of the sorted buyers
            (order_time, nb, buyers[a:b]) for nb, a, b in zip(firsts, starts, stops, strict=True)
        ]
        self.in_flight += buyers.size
        self.env.process(self.release(day * 24.0 + self.mode["release"], batches))

    def advance(self, day: int) -> Delivered:
        """Run the pipeline to the end of `day`; return what was delivered meanwhile, in
        order of arrival."""
        end = (day + 1) * 24.0
        self.env.run(until=end)
        arrived = []
        while self._picked and self._picked[0][0] < end:
            arrived.append(heapq.heappop(self._picked))
        if not arrived:
            return Delivered(np.empty(0, np.int64), np.empty(0, float))
        buyers = np.concatenate([batch[4] for batch in arrived])
        sizes = [batch[4].size for batch in arrived]
        leads = np.repeat([batch[0] - batch[3] for batch in arrived], sizes)
        self.in_flight -= buyers.size
        return Delivered(buyers, leads)

    @property
    def promise_hours(self) -> float:
        return float(self.mode["promise"])

    @property
    def cost_per_order_fen(self) -> int:
        return round(self.mode["cost"] * 100)


def lead_time_factor(lead_hours: np.ndarray, sensitivity_per_day: float) -> np.ndarray:
    """Repurchase multiplier exp(-sensitivity x lead days) of the last delivery."""
    return np.exp(-sensitivity_per_day * lead_hours / 24.0)


class FulfillmentMechanism(Mechanism):
    name = "fulfillment"
    phase = "settle"
    streams = ("fulfillment",)
    series = ("fulfillment_cost", "deliveries", "late_deliveries", "delivery_minutes_total")
    kpis = ("mean_delivery_hours", "late_delivery_share")

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.fulfillment.enabled

    def setup(self) -> None:
        self.pipeline = Fulfillment(
            self.spec.fulfillment,
            len(self.platform.layout.neighborhood_size),
            self.rng("fulfillment"),
        )

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        return lead_time_factor(
            self.pop.last_lead_hours[buyers], self.spec.fulfillment.lead_time_sensitivity_per_day
        )

    def settle(self, day: Day) -> None:
        """Send today's orders down the SimPy pipeline; judge what arrived today."""
        c, ff, orders = self.pop, self.pipeline, day.orders
        ff.submit(day.index, orders.buyer, self.platform.layout.neighborhood[orders.buyer])
        delivered = ff.advance(day.index)
        late = delivered.buyers[delivered.lead_hours > ff.promise_hours]
        day.bad_experiences(late, c.bad_experiences)
        c.last_lead_hours[delivered.buyers] = delivered.lead_hours
        day.settlement.fulfillment_cost_fen = orders.size * ff.cost_per_order_fen
        day.count("fulfillment_cost", day.settlement.fulfillment_cost_fen)
        day.count("late_deliveries", late.size)
        day.count("deliveries", delivered.buyers.size)
        day.count("delivery_minutes_total", round(float(delivered.lead_hours.sum()) * 60))

    def kpi_values(self) -> dict[str, float]:
        v = self.platform.recorder.values
        deliveries = v["deliveries"].sum()
        if not deliveries:
            return {"mean_delivery_hours": float("nan"), "late_delivery_share": float("nan")}
        return {
            "mean_delivery_hours": ratio(v["delivery_minutes_total"].sum() / 60, deliveries),
            "late_delivery_share": ratio(v["late_deliveries"].sum(), deliveries),
        }
