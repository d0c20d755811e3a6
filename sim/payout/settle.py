"""Settle the day's orders, and new sharers' dues, in the ledger.

For each order of list price L (fen), in this order:

* discounts: the group-buy discount on a filled group's orders, bargains, coupons (a new
  user's, a share's, and a won-back customer's on their first order after coming back),
  the self-purchase discount on a sharer's own orders (no commission on those); the buyer
  pays L minus discounts;
* the order's sharer: the sharer whose share, group or proxy order brought it, else the
  sharer the customer is still bound to (store binding), if still active;
* a stock-holding sharer sells from their stock: the buyer pays the sharer; otherwise the
  buyer pays the platform and the sharer earns the direct commission;
* upline overrides to the sharer's recruiters (levels 2, 3, ...);
* referral bonuses once per new customer whose first order was won by a sharer's share
  (not a group or proxy order: the referral is the share).

So list value = paid + discounts, and paid + fees = platform revenue + sharers' retail
sales, with payouts coming out of platform revenue, to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.arrays import add_at, unique
from sim.ledger import PLATFORM, Ledger
from sim.payout.binding import bound_sharer
from sim.payout.coupon import coupon_fen, win_back_coupon_fen
from sim.payout.direct_commission import commission_fen
from sim.payout.referral_bonus import rank_within, referrals_within_cap
from sim.payout.sales_bonus import tier_bonus_fen
from sim.payout.scheme import PayoutScheme
from sim.payout.upline_override import override_payments
from sim.state import Consumers, Orders


@dataclass
class Settlement:
    """Per-order amounts of one day (fen)."""

    list_fen: np.ndarray
    discount_fen: np.ndarray
    paid_fen: np.ndarray
    commission_fen: np.ndarray
    sharer: np.ndarray  # who brought the order, -1 if nobody
    from_stock: np.ndarray  # bool: sold from a sharer's stock
    cost_of_goods_fen: int  # the platform's cost of goods today (orders and stock sold)
    fulfillment_cost_fen: int = 0  # set by the fulfillment pipeline


def order_sharer(orders: Orders, consumers: Consumers, day: int, binding_days: int) -> np.ndarray:
    """The sharer credited with each order, -1 for none or for a sharer's own order: the
    sharer whose share, group or proxy order brought it, else the active sharer the buyer
    is still bound to."""
    c = consumers
    bound = bound_sharer(
        c.referrer, c.bound_day, c.is_sharer & ~c.lapsed, orders.buyer, day, binding_days
    )
    sharer = np.where(orders.shared_by >= 0, orders.shared_by, bound)
    return np.where(c.is_sharer[orders.buyer], -1, sharer)


def settle_orders(
    day: int,
    orders: Orders,
    consumers: Consumers,
    new_customers: np.ndarray,
    scheme: PayoutScheme,
    ledger: Ledger,
) -> Settlement:
    """Record the day's orders in the ledger; return per-order amounts.

    new_customers: (N,) bool, consumers whose first order ever is today.
    """
    buyer, cat = orders.buyer, orders.category
    c = consumers
    list_fen = scheme.price_fen[cat]
    self_buy = c.is_sharer[buyer]
    # Discounts stack in this order, never below a price of zero. A rule that is off (its
    # rate or amount 0) gives every order 0: `none`, without computing round(price x 0).
    none = np.zeros(orders.size, np.int64)
    first_today = np.zeros(orders.size, bool)  # a new customer's first order (new-user coupon)
    if scheme.coupon_new_user_fen:
        newcomer = np.flatnonzero(new_customers[buyer])
        _, first = np.unique(buyer[newcomer], return_index=True)
        first_today[newcomer[first]] = True
    win_back = win_back_coupon_fen(
        list_fen, buyer, c.win_back_coupon, scheme.coupon_win_back_fen, scheme.coupon_min_spend_fen
    )
    if scheme.coupon_win_back_fen:
        c.win_back_coupon[buyer[win_back > 0]] = False  # used
    offs = {
        "group_buy_discount": np.where(
            orders.group_order, np.rint(list_fen * scheme.group_discount_rate), 0
        )
        if scheme.group_discount_rate
        else none,
        "bargain_discount": np.rint(list_fen * orders.bargain_cut)
        if orders.bargain_cut.any()
        else none,
        "coupon_discount": coupon_fen(
            list_fen,
            first_today,
            orders.via_share & orders.first_in_category,
            scheme.coupon_new_user_fen,
            scheme.coupon_share_fen,
            scheme.coupon_min_spend_fen,
        )
        + win_back,
        "self_purchase_discount": np.where(
            self_buy, np.rint(list_fen * scheme.self_purchase_discount_rate), 0
        )
        if scheme.self_purchase_discount_rate
        else none,
    }
    left = list_fen.copy()
    for name, off in offs.items():
        off = np.minimum(off.astype(np.int64), left)
        offs[name] = off
        left -= off
    paid = left
    discount = list_fen - paid
    sharer = order_sharer(orders, c, day, scheme.binding_days)

    from_stock = np.zeros(orders.size, bool)
    if scheme.has_stock:
        candidates = np.flatnonzero((cat == scheme.stock_category) & (sharer >= 0))
        holder = sharer[candidates]
        from_stock[candidates] = rank_within(holder) < c.stock_units[holder]
        np.subtract.at(c.stock_units, sharer[from_stock], 1)

    commission = commission_fen(list_fen, scheme.commission_rate[cat], (sharer >= 0) & ~from_stock)
    platform = np.full(orders.size, PLATFORM)
    to_platform = ~from_stock
    ledger.record(
        day, "order_payment", buyer[to_platform], platform[to_platform], paid[to_platform]
    )
    ledger.record(day, "retail_sale", buyer[from_stock], sharer[from_stock], paid[from_stock])
    for name, off in offs.items():
        ledger.record(day, name, platform, buyer, off)
    has_sharer = sharer >= 0
    add_at(c.period_sales_fen, sharer[has_sharer], list_fen[has_sharer])
    paid_sharer = commission > 0
    ledger.record(
        day,
        "direct_commission",
        platform[paid_sharer],
        sharer[paid_sharer],
        commission[paid_sharer],
        level=1,
    )

    active_sharer = c.is_sharer & ~c.lapsed
    for level, idx, payee, amount in override_payments(
        list_fen, sharer, c.recruiter, active_sharer, scheme.override_rates
    ):
        ledger.record(
            day, "upline_override", np.full(idx.size, PLATFORM), payee, amount, level=level
        )

    pay_referral_bonuses(day, orders, c, new_customers, self_buy, scheme, ledger)
    cost = int(scheme.unit_cost_fen[cat[to_platform]].sum())
    if scheme.has_stock and scheme.restock:
        empty = unique(sharer[from_stock])
        empty = empty[(c.stock_units[empty] == 0) & active_sharer[empty]]
        cost += buy_stock(day, empty, c, scheme, ledger)
    return Settlement(list_fen, discount, paid, commission, sharer, from_stock, cost)


def pay_referral_bonuses(
    day: int,
    orders: Orders,
    c: Consumers,
    new_customers: np.ndarray,
    self_buy: np.ndarray,
    scheme: PayoutScheme,
    ledger: Ledger,
) -> None:
    """Referee and referrer bonuses, once per new customer who came through a share."""
    buyer = orders.buyer
    idx = np.flatnonzero(orders.via_share & new_customers[buyer] & ~self_buy)
    if idx.size == 0:
        return
    _, first = np.unique(buyer[idx], return_index=True)
    idx = idx[np.sort(first)]
    if scheme.referee_bonus_fen:
        ledger.record(
            day,
            "referral_bonus_referee",
            np.full(idx.size, PLATFORM),
            buyer[idx],
            np.full(idx.size, scheme.referee_bonus_fen),
        )
    if scheme.referrer_bonus_fen:
        referrer = orders.shared_by[idx]
        ok = referrals_within_cap(referrer, c.referral_bonuses, scheme.referral_bonus_cap)
        ledger.record(
            day,
            "referral_bonus_referrer",
            np.full(int(ok.sum()), PLATFORM),
            referrer[ok],
            np.full(int(ok.sum()), scheme.referrer_bonus_fen),
            level=1,
        )
        add_at(c.referral_bonuses, referrer[ok], 1)


def stock_supplier(buyers: np.ndarray, c: Consumers, scheme: PayoutScheme) -> np.ndarray:
    """Whom each buyer of stock buys from: their recruiter (upline) if that is an active
    sharer on a higher agent tier, else the platform (-1). One tier: always the platform."""
    if scheme.stock_tiers == 1:
        return np.full(buyers.size, PLATFORM)
    up = c.recruiter[buyers]
    upline = np.maximum(up, 0)
    ok = (up >= 0) & c.is_sharer[upline] & ~c.lapsed[upline]
    ok &= scheme.stock_tier(c.sharer_level[upline]) < scheme.stock_tier(c.sharer_level[buyers])
    return np.where(ok, up, PLATFORM)


def buy_stock(
    day: int, sharers: np.ndarray, c: Consumers, scheme: PayoutScheme, ledger: Ledger
) -> int:
    """Sharers buy a batch of `stock_units` each at their tier's price; returns the
    platform's cost of goods (fen).

    The lowest tier buys first: from the platform, or from an upline (see
    `stock_supplier`), whose stock goes down by what they sell; an upline left short (or
    sold out, with restock) buys whole batches from their own supplier in turn, enough to
    cover the shortfall (and keep a unit in hand, with restock), tier by tier up to the
    platform. Only stock the platform sells costs it goods.
    """
    if sharers.size == 0 or not scheme.has_stock:
        return 0
    units, cost = scheme.stock_units, 0
    who, batches = sharers, np.ones(sharers.size, np.int64)
    for tier in range(scheme.stock_tiers, 0, -1):
        at = scheme.stock_tier(c.sharer_level[who]) == tier
        if scheme.stock_tiers > 1:  # uplines restocking may already be buying: one row each
            buyers, row = np.unique(who[at], return_inverse=True)
            bought = np.bincount(row, batches[at], buyers.size).astype(np.int64)
        else:
            buyers, bought = who[at], batches[at]
        who, batches = who[~at], batches[~at]
        supplier = stock_supplier(buyers, c, scheme)
        amount = bought * units * scheme.stock_price_fen(tier)
        platform = supplier == PLATFORM
        ledger.record(day, "stock_purchase", buyers[platform], supplier[platform], amount[platform])
        cost += (
            int(bought[platform].sum()) * units * int(scheme.unit_cost_fen[scheme.stock_category])
        )
        c.stock_units[buyers] += bought * units
        down = ~platform
        if down.any():
            uplines, more = sell_down(
                day, buyers[down], bought[down], supplier[down], who, batches, c, scheme, ledger
            )
            who = np.concatenate([who, uplines])
            batches = np.concatenate([batches, more])
    return cost


def sell_down(
    day: int,
    buyers: np.ndarray,
    bought: np.ndarray,
    upline: np.ndarray,
    queued: np.ndarray,
    queued_batches: np.ndarray,
    c: Consumers,
    scheme: PayoutScheme,
    ledger: Ledger,
) -> tuple[np.ndarray, np.ndarray]:
    """Uplines sell `bought` batches to each buyer (one tier, each buyer's upline above
    them); returns the uplines that must buy in turn and how many batches.

    The buyer pays their tier's price: the upline's own unit price passes through
    (`downline_stock_sale`) and the difference is the upline's markup
    (`downline_stock_markup`). An upline short of stock, counting the batches already
    queued for them today, buys whole batches to cover it (and, with restock, to keep a
    unit in hand); an upline always supplies a recruit, whatever `restock` says.
    """
    units = scheme.stock_units
    tier = scheme.stock_tier(c.sharer_level[buyers])
    upline_tier = scheme.stock_tier(c.sharer_level[upline])
    at_cost = bought * units * scheme.stock_price_fen(upline_tier)
    markup = bought * units * scheme.stock_price_fen(tier) - at_cost
    ledger.record(day, "downline_stock_sale", buyers, upline, at_cost)
    ledger.record(day, "downline_stock_markup", buyers, upline, markup)
    uplines, row = np.unique(upline, return_inverse=True)
    c.stock_units[uplines] -= np.bincount(row, bought, uplines.size).astype(np.int64) * units
    pending = np.zeros(uplines.size, np.int64)
    pos = np.minimum(np.searchsorted(uplines, queued), uplines.size - 1)
    hit = uplines[pos] == queued
    add_at(pending, pos[hit], queued_batches[hit])
    # whole batches to cover the shortfall, and to keep a unit in hand with restock
    more = -((c.stock_units[uplines] + pending * units - scheme.restock) // units)
    short = more > 0
    return uplines[short], more[short]


def onboard_sharers(
    day: int, joined: np.ndarray, c: Consumers, scheme: PayoutScheme, ledger: Ledger
) -> int:
    """New sharers pay the entry fee, buy their gift pack and their first stock; returns
    the platform's cost of goods."""
    for entry_type, amount_fen in (
        ("entry_fee", scheme.entry_fee_fen),
        # the pack: its goods' worth to the member is a purchase, the rest a membership fee
        ("gift_pack", scheme.gift_pack_fen - scheme.gift_pack_premium_fen),
        ("gift_pack_premium", scheme.gift_pack_premium_fen),
    ):
        if amount_fen and joined.size:
            ledger.record(
                day,
                entry_type,
                joined,
                np.full(joined.size, PLATFORM),
                np.full(joined.size, amount_fen),
            )
    cost = joined.size * scheme.gift_pack_cost_fen if scheme.gift_pack_fen else 0
    return cost + buy_stock(day, joined, c, scheme, ledger)


def pay_recruiters(
    day: int, recruits: np.ndarray, c: Consumers, scheme: PayoutScheme, ledger: Ledger
) -> None:
    """Pay per recruit: each sharer recruited today for the first time earns their recruiter
    (if still an active sharer) the scheme's pay per recruit; a returning sharer earns
    nobody anything."""
    per_recruit = scheme.recruit_bonus_fen + int(
        np.rint(scheme.recruit_entry_fee_share * scheme.entry_fee_fen)
    )
    if not per_recruit or recruits.size == 0:
        return
    recruiter = c.recruiter[recruits]
    ok = recruiter >= 0
    ok[ok] = c.is_sharer[recruiter[ok]] & ~c.lapsed[recruiter[ok]]
    ledger.record(
        day,
        "recruit_bonus",
        np.full(int(ok.sum()), PLATFORM),
        recruiter[ok],
        np.full(int(ok.sum()), per_recruit),
    )


def pay_sales_bonuses(day: int, c: Consumers, scheme: PayoutScheme, ledger: Ledger) -> None:
    """At the end of a 30-day period, pay active sharers their tier bonus and start anew."""
    if scheme.sales_thresholds_fen.size:
        who = np.flatnonzero(c.is_sharer & ~c.lapsed & (c.period_sales_fen > 0))
        bonus = tier_bonus_fen(
            c.period_sales_fen[who], scheme.sales_thresholds_fen, scheme.sales_bonus_rates
        )
        ledger.record(day, "sales_bonus", np.full(who.size, PLATFORM), who, bonus, level=1)
    c.period_sales_fen[:] = 0


def pay_gifts(day: int, receivers: np.ndarray, scheme: PayoutScheme, ledger: Ledger) -> None:
    """The platform pays for each claimed gift (one entry per receiver)."""
    ledger.record(
        day,
        "gift",
        np.full(receivers.size, PLATFORM),
        receivers,
        np.full(receivers.size, scheme.gift_cost_fen),
        level=1,
    )
