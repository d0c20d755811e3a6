"""Summary statistics of an orders log: known answers on the CDNOW log and a hand-built one,
and the same code path for a simulated run."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.calibration.summaries import orders_from_entries, summarize_log
from sim.errors import SimError
from sim.runner import run
from tests.conftest import DATA, small_scenario


def cdnow() -> pd.DataFrame:
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount_yuan"],
        dtype=str,
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount_yuan": raw["amount_yuan"].astype(float),
        }
    )


def test_the_cdnow_log_gives_the_published_counts():
    """Fader, Hardie and Lee (2005): 2,357 customers; with the 39-week calibration period
    ending 1997-09-30, 2,457 repeat transactions in it and 1,882 in the 39-week holdout
    (one per customer and day); 1,411 customers make no repeat purchase in calibration."""
    s = summarize_log(cdnow(), "1997-09-30", "1998-06-30", start="1997-01-01")
    assert s.customers == 2357
    calibration = s.weekly[~s.weekly["holdout"]]
    assert len(calibration) == 39 and len(s.weekly) == 78
    assert calibration["repeats"].sum() == 2457 and s.holdout_repeats() == 1882
    assert s.repeats_histogram[0] == 1411 and s.repeats_histogram.sum() == 2357
    assert s.weekly["cumulative_customers"].iloc[-1] == 2357


def test_a_hand_built_log():
    """Customer a: 3 orders on 2 days (one repeat), b: one order, c: arrives after the
    calibration end (not a calibration customer)."""
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-10", "2024-01-03", "2024-01-20"]
            ),
            "amount_yuan": [10.0, 5.0, 7.0, 3.0, 1.0],
        }
    )
    s = summarize_log(orders, "2024-01-14", "2024-01-27")
    assert s.customers == 2 and s.repeats_histogram[:2].tolist() == [1, 1]
    assert s.weekly["new_customers"].tolist() == [2, 0, 0, 0]
    assert s.weekly["repeats"].tolist() == [0, 1, 0, 0]
    assert s.interpurchase_days.tolist() == [9.0]
    assert sorted(s.recency_days.tolist()) == [4, 11]
    v = s.vector()
    assert v["cumulative_repeats_w2"] == 1 and v["repeats_share_1"] == pytest.approx(0.5)


@pytest.mark.slow  # a validation case: runs the model
def test_a_simulated_run_is_summarized_by_the_same_code():
    """Orders of a simulated run (its ledger entries) make an orders log; every customer
    counted by the run's KPIs is a customer of the log."""
    result = run(small_scenario(run={"ledger": "entries", "replications": 1}), progress=False)
    orders = orders_from_entries(result.ledger, "2024-01-01")
    s = summarize_log(orders)
    assert s.customers == result.kpi_values["customers"].iloc[0]
    assert s.weekly["repeats"].sum() > 0


def test_a_week_that_straddles_the_calibration_end_splits_by_date():
    """Customer a orders on Jan 1, 9 and 12; the calibration ends on Jan 10 (mid-week 2):
    the Jan 9 repeat is calibration, the Jan 12 one holdout."""
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-12"]),
            "amount_yuan": [1.0, 1.0, 1.0],
        }
    )
    s = summarize_log(orders, "2024-01-10")
    assert s.holdout_repeats() == 1 and s.repeats_histogram[1] == 1
    assert s.vector()["cumulative_repeats_w2"] == 1
    with pytest.raises(SimError, match="outside the log's period"):
        summarize_log(orders, "2025-01-01")
    # a customer who first ordered before the period's start is not a new customer
    late = summarize_log(orders, "2024-01-10", start="2024-01-05")
    assert late.customers == 0


def test_replications_of_a_run_are_separate_customers():
    entries = pd.DataFrame(
        {
            "replication": [0, 1],
            "day": [0, 0],
            "type": ["order_payment", "order_payment"],
            "payer": [5, 5],
            "payee": [-1, -1],
            "amount_fen": [100, 100],
            "level": [0, 0],
        }
    )
    orders = orders_from_entries(entries, "2024-01-01")
    assert orders["customer_id"].tolist() == ["r0-5", "r1-5"]
