"""The payout scheme: a set of rules, each its own table under `[payout]`.

A rule is on when its table is present (and `enabled` is true); a `preset` fills in a named
scheme that the file's own tables then override key by key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from sim.payout.bargain import Bargain
from sim.payout.binding import Binding
from sim.payout.compliance_schema import ComplianceLimits
from sim.payout.coupon import Coupon
from sim.payout.direct_commission import DirectCommission
from sim.payout.entry_fee import EntryFee
from sim.payout.gift import Gift
from sim.payout.gift_pack import GiftPack
from sim.payout.group_buy import GroupBuy
from sim.payout.leader_commission import LeaderCommission
from sim.payout.recruit_bonus import RecruitBonus
from sim.payout.referral_bonus import ReferralBonus
from sim.payout.sales_bonus import SalesBonus
from sim.payout.self_purchase_discount import SelfPurchaseDiscount
from sim.payout.stock import Stock
from sim.payout.upline_override import UplineOverride
from sim.schema_base import Section, param

PRESETS: dict[str, dict[str, Any]] = {
    # No-stock platform: commission on sales and a discount on own orders.
    "platform": {
        "direct_commission": {"rate": 0.10},
        "self_purchase_discount": {"rate": 0.05},
    },
    # Member platform (Yunji-style): the shopkeeper scheme, and becoming a shopkeeper takes
    # buying a 398-yuan gift pack of goods.
    "member_gift_pack": {
        "direct_commission": {"rate": 0.10},
        "self_purchase_discount": {"rate": 0.05},
        "gift_pack": {"yuan": 398.0},
    },
    # Micro-merchant: stock bought up front; the sharer earns the retail margin.
    "weishang": {
        "direct_commission": {"enabled": False},
        "self_purchase_discount": {"enabled": False},
        "stock": {"units": 30, "wholesale_discount_rate": 0.35},
    },
    # Micro-merchant agent tiers: recruits buy their stock from their upline, three tiers
    # (the legal limit), each paying 10% of list more; the upline keeps the difference.
    "weishang_tiers": {
        "direct_commission": {"enabled": False},
        "self_purchase_discount": {"enabled": False},
        "stock": {
            "units": 30,
            "wholesale_discount_rate": 0.35,
            "tiers": 3,
            "tier_markup_rate": 0.10,
        },
    },
    # Pinduoduo-style: no commission; a group price that holds if k friends join.
    "group_buy": {
        "direct_commission": {"enabled": False},
        "self_purchase_discount": {"enabled": False},
        "group_buy": {"group_size": 2, "window_days": 1, "discount_rate": 0.2},
    },
    # Community group buying (社区团购): leaders' pickup points sell, each leader earns a
    # commission on their point's sales; needs [group_leaders] presale = true.
    "community_group_buy": {
        "direct_commission": {"enabled": False},
        "self_purchase_discount": {"enabled": False},
        "leader_commission": {"rate": 0.10},
    },
    # Team rewards: the seller plus one or two recruiter levels are paid.
    "two_level": {
        "direct_commission": {"rate": 0.10},
        "self_purchase_discount": {"rate": 0.05},
        "upline_override": {"rates": [0.03]},
    },
    "three_level": {
        "direct_commission": {"rate": 0.10},
        "self_purchase_discount": {"rate": 0.05},
        "upline_override": {"rates": [0.03, 0.02]},
    },
}
PresetName = Literal[
    "platform",
    "member_gift_pack",
    "weishang",
    "weishang_tiers",
    "group_buy",
    "community_group_buy",
    "two_level",
    "three_level",
]


RULES = (
    "direct_commission",
    "upline_override",
    "referral_bonus",
    "self_purchase_discount",
    "entry_fee",
    "gift_pack",
    "stock",
    "group_buy",
    "coupon",
    "bargain",
    "gift",
    "sales_bonus",
    "recruit_bonus",
    "leader_commission",
)


class PayoutSection(Section):
    """The payout (incentive) scheme: who is paid what for which sale."""

    preset: PresetName | None = param(
        None, "A named scheme to start from; the tables below override it key by key."
    )
    direct_commission: DirectCommission | None = param(
        DirectCommission(), "Commission to the sharer on the sales they bring."
    )
    self_purchase_discount: SelfPurchaseDiscount | None = param(
        SelfPurchaseDiscount(), "Discount on a sharer's own orders."
    )
    upline_override: UplineOverride | None = param(
        None, "Team rewards: overrides to recruiters above the seller."
    )
    referral_bonus: ReferralBonus | None = param(None, "Two-sided referral bonus.")
    entry_fee: EntryFee | None = param(None, "Fee to become a sharer.")
    gift_pack: GiftPack | None = param(
        None, "Gift pack of goods a consumer buys to become a sharer (membership)."
    )
    stock: Stock | None = param(None, "Stock a sharer must buy up front (micro-merchant).")
    group_buy: GroupBuy | None = param(None, "Group buying (拼团).")
    coupon: Coupon | None = param(None, "Coupons off first orders.")
    bargain: Bargain | None = param(None, "Bargaining (砍价): friends cut the price.")
    gift: Gift | None = param(None, "Gifting (派礼): sharers send gifts to ties.")
    sales_bonus: SalesBonus | None = param(None, "Monthly bonuses by sales tier.")
    recruit_bonus: RecruitBonus | None = param(
        None, "Pay per recruit (拉人头): pay to a recruiter for each new sharer."
    )
    leader_commission: LeaderCommission | None = param(
        None,
        "Community group buying (社区团购): commission to each neighborhood's group leader "
        "on all of their point's sales.",
    )
    binding: Binding = param(
        Binding(), "Store binding (锁粉): how long a customer stays bound to a sharer."
    )
    compliance: ComplianceLimits = param(ComplianceLimits(), "Compliance flag thresholds.")

    def rule(self, name: str):
        """The rule's table if it is on, else None."""
        table = getattr(self, name)
        return table if table is not None and table.enabled else None

    def describe(self) -> str:
        """The scheme in one plain sentence."""
        parts = [rule.describe() for name in RULES if (rule := self.rule(name))]
        head = f"preset '{self.preset}': " if self.preset else ""
        return head + ("; ".join(parts) if parts else "no payouts") + "."


def expand_preset(payout: dict[str, Any]) -> dict[str, Any]:
    """The [payout] mapping with its preset's tables filled in under the file's own keys."""
    name = payout.get("preset")
    if not isinstance(name, str) or name not in PRESETS:
        return payout  # no preset, or an unknown one the schema will report
    out = copy.deepcopy(PRESETS[name])
    # A preset replaces the default rules: what it leaves out is off.
    for rule in ("direct_commission", "self_purchase_discount"):
        out.setdefault(rule, {"enabled": False})
    for key, value in payout.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def to_fen(yuan: float | np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(yuan, dtype=np.float64) * 100.0).astype(np.int64)


def gift_pack_fields(pack: GiftPack | None, categories) -> dict[str, Any]:
    """The gift pack's price, cost of goods (at its category's margin) and value share."""
    if pack is None:
        return {}
    names = [c.name for c in categories]
    k = names.index(pack.category) if pack.category else 0
    margin = categories[k].margin
    price = int(to_fen(pack.yuan))
    return {
        "gift_pack_category": k,
        "gift_pack_fen": price,
        "gift_pack_premium_fen": int(np.rint(price * (1.0 - pack.value_share))),
        "gift_pack_cost_fen": int(np.rint(price * (1.0 - margin))),
    }


@dataclass(frozen=True)
class PayoutScheme:
    """A payout scheme compiled to arrays over categories (money in fen)."""

    price_fen: np.ndarray  # (C,)
    unit_cost_fen: np.ndarray  # (C,) cost of goods per unit
    commission_rate: np.ndarray  # (C,), 0 where no commission
    self_purchase_discount_rate: float
    override_rates: np.ndarray  # (L,) levels 2, 3, ...
    referrer_bonus_fen: int
    referee_bonus_fen: int
    referral_bonus_cap: int
    entry_fee_fen: int
    stock_category: int  # -1 without stock
    stock_units: int
    stock_unit_price_fen: int  # what the sharer pays per unit
    restock: bool
    group_categories: np.ndarray  # (C,) bool
    group_discount_rate: float
    coupon_new_user_fen: int = 0
    coupon_share_fen: int = 0
    coupon_min_spend_fen: int = 0
    coupon_win_back_fen: int = 0
    sales_thresholds_fen: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    sales_bonus_rates: np.ndarray = field(default_factory=lambda: np.empty(0))
    gift_cost_fen: int = 0
    recruit_bonus_fen: int = 0
    recruit_entry_fee_share: float = 0.0
    binding_days: int = 365
    leader_commission_rate: float = 0.0
    stock_tiers: int = 1  # agent tiers (微商): below tier 1 stock comes from the upline
    stock_tier_markup_fen: int = 0  # what each tier down pays more per unit
    gift_pack_fen: int = 0  # price of the gift pack a new sharer buys
    gift_pack_premium_fen: int = 0  # the part of the price its goods are not worth to them
    gift_pack_category: int = -1  # the category of its goods
    gift_pack_cost_fen: int = 0  # the platform's cost of its goods

    @classmethod
    def from_section(cls, pay: PayoutSection, categories) -> PayoutScheme:
        names = [c.name for c in categories]
        price = to_fen([c.price_yuan for c in categories])
        direct, own = pay.rule("direct_commission"), pay.rule("self_purchase_discount")
        over, ref = pay.rule("upline_override"), pay.rule("referral_bonus")
        fee, stock, group = pay.rule("entry_fee"), pay.rule("stock"), pay.rule("group_buy")
        coupon, bonus, gift = pay.rule("coupon"), pay.rule("sales_bonus"), pay.rule("gift")
        recruit = pay.rule("recruit_bonus")
        stock_cat = -1
        if stock is not None:
            stock_cat = names.index(stock.category) if stock.category else 0
        group_cats = np.zeros(len(names), bool)
        if group is not None:
            group_cats[:] = not group.categories
            for name in group.categories:
                group_cats[names.index(name)] = True
        return cls(
            price_fen=price,
            unit_cost_fen=np.rint(price * (1 - np.array([c.margin for c in categories]))).astype(
                np.int64
            ),
            commission_rate=np.array([direct.rate_for(n) if direct else 0.0 for n in names]),
            self_purchase_discount_rate=own.rate if own else 0.0,
            override_rates=np.array(over.rates if over else [], dtype=float),
            referrer_bonus_fen=int(to_fen(ref.referrer_yuan)) if ref else 0,
            referee_bonus_fen=int(to_fen(ref.referee_yuan)) if ref else 0,
            referral_bonus_cap=ref.cap_per_referrer if ref else 0,
            entry_fee_fen=int(to_fen(fee.yuan)) if fee else 0,
            stock_category=stock_cat,
            stock_units=stock.units if stock else 0,
            stock_unit_price_fen=int(
                np.rint(price[stock_cat] * (1 - stock.wholesale_discount_rate))
            )
            if stock
            else 0,
            restock=bool(stock.restock) if stock else False,
            group_categories=group_cats,
            group_discount_rate=group.discount_rate if group else 0.0,
            coupon_new_user_fen=int(to_fen(coupon.new_user_yuan)) if coupon else 0,
            coupon_share_fen=int(to_fen(coupon.share_yuan)) if coupon else 0,
            coupon_min_spend_fen=int(to_fen(coupon.min_spend_yuan)) if coupon else 0,
            coupon_win_back_fen=int(to_fen(coupon.win_back_yuan)) if coupon else 0,
            sales_thresholds_fen=to_fen([t.monthly_sales_yuan for t in bonus.tiers])
            if bonus
            else np.empty(0, np.int64),
            sales_bonus_rates=np.array([t.rate for t in bonus.tiers]) if bonus else np.empty(0),
            gift_cost_fen=int(to_fen(gift.gift_cost_yuan)) if gift else 0,
            recruit_bonus_fen=int(to_fen(recruit.yuan)) if recruit else 0,
            recruit_entry_fee_share=recruit.entry_fee_share if recruit else 0.0,
            binding_days=pay.binding.days,
            leader_commission_rate=lead.rate if (lead := pay.rule("leader_commission")) else 0.0,
            **gift_pack_fields(pay.rule("gift_pack"), categories),
            stock_tiers=stock.tiers if stock else 1,
            stock_tier_markup_fen=int(np.rint(price[stock_cat] * stock.tier_markup_rate))
            if stock and stock.tiers > 1
            else 0,
        )

    @property
    def has_stock(self) -> bool:
        return self.stock_category >= 0

    def stock_tier(self, level: np.ndarray) -> np.ndarray:
        """Each sharer's agent tier: their recruitment level (1 = root) capped at the tiers."""
        return np.clip(level, 1, self.stock_tiers)

    def stock_price_fen(self, tier: np.ndarray | int) -> np.ndarray | int:
        """What an agent of `tier` pays per unit of stock (fen): the wholesale price plus
        one markup per tier below the first."""
        return self.stock_unit_price_fen + (np.asarray(tier) - 1) * self.stock_tier_markup_fen

    def joining_cost_yuan(self, tier: np.ndarray | int = 1) -> np.ndarray | float:
        """What joining costs a new sharer of `tier` up front: entry fee, first stock, and
        the gift pack's price less the value of its goods to them."""
        stock = self.stock_units * self.stock_price_fen(tier) if self.has_stock else 0
        return (self.entry_fee_fen + stock + self.gift_pack_premium_fen) / 100.0
