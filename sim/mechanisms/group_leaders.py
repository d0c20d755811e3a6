"""Group leaders (团长): each neighborhood's leaders, who come, stay while it pays, and go.

Before day 0, up to `group_leaders.per_neighborhood` leaders are appointed in each
neighborhood (its leader seats), online-ready consumers first (ties broken at random), and
tied to every consumer of their neighborhood with trust `group_leaders.trust` (a founding
leader knows the whole neighborhood: its group chat). A leader is a sharer who does not
quit sharing and does not lapse while leading. Leaders take orders for neighbors who cannot
buy online (`proxy_purchase`) and, under community group buying, run a pickup point and
earn a commission on its sales (`community_group_buying`). A neighborhood with k leaders
seated splits its consumers among them: its j-th consumer uses the (j mod k)-th seated
leader's point (in seat order).

Leaders stay while it pays. At the end of each day from the platform's start day, a leader
who has led for at least `leader_grace_days` since then compares I, what the platform paid
them over the last 30 days (yuan: commissions, bonuses, every payout; scaled to 30 days
while they have led for less), with their reservation income R
(`leader_reservation_income_yuan_per_month`), and quits with probability

    q x max(0, 1 - I / R)

q = `leader_quit_per_day`, the daily quit chance of a leader earning nothing. A rival
platform of the market that has entered, pays a higher leader commission and has an empty
seat in the leader's neighborhood wins the leader with probability
p x (r_rival - r) / r_rival a day (p = `leader_poach_per_day`, r the rates, the best such
rival's): the leader leaves and takes the rival's seat. A leader who leaves stops sharing
here and becomes an ordinary consumer. An empty seat is filled with probability
a = `leader_replacement_per_day` a day by one of the neighborhood's online-ready
consumers who are not lapsed, not held by a rival and not leading anywhere, an active
customer if it has one (else any such resident: a closed point has no customers), drawn at
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


def poach_probability(own_rate: float, rival_rate, poach_per_day: float) -> np.ndarray:
    """p x (r_rival - r) / r_rival: the daily chance a rival paying a higher leader
    commission takes a leader; 0 where no rival pays more (rival_rate: per seat)."""
    rival = np.asarray(rival_rate, dtype=float)
    gap = np.where(rival > own_rate, rival - own_rate, 0.0)
    return poach_per_day * np.divide(gap, rival, out=np.zeros_like(gap), where=rival > 0)


def seated_by_neighborhood(
    seat_leader: np.ndarray, seat_neighborhood: np.ndarray, neighborhoods: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seats with a leader, grouped by neighborhood in seat order: (seats, first, count),
    neighborhood n's seated seats being seats[first[n] : first[n] + count[n]]."""
    held = np.flatnonzero(seat_leader >= 0)
    seats = held[np.argsort(seat_neighborhood[held], kind="stable")]
    count = np.bincount(seat_neighborhood[held], minlength=neighborhoods)
    first = np.cumsum(count) - count
    return seats, first, count


def point_seats(
    who: np.ndarray,
    neighborhood: np.ndarray,
    neighborhood_start: np.ndarray,
    seated: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Each consumer's point: with k leaders seated in their neighborhood, consumer i (the
    neighborhood's j-th) uses the seat of the (j mod k)-th; -1 where none is seated.
    who: consumer indices; neighborhood: theirs."""
    seats, first, count = seated
    k = count[neighborhood]
    out = np.full(np.shape(who), -1, np.int64)
    has = k > 0
    j = (np.asarray(who)[has] - neighborhood_start[neighborhood[has]]) % k[has]
    out[has] = seats[first[neighborhood[has]] + j]
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
    phase = "update"
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
        self.income = np.zeros(leaders.size)  # each seat's monthly income, as last judged
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
        self._point = None  # recomputed when next asked (seats change a few times a day)

    @property
    def point(self) -> np.ndarray:
        """(N,) each consumer's point (seat), -1 where none is seated."""
        if self._point is None:
            layout = self.platform.layout
            seated = seated_by_neighborhood(
                self.seat_leader, self.seat_neighborhood, layout.neighborhood_size.size
            )
            self._point = point_seats(
                np.arange(layout.consumers), layout.neighborhood, layout.neighborhood_start, seated
            )
        return self._point

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
        self._refresh_points()

    def vacate(self, seats: np.ndarray) -> None:
        """These seats' leaders leave: they stop leading and sharing; the seats are empty."""
        leaving = self.seat_leader[seats]
        leaving = leaving[leaving >= 0]
        for role in (self.pop.is_leader, self.pop.is_sharer):
            role[leaving] = False
        self.seat_leader[seats] = -1
        self.departures += leaving.size
        self._refresh_points()

    def point_of(self, who: np.ndarray | slice) -> np.ndarray:
        """The seat of each given consumer's pickup point (-1 where none is seated)."""
        return self.point[who]

    def leader_of(self, who: np.ndarray | slice) -> np.ndarray:
        """Each given consumer's own leader (-1 where their neighborhood has none)."""
        seat = self.point[who]
        return np.where(seat >= 0, self.seat_leader[seat], -1)

    def point_leaders(self) -> np.ndarray:
        """The leaders seated now (each runs a point)."""
        return self.seat_leader[self.seat_leader >= 0]

    def rivals(self) -> list:
        """The other platforms of the market that have entered and have leader seats."""
        return [
            p
            for p in self.other_platforms()
            if p.get("group_leaders") is not None and p.spec.platform.start_day <= self.platform.day
        ]

    def rival_offers(self) -> tuple[np.ndarray, list]:
        """For each seat, the highest leader commission a rival offers in its neighborhood
        (a rival with an empty seat there), and that rival's leaders (None where none)."""
        rate = np.zeros(self.seat_leader.size)
        who: list = [None] * self.seat_leader.size
        for rival in self.rivals():
            theirs = rival.get("group_leaders")
            empty = np.bincount(
                theirs.seat_neighborhood[theirs.seat_leader < 0],
                minlength=self.platform.layout.neighborhood_size.size,
            )
            offer = rival.scheme.leader_commission_rate
            better = (empty[self.seat_neighborhood] > 0) & (offer > rate)
            rate[better] = offer
            for seat in np.flatnonzero(better):  # seats, not consumers
                who[seat] = theirs
        return rate, who

    def take_poached(self, neighborhood: int, leader: int, day: int, u: float) -> bool:
        """A leader a rival's offer won joins this platform's first empty seat of their
        neighborhood; False if none is left."""
        empty = np.flatnonzero((self.seat_neighborhood == neighborhood) & (self.seat_leader < 0))
        if empty.size == 0:
            return False
        self._take_seat(empty[:1], np.array([leader]), day, np.array([u]))
        return True

    def monthly_income_yuan(self, day: int) -> np.ndarray:
        """(L,) each seated leader's income from the platform over the last 30 days, or
        since they were seated scaled to 30 days (yuan a month); 0 for empty seats. Keeps
        today's snapshot (call once a day, after settlement)."""
        held = self.seat_leader >= 0
        received = np.where(held, self.platform.ledger.received_fen[self.seat_leader], 0)
        slot = day % INCOME_WINDOW_DAYS
        income = (received - self.income_ring[slot]) / 100.0
        self.income_ring[slot] = received
        window = np.clip(day - self.seat_since_day, 1, INCOME_WINDOW_DAYS)
        return np.where(held, income * INCOME_WINDOW_DAYS / window, 0.0)

    def update(self, day: Day) -> None:
        """At the end of the day: leaders quit for low income or go to a rival paying
        more; empty seats are filled. Nothing happens before the platform enters."""
        beh, n = self.spec.behavior, self.seat_leader.size
        u = self.uniform("leader_turnover", (4, n))
        pick = self.uniform_later("leader_turnover", day.consumers)
        start = self.spec.platform.start_day
        quits = poached = np.zeros(n, bool)
        filled = 0
        if day.index >= start:
            held = self.seat_leader >= 0
            empty_before = ~held
            self.income = self.monthly_income_yuan(day.index)
            tenure = day.index - np.maximum(self.seat_since_day, start)
            quits = (
                held
                & (tenure >= beh.leader_grace_days)
                & (
                    u[0]
                    < leader_quit_probability(
                        self.income,
                        beh.leader_reservation_income_yuan_per_month,
                        beh.leader_quit_per_day,
                    )
                )
            )
            poached = self._poach(held & ~quits, u, day)
            self.vacate(np.flatnonzero(quits | poached))
            filled = self._fill_seats(
                empty_before & (u[2] < beh.leader_replacement_per_day), pick, u[3], day
            )
        day.count("leaders_active", np.count_nonzero(self.seat_leader >= 0))
        day.count("leaders_quit", np.count_nonzero(quits))
        day.count("leaders_poached", np.count_nonzero(poached))
        day.count("leaders_appointed", filled)

    def _poach(self, candidates: np.ndarray, u: np.ndarray, day: Day) -> np.ndarray:
        """Seats whose leader a rival's better offer wins today (they join the rival)."""
        rate, rival = self.rival_offers()
        own, per_day = (
            self.platform.scheme.leader_commission_rate,
            self.spec.behavior.leader_poach_per_day,
        )
        chance = poach_probability(own, rate, per_day)
        poached = candidates & (u[1] < chance)
        for seat in np.flatnonzero(poached):  # a few seats a day
            poached[seat] = rival[seat].take_poached(
                int(self.seat_neighborhood[seat]),
                int(self.seat_leader[seat]),
                day.index,
                float(u[3][seat]),
            )
        return poached

    def _fill_seats(self, seats: np.ndarray, pick, u_failure: np.ndarray, day: Day) -> int:
        """Seat one consumer of each given seat's neighborhood: online-ready, not lapsed,
        not leading here or for a rival, not held by a rival; an active customer if the
        neighborhood has one, else any such resident (a closed point has no customers):
        the lowest of their draws."""
        c, layout = self.pop, self.platform.layout
        others = [p.consumers.is_leader for p in self.other_platforms()]
        filled = 0
        for seat in np.flatnonzero(seats):  # a few seats a day, not consumers
            nb = self.seat_neighborhood[seat]
            start = layout.neighborhood_start[nb]
            part = slice(start, start + layout.neighborhood_size[nb])
            free = (
                c.online_ready[part]
                & ~c.lapsed[part]
                & ~c.is_leader[part]
                & ~day.held_elsewhere[part]
            )
            for leads in others:
                free &= ~leads[part]
            customers = free & c.active_customer[part]
            who = start + np.flatnonzero(customers if customers.any() else free)
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
        last = self.platform.day - 1
        income = self.income
        served = (self.seat_leader >= 0) & (last - self.seat_since_day >= INCOME_WINDOW_DAYS)
        return {
            "leader_income_yuan_per_month": float(np.median(income[served]))
            if served.any()
            else float("nan"),
            "leader_departures": float(self.departures),
        }
