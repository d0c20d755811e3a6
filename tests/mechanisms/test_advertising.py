"""Advertising: the external hazard from the start day, its response to spend, its cost."""

from __future__ import annotations

import numpy as np
import pytest

from sim.market import Market
from sim.mechanisms.advertising import ad_hazard
from tests.conftest import small_scenario


def test_ad_response_saturates():
    assert ad_hazard(0.0002, 0.0, 0.001, 15.0) == 0.0002  # no spend: organic only
    assert ad_hazard(0.0002, 15.0, 0.001, 15.0) == pytest.approx(0.0002 + 0.001 * (1 - np.exp(-1)))
    steps = [ad_hazard(0.0, x, 0.001, 15.0) for x in (0.0, 10.0, 20.0, 30.0, 1e6)]
    gains = np.diff(steps)
    assert (gains > 0).all() and (np.diff(gains[:3]) < 0).all()  # diminishing returns
    assert steps[-1] == pytest.approx(0.001)


def test_ads_run_and_cost_from_the_start_day_only():
    s = small_scenario(run={"days": 20}, platform={"start_day": 5, "ad_spend_yuan_per_day": 300})
    market = Market(s)
    market.run_model()
    daily = market.daily_frame()
    assert (daily["ad_spend"][:5] == 0).all() and (daily["ad_spend"][5:] == 300).all()
    assert daily["new_customers"][:5].sum() == 0 and daily["new_customers"].sum() > 0


def test_without_external_influence_or_ads_nobody_starts_buying():
    s = small_scenario(
        run={"days": 20},
        behavior={"external_influence_per_day": 0.0},
        platform={"ad_spend_yuan_per_day": 0.0},
    )
    market = Market(s)
    market.run_model()
    assert market.kpis()["customers"] == 0


def test_more_ad_spend_wins_more_customers():
    def customers(spend: float) -> float:
        s = small_scenario(run={"days": 60}, platform={"ad_spend_yuan_per_day": spend})
        market = Market(s)
        market.run_model()
        return market.kpis()["customers"]

    assert customers(0.0) < customers(20.0) < customers(80.0)  # 0, 10, 40 per 1,000
