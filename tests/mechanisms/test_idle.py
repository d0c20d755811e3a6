"""Mechanisms that switch themselves off (`enabled`) or skip their day when they cannot
act in a scenario: every daily series, KPI and ledger total is what they give left on,
and the run is not a trivial one (orders happen)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.market import Market
from sim.mechanisms import REGISTRY
from sim.mechanisms import negative_word_of_mouth as nwom
from sim.mechanisms.incentives import Incentives
from sim.mechanisms.proxy_purchase import ProxyPurchase
from sim.mechanisms.sharers import Sharers
from sim.mechanisms.sharing import Sharing
from tests.conftest import ALL_ONLINE, small_scenario

NO_SHARERS = {"behavior": {"sharer_recruitment_per_day": 0.0}}
NO_BAD_EXPERIENCES = {
    "behavior": {"product_mismatch_probability": 0.0},
    "fulfillment": {"enabled": False},  # no late deliveries
}


def assert_same_run(a: Market, b: Market) -> None:
    pd.testing.assert_frame_equal(a.daily_frame(), b.daily_frame())
    assert a.kpis().keys() == b.kpis().keys()
    np.testing.assert_array_equal(list(a.kpis().values()), list(b.kpis().values()))
    np.testing.assert_array_equal(a.ledger.daily_fen, b.ledger.daily_fen)
    np.testing.assert_array_equal(a.consumers.first_order_day, b.consumers.first_order_day)
    assert a.daily_frame()["orders"].sum() > 0


def by_name(name: str):
    return next(cls for cls in REGISTRY if cls.name == name)


@pytest.mark.parametrize(
    ("name", "sections"),
    [
        ("experience", {"behavior": {"product_mismatch_probability": 0.0}}),
        ("sales_bonus", {}),  # the small scenario's scheme has no sales bonus
    ],
)
def test_a_mechanism_that_cannot_act_is_off_and_nothing_else_changes(monkeypatch, name, sections):
    spec = small_scenario(run={"days": 90}, **sections)
    off = Market(spec, 0)
    assert off.platform.get(name) is None
    off.run_model()
    monkeypatch.setattr(by_name(name), "enabled", classmethod(lambda cls, spec: True))
    on = Market(spec, 0)
    assert on.platform.get(name) is not None
    on.run_model()
    assert_same_run(off, on)


def test_sales_bonus_is_on_with_its_rule():
    spec = small_scenario(
        payout={"sales_bonus": {"tiers": [{"monthly_sales_yuan": 100.0, "rate": 0.05}]}}
    )
    assert Market(spec, 0).platform.get("sales_bonus") is not None


@pytest.mark.parametrize("sections", [NO_SHARERS, {}])
def test_sharing_skips_the_days_without_sharers(monkeypatch, sections):
    """Without sharers (here: ever, or until the first joins) nobody shares, as the rule
    run every day gives."""
    spec = small_scenario(run={"days": 90}, **sections)
    fast = Market(spec, 0)
    fast.run_model()
    monkeypatch.setattr(Sharing, "idle", lambda self, sharer_idx: False)
    slow = Market(spec, 0)
    slow.run_model()
    assert_same_run(fast, slow)
    shares = fast.daily_frame()["shares"]
    assert (shares.sum() == 0) == (sections == NO_SHARERS)


def test_proxies_skip_their_day_when_everyone_is_online(monkeypatch):
    spec = small_scenario(run={"days": 90}, population={"online_readiness": ALL_ONLINE})
    fast = Market(spec, 0)
    assert fast.platform.get("proxy_purchase").everyone_online
    fast.run_model()
    setup = ProxyPurchase.setup

    def without_the_shortcut(self):
        setup(self)
        self.everyone_online = False

    monkeypatch.setattr(ProxyPurchase, "setup", without_the_shortcut)
    slow = Market(spec, 0)
    slow.run_model()
    assert_same_run(fast, slow)
    assert not Market(small_scenario(), 0).platform.get("proxy_purchase").everyone_online


@pytest.mark.parametrize("sections", [NO_BAD_EXPERIENCES, {}])
def test_bad_news_skips_the_days_without_any(monkeypatch, sections):
    """Until the first bad experience (here: never, or some day) the signal stays 0 and
    nobody hears anything, as the rule run every day gives."""
    spec = small_scenario(run={"days": 90}, **sections)
    fast = Market(spec, 0)
    fast.run_model()
    monkeypatch.setattr(nwom.NegativeWordOfMouth, "idle", lambda self, day: False)
    slow = Market(spec, 0)
    slow.run_model()
    assert_same_run(fast, slow)
    bad = fast.daily_frame()["bad_experiences"]
    assert (bad.sum() == 0) == (sections == NO_BAD_EXPERIENCES)
    assert (bad > 0).any() <= (fast.daily_frame()["bad_news_hearers"] > 0).any()


@pytest.mark.parametrize("sections", [NO_SHARERS, {}])
def test_sharers_and_their_incentives_skip_the_days_nobody_is_or_can_become_one(
    monkeypatch, sections
):
    """Nobody can join and nobody is a sharer (here: ever; or joining is on, never idle):
    nobody joins or quits and nobody's expectations are read, as the rules run every day
    give."""
    spec = small_scenario(run={"days": 90}, **sections)
    idle_days = []
    for cls in (Sharers, Incentives):
        idle = cls.idle

        def counted(self, arg, idle=idle):
            idle_days.append(result := idle(self, arg))
            return result

        monkeypatch.setattr(cls, "idle", counted)
    fast = Market(spec, 0)
    fast.run_model()
    assert all(idle_days) == (sections == NO_SHARERS) and any(idle_days) == all(idle_days)
    for cls in (Sharers, Incentives):
        monkeypatch.setattr(cls, "idle", lambda self, arg: False)
    slow = Market(spec, 0)
    slow.run_model()
    assert_same_run(fast, slow)
