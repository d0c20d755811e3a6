"""Mechanisms that switch themselves off (`enabled`) or skip their day (`idle`) when they
cannot act: every daily series, KPI, ledger array and consumer state (every registered
array) is what they give left on, or never idle; also when state is set by hand through
the Python API, and on the days after a skipped one (the streams stepped as they were).
Each run is not a trivial one (orders happen)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from sim.market import Market
from sim.mechanisms.experience import Experience
from sim.mechanisms.incentives import Incentives
from sim.mechanisms.negative_word_of_mouth import NegativeWordOfMouth
from sim.mechanisms.proxy_purchase import ProxyPurchase
from sim.mechanisms.sharers import Sharers
from sim.mechanisms.sharing import Sharing
from tests.conftest import ALL_ONLINE, small_scenario

NO_SHARERS = {"behavior": {"sharer_recruitment_per_day": 0.0}}
NO_BAD_EXPERIENCES = {
    "behavior": {"product_mismatch_probability": 0.0},
    "fulfillment": {"enabled": False},  # no late deliveries
}


def run(spec, poke: Callable[[Market, int], None] | None = None) -> Market:
    """A whole run; poke(model, day) before each day sets state by hand."""
    model = Market(spec, 0)
    while model.running:
        if poke is not None:
            poke(model, model.day)
        model.step()
    return model


def assert_same_run(a: Market, b: Market) -> None:
    pd.testing.assert_frame_equal(a.daily_frame(), b.daily_frame())
    assert a.kpis().keys() == b.kpis().keys()
    np.testing.assert_array_equal(list(a.kpis().values()), list(b.kpis().values()))
    for name in ("daily_fen", "paid_fen", "received_fen", "sales_fen", "discount_fen"):
        np.testing.assert_array_equal(getattr(a.ledger, name), getattr(b.ledger, name))
    assert a.consumers.registry() == b.consumers.registry()
    for name in a.consumers.registry():
        np.testing.assert_array_equal(
            getattr(a.consumers, name), getattr(b.consumers, name), err_msg=name
        )
    assert a.daily_frame()["orders"].sum() > 0


def test_experience_is_off_without_mismatches_and_nothing_else_changes(monkeypatch):
    spec = small_scenario(run={"days": 90}, behavior={"product_mismatch_probability": 0.0})
    off = run(spec)
    assert off.platform.get("experience") is None
    monkeypatch.setattr(Experience, "enabled", classmethod(lambda cls, spec: True))
    on = run(spec)
    assert on.platform.get("experience") is not None
    assert_same_run(off, on)


def never_idle(monkeypatch, *classes) -> None:
    for cls in classes:
        monkeypatch.setattr(cls, "idle", lambda self, *args: False)


def counting_idle(monkeypatch, cls, days: list) -> None:
    idle = cls.idle

    def counted(self, *args):
        days.append(result := idle(self, *args))
        return result

    monkeypatch.setattr(cls, "idle", counted)


@pytest.mark.parametrize("sections", [NO_SHARERS, {}])
def test_sharing_skips_the_days_without_sharers(monkeypatch, sections):
    """Without sharers (here: ever, or until the first joins) nobody shares."""
    spec = small_scenario(run={"days": 90}, **sections)
    idle_days: list[bool] = []
    counting_idle(monkeypatch, Sharing, idle_days)
    fast = run(spec)
    assert any(idle_days)
    never_idle(monkeypatch, Sharing)
    assert_same_run(fast, run(spec))
    shares = fast.daily_frame()["shares"]
    assert (shares.sum() == 0) == (sections == NO_SHARERS)


def test_sharing_clears_rows_set_by_hand_before_the_first_day(monkeypatch):
    spec = small_scenario(run={"days": 20}, **NO_SHARERS)

    def poke(model, day):
        if day == 0:
            model.consumers.shared_today[:5] = True

    fast = run(spec, poke)
    assert not fast.consumers.shared_today.any()
    never_idle(monkeypatch, Sharing)
    assert_same_run(fast, run(spec, poke))


@pytest.mark.parametrize("sections", [NO_SHARERS, {}])
def test_sharers_and_their_incentives_skip_the_days_nobody_is_or_can_become_one(
    monkeypatch, sections
):
    """Nobody can join and nobody is a sharer (here: ever; or joining is on, never idle):
    nobody joins or quits and nobody's expectations are read."""
    spec = small_scenario(run={"days": 90}, **sections)
    idle_days: list[bool] = []
    for cls in (Sharers, Incentives):
        counting_idle(monkeypatch, cls, idle_days)
    fast = run(spec)
    assert all(idle_days) == (sections == NO_SHARERS) and any(idle_days) == all(idle_days)
    never_idle(monkeypatch, Sharers, Incentives)
    assert_same_run(fast, run(spec))


def test_a_sharer_made_by_hand_after_idle_days_draws_as_if_none_were_skipped(monkeypatch):
    """Idle days still step the sharers' stream: a sharer set by hand on day 30 quits on
    the draws it would have had (and earns and is rewarded as it would have been)."""
    spec = small_scenario(
        run={"days": 120},
        behavior={"sharer_recruitment_per_day": 0.0, "sharer_quit_hazard_per_day": 0.05},
    )

    def poke(model, day):
        if day == 30:
            customers = np.flatnonzero(model.consumers.active_customer)[:40]
            model.consumers.is_sharer[customers] = True
            model.consumers.sharer_since_day[customers] = day

    fast = run(spec, poke)
    assert 0 < fast.daily_frame()["quit_sharers"].sum() < 40
    never_idle(monkeypatch, Sharers, Incentives, Sharing)
    assert_same_run(fast, run(spec, poke))


def test_proxies_skip_the_days_everyone_is_online(monkeypatch):
    spec = small_scenario(run={"days": 90}, population={"online_readiness": ALL_ONLINE})
    idle_days: list[bool] = []
    counting_idle(monkeypatch, ProxyPurchase, idle_days)
    fast = run(spec)
    assert idle_days and all(idle_days)
    never_idle(monkeypatch, ProxyPurchase)
    assert_same_run(fast, run(spec))


@pytest.mark.parametrize("sections", [NO_BAD_EXPERIENCES, {}])
def test_bad_news_skips_the_days_without_any(monkeypatch, sections):
    """Until the first bad experience (here: never, or some day) the signal stays 0 and
    nobody hears anything."""
    spec = small_scenario(run={"days": 90}, **sections)
    fast = run(spec)
    never_idle(monkeypatch, NegativeWordOfMouth)
    assert_same_run(fast, run(spec))
    bad = fast.daily_frame()["bad_experiences"]
    assert (bad.sum() == 0) == (sections == NO_BAD_EXPERIENCES)
    assert (bad > 0).any() <= (fast.daily_frame()["bad_news_hearers"] > 0).any()


def test_bad_news_set_by_hand_fades_as_every_day(monkeypatch):
    spec = small_scenario(run={"days": 60}, **NO_BAD_EXPERIENCES)

    def poke(model, day):
        if day == 0:
            model.consumers.bad_news[:] = 2.0

    fast = run(spec, poke)
    assert 0 < fast.consumers.bad_news.max() < 0.2
    never_idle(monkeypatch, NegativeWordOfMouth)
    assert_same_run(fast, run(spec, poke))
