"""The runner: summaries with confidence intervals, and the Python API."""

from __future__ import annotations

import math

import pytest

import sim
from sim.catalog import kpi_names
from tests.conftest import small_scenario


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
