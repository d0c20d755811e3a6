"""DOMAIN.md's stylized facts, each a comparison in scenarios/facts/.

Each test runs the fact's scenario with `sim compare` (8 paired replications on common
random numbers), then checks the direction, a stated minimum effect, and that the 95% CI of
the paired difference excludes zero.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from sim.compare import CompareResult, compare
from tests.conftest import ROOT

FACTS = ROOT / "scenarios" / "facts"


@cache
def fact(name: str) -> CompareResult:
    return compare(FACTS / f"{name}.toml", progress=False)


pytestmark = pytest.mark.slow  # scenario-level: stylized facts


def clear_difference(result: CompareResult, variant: str, kpi: str) -> float:
    """The paired difference variant - baseline; asserts its 95% CI excludes zero."""
    table = result.table()
    row = table[(table.variant == variant) & (table.kpi == kpi)].iloc[0]
    low, high = row["diff_ci95_low"], row["diff_ci95_high"]
    assert low > 0 or high < 0, f"{kpi}: CI [{low}, {high}] includes zero"
    return float(row["diff"])


def mean(result: CompareResult, variant: str, kpi: str) -> float:
    return float(np.nanmean(result.values(variant, kpi)))


def test_fact1_platform_keeps_customers_and_weishang_fades():
    r = fact("01_platform_vs_weishang")
    # the micro-merchant keeps under half of the platform's active customers ...
    drop = clear_difference(r, "weishang", "active_customers_30d")
    assert -drop >= 0.5 * mean(r, "platform", "active_customers_30d")
    # ... repurchases less by at least 20 points ...
    assert clear_difference(r, "weishang", "repeat_rate_90d") <= -0.20
    # ... and its sales fade: month 5 (days 120-149) is under half of its best month
    d = r.daily[r.daily.variant == "weishang"]
    monthly = d.groupby(d.day // 30)["gmv"].sum()
    assert monthly.loc[4] < 0.5 * monthly.max()


def test_fact2_strong_ties_convert_and_repurchase_more():
    r = fact("02_strong_vs_weak_ties")
    assert clear_difference(r, "weak_ties", "k_factor") <= -0.03
    assert clear_difference(r, "weak_ties", "repeat_rate_90d") <= -0.03


def test_fact3_proxy_purchase_unlocks_low_readiness_demand():
    r = fact("03_proxy_purchase")
    assert clear_difference(r, "proxy_purchase", "penetration") >= 0.20
    assert mean(r, "proxy_purchase", "proxy_purchase_share") >= 0.30
    assert mean(r, "direct_online", "proxy_purchase_share") == 0.0


def test_fact4_slow_fulfillment_lowers_repurchase_and_raises_churn():
    r = fact("04_slow_fulfillment")
    assert clear_difference(r, "three_days_late", "repeat_rate_90d") <= -0.10
    fewer = clear_difference(r, "three_days_late", "active_customers_30d")
    assert -fewer >= 0.2 * mean(r, "next_day", "active_customers_30d")
    last = r.daily[r.daily.day == r.daily.day.max()]
    lapsed_share = (
        last.groupby("variant")["lapsed"].sum() / last.groupby("variant")["customers"].sum()
    )
    assert lapsed_share["three_days_late"] >= 1.2 * lapsed_share["next_day"]


def test_fact5_negative_word_of_mouth_spreads_fastest_in_dense_neighborhoods():
    r = fact("05_negative_wom_density")
    more = clear_difference(r, "dense", "bad_news_reach")
    assert more >= 0.5 * mean(r, "sparse", "bad_news_reach")


def test_fact6_kol_posts_cause_bursts_and_matched_buyers_repurchase_more():
    r = fact("06_kol_bursts")
    for variant in ("kol_mismatch", "kol_match"):
        d = r.daily[r.daily.variant == variant]
        posts = d["kol_posts"] > 0
        assert d.loc[posts, "new_customers"].mean() >= 3 * d.loc[~posts, "new_customers"].mean()
    assert clear_difference(r, "kol_match", "kol_repeat_rate_90d") >= 0.10


def test_fact7_seed_users_keep_community_groups_alive():
    r = fact("07_community_group_liveness")
    assert mean(r, "no_seed_users", "group_liveness") <= 0.1
    assert (
        mean(r, "seed_users", "group_liveness") - mean(r, "no_seed_users", "group_liveness") >= 0.5
    )


def test_fact8_two_sided_rewards_raise_the_viral_coefficient_at_a_cost():
    r = fact("08_two_sided_referral")
    assert clear_difference(r, "two_sided_bonus", "k_factor") >= 0.01
    assert clear_difference(r, "two_sided_bonus", "payouts_total") > 0
    assert clear_difference(r, "two_sided_bonus", "cac") > 0  # the cost a comparison shows


def test_fact9_an_incumbent_makes_a_late_entrants_growth_much_harder():
    r = fact("09_incumbent_platform")
    fewer = clear_difference(r, "against_incumbent", "customers")
    assert -fewer >= 0.25 * mean(r, "empty_market", "customers")
    assert mean(r, "against_incumbent", "market_share") < 0.5
    # nothing happens before the platform enters
    d = r.daily[r.daily.variant == "empty_market"]
    assert d.loc[d.day < 180, "orders"].sum() == 0 and d.loc[d.day < 180, "ad_spend"].sum() == 0
