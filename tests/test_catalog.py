"""The catalog defines every daily series and KPI once; outputs and catalog agree."""

from __future__ import annotations

import pytest

from sim.catalog import fmt, kpi, kpi_names, kpis, series, series_entry
from sim.market import Market
from tests.conftest import small_scenario


def test_names_are_unique_and_every_entry_is_documented():
    for entries in (series(), kpis()):
        names = [e.name for e in entries]
        assert len(set(names)) == len(names)
        assert all(e.definition.strip() for e in entries)
    assert all(k.formula and k.unit for k in kpis())


def test_the_daily_frame_and_kpis_are_exactly_the_catalog():
    model = Market(small_scenario(run={"days": 10}))
    model.run_model()
    assert list(model.daily_frame().columns) == ["day", *(s.name for s in series())]
    assert list(model.kpis()) == list(kpi_names())


def test_unknown_names_are_errors_naming_the_known_ones():
    with pytest.raises(KeyError, match="known: customers"):
        kpi("custmers")
    with pytest.raises(KeyError, match="unknown daily series"):
        series_entry("nope")


def test_shares_are_shown_as_percentages_and_money_with_separators():
    assert fmt(0.1234, "penetration") == "12.34%"
    assert fmt(12345.6, "gmv") == "12,346"
    assert fmt(None, "gmv") == "-"


def test_directions_used_by_compare():
    assert kpi("cac").higher_is_better is False
    assert kpi("contribution_margin").higher_is_better is True
    assert kpi("sharers_ever").higher_is_better is None
