"""Cohorts: customers grouped by the month and the channel of their first order.

Each day, after settlement, every order's margin to the platform is added to its buyer's
cohort (acquisition channel x acquisition month) at the order's age (months since the
buyer's first order):

    order margin = price paid to the platform - cost of goods - direct commission

(an order sold from a sharer's stock earns the platform nothing at the sale; upline
overrides, bonuses and fulfillment are left out). Each customer's acquisition cost is the
discounts and coupons on their first order, the referee bonus paid to them and the
referrer bonus paid for them; ads are spread over the customers ads won that month.

From these, per cohort: customers, CAC (yuan per customer), LTV at 3, 6, 12 and 24 months
(cumulative order margin per customer by that age; undefined until the whole cohort has
reached it within the run) and the payback month (the first age at which LTV reaches CAC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.arrays import add_at, unique
from sim.mechanisms.base import Day, Mechanism, State
from sim.state import SOURCE_AD, SOURCE_NONE, SOURCE_SHARE

MONTH_DAYS = 30
LTV_MONTHS = (3, 6, 12, 24)
REFERRAL_TYPES = ("referral_bonus_referrer", "referral_bonus_referee")
CHANNEL_NAMES = {0: "ad", 1: "word_of_mouth", 2: "share", 3: "group_buy", 4: "kol"}


def cohort_table(
    margin_fen: np.ndarray,
    customers: np.ndarray,
    acquisition_fen: np.ndarray,
    ad_spend_fen: np.ndarray,
    horizon_days: int,
) -> pd.DataFrame:
    """One row per (channel, month) cohort with customers.

    margin_fen: (channels, months, ages) order margin; customers, acquisition_fen:
    (channels, months); ad_spend_fen: (months,) spread over the ad channel's customers."""
    rows = []
    channels, months, _ = margin_fen.shape
    for ch in range(channels):
        for month in range(months):
            n = int(customers[ch, month])
            if n == 0:
                continue
            cost = acquisition_fen[ch, month] + (ad_spend_fen[month] if ch == SOURCE_AD else 0)
            cumulative = np.cumsum(margin_fen[ch, month]) / n / 100.0
            cac = cost / n / 100.0
            # months of age every customer of the cohort (its last day's too) has completed
            full_ages = (horizon_days - (month + 1) * MONTH_DAYS) // MONTH_DAYS
            paid_back = np.flatnonzero(cumulative[: max(full_ages, 0)] >= cac)
            row = {
                "channel": CHANNEL_NAMES.get(ch, str(ch)),
                "month": month,
                "customers": n,
                "cac": cac,
                "payback_month": float(paid_back[0] + 1) if paid_back.size else np.nan,
            }
            for k in LTV_MONTHS:
                row[f"ltv_{k}m"] = float(cumulative[k - 1]) if k <= full_ages else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


class Cohorts(Mechanism):
    name = "cohorts"
    phase = "settle"
    states = (
        State("acquisition_cost_fen", np.float64, 0.0, doc="what acquiring the customer cost"),
    )

    def setup(self) -> None:
        months = self.platform.days // MONTH_DAYS + 1
        self.margin = np.zeros((len(CHANNEL_NAMES), months, months))

    def settle(self, day: Day) -> None:
        """Add the day's order margins to their cohorts, and first-order costs to buyers."""
        c, s, orders = self.pop, day.settlement, day.orders
        scheme = self.platform.scheme
        to_platform = ~s.from_stock
        margin = (
            np.where(to_platform, s.paid_fen - scheme.unit_cost_fen[orders.category], 0)
            - s.commission_fen
        )
        buyer = orders.buyer
        channel = c.acquired_by[buyer].astype(np.int64)
        known = channel != SOURCE_NONE
        month = c.first_order_day[buyer] // MONTH_DAYS
        age = (day.index - c.first_order_day[buyer]) // MONTH_DAYS
        add_at(self.margin, (channel[known], month[known], age[known]), margin[known])
        first = day.new_customers[buyer]
        add_at(c.acquisition_cost_fen, buyer[first], s.discount_fen[first])
        # referral bonuses (both sides) of the day, spread over the customers shares won
        bonuses = day.ledger.day_total_fen(day.index, REFERRAL_TYPES)
        referred = unique(buyer[first & (channel == SOURCE_SHARE)])
        if bonuses and referred.size:
            c.acquisition_cost_fen[referred] += bonuses / referred.size

    def table(self) -> pd.DataFrame:
        """The cohort table of the run so far (see the module docstring)."""
        c = self.pop
        months = self.margin.shape[1]
        customer = c.is_customer & (c.acquired_by != SOURCE_NONE)
        channel = c.acquired_by[customer].astype(np.int64)
        month = c.first_order_day[customer] // MONTH_DAYS
        counts = np.zeros(self.margin.shape[:2])
        add_at(counts, (channel, month), 1)
        cost = np.zeros(self.margin.shape[:2])
        add_at(cost, (channel, month), c.acquisition_cost_fen[customer])
        spend = self.platform.recorder.values["ad_spend"][: self.platform.day]
        ads = np.bincount(np.arange(spend.size) // MONTH_DAYS, weights=spend, minlength=months)
        return cohort_table(self.margin, counts, cost, ads[:months], self.platform.day)
