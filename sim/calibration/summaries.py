"""Summary statistics of an orders log, the same code for a platform's log and for a
simulated run's orders (`orders_from_entries`), in the style of customer-base analysis.

Conventions (as in Fader, Hardie and Lee's analyses of the CDNOW log): a customer's orders
on one day count as one transaction; a customer's first transaction is their trial and
every later one a repeat; weeks are counted from the period's first day (week 1 = days
0-6). With a calibration end date, customers are those whose first transaction falls
within the calibration period (not before its start), and the holdout is what those
customers do after it: each transaction belongs to its period by its own date, so a week
that straddles the calibration end splits (`calibration_repeats`, `holdout_repeats`).

- `weekly`: per week, new customers, repeat transactions, and both cumulated;
- `repeats_histogram`: customers with 0, 1, ..., `max_repeats`+ repeat transactions in the
  calibration period;
- `recency_days`: per customer, days from their last calibration transaction to the
  calibration end;
- `interpurchase_days`: days between a customer's consecutive transactions;
- `referral_share` (with referral edges): the share of customers who came through one;
- `sharers` (with a roster): sharers joined and quit per week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import SimError

MAX_REPEATS = 7


def transactions(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and day (orders of a day summed), sorted; with the customer's
    transaction number (0 = trial) and the days since their previous transaction."""
    tx = orders.groupby(["customer_id", "date"], sort=True)["amount_yuan"].sum().reset_index()
    tx["number"] = tx.groupby("customer_id").cumcount()
    tx["gap_days"] = tx.groupby("customer_id")["date"].diff().dt.days
    return tx


@dataclass
class LogSummary:
    """The summary statistics of one log (see the module docstring)."""

    start: pd.Timestamp
    calibration_end: pd.Timestamp
    end: pd.Timestamp
    weekly: pd.DataFrame  # week, new_customers, repeats (calibration_ and holdout_), cumulatives
    repeats_histogram: pd.Series  # index 0..MAX_REPEATS (the last is "or more"): customers
    recency_days: pd.Series  # per customer
    interpurchase_days: pd.Series  # per repeat transaction
    customers: int
    referral_share: float | None = None
    sharers: pd.DataFrame | None = None

    def holdout_repeats(self) -> float:
        """Repeat transactions of the calibration customers after the calibration end."""
        return float(self.weekly["holdout_repeats"].sum())

    def vector(self) -> pd.Series:
        """The statistics a fit compares, as one named vector: cumulative repeats by week of
        the calibration period, the repeats histogram as shares, and quantiles of recency
        and inter-purchase time."""
        w = self.weekly[~self.weekly["holdout"]]
        parts = {
            f"cumulative_repeats_w{int(k)}": v
            for k, v in zip(w["week"], w["calibration_repeats"].cumsum(), strict=True)
        }
        parts |= {
            f"cumulative_customers_w{int(k)}": v
            for k, v in zip(w["week"], w["cumulative_customers"], strict=True)
        }
        shares = self.repeats_histogram / max(self.customers, 1)
        parts |= {f"repeats_share_{k}": v for k, v in shares.items()}
        for q in (0.25, 0.5, 0.75):
            parts[f"recency_q{int(100 * q)}"] = (
                float(self.recency_days.quantile(q)) if len(self.recency_days) else np.nan
            )
            parts[f"interpurchase_q{int(100 * q)}"] = (
                float(self.interpurchase_days.quantile(q))
                if len(self.interpurchase_days)
                else np.nan
            )
        if self.referral_share is not None:
            parts["referral_share"] = self.referral_share
        return pd.Series(parts, dtype=float)


def summarize_log(
    orders: pd.DataFrame,
    calibration_end: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    start: pd.Timestamp | str | None = None,
    referrals: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
) -> LogSummary:
    """Summaries of an orders log (customer_id, date, amount_yuan). The calibration period
    runs from `start` (default: the first order) to `calibration_end` (default: the last
    order: no holdout); the holdout to `end` (default: the last order)."""
    start = pd.Timestamp(start) if start is not None else orders["date"].min()
    end = pd.Timestamp(end) if end is not None else orders["date"].max()
    cal_end = pd.Timestamp(calibration_end) if calibration_end is not None else end
    if not start <= cal_end <= end:
        raise SimError(
            f"calibration end {cal_end.date()} is outside the log's period "
            f"{start.date()} .. {end.date()}; allowed: a date within it"
        )
    tx = transactions(orders[orders["date"] <= end])
    first = tx[tx["number"] == 0].set_index("customer_id")["date"]
    # the customers the calibration period acquired (first order within it, not before)
    cohort = first[(first >= start) & (first <= cal_end)].index
    tx = tx[tx["customer_id"].isin(cohort)]
    weeks = (end - start).days // 7 + 1
    week = (tx["date"] - start).dt.days // 7 + 1
    repeat = tx["number"] > 0
    held = tx["date"] > cal_end  # each transaction's period, whatever its week

    def per_week(mask: pd.Series) -> np.ndarray:
        return week[mask].value_counts().reindex(range(1, weeks + 1), fill_value=0).to_numpy()

    weekly = pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "new_customers": per_week(tx["number"] == 0),
            "repeats": per_week(repeat),
            "calibration_repeats": per_week(repeat & ~held),
            "holdout_repeats": per_week(repeat & held),
        }
    )
    weekly["cumulative_customers"] = weekly["new_customers"].cumsum()
    weekly["cumulative_repeats"] = weekly["repeats"].cumsum()
    week_start = start + pd.to_timedelta(7 * (weekly["week"] - 1), unit="D")
    weekly["holdout"] = week_start > cal_end  # a week wholly after the calibration end
    in_cal = tx[tx["date"] <= cal_end]
    repeats = in_cal.groupby("customer_id")["number"].max().reindex(cohort, fill_value=0)
    histogram = (
        repeats.clip(upper=MAX_REPEATS).value_counts().reindex(range(MAX_REPEATS + 1), fill_value=0)
    )
    last = in_cal.groupby("customer_id")["date"].max()
    recency = (cal_end - last).dt.days
    gaps = in_cal["gap_days"].dropna()
    share = None
    if referrals is not None and len(cohort):
        share = float(pd.Index(cohort).isin(referrals["referee"]).mean())
    sharers = None
    if roster is not None:
        joined = ((roster["joined"] - start).dt.days // 7 + 1).value_counts()
        quit_ = ((roster["quit"].dropna() - start).dt.days // 7 + 1).value_counts()
        sharers = pd.DataFrame(
            {
                "week": np.arange(1, weeks + 1),
                "joined": joined.reindex(range(1, weeks + 1), fill_value=0).to_numpy(),
                "quit": quit_.reindex(range(1, weeks + 1), fill_value=0).to_numpy(),
            }
        )
    return LogSummary(
        start, cal_end, end, weekly, histogram, recency, gaps, len(cohort), share, sharers
    )


def orders_from_entries(entries: pd.DataFrame, start: pd.Timestamp | str) -> pd.DataFrame:
    """A simulated run's orders log from its ledger entries (`run.ledger = "entries"`):
    every order payment (and retail sale from a sharer's stock) as an order of its payer on
    day `start + day`, in the columns of a platform's log. With several replications each
    is its own set of customers (ids `r<replication>-<consumer>`). An order paid in full by
    discounts moves no money and has no entry: it is missing from this log."""
    kept = entries[entries["type"].isin(["order_payment", "retail_sale"])]
    ids = kept["payer"].astype(np.int64).astype(str)
    if "replication" in kept:
        ids = "r" + kept["replication"].astype(str) + "-" + ids
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "date": pd.Timestamp(start) + pd.to_timedelta(kept["day"].to_numpy(), unit="D"),
            "amount_yuan": kept["amount_fen"].to_numpy() / 100.0,
        }
    )
