"""What the model reports: daily series and end-of-run KPIs, as pure functions of the model.

KPI definitions (also in docs/kpis.md):

* customers - consumers with at least one order.
* penetration - customers / consumers.
* orders - orders placed.
* gmv - list-price value of all orders, yuan.
* repeat_rate_30d / repeat_rate_90d - among customers whose first order was at least 30
  (90) days before the end, the share who ordered again on a later day within 30 (90) days.
* active_customers_30d - customers with an order in the last 30 days of the run.
* active_sharers - sharers active at the end of the run.
* payouts_total - all payouts (commissions and bonuses), yuan.
* payout_ratio - payouts_total / gmv.
* discounts_total - all discounts, yuan.
* contribution_margin - what consumers paid - cost of goods - payouts, yuan.
* k_factor - customers acquired through word of mouth or shares / customers: the mean
  number of new customers each customer brought in.
* cac - (ad spend + referral bonuses + commissions and discounts on first orders) /
  customers, yuan per customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.ledger import DISCOUNT_TYPES, PAYOUT_TYPES
from sim.state import SOURCE_SHARE, SOURCE_WORD_OF_MOUTH

if TYPE_CHECKING:
    from sim.model import SocialCommerceModel
    from sim.payouts import Settlement
    from sim.state import Orders

DAILY_COLUMNS = (
    "new_customers", "customers", "active_customers_30d", "lapsed_today", "lapsed",
    "orders", "first_orders", "repeat_orders", "gmv", "paid", "discounts",
    *(f"payout_{t}" for t in PAYOUT_TYPES), "payouts_total", "cost_of_goods",
    "contribution_margin", "ad_spend", "new_sharers", "quit_sharers", "active_sharers",
    "shares", "bad_experiences", "acquired_by_share", "acquired_by_word_of_mouth",
)

KPI_NAMES = (
    "customers", "penetration", "orders", "gmv", "repeat_rate_30d", "repeat_rate_90d",
    "active_customers_30d", "active_sharers", "payouts_total", "payout_ratio",
    "discounts_total", "contribution_margin", "k_factor", "cac",
)

MONEY_COLUMNS = frozenset({
    "gmv", "paid", "discounts", *(f"payout_{t}" for t in PAYOUT_TYPES), "payouts_total",
    "cost_of_goods", "contribution_margin", "ad_spend",
})


class DailyRecorder:
    """Preallocated daily series; money is kept in fen and reported in yuan."""

    def __init__(self, days: int):
        self.values = {name: np.zeros(days, dtype=np.int64) for name in DAILY_COLUMNS}
        self.first_order_commission_fen = 0
        self.first_order_discount_fen = 0

    def record(self, model: SocialCommerceModel, orders: Orders, settlement: Settlement,
               new_customers: np.ndarray, joined: np.ndarray, quit_: np.ndarray,
               lapsed: np.ndarray, shared: np.ndarray, bad_experiences: int) -> None:
        day, c, v = model.day, model.consumers, self.values
        ledger = model.ledger
        cost_fen = int(np.rint(settlement.list_fen * (1.0 - model_margins(model)[
            orders.category])).sum())
        payouts = ledger.day_total_fen(day, PAYOUT_TYPES)
        v["new_customers"][day] = new_customers.sum()
        v["customers"][day] = (v["customers"][day - 1] if day else 0) + v["new_customers"][day]
        v["active_customers_30d"][day] = np.count_nonzero((c.last_order_day >= 0) & (c.last_order_day > day - 30))
        v["lapsed_today"][day] = lapsed.sum()
        v["lapsed"][day] = (v["lapsed"][day - 1] if day else 0) + v["lapsed_today"][day]
        v["orders"][day] = orders.size
        v["first_orders"][day] = orders.first_in_category.sum()
        v["repeat_orders"][day] = orders.size - v["first_orders"][day]
        v["gmv"][day] = settlement.list_fen.sum()
        v["paid"][day] = settlement.paid_fen.sum()
        v["discounts"][day] = ledger.day_total_fen(day, DISCOUNT_TYPES)
        for t in PAYOUT_TYPES:
            v[f"payout_{t}"][day] = ledger.day_total_fen(day, (t,))
        v["payouts_total"][day] = payouts
        v["cost_of_goods"][day] = cost_fen
        v["contribution_margin"][day] = v["paid"][day] - cost_fen - payouts
        v["ad_spend"][day] = int(round(model.platform.ad_spend_yuan_per_day * 100))
        v["new_sharers"][day] = joined.sum()
        v["quit_sharers"][day] = quit_.sum()
        v["active_sharers"][day] = c.is_sharer.sum()
        v["shares"][day] = shared.sum()
        v["bad_experiences"][day] = bad_experiences
        newcomers = np.flatnonzero(new_customers)
        v["acquired_by_share"][day] = np.count_nonzero(c.acquired_by[newcomers] == SOURCE_SHARE)
        v["acquired_by_word_of_mouth"][day] = np.count_nonzero(
            c.acquired_by[newcomers] == SOURCE_WORD_OF_MOUTH)
        first = orders.first_in_category & new_customers[orders.buyer]
        self.first_order_commission_fen += int(settlement.commission_fen[first].sum())
        self.first_order_discount_fen += int(settlement.discount_fen[first].sum())

    def frame(self, days: int) -> pd.DataFrame:
        data = {"day": np.arange(days)}
        for name in DAILY_COLUMNS:
            col = self.values[name][:days]
            data[name] = col / 100.0 if name in MONEY_COLUMNS else col
        return pd.DataFrame(data)


def model_margins(model: SocialCommerceModel) -> np.ndarray:
    return np.array([cat.margin for cat in model.spec.categories])


def ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def repeat_rate(first_day: np.ndarray, second_day: np.ndarray, horizon_end: int,
                window_days: int) -> float:
    """Share of customers first ordering >= window days before the end who reordered within it."""
    cohort = (first_day >= 0) & (first_day <= horizon_end - window_days)
    repeat = cohort & (second_day >= 0) & (second_day - first_day <= window_days)
    return ratio(np.count_nonzero(repeat), np.count_nonzero(cohort))


def kpis(model: SocialCommerceModel) -> dict[str, float]:
    """End-of-run KPIs (see module docstring for definitions)."""
    c, days = model.consumers, model.day
    v = {k: arr[:days] for k, arr in model.recorder.values.items()}
    customers = int(np.count_nonzero(c.is_customer))
    gmv = v["gmv"].sum() / 100.0
    payouts = v["payouts_total"].sum() / 100.0
    viral = np.count_nonzero(c.is_customer & np.isin(c.acquired_by,
                                                     [SOURCE_SHARE, SOURCE_WORD_OF_MOUTH]))
    acquisition_fen = (v["ad_spend"].sum() + v["payout_referral_bonus_referrer"].sum()
                       + v["payout_referral_bonus_referee"].sum()
                       + model.recorder.first_order_commission_fen
                       + model.recorder.first_order_discount_fen)
    return {
        "customers": float(customers),
        "penetration": ratio(customers, c.n),
        "orders": float(v["orders"].sum()),
        "gmv": float(gmv),
        "repeat_rate_30d": repeat_rate(c.first_order_day, c.second_order_day, days, 30),
        "repeat_rate_90d": repeat_rate(c.first_order_day, c.second_order_day, days, 90),
        "active_customers_30d": float(np.count_nonzero((c.last_order_day >= 0) & (c.last_order_day >= days - 30))),
        "active_sharers": float(np.count_nonzero(c.is_sharer)),
        "payouts_total": float(payouts),
        "payout_ratio": ratio(payouts, gmv),
        "discounts_total": float(v["discounts"].sum() / 100.0),
        "contribution_margin": float(v["contribution_margin"].sum() / 100.0),
        "k_factor": ratio(viral, customers),
        "cac": ratio(acquisition_fen / 100.0, customers),
    }
