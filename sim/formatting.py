"""How KPI values are written for people: units, percentages, thousands."""

from __future__ import annotations

KPI_UNITS = {
    "sharer_income_median": "yuan",
    "sharer_income_p90": "yuan",
    "payback_days": "days",
    "gmv": "yuan",
    "payouts_total": "yuan",
    "discounts_total": "yuan",
    "contribution_margin": "yuan",
    "cac": "yuan per customer",
}
PERCENT_KPIS = {
    "penetration",
    "repeat_rate_30d",
    "repeat_rate_90d",
    "payout_ratio",
    "sharers_negative_income_share",
    "downline_income_share",
}


def fmt(value: float | None, kpi: str) -> str:
    if value is None:
        return "-"
    if kpi in PERCENT_KPIS:
        return f"{100 * value:.2f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
