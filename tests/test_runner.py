"""The runner: summaries with confidence intervals, and the Python API."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.catalog import kpi_names
from sim.stats import summarize
from tests.conftest import small_scenario


def test_summary_is_a_student_t_interval():
    s = summarize(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, df=2) x sd 1 / sqrt(3)
    assert s["mean"] == 2.0
    assert s["ci95_low"] == pytest.approx(2 - half) and s["ci95_high"] == pytest.approx(2 + half)
    assert s["values"] == [1.0, 2.0, 3.0]


def test_summary_of_one_replication_has_no_interval():
    assert summarize(np.array([5.0])) == {
        "mean": 5.0,
        "ci95_low": None,
        "ci95_high": None,
        "values": [5.0],
    }


def test_undefined_values_are_left_out():
    s = summarize(np.array([np.nan, 1.0, 3.0]))
    assert s["mean"] == 2.0 and s["values"] == [None, 1.0, 3.0]
    assert summarize(np.array([np.nan, np.nan]))["mean"] is None


def test_ci_covers_the_true_mean_about_95_percent_of_the_time():
    gen = np.random.Generator(np.random.PCG64(3))
    covered = 0
    trials = 2000
    for _ in range(trials):
        s = summarize(gen.normal(10.0, 2.0, size=8))
        covered += s["ci95_low"] <= 10.0 <= s["ci95_high"]
    # binomial sd of the coverage: sqrt(.95 x .05 / 2000) = 0.005
    assert abs(covered / trials - 0.95) < 0.02


def test_api_accepts_scenario_mapping_and_path(tmp_path):
    result = sim.run(small_scenario(run={"days": 20}), replications=2, progress=False)
    assert set(kpi_names()) == set(result.kpis)
    assert len(result.daily) == 40 and set(result.daily.replication) == {0, 1}
    assert result.kpi_values.shape == (2, len(kpi_names()))
    assert math.isnan(result.kpi_values["repeat_rate_90d"].iloc[0])
    assert result.kpis["repeat_rate_90d"]["mean"] is None
    table = result.kpi_table()
    assert list(table.columns) == ["kpi", "mean", "ci95_low", "ci95_high"]


def test_ledger_entries_on_request():
    result = sim.run(small_scenario(run={"days": 20, "ledger": "entries"}), progress=False)
    ledger = result.ledger
    assert ledger is not None and set(ledger.replication) == {0, 1}
    paid = ledger[ledger["type"] == "order_payment"]["amount_fen"].sum() / 100
    assert paid == pytest.approx(result.daily["paid"].sum())
    assert sim.run(small_scenario(run={"days": 5}), progress=False).ledger is None
