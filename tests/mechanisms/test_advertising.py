"""Advertising: the external hazard from the start day, and the spend it costs."""

from __future__ import annotations

from sim.market import Market
from tests.conftest import small_scenario


def test_ads_run_and_cost_from_the_start_day_only():
    s = small_scenario(run={"days": 20}, platform={"start_day": 5, "ad_spend_yuan_per_day": 300})
    market = Market(s)
    market.run_model()
    daily = market.daily_frame()
    assert (daily["ad_spend"][:5] == 0).all() and (daily["ad_spend"][5:] == 300).all()
    assert daily["new_customers"][:5].sum() == 0 and daily["new_customers"].sum() > 0


def test_without_external_influence_nobody_starts_buying():
    s = small_scenario(run={"days": 20}, behavior={"external_influence_per_day": 0.0})
    market = Market(s)
    market.run_model()
    assert market.kpis()["customers"] == 0
