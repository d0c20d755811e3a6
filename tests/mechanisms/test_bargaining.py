"""Bargaining: helpers cut the price and become aware."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import bargaining
from sim.runner import run
from tests.conftest import small_scenario, star_by_speaker


def test_every_tie_helps_when_certain_and_the_cut_is_capped():
    owner, helper = bargaining.ask_helpers(
        np.array([0]), star_by_speaker(7), 1.0, np.random.Generator(np.random.PCG64(1)).random
    )
    assert sorted(helper.tolist()) == list(range(1, 8)) and (owner == 0).all()
    cut = bargaining.cut_rate(np.array([0, 2, 7]), 5, 0.2)
    np.testing.assert_allclose(cut, [0.0, 0.08, 0.2])


def test_help_odds_scale_with_trust():
    gen = np.random.Generator(np.random.PCG64(2))
    _, helper = bargaining.ask_helpers(np.array([0]), star_by_speaker(40_000, 0.5), 0.6, gen.random)
    assert abs(helper.size / 40_000 - 0.3) < 0.01


def test_bargains_cut_prices_and_spread_awareness():
    s = small_scenario(
        run={"days": 60, "replications": 2, "ledger": "entries"},
        payout={"bargain": {"ask_probability": 1.0, "help_probability": 0.5}},
    )
    result = run(s, progress=False)
    d = result.daily
    assert d["bargains"].sum() > 100 and d["bargain_helpers"].sum() > d["bargains"].sum()
    e = result.ledger
    assert e[e.type == "bargain_discount"]["amount_fen"].sum() > 0
