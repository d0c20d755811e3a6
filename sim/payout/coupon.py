"""Coupons: a new-user coupon with a minimum spend, and coupons sharers hand out.

A new customer's first order of a category whose price reaches `min_spend_yuan` gets
`new_user_yuan` off; a first order won by a sharer's share also gets `share_yuan` off (the
coupon travels with the share). Behaviour (CHANNELS, docs/incentives.md): each coupon
acts like a price cut on the purchase it applies to, so new users buy, and shares that
carry a coupon convert, more.
"""

from __future__ import annotations

import numpy as np

from sim.payout.channel import Channel
from sim.schema_base import Section, param

CHANNELS = (
    Channel(
        "coupon (new user)",
        "consumers who have never ordered",
        "the coupon on their first order, as a price cut (yuan)",
        "adoption hazard x exp(s x min(new_user_yuan, price) / 100 yuan)",
        "price_sensitivity_per_100_yuan (per 100 yuan)",
        "coupons",
        "a coupon of 0 multiplies by exactly 1",
        probe="coupon_new_user",
    ),
    Channel(
        "coupon (share)",
        "consumers new to a category who receive a share of it",
        "the coupon the share carries, as a price cut (yuan)",
        "share-channel adoption hazard x exp(s x min(share_yuan, price) / 100 yuan)",
        "price_sensitivity_per_100_yuan (per 100 yuan)",
        "coupons",
        "a coupon of 0 multiplies by exactly 1",
        probe="coupon_share",
    ),
    Channel(
        "coupon (win-back)",
        "lapsed customers (with a win-back response)",
        "the coupon waiting for their next order, as a price cut on the categories they "
        "bought: f = exp(s x min(win_back_yuan, their mean price) / 100 yuan)",
        "comes back with probability 1 - ((1 - w) exp(-r x E)) ^ f",
        "price_sensitivity_per_100_yuan (per 100 yuan), win_back_per_day w, "
        "win_back_per_exposure r",
        "coupons, churn",
        "a coupon of 0 gives f = 1: exactly the win-back without it",
        probe="coupon_win_back",
    ),
)


class Coupon(Section):
    """Coupons off first orders."""

    enabled: bool = param(True, "Give these coupons.")
    new_user_yuan: float = param(10.0, "Coupon on a new customer's first order.", "yuan", ge=0.0)
    share_yuan: float = param(
        0.0, "Coupon carried by a sharer's share, on the first order it wins.", "yuan", ge=0.0
    )
    min_spend_yuan: float = param(
        0.0, "Coupons apply to orders of at least this price.", "yuan", ge=0.0
    )
    win_back_yuan: float = param(
        0.0,
        "Coupon sent to lapsed customers, on their first order after they come back; it "
        "raises their win-back hazard as a price cut would (needs a win-back response: "
        "behavior.win_back_per_day or win_back_per_exposure).",
        "yuan",
        ge=0.0,
    )

    def describe(self) -> str:
        win_back = f", {self.win_back_yuan:g} yuan to win lapsed customers back" * bool(
            self.win_back_yuan
        )
        return (
            f"coupons {self.new_user_yuan:g} yuan for new users and {self.share_yuan:g} "
            f"yuan through shares{win_back} (min spend {self.min_spend_yuan:g} yuan)"
        )


def win_back_coupon_fen(
    list_fen: np.ndarray,
    buyer: np.ndarray,
    waiting: np.ndarray,
    coupon_fen: int,
    min_spend_fen: int,
) -> np.ndarray:
    """The win-back coupon on each order (fen): on the first order of the day of each buyer
    with a coupon waiting whose price reaches the minimum spend, never above the price."""
    value = np.zeros(buyer.size, np.int64)
    if not coupon_fen:
        return value
    eligible = np.flatnonzero(waiting[buyer] & (list_fen >= min_spend_fen))
    _, first = np.unique(buyer[eligible], return_index=True)
    used = eligible[first]
    value[used] = np.minimum(coupon_fen, list_fen[used])
    return value


def coupon_fen(
    list_fen: np.ndarray,
    new_customer_order: np.ndarray,
    via_share: np.ndarray,
    new_user_fen: int,
    share_fen: int,
    min_spend_fen: int,
) -> np.ndarray:
    """Coupon value of each order (fen), never more than its price (prices are above 0:
    without coupons, 0)."""
    if not new_user_fen and not share_fen:
        return np.zeros(list_fen.size, np.int64)
    value = np.where(new_customer_order, new_user_fen, 0) + np.where(via_share, share_fen, 0)
    value = np.where(list_fen >= min_spend_fen, value, 0)
    return np.minimum(value, list_fen).astype(np.int64)
