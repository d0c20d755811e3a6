"""Sharers: reward appeal, joining, earnings and quitting."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    sharers,
)


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
