"""Each daily rule on small hand-built inputs where the outcome is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.network import row_normalized, ties_to_matrix
from sim.rules import churn, experience, exposure, purchase, repurchase, sharers
from sim.state import SOURCE_AD, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH


def star(n_leaves: int, weight: float = 1.0) -> sp.csr_matrix:
    """Consumer 0 tied to consumers 1..n (mutual ties)."""
    leaves = np.arange(1, n_leaves + 1)
    return ties_to_matrix(
        n_leaves + 1, np.zeros(n_leaves, int), leaves, np.full(n_leaves, weight), symmetric=True
    )


# ---------------------------------------------------------------- exposure
def test_share_exposure_sums_trust_of_sharers():
    # 0 trusts 1 with 0.5 and 2 with 1.0; 1 and 2 share category 0, only 2 shares category 1.
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([0.5, 1.0]), symmetric=False
    )
    shared = np.array([[True, False], [True, True]])
    got = exposure.share_exposure(trust.T.tocsr(), np.array([1, 2]), shared)
    np.testing.assert_allclose(got, [[1.5, 1.0], [0, 0], [0, 0]])


def test_share_products_respects_probability(rng):
    u = rng.random((100_000, 2))
    shared = exposure.share_products(np.arange(100_000), np.array([0.2, 0.0]), u)
    assert abs(shared[:, 0].mean() - 0.2) < 0.005  # 5 standard errors
    assert not shared[:, 1].any()


def test_word_of_mouth_uniform_mixing_is_population_share():
    broadcasting = np.array([[1.0], [0.0], [0.0], [1.0]])
    got = exposure.word_of_mouth_signal("uniform", np.zeros((4, 1)), broadcasting)
    np.testing.assert_allclose(got, 0.5)


def test_normalized_signal_is_trust_weighted_share_of_ties():
    # Listener 0 trusts 1 (1.0) and 2 (0.25); only 1 is a customer: share 1/1.25 = 0.8.
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([1.0, 0.25]), symmetric=False
    )
    signal = row_normalized(trust) @ np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(signal, [0.8, 0.0, 0.0])


def test_cascade_rate_is_independent_conversion_probability():
    # Leaf 1..3 trust the centre 0 with 1.0, 0.5, 0.0; the centre first bought yesterday.
    trust = ties_to_matrix(
        4, np.array([1, 2, 3]), np.zeros(3, int), np.array([1.0, 0.5, 0.0]), symmetric=False
    )
    by_speaker = trust.T.tocsr()
    pc = 0.4
    by_speaker.data = -np.log1p(-pc * by_speaker.data)
    new = np.array([[True], [False], [False], [False]])
    p = purchase.adoption_probability(exposure.cascade_rate(by_speaker, new))
    np.testing.assert_allclose(p[:, 0], [0.0, 0.4, 0.2, 0.0])


def test_cascade_rate_combines_two_speakers():
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([1.0, 1.0]), symmetric=False
    )
    by_speaker = trust.T.tocsr()
    by_speaker.data = -np.log1p(-0.5 * by_speaker.data)
    new = np.array([[False], [True], [True]])
    p = purchase.adoption_probability(exposure.cascade_rate(by_speaker, new))
    np.testing.assert_allclose(p[0, 0], 1 - 0.5 * 0.5)


# ---------------------------------------------------------------- purchase
def test_first_purchase_probability_matches_hazard(rng):
    n = 200_000
    rate = np.full((n, 1), 0.1)
    eligible = np.ones((n, 1), bool)
    eligible[: n // 2] = False
    bought = purchase.first_purchases(eligible, rate, rng.random((n, 1)))
    assert not bought[: n // 2].any()
    expected = 1 - np.exp(-0.1)
    se = np.sqrt(expected * (1 - expected) / (n // 2))
    assert abs(bought[n // 2 :].mean() - expected) < 5 * se


def test_credit_channel_proportional_to_rates(rng):
    k = 100_000
    got = purchase.credit_channel(
        {
            SOURCE_AD: np.full(k, 1.0),
            SOURCE_WORD_OF_MOUTH: np.full(k, 2.0),
            SOURCE_SHARE: np.full(k, 1.0),
        },
        rng.random(k),
    )
    shares = [np.mean(got == s) for s in (SOURCE_AD, SOURCE_WORD_OF_MOUTH, SOURCE_SHARE)]
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25], atol=0.01)


def test_pick_sharer_only_picks_ties_who_shared_with_odds_by_trust(rng):
    # Listener 0 trusts 1 (0.2), 2 (0.6), 3 (1.0); 3 did not share today.
    trust = ties_to_matrix(
        4, np.zeros(3, int), np.array([1, 2, 3]), np.array([0.2, 0.6, 1.0]), symmetric=False
    )
    shared = np.array([False, True, True, False])
    k = 40_000
    got = purchase.pick_sharer(trust, np.zeros(k, int), shared, rng.random(k))
    assert set(np.unique(got)) == {1, 2}
    assert abs(np.mean(got == 2) - 0.75) < 0.01
    none = purchase.pick_sharer(trust, np.array([1]), shared, np.array([0.5]))
    assert none[0] == -1  # consumer 1 has no tie that shared


# ---------------------------------------------------------------- repurchase
def test_intervals_have_the_category_mean(rng):
    u = rng.random(200_000)
    days = repurchase.draw_intervals(np.full(u.size, 21.0), 4.0, u)
    assert days.min() >= 1
    assert abs(days.mean() - 21.0) < 0.1
    # shape 4: sd = mean / 2
    assert abs(days.std() - 10.5) < 0.2


def test_due_reorders_by_probability(rng):
    due = np.repeat([0, 1], 50_000)
    got = repurchase.due_reorders(np.array([0.9, 0.3])[due], rng.random(due.size))
    assert abs(got[due == 0].mean() - 0.9) < 0.01
    assert abs(got[due == 1].mean() - 0.3) < 0.01


# ---------------------------------------------------------------- sharers
def test_reward_appeal_is_capped_and_zero_without_rewards():
    assert sharers.reward_appeal(0.0, 5.0) == 0.0
    assert sharers.reward_appeal(5.0, 5.0) == 1.0
    assert sharers.reward_appeal(500.0, 5.0) == sharers.MAX_REWARD_APPEAL


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


# ---------------------------------------------------------------- experience and churn
def test_bad_orders(rng):
    buyers = np.arange(100_000)
    bad = experience.bad_orders(buyers, 0.03, rng.random(buyers.size))
    assert abs(bad.size / buyers.size - 0.03) < 0.003


def test_churn_hazard_rises_with_recency_and_bad_experiences():
    h = churn.churn_hazard(np.array([0, 30, 30, 100_000]), np.array([0, 0, 2, 0]), 0.001, 30.0, 1.0)
    np.testing.assert_allclose(h, [0.001, 0.002, 0.008, 1.0], rtol=1e-4)
    lapsed = churn.lapse(np.array([True, False]), np.array([1.0, 1.0]), np.zeros(2))
    assert lapsed.tolist() == [True, False]


# ---------------------------------------------------------------- negative word of mouth
def test_bad_news_reaches_ties_by_trust_and_fades():
    from sim.rules import negative_word_of_mouth as nwom

    # 1 and 2 trust 0 with 1.0 and 0.5; 0 had two bad experiences today
    trust = ties_to_matrix(
        3, np.array([1, 2]), np.zeros(2, int), np.array([1.0, 0.5]), symmetric=False
    )
    signal = np.zeros(3)
    heard = nwom.spread_bad_news(signal, trust.T.tocsr(), np.array([2, 0, 0]), 7.0)
    assert heard == 2
    np.testing.assert_allclose(signal, [0.0, 2.0, 1.0])
    for _ in range(7):
        nwom.spread_bad_news(signal, trust.T.tocsr(), np.zeros(3, int), 7.0)
    np.testing.assert_allclose(signal, [0.0, 1.0, 0.5])  # one half-life later
    np.testing.assert_allclose(nwom.adoption_damper(np.array([0.0, 2.0]), 0.5), [1.0, np.exp(-1.0)])
    np.testing.assert_allclose(nwom.churn_amplifier(np.array([0.0, 2.0]), 0.5), [1.0, 2.0])


def test_age_mix_keeps_the_tier_average_readiness():
    from sim.population import age_readiness

    elderly = np.zeros(100_000, bool)
    elderly[:20_000] = True
    r = age_readiness(np.full(100_000, 0.4), elderly, np.full(100_000, 0.2), 0.25)
    assert r[~elderly][0] == pytest.approx(0.4 / 0.85)
    assert r[elderly][0] == pytest.approx(0.25 * 0.4 / 0.85)
    assert r.mean() == pytest.approx(0.4)
