"""Probes: every payout rule moves behaviour through its stated channel (docs/incentives.md).

Each probe runs a scheme and a variant on the same seed, so replication r of both draws
the same random numbers (common random numbers), and looks at the paired differences:

1. a rule that pays nothing (amount 0 or cap 0) leaves customers, orders and sharers
   identical, day by day, to the scheme without the rule;
2. raising the rule's reward moves its behaviour in the stated direction, with a 95%
   confidence interval of the paired mean difference that excludes zero.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.runner import run
from tests.conftest import deep_update, small_scenario

pytestmark = pytest.mark.slow

REPLICATIONS = 8
BASE = {
    "run": {"days": 150, "replications": REPLICATIONS, "seed": 11},
    "population": {"consumers": 3000},
    "behavior": {"sharer_recruitment_per_day": 0.01},
}
IDENTICAL = (
    "new_customers",
    "customers",
    "orders",
    "gmv",
    "active_sharers",
    "new_sharers",
    "shares",
)


def run_variant(**overrides):
    return run(small_scenario(**deep_update(BASE, overrides)), progress=False)


def per_replication(result, measure) -> np.ndarray:
    return np.array([measure(day) for _, day in result.daily.groupby("replication")])


def shares_per_sharer_day(day: pd.DataFrame) -> float:
    return day["shares"].sum() / max(day["active_sharers"].sum(), 1)


def share_conversion(day: pd.DataFrame) -> float:
    return day["acquired_by_share"].sum() / max(day["shares"].sum(), 1)


def total(column: str):
    return lambda day: float(day[column].sum())


def paired_ci(low: np.ndarray, high: np.ndarray) -> tuple[float, float]:
    d = high - low
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean() - half, d.mean() + half


def assert_moves_up(low, high, measure, what: str) -> None:
    """The paired mean difference (high - low) is positive with a 95% CI above zero."""
    if isinstance(measure, str):
        a, b = low.kpi_values[measure].to_numpy(), high.kpi_values[measure].to_numpy()
    else:
        a, b = per_replication(low, measure), per_replication(high, measure)
    lo, hi = paired_ci(a, b)
    assert lo > 0, f"{what}: paired 95% CI of the difference is {lo:.4g} .. {hi:.4g}"


def assert_identical(without, with_zero) -> None:
    for column in IDENTICAL:
        np.testing.assert_array_equal(
            without.daily[column].to_numpy(), with_zero.daily[column].to_numpy(), column
        )


# (name, payout without the rule, the rule paying nothing, the rule paying less, paying more,
#  measure, what must rise)
PROBES = {
    "direct_commission": dict(
        none={"direct_commission": {"enabled": False}},
        zero={"direct_commission": {"rate": 0.0}},
        low={"direct_commission": {"rate": 0.05}},
        high={"direct_commission": {"rate": 0.15}},
        measures=[(shares_per_sharer_day, "shares per sharer-day"), ("sharers_ever", "joining")],
    ),
    "referral_bonus_cap_0": dict(
        none={},
        zero={
            "referral_bonus": {"referrer_yuan": 15.0, "referee_yuan": 0.0, "cap_per_referrer": 0}
        },
    ),
    "referral_bonus_cap": dict(
        # a sharer who has used up the cap expects no more bonus: a cap of 1 cuts effort
        low={"referral_bonus": {"referrer_yuan": 20.0, "referee_yuan": 0.0, "cap_per_referrer": 1}},
        high={
            "referral_bonus": {"referrer_yuan": 20.0, "referee_yuan": 0.0, "cap_per_referrer": 100}
        },
        measures=[(shares_per_sharer_day, "shares per sharer-day")],
    ),
    "referral_bonus_referrer": dict(
        none={},
        zero={"referral_bonus": {"referrer_yuan": 0.0, "referee_yuan": 0.0}},
        low={"referral_bonus": {"referrer_yuan": 2.0, "referee_yuan": 0.0}},
        high={"referral_bonus": {"referrer_yuan": 20.0, "referee_yuan": 0.0}},
        measures=[(shares_per_sharer_day, "shares per sharer-day"), ("sharers_ever", "joining")],
    ),
    "referral_bonus_referee": dict(
        low={"referral_bonus": {"referrer_yuan": 0.0, "referee_yuan": 0.0}},
        high={"referral_bonus": {"referrer_yuan": 0.0, "referee_yuan": 20.0}},
        measures=[(share_conversion, "referees' conversion per share")],
    ),
    "self_purchase_discount": dict(
        none={"self_purchase_discount": {"enabled": False}},
        zero={"self_purchase_discount": {"rate": 0.0}},
        low={"self_purchase_discount": {"rate": 0.0}},
        high={"self_purchase_discount": {"rate": 0.15}},
        measures=[
            ("sharers_ever", "joining"),
            (lambda d: d["sharer_own_gmv"].sum() / max(d["active_sharers"].sum(), 1), "own buying"),
        ],
    ),
    "coupon_share": dict(
        none={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0, "enabled": False}},
        zero={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0}},
        low={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0}},
        high={"coupon": {"new_user_yuan": 0.0, "share_yuan": 20.0}},
        measures=[(share_conversion, "conversion of shares carrying the coupon")],
    ),
    "coupon_new_user": dict(
        none={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0, "enabled": False}},
        zero={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0}},
        low={"coupon": {"new_user_yuan": 0.0, "share_yuan": 0.0}},
        high={"coupon": {"new_user_yuan": 20.0, "share_yuan": 0.0}},
        measures=[("customers", "new users")],
    ),
    "stock_margin": dict(
        # micro-merchants: a deeper wholesale discount is a larger retail margin per order
        low={"preset": "weishang", "stock": {"wholesale_discount_rate": 0.15}},
        high={"preset": "weishang", "stock": {"wholesale_discount_rate": 0.45}},
        measures=[(shares_per_sharer_day, "shares per sharer-day"), ("sharers_ever", "joining")],
    ),
    "stock_tiers": dict(
        # agent tiers (微商): with one tier the markup is never paid and changes nothing;
        # that a paid markup moves recruitment is tested below
        none={"stock": {"units": 5}},
        zero={"stock": {"units": 5, "tier_markup_rate": 0.3}},
    ),
    "group_buy_discount": dict(
        low={"group_buy": {"discount_rate": 0.0, "window_days": 2}},
        high={"group_buy": {"discount_rate": 0.15, "window_days": 2}},
        measures=[(total("group_orders"), "orders of filled groups")],
    ),
    "sales_bonus": dict(
        none={},
        zero={"sales_bonus": {"tiers": [{"monthly_sales_yuan": 300.0, "rate": 0.0}]}},
        low={"sales_bonus": {"tiers": [{"monthly_sales_yuan": 300.0, "rate": 0.0}]}},
        high={"sales_bonus": {"tiers": [{"monthly_sales_yuan": 300.0, "rate": 0.3}]}},
        measures=[(shares_per_sharer_day, "shares per sharer-day")],
    ),
    "upline_override": dict(
        none={},
        zero={"upline_override": {"rates": [0.0, 0.0]}},
        low={"upline_override": {"rates": [0.01]}},
        high={"upline_override": {"rates": [0.08]}},
        measures=[("recruited_sharers", "recruitment")],
    ),
    "override_depth": dict(
        low={"upline_override": {"rates": [0.03]}},
        high={"upline_override": {"rates": [0.03, 0.03]}},
        measures=[("recruited_sharers", "recruitment at depth 3 over depth 2")],
    ),
    "recruit_bonus": dict(
        none={},
        zero={"recruit_bonus": {"yuan": 0.0}},
        low={"recruit_bonus": {"yuan": 0.0}},
        high={"recruit_bonus": {"yuan": 100.0}},
        measures=[("recruited_sharers", "recruitment")],
    ),
    "gift_pack": dict(
        none={},
        zero={"gift_pack": {"yuan": 0.0}},
        # the pack deters by what its goods are worth less than its price: a dearer pack,
        # or goods worth less to the member, lowers joining ("low" is the larger deterrent)
        low={"gift_pack": {"yuan": 1000.0, "value_share": 0.5}},
        high={"gift_pack": {"yuan": 1000.0, "value_share": 0.95}},
        measures=[("sharers_ever", "joining rises with the goods' value")],
    ),
    "entry_fee": dict(
        none={},
        zero={"entry_fee": {"yuan": 0.0}},
        # a fee deters: raising it lowers joining (so "low" is the higher fee)
        low={"entry_fee": {"yuan": 200.0}},
        high={"entry_fee": {"yuan": 20.0}},
        measures=[("sharers_ever", "joining falls with the fee")],
    ),
}


@pytest.mark.parametrize("name", [n for n, p in PROBES.items() if "zero" in p])
def test_a_rule_that_pays_nothing_changes_nothing(name):
    probe = PROBES[name]
    without = run_variant(payout=probe["none"])
    with_zero = run_variant(payout=probe["zero"])
    assert_identical(without, with_zero)


@pytest.mark.parametrize("name", [n for n, p in PROBES.items() if "high" in p])
def test_a_larger_reward_moves_its_behaviour(name):
    probe = PROBES[name]
    low, high = run_variant(payout=probe["low"]), run_variant(payout=probe["high"])
    for measure, what in probe["measures"]:
        assert_moves_up(low, high, measure, f"{name}: {what}")


def test_every_declared_probe_exists():
    from sim.payout.channel import all_channels
    from sim.payout.scheme import RULES

    separate = {  # below
        "ad_spend",
        "binding",
        "binding_wallet",
        "recommendation",
        "coupon_win_back",
        "stock_tiers",
        "win_back_exposure",
        "leader_commission",
    }
    for channel in all_channels():
        for name in filter(None, (p.strip() for p in channel.probe.split(","))):
            assert name in PROBES or name in separate, (channel.rule, name)
    declared = {c.rule.split(" ")[0] for c in all_channels()}
    assert set(RULES) <= declared  # every payout rule states its channel


def test_ad_spend_is_a_lever_with_diminishing_returns():
    results = [run_variant(platform={"ad_spend_yuan_per_day": x}) for x in (0.0, 45.0, 90.0)]
    assert_moves_up(results[0], results[1], "customers", "customers with ads")
    assert_moves_up(results[1], results[2], "customers", "customers with more ads")
    gain = [
        (b.kpi_values["customers"] - a.kpi_values["customers"]).mean()
        for a, b in itertools.pairwise(results)
    ]
    assert gain[1] < gain[0]  # the second 45 yuan a day win fewer customers than the first


def test_a_longer_binding_credits_more_gmv_to_sharers():
    short = run_variant(payout={"binding": {"days": 7}})
    long = run_variant(payout={"binding": {"days": 365}})
    assert_moves_up(short, long, "sharer_gmv_share", "GMV credited to sharers")


def test_with_multi_homing_binding_keeps_more_of_the_wallet():
    """Against an equal rival (binding 7 days), a platform binding for 365 days keeps more
    of the market's orders through the share-of-wallet channel: with the binding weight
    at 1 its bound customers' orders lean its way, more than with the weight at 0 (the
    same binding then acts only through sharers' income). The paired difference of the
    two differences is what the wallet channel adds."""
    rival = {"name": "rival", "payout": {"binding": {"days": 7}}}  # not the base's binding

    def share(weight: float, days: int) -> np.ndarray:
        result = run_variant(
            payout={"binding": {"days": days}},
            rivals=[rival],
            behavior={"multi_homing": True, "wallet_binding_weight": weight},
        )
        return result.kpi_values["market_share_orders"].to_numpy()

    without = share(0.0, 365) - share(0.0, 7)
    with_weight = share(1.0, 365) - share(1.0, 7)
    lo, hi = paired_ci(without, with_weight)
    assert lo > 0, f"wallet channel of binding: paired 95% CI {lo:.4g} .. {hi:.4g}"


def test_a_markup_on_recruits_stock_makes_uplines_recruit_harder():
    """Micro-merchants stocking a beauty item in batches of 10, who weigh an up-front cost
    of 1,000 yuan as exp(-1) (fact 1's setting): a 10% markup per tier, earned by the
    upline on each recruit's stock, raises recruitment over a 0% markup. (The markup also
    makes recruits pay more and keep less, which can outweigh it where stock is cheap:
    docs/micro-merchants.md.)"""
    beh = {"entry_fee_tolerance_yuan": 1000.0, "sharer_recruitment_per_day": 0.01}

    def tiers(markup: float):
        stock = {"units": 10, "category": "beauty", "tiers": 3, "tier_markup_rate": markup}
        return run_variant(payout={"stock": stock}, behavior=beh)

    assert_moves_up(tiers(0.0), tiers(0.10), "recruited_sharers", "recruitment")


def test_recommendations_widen_baskets_only_when_the_platform_recommends():
    """Recommendations reach customers through what they bought: with r = 0 nothing is
    recommended (the daily series equal a run without the mechanism, by construction), and
    a higher r widens baskets (categories per customer) and raises orders."""
    off = run_variant(behavior={"recommendation_per_day": 0.0})
    assert off.daily["recommended_purchases"].sum() == 0
    low = run_variant(behavior={"recommendation_per_day": 0.005})
    high = run_variant(behavior={"recommendation_per_day": 0.02})
    assert_moves_up(off, low, total("recommended_purchases"), "recommended purchases")
    assert_moves_up(low, high, "categories_per_customer", "basket width")
    assert_moves_up(low, high, "orders", "orders")


def test_a_win_back_coupon_brings_customers_back_only_when_they_respond():
    """Without a win-back response the coupon is never used: runs equal those without it,
    day by day. With one, a larger coupon brings more lapsed customers back."""
    churny = {"churn_base_hazard_per_day": 0.005}
    without = run_variant(behavior=churny, payout={"coupon": {"new_user_yuan": 0.0}})
    unused = run_variant(
        behavior=churny, payout={"coupon": {"new_user_yuan": 0.0, "win_back_yuan": 50.0}}
    )
    assert_identical(without, unused)
    assert unused.daily["discount_coupon"].sum() == 0
    responds = {**churny, "win_back_per_day": 0.01}

    def coupon(yuan: float):
        return run_variant(
            behavior=responds, payout={"coupon": {"new_user_yuan": 0.0, "win_back_yuan": yuan}}
        )

    assert_moves_up(coupon(0.0), coupon(50.0), total("won_back"), "customers won back")


def test_ads_win_lapsed_customers_back_only_when_they_respond():
    """Lapsed customers come back through the efforts that reach them: with a response,
    more ad spend brings more back; without one (the default), nobody comes back."""
    churny = {"churn_base_hazard_per_day": 0.01}
    respond = {**churny, "win_back_per_exposure": 2.0}
    quiet, loud = (
        run_variant(behavior=respond, platform={"ad_spend_yuan_per_day": x}) for x in (0.0, 90.0)
    )
    assert_moves_up(quiet, loud, total("won_back"), "customers won back by ads")
    deaf = run_variant(behavior={**churny, "win_back_per_exposure": 0.0},
                       platform={"ad_spend_yuan_per_day": 90.0})  # fmt: skip
    assert deaf.daily["won_back"].sum() == 0 and loud.daily["won_back"].sum() > 0


PRESALE = {
    "population": {"consumers": 3000, "neighborhoods": [{"count": 10, "city_tier": "county"}]},
    "group_leaders": {"per_neighborhood": 1, "presale": True},
    "fulfillment": {"mode": "pickup"},
}


def presale_variant(leader_commission):
    return run_variant(
        payout={"preset": "community_group_buy", "leader_commission": leader_commission},
        **PRESALE,
    )


def test_the_leader_commission_moves_leaders_only_when_paid():
    """Community group buying: leaders share harder and stay longer the higher their
    commission on the point's sales; a rate of 0 is the rule switched off."""
    assert_identical(presale_variant({"enabled": False}), presale_variant({"rate": 0.0}))
    low, high = presale_variant({"rate": 0.03}), presale_variant({"rate": 0.15})
    assert_moves_up(low, high, total("shares"), "leaders' shares")
    assert_moves_up(low, high, lambda d: -d["leaders_quit"].sum(), "leaders staying")
    assert_moves_up(low, high, "customers", "customers the points win")
