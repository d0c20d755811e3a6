"""Incentives: the rewards sharers and would-be sharers can expect, within caps and tiers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import incentives as inc


def test_referral_bonus_counts_only_within_the_cap():
    earned = np.array([0, 9, 10, 50])
    r = inc.reward_per_order_yuan(8.0, 5.0, 0.4, earned, 10, np.zeros(4), np.zeros(4))
    np.testing.assert_allclose(r, [10.0, 10.0, 8.0, 8.0])
    never = inc.reward_per_order_yuan(8.0, 5.0, 0.4, earned, 0, np.zeros(4), np.zeros(4))
    np.testing.assert_array_equal(never, np.full(4, 8.0))  # a cap of 0: never paid


def test_tier_reward_is_the_rate_or_the_jump_within_reach():
    thresholds, rates = np.array([1000.0, 5000.0]), np.array([0.02, 0.05])
    sales = np.array([0.0, 800.0, 4000.0, 6000.0])
    t = inc.tier_reward_yuan(sales, 0.0, thresholds, rates, 100.0, reach_orders=3)
    # 0: 10 orders short of tier 1: not in reach, no tier yet -> 0
    # 800: 2 orders short of 1000: jump 0.02 x 1000 = 20 over 2 orders = 10 yuan an order
    # 4000: in tier 1 (2 yuan an order), 10 orders short of tier 2 -> 2
    # 6000: top tier, 5 yuan an order
    np.testing.assert_allclose(t, [0.0, 10.0, 2.0, 5.0])
    assert not inc.tier_reward_yuan(sales, 0.0, np.empty(0), np.empty(0), 100.0, 3).any()


def test_monthly_earnings_include_the_self_purchase_saving():
    e = inc.expected_monthly_earnings_yuan(8.0, 6.0, 0.05, np.array([0.0, 400.0]))
    np.testing.assert_allclose(e, [48.0, 68.0])


def test_each_override_level_adds_to_a_recruits_value():
    two = inc.recruit_value_yuan(0.0, np.array([0.03]), 100.0, 6.0, 0.5, 6.0)
    three = inc.recruit_value_yuan(0.0, np.array([0.03, 0.02]), 100.0, 6.0, 0.5, 6.0)
    assert two == pytest.approx(6 * 100 * 6 * 0.03)
    assert three == pytest.approx(two + 6 * 100 * 6 * 0.02 * 0.5)
    assert inc.recruit_value_yuan(0.0, np.zeros(0), 100.0, 6.0, 0.5, 6.0) == 0.0
    assert inc.recruit_value_yuan(50.0, np.zeros(0), 100.0, 6.0, 0.5, 6.0) == 50.0


def test_beliefs_move_from_the_prior_to_the_evidence():
    assert inc.posterior_mean(0.2, 30.0, 0.0, 0.0) == 0.2
    assert inc.posterior_mean(0.2, 30.0, 300.0, 3000.0) == pytest.approx((6 + 300) / 3030)
