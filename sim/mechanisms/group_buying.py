"""Group buying (拼团): a price that holds only if k people join in time.

A purchase in a group-buy category is, with probability `open_probability`, made by opening
a group instead of buying alone. While a group is open, every member shares it to their
ties; a consumer j who can buy online, has not lapsed and is in no other group joins group
g today with probability

    1 - exp(-a x E_jg x f_c)

where a is `join_rate_per_share` (per share of trust 1), E_jg the trust-weighted number of
g's members among j's ties, and f_c the category's price factor at the group price and its
hype. A group that reaches `group_size` members fills: every member orders at the group
price. A group still short when its `window_days` are over fails: every member's payment
is refunded automatically (so the ledger records no sale), and every member has a bad
experience (the wait was wasted). A consumer waits in at most one group at a time. The
members of a filled group opened by an active sharer are credited to that sharer and bound
to them (store binding).

Open groups are also listed on the category's page (as on Pinduoduo): an online buyer about
to buy a group-buy category alone (not through a proxy) takes a listed group instead with
probability

    1 - exp(-b x discount_rate)

(b: `listed_appeal_per_discount`): strangers complete groups as well as ties. The listing
shows the groups closest to filling first (then the oldest); buyers take the free places
in order; a buyer beyond the free places buys alone. A stranger keeps the credit of their
own order (the sharer whose share won it, if any), not the opener's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.arrays import add_at
from sim.mechanisms.base import Day, Mechanism, State
from sim.metrics import ratio
from sim.state import SOURCE_GROUP, Orders

if TYPE_CHECKING:
    from sim.scenario import Scenario

OPEN, FILLED, FAILED = 0, 1, 2
NOT_LISTED = -2  # member_credit of a member who did not come through the listing


@dataclass
class GroupBook:
    """All groups of a run, and which group each consumer is waiting in."""

    member_group: np.ndarray  # (N,) int64: open group a consumer waits in, -1 if none
    member_channel: np.ndarray  # (N,) int8: how the member came (SOURCE_* code)
    member_credit: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    category: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    opened_day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    size: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    status: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    opener: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @classmethod
    def create(cls, consumers: int) -> GroupBook:
        return cls(
            np.full(consumers, -1, np.int64),
            np.full(consumers, -1, np.int8),
            np.full(consumers, NOT_LISTED, np.int64),
        )

    @property
    def groups(self) -> int:
        return int(self.category.size)

    def open_ids(self) -> np.ndarray:
        return np.flatnonzero(self.status == OPEN)


def open_groups(
    book: GroupBook, openers: np.ndarray, categories: np.ndarray, channels: np.ndarray, day: int
) -> np.ndarray:
    """Each opener starts a group of one in their category; returns the new group ids."""
    ids = book.groups + np.arange(openers.size)
    book.category = np.concatenate([book.category, categories])
    book.opened_day = np.concatenate([book.opened_day, np.full(openers.size, day)])
    book.size = np.concatenate([book.size, np.ones(openers.size, np.int64)])
    book.status = np.concatenate([book.status, np.full(openers.size, OPEN, np.int8)])
    book.opener = np.concatenate([book.opener, np.asarray(openers, np.int64)])
    book.member_group[openers] = ids
    book.member_channel[openers] = channels
    return ids


def group_exposure(book: GroupBook, trust_by_speaker: sp.csr_matrix):
    """(listener, open group, trust-weighted members among the listener's ties) triples."""
    members = np.flatnonzero(book.member_group >= 0)
    open_ids = book.open_ids()
    if members.size == 0 or open_ids.size == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0)
    local = np.searchsorted(open_ids, book.member_group[members])
    incidence = sp.csr_matrix(
        (np.ones(members.size), (np.arange(members.size), local)),
        shape=(members.size, open_ids.size),
    )
    exposure = (trust_by_speaker[members].T @ incidence).tocoo()
    return exposure.row.astype(np.int64), open_ids[exposure.col], exposure.data


def join_groups(
    book: GroupBook,
    trust_by_speaker: sp.csr_matrix,
    candidates: np.ndarray,
    join_rate: float,
    demand_by_category: np.ndarray,
    group_size: int,
    u_source,
    joiner_channel: int,
) -> np.ndarray:
    """Consumers join open groups shared to them; returns the consumers who joined.

    candidates: (N,) bool, who may join; u_source(k) gives k uniforms. Each joiner joins
    one group (the lowest-numbered that accepted them); a group takes no more members than
    it still needs.
    """
    listener, group, weight = group_exposure(book, trust_by_speaker)
    ok = candidates[listener] & (book.member_group[listener] < 0) & (weight > 0)
    listener, group, weight = listener[ok], group[ok], weight[ok]
    p = -np.expm1(-join_rate * weight * demand_by_category[book.category[group]])
    accept = u_source(listener.size) < p
    listener, group = listener[accept], group[accept]
    order = np.lexsort((group, listener))
    listener, group = listener[order], group[order]
    first = np.r_[True, listener[1:] != listener[:-1]] if listener.size else np.empty(0, bool)
    listener, group = listener[first], group[first]
    order = np.argsort(group, kind="stable")
    listener, group = listener[order], group[order]
    starts = np.r_[True, group[1:] != group[:-1]] if group.size else np.empty(0, bool)
    run_start = np.maximum.accumulate(np.where(starts, np.arange(group.size), 0))
    rank = np.arange(group.size) - run_start
    fits = rank < (group_size - book.size[group])
    listener, group = listener[fits], group[fits]
    book.member_group[listener] = group
    book.member_channel[listener] = joiner_channel
    add_at(book.size, group, 1)
    return listener


def join_listed_groups(
    book: GroupBook,
    buyers: np.ndarray,
    categories: np.ndarray,
    willing: np.ndarray,
    group_size: int,
) -> np.ndarray:
    """Solo buyers take open groups listed on their category's page.

    buyers, categories: (K,) today's solo orders in group-buy categories, in order;
    willing: (K,) bool, whether the buyer would take a listed group. Each category's open
    groups are listed closest to filling first, then oldest; willing buyers not yet in a
    group take the free places in order of their orders, one group per buyer. Returns (K,)
    the group each order joined, -1 where it stays a solo order; updates the book.
    """
    joined = np.full(buyers.size, -1, np.int64)
    open_ids = book.open_ids()
    want = np.flatnonzero(willing & (book.member_group[buyers] < 0))
    if open_ids.size == 0 or want.size == 0:
        return joined
    _, first = np.unique(buyers[want], return_index=True)
    want = want[np.sort(first)]  # a buyer's first willing order
    for category in np.unique(categories[want]):  # categories, not consumers
        takers = want[categories[want] == category]
        listed = open_ids[book.category[open_ids] == category]
        free = group_size - book.size[listed]
        order = np.lexsort((listed, free))  # closest to filling first, then oldest
        places = np.repeat(listed[order], np.maximum(free[order], 0))
        take = min(takers.size, places.size)
        joined[takers[:take]] = places[:take]
    who = np.flatnonzero(joined >= 0)
    book.member_group[buyers[who]] = joined[who]
    add_at(book.size, joined[who], 1)
    return joined


def close_groups(book: GroupBook, day: int, group_size: int, window_days: int):
    """Fill full groups and fail expired ones.

    Returns (filled members, their categories, failed members, their categories, the opener
    of each filled member's group); members of closed groups are free again.
    """
    open_ids = book.open_ids()
    full = open_ids[book.size[open_ids] >= group_size]
    expired = open_ids[
        (book.size[open_ids] < group_size) & (book.opened_day[open_ids] + window_days - 1 <= day)
    ]
    book.status[full] = FILLED
    book.status[expired] = FAILED
    members = np.flatnonzero(book.member_group >= 0)
    g = book.member_group[members]
    filled = members[np.isin(g, full)]
    failed = members[np.isin(g, expired)]
    filled_cat = book.category[book.member_group[filled]]
    failed_cat = book.category[book.member_group[failed]]
    filled_opener = book.opener[book.member_group[filled]]
    book.member_group[filled] = -1
    book.member_group[failed] = -1
    return filled, filled_cat, failed, failed_cat, filled_opener


def credited_sharers(
    filled: np.ndarray, opener: np.ndarray, opener_is_sharer: np.ndarray, credit: np.ndarray
) -> np.ndarray:
    """The sharer credited with each filled member's group order (-1: none): members a
    sharer brought into their group are the opener's (store binding), the opener's own
    order is nobody's; a stranger who took the listed group keeps their own order's credit
    (credit[member] >= -1; NOT_LISTED for everyone else)."""
    by_sharer = np.where(opener_is_sharer & (opener != filled), opener, -1)
    listed = credit[filled] != NOT_LISTED
    by_sharer[listed] = credit[filled[listed]]
    return by_sharer


class GroupBuying(Mechanism):
    name = "group_buying"
    phase = "route"
    streams = ("group_buy", "group_join", "group_listing")
    series = ("groups_opened", "groups_filled", "groups_failed", "group_listing_joins")
    kpis = ("group_fill_rate",)
    states = (
        State("member_group", np.int64, -1, doc="open group the consumer waits in, -1 if none"),
        State("member_channel", np.int8, -1, doc="how the member came (SOURCE_* code)"),
        State(
            "member_credit",
            np.int64,
            -2,
            doc="a listing joiner's own credited sharer (-1: none); -2: not a listing joiner",
        ),
    )

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("group_buy") is not None

    def setup(self) -> None:
        rule, beh = self.spec.payout.group_buy, self.spec.behavior
        self.book = GroupBook(
            self.pop.member_group, self.pop.member_channel, self.pop.member_credit
        )
        prices = np.array([c.price_yuan for c in self.spec.categories])
        self.group_demand = np.exp(
            -beh.price_sensitivity_per_100_yuan * prices * (1 - rule.discount_rate) / 100.0
        )
        self.listing_take = -np.expm1(-rule.listed_appeal_per_discount * rule.discount_rate)

    def reach(self, day: Day) -> None:
        """A consumer waiting in an open group buys nothing else meanwhile."""
        day.reachable &= self.book.member_group < 0

    def route(self, day: Day) -> None:
        """Divert purchases into groups, let groups recruit, fill or fail them."""
        c, book, rule = self.pop, self.book, self.spec.payout.group_buy
        orders, channels = day.orders, day.channels
        k = day.categories
        u_open = self.uniform_later("group_buy", (day.consumers, k))
        divert = self.platform.scheme.group_categories[orders.category] & (
            u_open.at(orders.buyer * k + orders.category) < rule.open_probability
        )
        # A consumer opens one group at a time; their other purchases today stay solo.
        idx = np.flatnonzero(divert)
        _, first = np.unique(orders.buyer[idx], return_index=True)
        divert[:] = False
        divert[idx[first]] = True
        opened = open_groups(
            book, orders.buyer[divert], orders.category[divert], channels[divert], day.index
        )
        took = self.take_listed(day, orders, channels, divert)
        kept = ~divert
        kept[took] = False
        orders = orders.subset(kept)
        channels = channels[kept]
        join_groups(
            book,
            self.platform.network.by_speaker,
            c.online_ready & ~c.lapsed & ~day.held_elsewhere,
            rule.join_rate_per_share,
            self.group_demand * day.hype,
            rule.group_size,
            self.rng("group_join").random,
            SOURCE_GROUP,
        )
        closed_before = np.bincount(book.status, minlength=3)
        filled, filled_cat, failed, failed_cat, opener = close_groups(
            book, day.index, rule.group_size, rule.window_days
        )
        closed = np.bincount(book.status, minlength=3) - closed_before
        day.bad_experiences(failed, c.bad_experiences)
        was_customer = c.customer_of[failed, failed_cat]
        day.schedule_next_due(failed[was_customer], failed_cat[was_customer])
        by_sharer = credited_sharers(filled, opener, c.is_sharer[opener], book.member_credit)
        book.member_credit[filled] = NOT_LISTED
        book.member_credit[failed] = NOT_LISTED
        group_orders = Orders.make(filled, filled_cat, False, by_sharer, group_order=True)
        day.orders = Orders.concat(orders, group_orders)
        day.channels = np.concatenate([channels, book.member_channel[filled]])
        day.count("groups_opened", opened.size)
        day.count("groups_filled", closed[FILLED])
        day.count("groups_failed", closed[FAILED])
        day.count("group_listing_joins", took.size)

    def take_listed(self, day: Day, orders, channels: np.ndarray, divert: np.ndarray):
        """Solo buyers of a group-buy category may take a group listed on its page; returns
        the orders that did (they wait in the group now)."""
        c, book, k = self.pop, self.book, day.categories
        u_listing = self.uniform_later("group_listing", (day.consumers, k))
        solo = np.flatnonzero(  # online buyers browsing the page, not proxies' orders
            ~divert
            & self.platform.scheme.group_categories[orders.category]
            & c.online_ready[orders.buyer]
            & ~orders.proxy
        )
        willing = u_listing.at(orders.buyer[solo] * k + orders.category[solo]) < self.listing_take
        listed = join_listed_groups(
            book,
            orders.buyer[solo],
            orders.category[solo],
            willing,
            self.spec.payout.group_buy.group_size,
        )
        took = solo[listed >= 0]
        book.member_channel[orders.buyer[took]] = channels[took]
        book.member_credit[orders.buyer[took]] = orders.shared_by[took]  # theirs, not the opener's
        return took

    def kpi_values(self) -> dict[str, float]:
        v = self.platform.recorder.values
        filled, failed = v["groups_filled"].sum(), v["groups_failed"].sum()
        return {"group_fill_rate": ratio(filled, filled + failed)}
