"""Compliance flags: what a strategist must see before a scheme goes to production.

Each flag names the rule it stands for:

* ``payout_depth`` - more levels of people paid on one sale than `compliance.level_cap`
  (default 3): the criminal line of the 2013 opinion of the Supreme People's Court,
  Procuratorate and Ministry of Public Security (>= 30 participants in >= 3 levels), the
  industry's "no more than three levels" rule.
* ``team_compensation`` - any pay to uplines computed from downline sales: 团队计酬,
  Regulations on Prohibition of Pyramid Selling (State Council Decree 444, 2005), Art. 7;
  WeChat's 2015 ban on multi-level distribution; enforcement has hit two-level plans.
* ``entry_fee`` - a fee or a stock purchase required to become a sharer: 入门费, Decree 444
  Art. 7; inventory loading and required purchases in the US FTC Business Guidance
  Concerning Multi-Level Marketing (2018).
* ``recruitment_income`` - more of sharers' income than `compliance.max_downline_income_share`
  from recruits' sales rather than from sales to their own customers: 拉人头 / 团队计酬,
  Decree 444 Art. 7; the FTC guidance (pay must follow real retail demand).
* ``wechat_inducement`` - bargain-cut (砍价) asks to friends: banned in WeChat external
  links since October 2019 (with friend-assist and unclear-rule group-buy inducements).
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
WECHAT_2019 = "WeChat external-link rules (October 2019: friend-assist and bargain-cut inducements)"


@dataclass(frozen=True)
class Flag:
    flag: str
    rule: str
    reason: str
    value: float

    def as_dict(self) -> dict:
        return asdict(self)


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
    if override is not None:
        flags.append(
            Flag(
                "team_compensation",
                f"{DECREE_444} (团队计酬); {WECHAT}",
                f"uplines are paid on downline sales ({len(override.rates)} level(s)); "
                f"{mean('downline_income_share'):.1%} of sharers' income",
                mean("downline_income_share"),
            )
        )
    fee, stock = payout.rule("entry_fee"), payout.rule("stock")
    if fee is not None or stock is not None:
        what = []
        if fee is not None:
            what.append(f"an entry fee of {fee.yuan:g} yuan")
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
    if payout.rule("bargain") is not None:
        flags.append(
            Flag(
                "wechat_inducement",
                WECHAT_2019,
                "the scheme asks friends to cut the price (砍价) through shared links",
                1.0,
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
