"""Cash and value of one run: the daily cash curve, its trough and break-even, and NPV.

From the platform's daily series (fen), with the scenario's `[economics]`:

* cash of day t = contribution margin of t (revenue - cost of goods - fulfillment -
  payouts) + payouts of t - payouts of t - L (payouts are settled L days after the sale,
  `payout_settlement_lag_days`) - ad spend of t - fixed costs per day;
* the cumulative cash curve, its trough (its lowest value, 0 if it never goes below zero),
  the day of the trough, and the break-even day: the first day after the trough on which
  cumulative cash is back at zero or above (undefined if it never is);
* operating margin: contribution margin - ad spend - fixed costs over the run;
* NPV at `discount_rate_per_year` (daily factor (1 + r)^(-t / 365)): the discounted cash
  curve, minus the payouts still unsettled at the horizon, plus a terminal value for the
  customers still active at the horizon.

Terminal value (`terminal_value = "decaying_margin"`): the customers active at the horizon
keep bringing the last 30 days' mean daily contribution margin m, shrinking each day by
the last 30 days' daily lapse hazard h, with no more ads or acquisition, while the fixed
costs F go on; the platform runs on while the margin covers them (K days, m (1 - h)^K >= F):
TV = sum over k = 1..K of (m (1 - h)^k - F) e^(-delta k), delta = ln(1 + r) / 365 (with
F = 0, the geometric sum m q / (1 - q), q = (1 - h) e^(-delta)), discounted from the
horizon. A conservative floor, not a forecast: it ignores the growth still under way. With
"none", NPV counts the horizon only.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from sim import exact
from sim.schema_base import Probability, Section, param

TERMINAL_WINDOW_DAYS = 30


class EconomicsSection(Section):
    """How cash and value are counted (`[economics]`)."""

    fixed_cost_yuan_per_day: float = param(
        0.0, "The platform's fixed costs (staff, warehouse, systems) per day.", "yuan per day", ge=0
    )
    payout_settlement_lag_days: int = param(
        15,
        "Days between a sale and the payout on it (commissions settle after the return window).",
        "days",
        ge=0,
        le=365,
    )
    discount_rate_per_year: Probability = param(
        0.10, "Annual discount rate of NPV (the platform's cost of capital).", "per year"
    )
    terminal_value: Literal["decaying_margin", "none"] = param(
        "decaying_margin",
        "Value of the customers active at the horizon: a perpetuity of the last 30 days' "
        "daily margin decaying with their lapse hazard, or none.",
    )


def daily_cash_fen(
    contribution_margin: np.ndarray,
    payouts: np.ndarray,
    ad_spend: np.ndarray,
    fixed_cost_fen_per_day: float,
    settlement_lag_days: int,
) -> np.ndarray:
    """(T,) cash of each day (fen): margin with payouts moved `settlement_lag_days` later,
    minus ads and fixed costs. Payouts due after the horizon are not in it."""
    settled = np.zeros_like(payouts, dtype=float)
    lag = settlement_lag_days
    if lag < payouts.size:
        settled[lag:] = payouts[: payouts.size - lag]
    return contribution_margin + payouts - settled - ad_spend - fixed_cost_fen_per_day


def with_cumulative_cash(daily, econ: EconomicsSection):
    """A daily frame (yuan, one row per replication and day) with a `cumulative_cash` column:
    the cash curve of each replication, as `daily_cash_fen` counts it."""
    out = daily.sort_values(["replication", "day"]).copy()
    parts = []
    for _, one in out.groupby("replication", sort=True):
        cash = daily_cash_fen(
            one["contribution_margin"].to_numpy(float),
            one["payouts_total"].to_numpy(float),
            one["ad_spend"].to_numpy(float),
            econ.fixed_cost_yuan_per_day,
            econ.payout_settlement_lag_days,
        )
        parts.append(np.cumsum(cash))
    out["cumulative_cash"] = np.concatenate(parts) if parts else []
    return out


def trough_and_breakeven(cumulative: np.ndarray) -> tuple[float, int, float]:
    """(trough value, trough day, break-even day) of a cumulative cash curve; the trough is
    0 on day 0 if the curve never goes below zero; break-even is NaN if never reached."""
    if cumulative.size == 0 or cumulative.min() >= 0:
        return 0.0, 0, 0.0
    day = int(np.argmin(cumulative))
    after = np.flatnonzero(cumulative[day:] >= 0)
    return float(cumulative[day]), day, float(day + after[0]) if after.size else float("nan")


def terminal_value_fen(
    contribution_margin: np.ndarray,
    lapsed_today: np.ndarray,
    active_customers: np.ndarray,
    discount_rate_per_year: float,
    fixed_fen_per_day: float = 0.0,
) -> float:
    """TV at the horizon (fen): the decaying margin net of fixed costs while it covers
    them, discounted (see the module docstring); 0 if the margin does not cover them."""
    window = slice(-TERMINAL_WINDOW_DAYS, None)
    m = float(np.mean(contribution_margin[window]))
    at_risk = float(np.sum(active_customers[window]))
    h = float(np.sum(lapsed_today[window])) / at_risk if at_risk > 0 else 1.0
    # sim.exact's scalars: the same bits on every processor (see there)
    delta = exact.log1p(discount_rate_per_year) / 365.0
    if m <= fixed_fen_per_day or m <= 0:
        return 0.0
    keep = (1.0 - h) * exact.exp(-delta)  # margin kept and discounted, per day
    step = exact.exp(-delta)
    if fixed_fen_per_day > 0 and h > 0:
        if h < 1.0:
            days = float(math.floor(exact.ln(fixed_fen_per_day / m) / exact.log1p(-h)))
        else:  # everyone lapses in a day: the margin is gone after today
            days = 0.0
    else:
        days = math.inf
    if not math.isfinite(days):
        if h + delta <= 0:
            return 0.0
        return m * keep / (1.0 - keep) - (
            fixed_fen_per_day * step / (1.0 - step) if fixed_fen_per_day else 0.0
        )
    margin = m * keep * (1.0 - exact.power(keep, days)) / (1.0 - keep)
    fixed = (
        fixed_fen_per_day * step * (1.0 - exact.power(step, days)) / (1.0 - step)
        if step < 1
        else fixed_fen_per_day * days
    )
    return float(margin - fixed)


def economics_kpis(values: dict[str, np.ndarray], econ: EconomicsSection) -> dict[str, float]:
    """operating_margin, cash_trough, cash_trough_day, breakeven_day and npv (yuan, days)."""
    fixed = econ.fixed_cost_yuan_per_day * 100.0
    cash = daily_cash_fen(
        values["contribution_margin"],
        values["payouts_total"],
        values["ad_spend"],
        fixed,
        econ.payout_settlement_lag_days,
    )
    cumulative = np.cumsum(cash)
    trough, trough_day, breakeven = trough_and_breakeven(cumulative)
    discount = exact.yearly_discount_factors(econ.discount_rate_per_year, cash.size)
    lag = min(econ.payout_settlement_lag_days, cash.size)
    unsettled = float(values["payouts_total"][cash.size - lag :].sum()) if lag else 0.0
    tv = 0.0
    if econ.terminal_value == "decaying_margin":
        tv = terminal_value_fen(
            values["contribution_margin"],
            values["lapsed_today"],
            values["active_customers"],
            econ.discount_rate_per_year,
            fixed,
        )
    horizon = discount[-1] if cash.size else 1.0
    npv = exact.dot(cash, discount) + (tv - unsettled) * horizon
    operating = values["contribution_margin"].sum() - values["ad_spend"].sum() - fixed * cash.size
    return {
        "operating_margin": float(operating) / 100.0,
        "cash_trough": trough / 100.0,
        "cash_trough_day": float(trough_day),
        "breakeven_day": breakeven,
        "npv": npv / 100.0,
    }


def cohort_summary(cohorts):
    """Per acquisition channel: customers per replication, and the customer-weighted CAC,
    LTV at 3, 6, 12 and 24 months (over the cohorts old enough) and payback month, as a
    mean with a 95% CI over replications."""
    import pandas as pd

    from sim.stats import summarize

    if cohorts is None or cohorts.empty:
        return pd.DataFrame()
    measures = ["cac", "ltv_3m", "ltv_6m", "ltv_12m", "ltv_24m", "payback_month"]
    per_rep = []
    for (channel, rep), frame in cohorts.groupby(["channel", "replication"]):
        row = {"channel": channel, "replication": rep, "customers": frame["customers"].sum()}
        for m in measures:
            ok = frame[m].notna()
            weights = frame.loc[ok, "customers"]
            row[m] = float(np.average(frame.loc[ok, m], weights=weights)) if ok.any() else np.nan
        per_rep.append(row)
    table = pd.DataFrame(per_rep)
    rows = []
    for channel, frame in table.groupby("channel"):
        row = {"channel": channel}
        for m in ["customers", *measures]:
            s = summarize(frame[m].to_numpy(float))
            row[m] = s["mean"]
            row[f"{m}_ci95"] = (s["ci95_low"], s["ci95_high"])
        rows.append(row)
    return pd.DataFrame(rows)
