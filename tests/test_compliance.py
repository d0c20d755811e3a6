"""Compliance flags and the sharer economics behind them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.metrics import gini
from sim.payout.compliance import compliance_flags
from sim.payout.scheme import PayoutSection, expand_preset
from sim.runner import run
from tests.conftest import small_scenario


def section(**payout) -> PayoutSection:
    return PayoutSection.model_validate(expand_preset(payout))


def flags_of(payout: PayoutSection, **means) -> set[str]:
    return {f.flag for f in compliance_flags(payout, means)}


def test_plain_platform_scheme_raises_no_flag():
    assert (
        flags_of(section(preset="platform"), payout_levels=1.0, sharers_negative_income_share=0.0)
        == set()
    )


def test_upline_pay_is_team_compensation_at_any_depth():
    assert flags_of(section(preset="two_level")) == {"team_compensation"}
    assert flags_of(section(preset="three_level")) == {"team_compensation"}


def test_a_markup_on_stock_sold_down_the_tiers_is_team_compensation():
    tiers = section(preset="weishang", stock={"tiers": 3, "tier_markup_rate": 0.1})
    assert flags_of(tiers) == {"team_compensation", "entry_fee"}
    assert "criminal_line" in flags_of(tiers, criminal_line_crossed=1.0)
    free = section(preset="weishang", stock={"tiers": 3, "tier_markup_rate": 0.0})
    assert flags_of(free) == {"entry_fee"}
    both = section(preset="weishang_tiers", upline_override={"rates": [0.03]})
    (flag,) = [f for f in compliance_flags(both, {}) if f.flag == "team_compensation"]
    assert "1 level(s)" in flag.reason and "markup" in flag.reason


def test_a_required_gift_pack_is_flagged_as_an_entry_purchase():
    (flag,) = compliance_flags(section(preset="member_gift_pack"), {})
    assert flag.flag == "entry_fee" and "398-yuan gift pack" in flag.reason


def test_more_levels_than_the_cap_is_flagged_even_before_it_is_paid():
    deep = section(upline_override={"rates": [0.03, 0.02, 0.01]})  # 4 levels paid per sale
    assert "payout_depth" in flags_of(deep, payout_levels=2.0)
    capped = section(upline_override={"rates": [0.03, 0.02, 0.01]}, compliance={"level_cap": 4})
    assert "payout_depth" not in flags_of(capped, payout_levels=4.0)


def test_entry_fee_and_required_stock():
    assert "entry_fee" in flags_of(section(entry_fee={"yuan": 398}))
    (flag,) = compliance_flags(section(preset="weishang"), {})
    assert flag.flag == "entry_fee" and "stock" in flag.reason and "Decree 444" in flag.rule


def test_income_based_flags_use_the_limits():
    s = section(preset="platform")
    assert flags_of(s, downline_income_share=0.6) == {"recruitment_income"}
    assert flags_of(s, sharers_negative_income_share=0.55) == {"negative_income_majority"}
    strict = section(preset="platform", compliance={"max_negative_income_share": 0.2})
    assert flags_of(strict, sharers_negative_income_share=0.3) == {"negative_income_majority"}


def test_gini():
    assert gini(np.array([1.0, 1.0, 1.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(0.75)
    assert gini(np.zeros(3)) == 0.0 and np.isnan(gini(np.array([])))


def test_an_entry_fee_scheme_leaves_most_sharers_out_of_pocket():
    """A steep fee with a low commission: most sharers never earn their fee back."""
    s = small_scenario(
        run={"days": 90, "replications": 2},
        behavior={"sharer_recruitment_per_day": 0.05},
        payout={"entry_fee": {"yuan": 100.0}},
    )
    result = run(s, progress=False)
    k = {name: v["mean"] for name, v in result.kpis.items()}
    assert k["sharers_ever"] > 20
    assert k["sharers_negative_income_share"] > 0.5
    flags = {f["flag"] for f in result.compliance()}
    assert flags == {"entry_fee", "negative_income_majority"}
    # the fee is paid on every joining, rejoining after quitting included
    assert result.daily["entry_fees"].sum() == 100.0 * result.daily["new_sharers"].sum()
    assert result.daily["new_sharers"].sum() / 2 >= k["sharers_ever"]


def test_recruitment_tree_grows_with_overrides():
    base = dict(
        run={"days": 120, "replications": 2},
        behavior={"sharer_recruitment_per_day": 0.03, "recruitment_push": 3.0},
    )
    flat = run(small_scenario(**base), progress=False).kpis
    deep = run(small_scenario(**base, payout={"preset": "three_level"}), progress=False).kpis
    assert flat["recruited_sharers"]["mean"] > 0  # sharers recruit their customers anyway
    assert deep["recruited_sharers"]["mean"] > flat["recruited_sharers"]["mean"]
    assert deep["payout_levels"]["mean"] >= 2 and flat["payout_levels"]["mean"] == 1
    assert deep["recruitment_tree_depth"]["mean"] >= 2


def test_bargaining_is_flagged_under_wechat_rules():
    (flag,) = compliance_flags(section(preset="platform", bargain={}), {})
    assert flag.flag == "wechat_inducement" and "2019" in flag.rule


def test_rewards_for_sharing_are_wechat_inducement():
    def inducement(**payout) -> set[str]:
        return flags_of(section(preset="platform", **payout)) & {"wechat_inducement"}

    assert inducement(referral_bonus={"referrer_yuan": 5.0, "referee_yuan": 0.0})
    assert inducement(referral_bonus={"referrer_yuan": 0.0, "referee_yuan": 5.0})
    assert inducement(coupon={"new_user_yuan": 0.0, "share_yuan": 3.0})
    # nothing that rewards sharing: no flag
    assert not inducement()
    assert not inducement(coupon={"new_user_yuan": 10.0, "share_yuan": 0.0})
    assert not inducement(
        referral_bonus={"referrer_yuan": 5.0, "referee_yuan": 0.0, "cap_per_referrer": 0}
    )
    (flag,) = compliance_flags(section(preset="platform", referral_bonus={}), {})
    assert "2.1.2" in flag.rule and "red packet" in flag.reason


def test_pay_per_recruit_is_flagged_when_it_pays():
    assert "pay_per_recruit" in flags_of(section(preset="platform", recruit_bonus={"yuan": 30}))
    assert "pay_per_recruit" in flags_of(
        section(
            preset="platform",
            entry_fee={"yuan": 100},
            recruit_bonus={"yuan": 0, "entry_fee_share": 0.5},
        )
    )
    assert "pay_per_recruit" not in flags_of(
        section(preset="platform", recruit_bonus={"yuan": 0, "entry_fee_share": 0.5})
    )
    assert "pay_per_recruit" not in flags_of(section(preset="platform"))


def test_criminal_line_is_judged_on_the_realised_tree_of_a_paying_scheme():
    two_level = section(preset="two_level")  # pays 2 levels: under the paid-depth cap
    (flag,) = [
        f
        for f in compliance_flags(two_level, {"criminal_line_crossed": 0.25})
        if f.flag == "criminal_line"
    ]
    assert flag.value == 0.25 and "25% of replications" in flag.reason and "2013" in flag.rule
    assert "criminal_line" not in flags_of(two_level, criminal_line_crossed=0.0)
    # a tree nobody is paid on is a referral chain, not an organisation paid by recruitment
    assert "criminal_line" not in flags_of(section(preset="platform"), criminal_line_crossed=1.0)
    per_recruit = section(preset="platform", recruit_bonus={"yuan": 20})
    assert "criminal_line" in flags_of(per_recruit, criminal_line_crossed=1.0)


def test_a_zero_entry_fee_is_no_entry_fee():
    assert "entry_fee" not in flags_of(section(preset="platform", entry_fee={"yuan": 0}))


@pytest.mark.slow
def test_a_team_reward_with_keen_recruiting_crosses_the_criminal_line():
    s = small_scenario(
        population={"consumers": 5000},
        run={"days": 300, "replications": 2},
        behavior={"sharer_recruitment_per_day": 0.02, "recruitment_push": 5.0},
        payout={"preset": "two_level"},
    )
    result = run(s, progress=False)
    assert result.kpis["criminal_line_crossed"]["mean"] > 0
    assert result.kpis["recruitment_tree_depth"]["mean"] >= 3
    assert "criminal_line" in {f["flag"] for f in result.compliance()}
