"""Summary statistics of an orders log, the same code for a platform's log and for a
simulated run's orders (`orders_from_entries`), in the style of customer-base analysis.

Conventions (as in Fader, Hardie and Lee's analyses of the CDNOW log): a customer's orders
on one day count as one transaction; a customer's first transaction is their trial and
every later one a repeat; weeks are counted from the period's first day (week 1 = days
0-6). With a calibration end date, customers are those whose first transaction falls
within the calibration period (not before its start; with an acquisition end, not after
it either: a cohort such as CDNOW's first-quarter customers), and the holdout is what those
customers do after it: each transaction belongs to its period by its own date, so a week
that straddles the calibration end splits (`calibration_repeats`, `holdout_repeats`).

- `weekly`: per week, new customers, repeat transactions, and both cumulated;
- `repeats_histogram`: customers with 0, 1, ..., `max_repeats`+ repeat transactions in the
  calibration period;
- `recency_days`: per customer, days from their last calibration transaction to the
  calibration end;
- `interpurchase_days`: days between a customer's consecutive transactions;
- `per_customer`: per customer, their first transaction's date, calibration repeats
  (`frequency`), days from the first to the last calibration transaction (`recency_days`),
  days from the first transaction to the calibration end (`age_days`) and holdout repeats:
  what BG/NBD takes in, and the holdout purchases by calibration repeats;
- `referral_share` (with referral edges): the share of customers who came through one (an
  edge dated no later than the referee's first order; later bindings do not count);
- `sharers` (with a roster): sharers joined and quit per week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import SimError

MAX_REPEATS = 7
CURVE_POINTS = 4  # the fit compares cumulative curves at this many evenly spaced weeks


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
    acquisition_end: pd.Timestamp
    weekly: pd.DataFrame  # week, new_customers, repeats (calibration_ and holdout_), cumulatives
    repeats_histogram: pd.Series  # index 0..MAX_REPEATS (the last is "or more"): customers
    recency_days: pd.Series  # per customer
    interpurchase_days: pd.Series  # per repeat transaction
    customers: int
    per_customer: pd.DataFrame  # first, frequency, recency_days, age_days, holdout_repeats
    referral_share: float | None = None
    sharers: pd.DataFrame | None = None

    def holdout_repeats(self) -> float:
        """Repeat transactions of the calibration customers after the calibration end."""
        return float(self.weekly["holdout_repeats"].sum())

    def holdout_by_frequency(self) -> pd.Series:
        """Mean holdout repeats of the customers with 0, 1, ..., MAX_REPEATS+ calibration
        repeats (customer-base analysis' conditional expectations)."""
        c = self.per_customer
        return c.groupby(c["frequency"].clip(upper=MAX_REPEATS))["holdout_repeats"].mean()

    def vector(self) -> pd.Series:
        """The statistics a fit compares, as one named vector: cumulative new customers at
        CURVE_POINTS evenly spaced weeks of the acquisition period and cumulative repeats
        at as many of the calibration period (the last week of each included), the repeats
        histogram as shares, and quartiles of recency and inter-purchase time."""

        def spaced(weeks: pd.Series) -> pd.Series:
            n = len(weeks)
            picks = sorted(
                {max(1, round(n * k / CURVE_POINTS)) for k in range(1, CURVE_POINTS + 1)}
            )
            return weeks.iloc[[i - 1 for i in picks]] if n else weeks

        w = self.weekly[~self.weekly["holdout"]]
        week_start = self.start + pd.to_timedelta(7 * (w["week"] - 1), unit="D")
        acquiring = w[week_start <= self.acquisition_end]
        parts = {
            f"cumulative_customers_w{int(k)}": float(v)
            for k, v in zip(
                spaced(acquiring["week"]),
                spaced(acquiring["cumulative_customers"]),
                strict=True,
            )
        }
        cumulative = w["calibration_repeats"].cumsum()
        parts |= {
            f"cumulative_repeats_w{int(k)}": float(v)
            for k, v in zip(spaced(w["week"]), spaced(cumulative), strict=True)
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
    acquisition_end: pd.Timestamp | str | None = None,
) -> LogSummary:
    """Summaries of an orders log (customer_id, date, amount_yuan). The calibration period
    runs from `start` (default: the first order) to `calibration_end` (default: the last
    order: no holdout); the holdout to `end` (default: the last order). Customers are those
    whose first order falls between `start` and `acquisition_end` (default: the calibration
    end)."""
    start = pd.Timestamp(start) if start is not None else orders["date"].min()
    end = pd.Timestamp(end) if end is not None else orders["date"].max()
    cal_end = pd.Timestamp(calibration_end) if calibration_end is not None else end
    if not start <= cal_end <= end:
        raise SimError(
            f"calibration end {cal_end.date()} is outside the log's period "
            f"{start.date()} .. {end.date()}; allowed: a date within it"
        )
    acq_end = pd.Timestamp(acquisition_end) if acquisition_end is not None else cal_end
    if not start <= acq_end <= cal_end:
        raise SimError(
            f"acquisition end {acq_end.date()} is outside the calibration period "
            f"{start.date()} .. {cal_end.date()}; allowed: a date within it"
        )
    tx = transactions(orders[orders["date"] <= end])
    first = tx[tx["number"] == 0].set_index("customer_id")["date"]
    # the customers the calibration period acquired (first order within it, not before)
    cohort = first[(first >= start) & (first <= acq_end)].index
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
    held_repeats = tx[held].groupby("customer_id").size().reindex(cohort, fill_value=0)
    per_customer = pd.DataFrame(
        {
            "first": first.reindex(cohort),
            "frequency": repeats,
            "recency_days": (last.reindex(cohort) - first.reindex(cohort)).dt.days,
            "age_days": (cal_end - first.reindex(cohort)).dt.days,
            "holdout_repeats": held_repeats,
        }
    )
    gaps = in_cal["gap_days"].dropna()
    share = None
    if referrals is not None and len(cohort):
        # a referral that brought the customer: dated no later than their first order
        joined = referrals.assign(first=referrals["referee"].map(first))
        brought = joined.loc[joined["date"] <= joined["first"], "referee"]
        share = float(pd.Index(cohort).isin(brought).mean())
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
        start,
        cal_end,
        end,
        acq_end,
        weekly,
        histogram,
        recency,
        gaps,
        len(cohort),
        per_customer,
        share,
        sharers,
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
