"""Purchase: first purchases by category, who gets the credit, and orders becoming customers.

A consumer j who can buy online, has not lapsed and has not yet bought category c buys it
today with probability

    1 - exp(-f_c x (p + q x W_jc + r x S_jc + K_jc))

where p is the external influence (per day), W_jc the word-of-mouth signal (share of ties
who are customers, 0..1) times q (per day), S_jc the trust-weighted shares received times r
(per share), K_jc the independent-cascade rate, and f_c = exp(-price sensitivity x price /
100 yuan) x hype_c the category's price and hype factor. With f = 1 and uniform mixing this
is the discrete-time Bass model: F(t+1) = F(t) + (1 - F(t))(1 - exp(-(p + q F(t)))).

Other mechanisms multiply the hazard (`adoption_factor`: coupons, proxies, bad news).

Credit (for the viral coefficient and for payouts) goes to one channel in proportion to its
share of the hazard rate; a share's credit goes to one of the sharers who shared the
category to j today, chosen with probability proportional to j's trust in them.

When the day's orders happen (`order`), buyers become customers of the category, are bound
to the sharer whose share, group or proxy order brought them (store binding,
`sim.payout.binding`), are credited to a channel, and draw their next
repurchase day.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from sim import threads
from sim.arrays import add_at, unique
from sim.kernels import (
    column_max,
    entries,
    first_purchase_cells,
    first_purchase_drawn,
    strongest_marked_tie,
)
from sim.mechanisms.base import (
    CHANNELS,
    Day,
    Factor,
    Mechanism,
    ScaledHazard,
    Uniforms,
    csr_rows,
    hazard_cells,
)
from sim.payout.binding import bind
from sim.schema_base import Section, param
from sim.state import (
    SOURCE_AD,
    SOURCE_KOL,
    SOURCE_NONE,
    SOURCE_RECOMMENDATION,
    SOURCE_SHARE,
    SOURCE_WORD_OF_MOUTH,
    Orders,
)
from sim.threads import by_row_chunks

CHANNEL_SOURCE = {
    "ad": SOURCE_AD,
    "word_of_mouth": SOURCE_WORD_OF_MOUTH,
    "share": SOURCE_SHARE,
    "kol": SOURCE_KOL,
    "recommendation": SOURCE_RECOMMENDATION,
}


def adoption_probability(rate: np.ndarray) -> np.ndarray:
    """Daily probability from a daily hazard rate (rate >= 0, clipped below at 0)."""
    return -np.expm1(-np.maximum(rate, 0.0))


def _operand(x) -> np.ndarray:
    """A hazard or factor as the purchase kernel reads it: a C-contiguous float64 array of
    shape (N or 1, C or 1), broadcast by the kernel."""
    a = np.asarray(x, np.float64)
    a = a.reshape(1, 1) if a.ndim == 0 else a.reshape(1, -1) if a.ndim == 1 else a
    return np.ascontiguousarray(a)


class KernelHazard(NamedTuple):
    """A hazard as the purchase kernel reads it: scale x values, values 0 outside rows
    ((N,) bool: the kernel bounds the rates of the other rows without it; None: every
    row), none of its values above ceiling (None: not known)."""

    values: np.ndarray
    scale: float
    ceiling: np.ndarray | None
    rows: np.ndarray | None


def _hazard(h, rows: int) -> KernelHazard:
    """A `ScaledHazard` is read where it is kept (its first C columns, times the scale),
    with what its owner knows (ceiling, rows); anything else is its array times 1.0
    (h exactly)."""
    if isinstance(h, ScaledHazard) and h.values.dtype == np.float64:
        if h.values.flags.c_contiguous and h.values.shape[0] == rows:
            return KernelHazard(h.values, h.scale, h.ceiling, h.rows)
    return KernelHazard(_operand(h), 1.0, None, None)


def is_zero(h) -> bool:
    """A channel's hazard that is a single 0 (a number or an array of one: a channel off
    today), told without converting it."""
    if isinstance(h, (int, float)):
        return h == 0
    return isinstance(h, np.ndarray) and h.size == 1 and h.flat[0] == 0


def _factor(f) -> Factor:
    """An adoption factor as the purchase kernel reads it, with its range as its owner
    states it (a `Factor` with both ends), else unknown (None: `rate_bound` reads it if
    it needs it)."""
    if isinstance(f, Factor) and f.low is not None and f.high is not None:
        return Factor(_operand(f.values), f.low, f.high)
    return Factor(_operand(f.values if isinstance(f, Factor) else f), None, None)


def _is_one(f: Factor) -> bool:
    """A factor of exactly 1 everywhere: a single 1, or 1 at both ends of the range its
    owner states."""
    return f.low == f.high == 1.0 or (f.values.size == 1 and f.values.flat[0] == 1.0)


def first_purchases(
    can_buy: np.ndarray,
    customer_of: np.ndarray,
    u: np.ndarray | Uniforms,
    hazards: list,
    demand: np.ndarray | float = 1.0,
    factors: list | tuple = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Which eligible consumer buys which category for the first time today: a consumer
    who can buy (can_buy, (N,) bool) and is not yet a customer of the category
    (customer_of, (N, C) bool) buys when u < `adoption_probability(rate)`, where

        rate = (sum of the channels' hazards) x demand_c x each adoption factor

    hazards and factors: lists of (N, C) daily rates / multipliers, or anything that
    broadcasts to it (scalars, (N, 1), (C,)), a hazard also a `ScaledHazard` (read
    where it is kept); demand: (C,); u: (N, C) uniforms, or their draw to be made
    (`Uniforms`, `Mechanism.uniform_later`). Returns (buyers, categories), ordered by
    consumer then category. One compiled pass over the cells, in chunks of rows side by
    side on a large world (`sim.threads`): no (N, C) temporaries. A draw to be made is
    made as the pass reads it, and only the cells drawn under a bound on their rate
    (`rate_bound` times their factors) have their rate computed
    (`sim.kernels.first_purchase_drawn`): the same cells, most of them never read past
    their draw.
    """
    k, operand = customer_of.shape[1], _operand
    # A channel that is off (a single 0: r + 0 is r, r never -0) or a factor of exactly 1
    # (one 1, or 1 at both ends of its stated range) changes no rate: left out,
    # as each costs every cell an operation (the kernel's time is its chain of them).
    # Each count of operands is its own compiled signature, at most 5 x (factors + 1),
    # compiled on first sight and cached on disk; passing them all with a count to read
    # keeps one signature but costs the kernel half again (its loops no longer unroll).
    hazards = [_hazard(h, customer_of.shape[0]) for h in hazards if not is_zero(h)]
    hazards = hazards or [KernelHazard(operand(0.0), 1.0, None, None)]  # + 0 is exact
    factors = [_factor(f) for f in factors]
    factors = [f for f in factors if not _is_one(f)]
    demand = np.asarray(demand, np.float64)
    if demand.shape != (k,) or not demand.flags.c_contiguous:
        demand = np.ascontiguousarray(np.broadcast_to(demand, (k,)))
    operands = (
        np.asarray(can_buy, bool),
        customer_of,
        tuple(h.values for h in hazards),
        np.array([h.scale for h in hazards]),
        demand,
        tuple(f.values for f in factors) or (operand(1.0),),  # x 1.0 is exact; never empty
    )
    if isinstance(u, Uniforms) and u.count != customer_of.size:
        raise ValueError(f"a draw of {u.count} numbers for {customer_of.shape} cells")
    bounds = _bounds(u, hazards, demand, factors, k)
    if bounds is not None:  # the draw made as the kernel reads it
        kernel, operands = first_purchase_drawn, (*operands, *bounds)
    else:  # numbers drawn first, every rate computed
        u = u.made().reshape(customer_of.shape) if isinstance(u, Uniforms) else u
        kernel, operands = first_purchase_cells, (*operands, np.asarray(u, np.float32))
    # each row is decided on its own: chunks of rows side by side
    chosen = by_row_chunks(kernel, *operands, rows=customer_of.shape[0], columns=k)
    return chosen // k, chosen % k


def _bounds(u, hazards: list, demand: np.ndarray, factors: list, k: int) -> tuple | None:
    """`first_purchase_drawn`'s operands after the rules' (where the draw starts, the
    rates' bounds (`rate_bound`), and the rows where a hazard with rows of its own is
    on), or None where drawing first and computing every rate is the faster: numbers
    drawn already, a world too small to split among threads (bounding costs more than
    it saves), or rates too high for their bound to pass over most draws."""
    if not isinstance(u, Uniforms) or u.values is not None or u.count < threads.MIN_CELLS:
        return None
    bound = rate_bound(hazards, demand, factors, k)
    if not np.mean(np.minimum(bound[1, 1], 1.0)) < DRAWN_BELOW:  # a NaN bound: not taken
        return None
    own = [h.rows for h in hazards if h.rows is not None]  # hazards 0 outside rows
    if not own:
        level = np.zeros(1, bool)  # no row has one: every row's bound is bound[0]
    elif len(own) == 1:
        level = own[0]
    else:  # the rows where any of them is on
        level = np.logical_or.reduce(own)
    return u.start(), bound, level


DRAWN_BELOW = 0.2  # a mean bound under this: the draw made in the kernel, most passed over


def rate_bound(hazards: list, demand: np.ndarray, factors: list, k: int) -> np.ndarray:
    """(2, 2, C) a number at least every cell's rate in each category: [0] in the rows
    where every hazard with rows of its own is off (0), [1] in any row; each [:, 0]
    before the factors (the kernel multiplies a cell's own), [:, 1] with every factor
    at its highest. They are the kernel's operations, in its order, on each operand's
    ceiling: a hazard's in the category's column (its known `ceiling`, else its largest
    value; at least 0 for a hazard 0 outside some rows; + 0 where it is off), a
    factor's highest value. Rounding is monotone, so a sum or product of numbers each
    at most its ceiling rounds to at most the same operation on the ceilings, when what
    multiplies is not negative: they hold exactly, no margin, when the scales, demand
    and factors are not negative; otherwise they are NaN: no bound. A rate at or under
    0 never buys, whatever its bound; a NaN value never buys, so it is passed over.
    hazards: `KernelHazard`s; demand: (C,); factors: `Factor`s (a range of None: its
    lowest and highest value)."""
    if not (demand >= 0.0).all() or not all(h.scale >= 0.0 for h in hazards):
        return np.full((2, 2, k), np.nan)
    with np.errstate(invalid="ignore"):  # inf x 0 and the like: NaN, no bound
        bound = np.zeros((2, k))  # the rows where hazards of their own rows are off; any
        for h in hazards:
            top = h.ceiling
            if top is None:  # the largest value of each column read
                columns = 1 if h.values.shape[1] == 1 else k
                top = column_max(h.values, columns)
            if h.rows is not None:  # 0 in the other rows
                top = np.maximum(top, 0.0)
            term = h.scale * np.broadcast_to(top, (k,))
            bound = bound + np.stack([term if h.rows is None else np.zeros(k), term])
        bound = bound * demand
        high = bound
        for f in factors:
            low, top = (f.values.min(), f.values.max()) if f.low is None else (f.low, f.high)
            high = high * top if low >= 0.0 else np.full((2, k), np.nan)  # NaN: NaN
        return np.ascontiguousarray(np.stack([bound, high], axis=1))


def credit_channel(channels: dict[int, np.ndarray], u: np.ndarray) -> np.ndarray:
    """Pick the channel credited for each new purchase, proportional to its rate.

    channels: {SOURCE_* code: (K,) rates of the K new purchases}; u: (K,) uniforms, as
    drawn (float32, under 1). Returns (K,) SOURCE_* codes.

    A channel whose rates are all 0 is never picked, so the caller may leave it out
    (and with one channel left, it is every purchase's): its running sum repeats the one
    before it, and u x the sum of a purchase's rates stays under that sum. That holds
    for a sum above 0 (a purchase had a rate), finite (rates' parameters are bounded)
    and above the subnormal range (1e-308, far under any rate a purchase happens at),
    where u x sum may round up to the sum: there, as for an infinite sum, the last
    channel given is picked, which differs when 0 channels after it were left out.
    """
    codes = list(channels)
    if len(codes) <= 1:  # one channel: picked whatever u (the last is never passed)
        if not codes and u.size:
            raise ValueError("purchases to credit, but no channel to credit them to")
        return np.full(u.size, codes[0] if codes else SOURCE_NONE, np.int8)
    rates = np.stack([np.maximum(np.asarray(channels[c], float), 0.0) for c in codes])
    cum = np.cumsum(rates, axis=0)
    x = u * cum[-1]
    pick = (x[None, :] >= cum).sum(axis=0)
    return np.asarray(codes, np.int8)[np.minimum(pick, len(codes) - 1)]


def recommendation_trust(
    trust: sp.csr_matrix,
    buyers: np.ndarray,
    channels: np.ndarray,
    recommender: np.ndarray,
    kol_trust: np.ndarray,
    customer: np.ndarray,
) -> np.ndarray:
    """How strong the recommendation that won each new customer was (0..1).

    A share: the buyer's trust in the sharer; word of mouth: their trust in their most
    trusted tie who is a customer; a KOL's post: their trust in the KOL; an ad or a group
    buy: 1 (no recommendation to weigh). buyers, channels, recommender (sharer or -1),
    kol_trust (nan where no KOL): (K,); customer: (N,) bool.
    """
    out = np.ones(buyers.size)
    matrix = (trust.indptr, trust.indices, trust.data)
    share = (channels == SOURCE_SHARE) & (recommender >= 0)
    if share.any():
        out[share] = entries(*matrix, buyers[share], recommender[share])
    wom = channels == SOURCE_WORD_OF_MOUTH
    if wom.any():
        out[wom] = strongest_marked_tie(*matrix, buyers[wom], customer)
    kol = channels == SOURCE_KOL
    out[kol] = kol_trust[kol]
    return np.clip(out, 0.0, 1.0)


def pick_sharer(
    trust: sp.csr_matrix,
    listeners: np.ndarray,
    shared_today: np.ndarray,
    u: np.ndarray,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """For each listener, one sharer who shared to it today, with odds proportional to trust.

    trust: (N, N) CSR, rows listeners; listeners: (K,) consumer indices; shared_today: (N,)
    bool, speakers who shared the category; u: (K,) uniforms; keep: an optional (nnz,)
    mask of the ties to consider (e.g. the ties inside a neighborhood). Returns (K,) sharer
    indices (-1 where no tie shared, which cannot happen for a share-credited purchase).
    """
    if listeners.size == 0:
        return np.empty(0, np.int64)
    indptr, indices, data = csr_rows(trust, listeners, keep)
    weights = np.where(shared_today[indices], np.maximum(data, 0.0), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    before, after = cum[indptr[:-1]], cum[indptr[1:]]
    totals = after - before
    # First entry whose running sum passes the target: a tie that shared, odds by trust.
    pos = np.searchsorted(cum[1:], before + u * totals, side="right")
    pos = np.clip(pos, indptr[:-1], np.maximum(indptr[1:] - 1, indptr[:-1]))
    chosen = (
        indices[np.minimum(pos, max(indices.size - 1, 0))].astype(np.int64)
        if indices.size
        else np.zeros(listeners.size, np.int64)
    )
    return np.where(totals > 0, chosen, -1)


def price_factor(prices_yuan: np.ndarray, sensitivity_per_100_yuan: float) -> np.ndarray:
    """(C,) demand multiplier exp(-s x price / 100 yuan) of each category."""
    return np.exp(-sensitivity_per_100_yuan * prices_yuan / 100.0)


def price_cut_factor(
    prices_yuan: np.ndarray, cut_yuan: np.ndarray | float, sensitivity_per_100_yuan: float
) -> np.ndarray:
    """(C,) demand multiplier exp(s x min(cut, price) / 100 yuan) of a price cut (a coupon,
    a referee bonus, a discount): it undoes that much of `price_factor`'s deterrence."""
    return np.exp(sensitivity_per_100_yuan * np.minimum(cut_yuan, prices_yuan) / 100.0)


class PurchaseBehavior(Section):
    """How price deters purchases. (`[behavior]` keys.)"""

    price_sensitivity_per_100_yuan: float = param(
        0.4,
        "Adoption and repurchase fall by exp(-s x price / 100 yuan).",
        "per 100 yuan",
        ge=0.0,
        le=100.0,
    )


class Purchase(Mechanism):
    name = "purchase"
    params = PurchaseBehavior
    phase = "purchase"
    streams = ("purchase", "attribution")

    def setup(self) -> None:
        prices = np.array([c.price_yuan for c in self.spec.categories])
        self.price_factor = price_factor(prices, self.spec.behavior.price_sensitivity_per_100_yuan)

    def expose(self, day: Day) -> None:
        """The day's demand per category; who may buy: not lapsed, not held elsewhere."""
        day.demand = self.price_factor * day.hype
        day.reachable = ~self.pop.lapsed & ~day.held_elsewhere

    def purchase(self, day: Day) -> None:
        """First purchases, the channel credited, and the sharer a share credits."""
        c = self.pop
        n, k = day.consumers, day.categories
        can_buy = day.can_buy & day.reachable
        if day.index < self.spec.platform.start_day:
            can_buy[:] = False
        buyer, cat = first_purchases(
            can_buy,
            c.customer_of,
            self.uniform_later("purchase", (n, k)),  # made as the kernel reads it
            [day.hazard[channel] for channel in CHANNELS],
            day.demand,
            [factor(day) for factor in self.platform.factors("adoption_factor")],
        )
        attribution = self.uniform_later("attribution", (2, n, k))  # channel, then sharer
        on = [name for name in CHANNELS if not is_zero(day.hazard[name])]  # 0: never credited
        channel = credit_channel(
            {
                CHANNEL_SOURCE[name]: hazard_cells(day.hazard[name], (n, k), buyer, cat)
                if name != "ad"
                else np.full(buyer.size, day.hazard["ad"])
                for name in on
            },
            attribution.at(buyer * k + cat) if len(on) > 1 else np.zeros(buyer.size),
        )
        shared_by = np.full(buyer.size, -1, np.int64)
        won_by_share = np.flatnonzero(channel == SOURCE_SHARE)
        for category in unique(cat[won_by_share]):  # a handful of categories, not consumers
            pick = won_by_share[cat[won_by_share] == category]
            shared_by[pick] = pick_sharer(
                self.platform.network.trust,
                buyer[pick],
                c.shared_today[:, category],
                attribution.at(n * k + buyer[pick] * k + category),
            )
        day.first_buyer, day.first_category, day.first_channel = buyer, cat, channel
        day.orders = Orders.make(buyer, cat, True, shared_by, via_share=shared_by >= 0)
        day.channels = channel

    def order(self, day: Day) -> None:
        """Make the day's orders happen for the buyers (see the module docstring)."""
        c, orders, channels = self.pop, day.orders, day.channels
        buyer, cat = orders.buyer, orders.category
        orders.first_in_category = ~c.customer_of[buyer, cat]
        new_customers = np.zeros(c.n, bool)
        new_customers[buyer] = c.first_order_day[buyer] < 0
        # The first credited channel of a new customer's first day decides acquisition.
        newcomer = new_customers[buyer] & (c.acquired_by[buyer] == SOURCE_NONE)
        c.acquired_by[buyer[newcomer][::-1]] = channels[newcomer][::-1]
        kols = self.platform.get("kols")
        c.recommendation_trust[buyer[newcomer][::-1]] = recommendation_trust(
            self.platform.network.trust,
            buyer[newcomer],
            channels[newcomer],
            orders.shared_by[newcomer],
            kols.trust_in_recommender(buyer[newcomer])
            if kols is not None
            else np.full(int(newcomer.sum()), np.nan),
            c.active_customer,
        )[::-1]
        c.customer_of[buyer, cat] = True
        c.new_customer_of = np.zeros_like(c.customer_of)
        first = orders.first_in_category
        c.new_customer_of[buyer[first], cat[first]] = True
        bind(
            c.referrer,
            c.bound_day,
            buyer,
            orders.shared_by,
            day.index,
            self.platform.scheme.binding_days,
            c.is_sharer & ~c.lapsed,
        )
        day.schedule_next_due(buyer, cat)
        record_orders(c, buyer, day.index)
        day.new_customers = new_customers


def record_orders(c, buyers: np.ndarray, day: int) -> None:
    """Update each buyer's order count and first/second/last order days."""
    add_at(c.orders, buyers, 1)
    who = unique(buyers)
    first = c.first_order_day[who] < 0
    second = ~first & (c.second_order_day[who] < 0) & (c.first_order_day[who] < day)
    c.first_order_day[who[first]] = day
    c.second_order_day[who[second]] = day
    c.last_order_day[who] = day
