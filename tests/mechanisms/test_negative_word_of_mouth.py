"""Negative word of mouth: bad news reaches ties and fades."""

from __future__ import annotations

import numpy as np

from sim.network import ties_to_matrix


def test_bad_news_reaches_ties_by_trust_and_fades():
    from sim.mechanisms import negative_word_of_mouth as nwom

    # 1 and 2 trust 0 with 1.0 and 0.5; 0 had two bad experiences today
    trust = ties_to_matrix(
        3, np.array([1, 2]), np.zeros(2, int), np.array([1.0, 0.5]), symmetric=False
    )
    signal = np.zeros(3)
    heard = nwom.spread_bad_news(signal, trust.T.tocsr(), np.array([0]), np.array([2]), 7.0)
    assert heard.tolist() == [1, 2]
    np.testing.assert_allclose(signal, [0.0, 2.0, 1.0])
    for _ in range(7):
        nwom.spread_bad_news(signal, trust.T.tocsr(), np.empty(0, int), np.empty(0, int), 7.0)
    np.testing.assert_allclose(signal, [0.0, 1.0, 0.5])  # one half-life later
    np.testing.assert_allclose(nwom.adoption_damper(np.array([0.0, 2.0]), 0.5), [1.0, np.exp(-1.0)])
    np.testing.assert_allclose(nwom.churn_amplifier(np.array([0.0, 2.0]), 0.5), [1.0, 2.0])


def test_the_adoption_damper_is_1_until_someone_hears_bad_news():
    """Before any bad news the factor is 1 (exp(-a x 0)) without an (N,) array; from the
    first day someone hears some, the damper of everyone's signal."""
    from sim.market import Market
    from sim.mechanisms.negative_word_of_mouth import adoption_damper
    from tests.conftest import small_scenario

    spec = small_scenario(
        population={"consumers": 400},
        run={"days": 60},
        behavior={"product_mismatch_probability": 0.3},
    )
    platform = Market(spec, 0).platform
    mechanism = platform.get("negative_word_of_mouth")
    a = spec.behavior.negative_wom_adoption_sensitivity
    quiet_days = 0
    while (day := platform.step_day()) is not None:
        factor = mechanism.adoption_factor(day)
        if not platform.consumers.bad_news.any():
            assert factor == 1.0
            quiet_days += 1
        else:
            assert set(np.flatnonzero(platform.consumers.bad_news)) <= set(mechanism.heard.members)
            expected = adoption_damper(platform.consumers.bad_news, a)[:, None]
            np.testing.assert_array_equal(factor.values, expected)
            # the range it states holds (the purchase kernel bounds rates with it)
            assert (factor.low, factor.high) == (0.0, 1.0)
            assert expected.min() >= factor.low and expected.max() <= factor.high
            assert expected.min() < 1.0  # someone heard: the damper is not all ones
            who = np.flatnonzero(platform.consumers.active_customer)
            np.testing.assert_array_equal(  # the churn factor of those asked about
                mechanism.churn_factor(day, who),
                1.0
                + spec.behavior.negative_wom_churn_sensitivity * platform.consumers.bad_news[who],
            )
    assert 0 < quiet_days < spec.run.days


def test_the_days_bad_experiences_are_the_counts_per_consumer(rng):
    """Who had bad experiences today and how many: the nonzero counts of a bincount,
    from several rules' lists (repeats, empty lists, int32 ones)."""
    from sim.ledger import Ledger
    from sim.mechanisms.base import Day

    day = Day(0, 50, 1, Ledger(50, 1), held_elsewhere=np.zeros(50, bool))
    who, told = day.bad_experiences_today()
    assert who.size == told.size == 0
    lists = [rng.integers(0, 50, 30), np.empty(0, np.int64), rng.integers(0, 50, 9, np.int32)]
    day.bad_today.extend(lists)
    counts = np.bincount(np.concatenate(lists).astype(np.int64), minlength=50)
    who, told = day.bad_experiences_today()
    np.testing.assert_array_equal(who, np.flatnonzero(counts))
    np.testing.assert_array_equal(told, counts[who])
    assert told.dtype == np.int64
