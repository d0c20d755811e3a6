"""Sharers: reward appeal, joining, earnings and quitting."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import (
    sharers,
)
from tests.conftest import small_scenario


def test_earnings_appeal_is_capped_elastic_and_zero_without_earnings():
    e = np.array([0.0, 30.0, 60.0, 3000.0])
    np.testing.assert_allclose(sharers.earnings_appeal(e, 30.0, 1.0, 0.0, 200.0), [0, 1, 2, 3])
    np.testing.assert_allclose(
        sharers.earnings_appeal(e, 30.0, 0.5, 0.0, 200.0), [0, 1, 2**0.5, 3**0.5]
    )
    fee = sharers.earnings_appeal(e, 30.0, 1.0, 200.0, 200.0)
    np.testing.assert_allclose(fee, np.array([0, 1, 2, 3]) * np.exp(-1.0))


def test_criminal_line_needs_thirty_participants_in_three_levels():
    def tree(n: int, depth: int):
        """A chain of `depth` levels under root 0, then the rest recruited by the root."""
        recruiter = np.full(n, -1, np.int64)
        level = np.ones(n, np.int32)
        for i in range(1, depth):
            recruiter[i], level[i] = i - 1, i + 1
        recruiter[depth:], level[depth:] = 0, 2
        return recruiter, level, np.ones(n, bool)

    assert sharers.crosses_criminal_line(*tree(30, 3))  # both bounds inclusive
    assert not sharers.crosses_criminal_line(*tree(29, 3))
    assert not sharers.crosses_criminal_line(*tree(100, 2))
    # two trees of 20 do not add up to one organisation of 40
    r, lv, w = tree(20, 3)
    r2 = np.where(r >= 0, r + 20, -1)
    both = np.r_[r, r2], np.r_[lv, lv], np.r_[w, w]
    assert not sharers.crosses_criminal_line(*both)


def test_join_rate_grows_with_peer_sharers(rng):
    n = 200_000
    candidates = np.ones(n, bool)
    alone = sharers.join_sharers(candidates, np.zeros(n), 0.01, 1.0, 2.0, rng.random(n))
    among = sharers.join_sharers(candidates, np.ones(n), 0.01, 1.0, 2.0, rng.random(n))
    assert abs(alone.mean() - (1 - np.exp(-0.01))) < 0.0015
    assert abs(among.mean() - (1 - np.exp(-0.03))) < 0.0025
    assert not sharers.join_sharers(candidates, np.ones(n), 0.01, 0.0, 2.0, rng.random(n)).any()


def test_monthly_earnings_converge_to_thirty_days_of_income():
    monthly = np.zeros(1)
    for _ in range(1000):
        sharers.update_monthly_earnings(monthly, np.array([100.0]))
    np.testing.assert_allclose(monthly, 3000.0, rtol=1e-6)


def test_quit_only_low_earners_past_grace():
    is_sharer = np.array([True, True, True, False])
    days_as = np.array([40, 10, 40, 40])
    monthly = np.array([100.0, 100.0, 5000.0, 0.0])
    got = sharers.quit_sharers(is_sharer, days_as, monthly, 30, 2000.0, 1.0, np.zeros(4))
    assert got.tolist() == [True, False, False, False]


def test_a_gift_packs_goods_replace_the_new_members_own_orders():
    """A 398-yuan pack of beauty goods (120 yuan an order, every 60 days) worth 80% to the
    member pushes their next beauty order back by 318.4 / 120 x 60 = 159 days."""
    from sim.market import Market
    from sim.mechanisms.base import Day

    market = Market(small_scenario(payout={"gift_pack": {"yuan": 398.0, "category": "beauty"}}))
    p = market.platform
    c = p.consumers
    k = [cat.name for cat in p.spec.categories].index("beauty")
    c.customer_of[[1, 2], k] = True
    c.next_due_day[[1, 2], k] = [5, 40]
    day = Day(10, c.n, len(p.spec.categories), p.ledger, np.zeros(c.n, bool))
    p.get("sharers").stock_up_on_the_pack(day, np.array([1, 2, 3]))
    assert c.next_due_day[[1, 2], k].tolist() == [10 + 159, 40 + 159]
    assert c.next_due_day[3, k] == np.iinfo(np.int32).max  # not a customer of it: no order


def test_monthly_earnings_read_sparsely_are_the_dense_numbers(rng):
    """Fading only those who ever earned and adding only today's earners gives the dense
    update's numbers bit for bit."""
    n = 1000
    dense = np.where(rng.random(n) < 0.1, rng.random(n) * 5000.0, 0.0)
    sparse = dense.copy()
    today = np.where(rng.random(n) < 0.05, rng.integers(1, 10_000, n), 0)
    who = np.flatnonzero(today)
    sharers.update_monthly_earnings(dense, today)
    sharers.update_monthly_earnings(sparse, today[who], who, np.flatnonzero(sparse))
    np.testing.assert_array_equal(sparse, dense)


def test_recruitment_tree_grows_from_the_joiners_bonds():
    """A first-time sharer bound to a sharer is recruited one level below them; one bound
    to nobody starts a tree at level 1; a returning sharer keeps recruiter and level."""
    recruiter = np.array([-1, -1, -1, 0, -1])
    level = np.array([2, 0, 0, 3, 0])
    # 1 is bound to 0, 2 to nobody, 3 (returning) to 0
    got = sharers.record_recruitment(recruiter, level, np.array([1, 2, 3]), np.array([0, -1, 0]))
    assert got.tolist() == [1]
    assert recruiter.tolist() == [-1, 0, -1, 0, -1]
    assert level.tolist() == [2, 3, 1, 3, 0]
    assert sharers.joining_level(level, np.array([4, 3]), np.array([1, -1])).tolist() == [4, 3]


STRONG_JOINING = {  # joining far likelier than by default: the bound is tested near its edge
    "behavior.sharer_recruitment_per_day": 0.05,
    "behavior.sharer_join_elasticity": 2.0,
    "behavior.recruitment_push": 2.0,
    "behavior.sharer_peer_effect": 3.0,
}


def all_on_market(days: int, **overrides):
    from sim.market import Market
    from sim.scenario import load_scenario
    from tests.conftest import DATA

    spec = load_scenario(
        DATA / "scenarios" / "all_mechanisms.toml",
        {"population.consumers": 600, "run.days": days, **overrides},
    )
    return Market(spec)


@pytest.mark.parametrize("overrides", [{}, STRONG_JOINING], ids=["default", "strong"])
def test_no_candidate_joins_at_a_rate_above_the_joining_rate_bound(overrides):
    """The bound the joining rule skips candidates by is above every candidate's rate (as
    `roles` computes it), day after day; at the default rates it skips most draws."""
    from sim.payout.binding import bound_sharer

    market = all_on_market(60, **overrides)
    platform = market.platform
    mechanism, c = platform.get("sharers"), platform.consumers
    beh, skipped = platform.spec.behavior, []
    for _ in range(60):
        market.step()
        candidates = np.flatnonzero(c.active_customer & ~c.is_sharer)
        bound_to = bound_sharer(
            c.referrer, c.bound_day, c.is_sharer & ~c.lapsed, candidates, platform.day,
            platform.scheme.binding_days,
        )  # fmt: skip
        signal = platform.get("word_of_mouth").sharer_signal[candidates]
        rate = (
            beh.sharer_recruitment_per_day
            * mechanism.join_appeal(candidates, bound_to)
            * (1.0 + beh.sharer_peer_effect * np.maximum(signal, 0.0))
        )
        bound = mechanism.joining_rate_bound()
        assert np.isfinite(bound) and (rate <= bound).all()
        skipped.append(max(0.0, 1.0 - bound))  # the share of uniform draws at or above it
    if not overrides:  # the strong rates bound above 1: nothing to skip
        assert np.mean(skipped) > 0.9


def test_skipping_draws_above_the_joining_rate_bound_gives_the_same_run(monkeypatch):
    """With every mechanism on, skipping the candidates whose draw is at or above the bound
    gives the same days and KPIs, bit for bit, as computing every candidate's rate."""
    for overrides in ({}, STRONG_JOINING):
        skipping = all_on_market(90, **overrides)
        skipping.run_model()
        with monkeypatch.context() as patch:
            patch.setattr(sharers.Sharers, "joining_rate_bound", lambda self: np.inf)
            every = all_on_market(90, **overrides)
            every.run_model()
        assert skipping.platform.daily_frame().equals(every.platform.daily_frame())
        np.testing.assert_equal(skipping.platform.kpis(), every.platform.kpis())
        assert skipping.platform.kpis()["sharers_ever"] > 0


def test_the_bound_is_compared_in_float64_as_the_rule_is(monkeypatch):
    """A joining rate below float32's range (a legal base rate of 1e-50) still joins a
    candidate who draws 0: the bound must not round to 0 on the way to the comparison.
    The sharers' uniforms are forced to 0 (the stream steps as before)."""

    real = sharers.Sharers.uniform_later

    def zeros(self, *args):  # the draw made (the stream steps past it), its numbers 0
        draw = real(self, *args)
        draw._values = np.zeros(draw.count, np.float32)
        return draw

    monkeypatch.setattr(sharers.Sharers, "uniform_later", zeros)
    tiny = {"behavior.sharer_recruitment_per_day": 1e-50}
    skipping = all_on_market(20, **tiny)
    skipping.run_model()
    monkeypatch.setattr(sharers.Sharers, "joining_rate_bound", lambda self: np.inf)
    every = all_on_market(20, **tiny)
    every.run_model()
    joined = skipping.platform.daily_frame()["new_sharers"].sum()
    assert joined == every.platform.daily_frame()["new_sharers"].sum() > 0
