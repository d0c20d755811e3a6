"""Compliance flags: what a strategist must see before a scheme goes to production.

Each flag names the rule it stands for:

* ``payout_depth`` - more levels of people paid on one sale than `compliance.level_cap`
  (default 3): the criminal line of the 2013 opinion of the Supreme People's Court,
  Procuratorate and Ministry of Public Security (>= 30 participants in >= 3 levels), the
  industry's "no more than three levels" rule.
* ``team_compensation`` - any pay to uplines computed from downline sales, or a markup on
  the stock recruits must buy from their upline (agent tiers): 团队计酬,
  Regulations on Prohibition of Pyramid Selling (State Council Decree 444, 2005), Art. 7;
  WeChat's 2015 ban on multi-level distribution; enforcement has hit two-level plans.
* ``entry_fee`` - a fee, a gift pack or a stock purchase required to become a sharer:
  入门费, Decree 444
  Art. 7; inventory loading and required purchases in the US FTC Business Guidance
  Concerning Multi-Level Marketing (2018).
* ``recruitment_income`` - more of sharers' income than `compliance.max_downline_income_share`
  from recruits' sales rather than from sales to their own customers: 拉人头 / 团队计酬,
  Decree 444 Art. 7; the FTC guidance (pay must follow real retail demand).
* ``wechat_inducement`` - rewards for sharing (诱导分享): referral bonuses (red packets)
  for bringing friends, coupons carried by shares, bargain-cut (砍价) friend assists.
  WeChat's external-link operating rules (2.1.2) ban inducing users to share with
  rewards; bargain-cut and friend-assist asks since October 2019.
* ``criminal_line`` - a realised recruitment tree of at least 30 participants in at least
  3 levels (both inclusive), in any share of replications, under a scheme that pays people
  on their recruits (overrides or pay per recruit): the 2013 criminal-line thresholds,
  judged on the tree that grew, not only on the depth the scheme pays.
* ``pay_per_recruit`` - pay for each person recruited (拉人头), or a share of their entry
  fee: Decree 444 Art. 7; Criminal Law Art. 224-1 (pay by the number of people recruited).
* ``negative_income_majority`` - more sharers than `compliance.max_negative_income_share`
  with negative net income: the FTC guidance; a 2018 AARP Foundation survey found nearly
  half of MLM participants lost money.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sim.payout.scheme import PayoutSection

DECREE_444 = "China, Regulations on Prohibition of Pyramid Selling (Decree 444, 2005), Art. 7"
CRIMINAL_LINE = (
    "China, 2013 SPC/SPP/MPS opinion on pyramid-selling crimes (>= 30 "
    "participants in >= 3 levels); industry three-level rule"
)
FTC_MLM = "US FTC, Business Guidance Concerning Multi-Level Marketing (2018)"
WECHAT = "WeChat external-link rules (2015 ban on multi-level distribution)"
WECHAT_2019 = (
    "WeChat external-link operating rules 2.1.2 (诱导分享: rewards for sharing; October 2019: "
    "friend-assist and bargain-cut inducements)"
)
CRIMINAL_LAW = "China, Criminal Law Art. 224-1 (organising pyramid selling, 拉人头)"


@dataclass(frozen=True)
class Flag:
    flag: str
    rule: str
    reason: str
    value: float

    def as_dict(self) -> dict:
        return asdict(self)


def sharing_inducements(payout: PayoutSection) -> list[str]:
    """The rules of a scheme that reward users for sharing (empty if none pays anything)."""
    found = []
    referral = payout.rule("referral_bonus")
    if referral is not None and referral.referrer_yuan > 0 and referral.cap_per_referrer > 0:
        found.append(
            f"a {referral.referrer_yuan:g}-yuan bonus for each friend brought (red packet)"
        )
    if referral is not None and referral.referee_yuan > 0:
        found.append(f"a {referral.referee_yuan:g}-yuan bonus to the friend who comes")
    coupon = payout.rule("coupon")
    if coupon is not None and coupon.share_yuan > 0:
        found.append(f"a {coupon.share_yuan:g}-yuan coupon carried by shares")
    if payout.rule("bargain") is not None:
        found.append("friends asked to cut the price (砍价, friend assist)")
    return found


def compliance_flags(payout: PayoutSection, kpi_means: dict[str, float | None]) -> list[Flag]:
    """Flags raised by a scheme and the mean KPIs of its run."""
    limits = payout.compliance
    flags: list[Flag] = []

    def mean(name: str) -> float:
        value = kpi_means.get(name)
        return float(value) if value is not None else 0.0

    override = payout.rule("upline_override")
    configured_levels = 1 + (len(override.rates) if override else 0)
    paid_levels = mean("payout_levels")
    if max(configured_levels, paid_levels) > limits.level_cap:
        flags.append(
            Flag(
                "payout_depth",
                CRIMINAL_LINE,
                f"the scheme pays {configured_levels} levels on one sale (realised: "
                f"{paid_levels:g}); the cap is {limits.level_cap}",
                max(configured_levels, paid_levels),
            )
        )
    stock = payout.rule("stock")
    sells_down = stock is not None and stock.tiers > 1 and stock.tier_markup_rate > 0
    overrides_paid = override is not None and any(r > 0 for r in override.rates)
    if sells_down and not overrides_paid:
        flags.append(
            Flag(
                "team_compensation",
                f"{DECREE_444} (团队计酬); {FTC_MLM}",
                f"uplines earn a markup on the stock their recruits buy ({stock.tiers} agent "
                f"tiers); {mean('downline_income_share'):.1%} of sharers' income comes from "
                "their recruits",
                mean("downline_income_share"),
            )
        )
    elif overrides_paid:
        markup = (
            f" and a markup on the stock their recruits buy ({stock.tiers} agent tiers)"
            if sells_down
            else ""
        )
        flags.append(
            Flag(
                "team_compensation",
                f"{DECREE_444} (团队计酬); {WECHAT}",
                f"uplines are paid on downline sales ({len(override.rates)} level(s))"
                f"{markup}; {mean('downline_income_share'):.1%} of sharers' income",
                mean("downline_income_share"),
            )
        )
    fee = payout.rule("entry_fee")
    fee = fee if fee is not None and fee.yuan > 0 else None
    pack = payout.rule("gift_pack")
    pack = pack if pack is not None and pack.yuan > 0 else None
    if fee is not None or stock is not None or pack is not None:
        what = []
        if fee is not None:
            what.append(f"an entry fee of {fee.yuan:g} yuan")
        if pack is not None:
            what.append(f"a {pack.yuan:g}-yuan gift pack")
        if stock is not None:
            what.append(f"{stock.units} units of stock bought up front")
        flags.append(
            Flag(
                "entry_fee",
                f"{DECREE_444} (入门费); {FTC_MLM}",
                "becoming a sharer requires " + " and ".join(what),
                fee.yuan if fee is not None else 0.0,
            )
        )
    share = mean("downline_income_share")
    if share > limits.max_downline_income_share:
        flags.append(
            Flag(
                "recruitment_income",
                f"{DECREE_444} (拉人头, 团队计酬); {FTC_MLM}",
                f"{share:.1%} of sharers' income comes from recruits' sales (limit "
                f"{limits.max_downline_income_share:.0%})",
                share,
            )
        )
    inducements = sharing_inducements(payout)
    if inducements:
        flags.append(
            Flag(
                "wechat_inducement",
                WECHAT_2019,
                "the scheme rewards sharing through WeChat: " + "; ".join(inducements),
                float(len(inducements)),
            )
        )
    per_recruit = payout.rule("recruit_bonus")
    pays_per_recruit = per_recruit is not None and (
        per_recruit.yuan > 0
        or (per_recruit.entry_fee_share > 0 and fee is not None and fee.yuan > 0)
    )
    if pays_per_recruit:
        flags.append(
            Flag(
                "pay_per_recruit",
                f"{DECREE_444} (拉人头); {CRIMINAL_LAW}",
                f"recruiters are paid for each new sharer ({per_recruit.describe()})",
                per_recruit.yuan + per_recruit.entry_fee_share * (fee.yuan if fee else 0.0),
            )
        )
    crossed = mean("criminal_line_crossed")
    pays_uplines = (
        (override is not None and any(r > 0 for r in override.rates))
        or pays_per_recruit
        or sells_down
    )
    if pays_uplines and crossed > 0:
        flags.append(
            Flag(
                "criminal_line",
                f"{CRIMINAL_LINE}; {CRIMINAL_LAW}",
                f"in {crossed:.0%} of replications a recruitment tree reached at least 30 "
                "participants in at least 3 levels while uplines are paid on recruits",
                crossed,
            )
        )
    negative = mean("sharers_negative_income_share")
    if negative > limits.max_negative_income_share:
        flags.append(
            Flag(
                "negative_income_majority",
                FTC_MLM,
                f"{negative:.1%} of sharers have negative net income after fees and stock "
                f"(limit {limits.max_negative_income_share:.0%})",
                negative,
            )
        )
    return flags
