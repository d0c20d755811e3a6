"""End-of-run KPIs of the platform's own bookkeeping, as pure functions of its state.

Definitions live in `sim.catalog`; mechanisms compute the KPIs they provide themselves
(`Mechanism.kpi_values`), the market computes market share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import exact
from sim.economics import economics_kpis
from sim.state import VIRAL_SOURCES

if TYPE_CHECKING:
    from sim.platform import Platform


def ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def repeat_rate(
    first_day: np.ndarray, second_day: np.ndarray, horizon_end: int, window_days: int
) -> float:
    """Share of customers first ordering >= window days before the end who reordered within it."""
    cohort = (first_day >= 0) & (first_day <= horizon_end - window_days)
    repeat = cohort & (second_day >= 0) & (second_day - first_day <= window_days)
    if not cohort.any():
        return float("nan")  # undefined: the run is shorter than the window
    return ratio(np.count_nonzero(repeat), np.count_nonzero(cohort))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one has all); NaN if empty."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() <= 0:
        return float("nan") if x.size == 0 else 0.0
    ranks = np.arange(1, x.size + 1)
    return exact.dot(2 * ranks - x.size - 1, x) / (x.size * x.sum())


def basket_width(customer_of: np.ndarray, who: np.ndarray) -> float:
    """Mean number of categories bought by the consumers in `who` ((N,) bool); NaN if none."""
    rows = np.flatnonzero(who)
    return float(customer_of[rows].sum(axis=1).mean()) if rows.size else float("nan")


def platform_kpis(platform: Platform) -> dict[str, float]:
    """The KPIs of the catalog whose provider is the platform itself."""
    c, days = platform.consumers, platform.day
    recorder = platform.recorder
    v = {k: arr[:days] for k, arr in recorder.values.items()}
    customers = int(np.count_nonzero(c.is_customer))
    gmv = v["gmv"].sum() / 100.0
    payouts = v["payouts_total"].sum() / 100.0
    viral = np.count_nonzero(c.is_customer & np.isin(c.acquired_by, VIRAL_SOURCES))
    acquisition_fen = (
        v["ad_spend"].sum()
        + v["payout_referral_bonus_referrer"].sum()
        + v["payout_referral_bonus_referee"].sum()
        + recorder.first_order_commission_fen
        + recorder.first_order_discount_fen
    )
    cm = float(v["contribution_margin"].sum() / 100.0)
    return economics_kpis(v, platform.spec.economics) | {
        "customers": float(customers),
        "penetration": ratio(customers, c.n),
        "orders": float(v["orders"].sum()),
        "gmv": float(gmv),
        "repeat_rate_30d": repeat_rate(c.first_order_day, c.second_order_day, days, 30),
        "repeat_rate_90d": repeat_rate(c.first_order_day, c.second_order_day, days, 90),
        "active_customers": float(np.count_nonzero(c.active_customer)),
        "categories_per_customer": basket_width(c.customer_of, c.active_customer),
        "active_customers_30d": float(
            np.count_nonzero((c.last_order_day >= 0) & (c.last_order_day >= days - 30))
        ),
        "payouts_total": float(payouts),
        "payout_ratio": ratio(payouts, gmv),
        "discounts_total": float(v["discounts"].sum() / 100.0),
        "contribution_margin": cm,
        "k_factor": ratio(viral, customers),
        "cac": ratio(acquisition_fen / 100.0, customers),
        "payback_days": ratio(acquisition_fen / 100.0, cm / days) if cm > 0 else float("nan"),
    }
