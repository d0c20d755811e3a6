"""Cohorts: CAC, LTV and payback by acquisition channel and month."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.cohorts import cohort_table
from sim.runner import run
from tests.conftest import small_scenario


def test_cohort_table_known_answer():
    margin = np.zeros((5, 4, 4))
    margin[0, 0] = [1000.0, 1000.0, 1000.0, 1000.0]  # ad cohort of month 0: 10 yuan a month
    customers = np.zeros((5, 4))
    customers[0, 0] = 1
    cost = np.zeros((5, 4))
    cost[0, 0] = 500.0  # 5 yuan of discounts
    ads = np.array([1000.0, 0.0, 0.0, 0.0])  # 10 yuan of ads in month 0
    table = cohort_table(margin, customers, cost, ads, horizon_days=120)
    (row,) = table.to_dict("records")
    assert row["channel"] == "ad" and row["customers"] == 1
    assert row["cac"] == pytest.approx(15.0)
    assert row["ltv_3m"] == pytest.approx(30.0)  # months 0..2 are complete by day 120
    assert np.isnan(row["ltv_6m"])  # not reached within the run
    assert row["payback_month"] == 2.0  # 10 < 15 <= 20


def test_every_customer_is_in_one_cohort():
    result = run(small_scenario(run={"days": 90, "replications": 1}), progress=False)
    cohorts = result.cohorts
    assert cohorts["customers"].sum() == result.kpi_values["customers"].iloc[0]
    assert set(cohorts["channel"]) <= {"ad", "word_of_mouth", "share", "group_buy", "kol"}
    assert (cohorts["cac"] >= 0).all()
