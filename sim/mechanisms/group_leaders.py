"""Group leaders (团长): each neighborhood's leaders, who come, stay while it pays, and go.

Before day 0, up to `group_leaders.per_neighborhood` leaders are appointed in each
neighborhood (its leader seats), online-ready consumers first (ties broken at random), and
tied to every consumer of their neighborhood with trust `group_leaders.trust` (a founding
leader knows the whole neighborhood: its group chat). A leader is a sharer who does not
quit sharing and does not lapse while leading. Leaders take orders for neighbors who cannot
buy online (`proxy_purchase`) and, under community group buying, run the neighborhood's
pickup point and earn a commission on its sales (`community_group_buying`). A
neighborhood's point is its first seat's leader, or the next seat's while that is empty.

Leaders stay while it pays. Each day, a leader who has led for at least
`leader_grace_days` compares I, what the platform paid them over the last 30 days (yuan:
commissions, bonuses, every payout), with their reservation income R
(`leader_reservation_income_yuan_per_month`), and quits with probability

    q x max(0, 1 - I / R)

q = `leader_quit_per_day`, the daily quit chance of a leader earning nothing. A rival
platform of the market that pays a higher leader commission (and has entered) poaches a
leader with probability p x (r_rival - r) / r_rival a day, p = `leader_poach_per_day`, r
the rates (the highest rival's). A leader who leaves stops sharing and becomes an ordinary
consumer. An empty seat is filled with probability a = `leader_replacement_per_day` a day
by one of the neighborhood's online-ready, active customers (not a leader), drawn at
random. A new leader's shares reach their own ties only (the trust network is fixed after
day 0: the founders' ties to the whole neighborhood stay with the founders).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Probability, Section, param

INCOME_WINDOW_DAYS = 30


def choose_leaders(
    neighborhood: np.ndarray, online_ready: np.ndarray, per_neighborhood: int, u: np.ndarray
) -> np.ndarray:
    """Up to `per_neighborhood` leaders per neighborhood, online-ready consumers first."""
    if per_neighborhood == 0:
        return np.empty(0, np.int64)
    key = u + np.where(online_ready, 0.0, 10.0)
    order = np.lexsort((key, neighborhood))
    nb = neighborhood[order]
    starts = np.r_[True, nb[1:] != nb[:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(nb.size), 0))
    rank = np.arange(nb.size) - run_start
    return np.sort(order[rank < per_neighborhood])


def leader_ties(
    leaders: np.ndarray,
    leader_neighborhood: np.ndarray,
    neighborhood_start: np.ndarray,
    neighborhood_size: np.ndarray,
):
    """(leader, member) pairs tying each leader to everyone in their neighborhood
    (a neighborhood's consumers are consecutive)."""
    counts = neighborhood_size[leader_neighborhood]
    leader_rep = np.repeat(leaders, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    members = np.repeat(neighborhood_start[leader_neighborhood], counts) + offsets
    keep = leader_rep != members
    return leader_rep[keep], members[keep]


def leader_quit_probability(
    income_yuan: np.ndarray, reservation_yuan: float, quit_per_day: float
) -> np.ndarray:
    """q x max(0, 1 - I / R): a leader's daily quit chance from their last 30 days' income
    I (yuan) against the reservation income R (yuan a month); 0 with R = 0."""
    if reservation_yuan <= 0:
        return np.zeros(np.shape(income_yuan))
    return quit_per_day * np.clip(1.0 - np.asarray(income_yuan) / reservation_yuan, 0.0, 1.0)


def poach_probability(own_rate: float, rival_rate: float, poach_per_day: float) -> float:
    """p x (r_rival - r) / r_rival: the daily chance a rival paying a higher leader
    commission takes a leader; 0 when no rival pays more."""
    if rival_rate <= own_rate:
        return 0.0
    return poach_per_day * (rival_rate - own_rate) / rival_rate


def seat_of_neighborhood(seat_leader: np.ndarray, seat_neighborhood: np.ndarray, n: int):
    """(n,) each neighborhood's point: its first seat with a leader, -1 where none has."""
    out = np.full(n, -1, np.int64)
    held = np.flatnonzero(seat_leader >= 0)[::-1]
    out[seat_neighborhood[held]] = held
    return out


class GroupLeaderBehavior(Section):
    """How long group leaders stay, and how seats are filled. (`[behavior]` keys.)"""

    leader_reservation_income_yuan_per_month: float = param(
        1000.0,
        "Income from the platform over 30 days below which a leader starts to quit "
        "(0: leaders never quit for low income).",
        "yuan per month",
        ge=0.0,
    )
    leader_quit_per_day: Probability = param(
        0.017, "Daily chance that a leader earning nothing quits.", "per day"
    )
    leader_grace_days: int = param(
        30, "Days a new leader serves before judging their income.", "days", ge=0, le=3650
    )
    leader_poach_per_day: Probability = param(
        0.05,
        "Daily chance that a leader leaves for a rival paying a higher leader commission, "
        "times the relative gap (rival - own) / rival (a rival paying double: half this).",
        "per day",
    )
    leader_replacement_per_day: Probability = param(
        0.1, "Daily chance that an empty leader seat is filled.", "per day"
    )


class GroupLeaders(Mechanism):
    name = "group_leaders"
    params = GroupLeaderBehavior
    phase = "roles"
    streams = ("leaders", "leader_turnover")
    series = ("leaders_active", "leaders_quit", "leaders_poached", "leaders_appointed")
    kpis = ("leader_income_yuan_per_month", "leader_departures")

    @classmethod
    def enabled(cls, spec) -> bool:
        return spec.group_leaders.per_neighborhood > 0

    def setup_network(self) -> None:
        """Appoint the neighborhoods' group leaders and tie each to their neighborhood."""
        gl, layout = self.spec.group_leaders, self.platform.layout
        leaders = choose_leaders(
            layout.neighborhood,
            layout.online_ready,
            gl.per_neighborhood,
            self.rng("leaders").random(layout.consumers),
        )
        self.seat_leader = leaders.copy()  # (L,) the seat's leader, -1 while empty
        self.seat_neighborhood = layout.neighborhood[leaders]
        self.seat_since_day = np.zeros(leaders.size, np.int64)
        # each seat's pickup failure chance, drawn for its leader (community_group_buying)
        self.seat_failure = np.zeros(leaders.size)
        self.income_ring = np.zeros((INCOME_WINDOW_DAYS, leaders.size), np.int64)
        self.departures = 0
        self._rival_rate: float | None = None
        self._refresh_points()
        if leaders.size:
            lu, lv = leader_ties(
                leaders,
                self.seat_neighborhood,
                layout.neighborhood_start,
                layout.neighborhood_size,
            )
            w = np.full(lu.size, gl.trust)
            self.platform.network = self.platform.network.with_ties(
                np.concatenate([lu, lv]), np.concatenate([lv, lu]), np.concatenate([w, w])
            )
        self._take_seat(
            np.arange(leaders.size), leaders, 0, self.rng("leaders").random(leaders.size)
        )

    def _refresh_points(self) -> None:
        self.point_of_neighborhood = seat_of_neighborhood(
            self.seat_leader, self.seat_neighborhood, self.platform.layout.neighborhood_size.size
        )
        seat = self.point_of_neighborhood
        self.leader_of_neighborhood = np.where(seat >= 0, self.seat_leader[seat], -1)

    def _take_seat(self, seats: np.ndarray, leaders: np.ndarray, day: int, u: np.ndarray) -> None:
        """Seat these leaders; u: a uniform each, for their pickup failure chance."""
        c = self.pop
        self.seat_failure[seats] = 2.0 * self.spec.group_leaders.service_failure_probability * u
        self.seat_leader[seats] = leaders
        self.seat_since_day[seats] = day
        self.income_ring[:, seats] = self.platform.ledger.received_fen[leaders]
        c.sharer_since_day[leaders] = np.where(
            c.is_sharer[leaders], c.sharer_since_day[leaders], day
        )
        for role in (c.is_leader, c.is_sharer, c.was_sharer):
            role[leaders] = True
        c.sharer_level[leaders] = np.maximum(c.sharer_level[leaders], 1)

    def vacate(self, seats: np.ndarray) -> None:
        """These seats' leaders leave: they stop leading and sharing; the seats are empty."""
        leaving = self.seat_leader[seats]
        leaving = leaving[leaving >= 0]
        for role in (self.pop.is_leader, self.pop.is_sharer):
            role[leaving] = False
        self.seat_leader[seats] = -1
        self.departures += leaving.size
        self._refresh_points()

    def leader_of(self, who: np.ndarray | slice) -> np.ndarray:
        """The leader of each given consumer's neighborhood (-1 where it has none)."""
        return self.leader_of_neighborhood[self.platform.layout.neighborhood[who]]

    def point_of(self, who: np.ndarray | slice) -> np.ndarray:
        """The seat of each given consumer's pickup point (-1 where it has none)."""
        return self.point_of_neighborhood[self.platform.layout.neighborhood[who]]

    def rival_rate(self) -> float:
        """The highest leader commission a rival that has entered the market pays."""
        rates = [
            p.scheme.leader_commission_rate
            for p in getattr(self.platform.model, "platforms", ())
            if p is not self.platform
            and p.get("group_leaders") is not None
            and p.spec.platform.start_day <= self.platform.day
        ]
        return max(rates, default=0.0)

    def income_yuan(self, day: int) -> np.ndarray:
        """(L,) each seat's leader's income over the last 30 days (yuan), and the day's
        snapshot kept; 0 for empty seats."""
        held = self.seat_leader >= 0
        received = np.where(held, self.platform.ledger.received_fen[self.seat_leader], 0)
        slot = day % INCOME_WINDOW_DAYS
        income = (received - self.income_ring[slot]) / 100.0
        self.income_ring[slot] = received
        return np.where(held, income, 0.0)

    def roles(self, day: Day) -> None:
        """Leaders quit for low income or are poached; empty seats are filled."""
        beh, n = self.spec.behavior, self.seat_leader.size
        u = self.uniform("leader_turnover", (4, n))
        pick = self.uniform_later("leader_turnover", day.consumers)
        held = self.seat_leader >= 0
        empty_before = ~held
        income = self.income_yuan(day.index)
        judged = held & (day.index - self.seat_since_day >= beh.leader_grace_days)
        quits = judged & (
            u[0]
            < leader_quit_probability(
                income, beh.leader_reservation_income_yuan_per_month, beh.leader_quit_per_day
            )
        )
        own = self.platform.scheme.leader_commission_rate
        poached = (
            held
            & ~quits
            & (u[1] < poach_probability(own, self.rival_rate(), beh.leader_poach_per_day))
        )
        self.vacate(np.flatnonzero(quits | poached))
        filled = self._fill_seats(
            empty_before & (u[2] < beh.leader_replacement_per_day), pick, u[3], day
        )
        self._refresh_points()
        day.count("leaders_active", np.count_nonzero(self.seat_leader >= 0))
        day.count("leaders_quit", np.count_nonzero(quits))
        day.count("leaders_poached", np.count_nonzero(poached))
        day.count("leaders_appointed", filled)

    def _fill_seats(self, seats: np.ndarray, pick, u_failure: np.ndarray, day: Day) -> int:
        """Seat one eligible consumer of each given seat's neighborhood (online-ready, an
        active customer, not a leader, not held by a rival): the lowest of their draws."""
        c, layout = self.pop, self.platform.layout
        filled = 0
        for seat in np.flatnonzero(seats):  # a few seats a day, not consumers
            nb = self.seat_neighborhood[seat]
            start = layout.neighborhood_start[nb]
            who = start + np.flatnonzero(
                (c.online_ready & c.active_customer & ~c.is_leader & ~day.held_elsewhere)[
                    start : start + layout.neighborhood_size[nb]
                ]
            )
            if who.size:
                self._take_seat(
                    np.array([seat]),
                    who[np.argmin(pick.at(who))][None],
                    day.index,
                    u_failure[seat : seat + 1],
                )
                filled += 1
        return filled

    def kpi_values(self) -> dict[str, float]:
        day = self.platform.day
        held = (self.seat_leader >= 0) & (day - self.seat_since_day >= INCOME_WINDOW_DAYS)
        received = self.platform.ledger.received_fen[self.seat_leader[held]]
        income = (received - self.income_ring[day % INCOME_WINDOW_DAYS, held]) / 100.0
        return {
            "leader_income_yuan_per_month": float(np.median(income))
            if income.size
            else float("nan"),
            "leader_departures": float(self.departures),
        }
