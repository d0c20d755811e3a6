"""What the model reports: daily series and end-of-run KPIs, as pure functions of the model.

KPI_DEFINITIONS below defines every KPI in one sentence with its formula; the docs
(`docs/kpis.md`) are generated from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.ledger import DISCOUNT_TYPES, PAYOUT_TYPES, TYPE_INDEX
from sim.state import SOURCE_GROUP, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH, VIRAL_SOURCES

if TYPE_CHECKING:
    from sim.model import SocialCommerceModel
    from sim.payout import Settlement
    from sim.state import Orders

# Daily counts reported by the rules themselves (model.step gathers them).
COUNT_COLUMNS = (
    "bad_experiences",
    "groups_opened",
    "groups_filled",
    "groups_failed",
    "gifts_sent",
    "gifts_claimed",
    "bargains",
    "bargain_helpers",
    "deliveries",
    "late_deliveries",
    "delivery_minutes_total",
    "bad_news_hearers",
    "proxy_orders",
    "kol_posts",
    "kol_customer_gmv",
    "community_posts",
    "live_groups",
)
# Filled by the model after every platform's day (rival platforms on the same network).
RIVAL_COLUMNS = ("rival_customers", "rival_gmv")
MONEY_COLUMNS = (
    "gmv",
    "paid",
    "discounts",
    *(f"discount_{t.removesuffix('_discount')}" for t in DISCOUNT_TYPES),
    *(f"payout_{t}" for t in PAYOUT_TYPES),
    "payouts_total",
    "retail_sales",
    "entry_fees",
    "stock_purchases",
    "cost_of_goods",
    "fulfillment_cost",
    "contribution_margin",
    "ad_spend",
)
# Columns kept in fen and reported in yuan.
IN_FEN = frozenset({*MONEY_COLUMNS, "kol_customer_gmv", "rival_gmv"})
DAILY_COLUMNS = (
    "new_customers",
    "customers",
    "active_customers",
    "active_customers_30d",
    "lapsed_today",
    "lapsed",
    "orders",
    "first_orders",
    "repeat_orders",
    *MONEY_COLUMNS,
    "new_sharers",
    "quit_sharers",
    "active_sharers",
    "shares",
    "acquired_by_share",
    "acquired_by_word_of_mouth",
    "acquired_by_group_buy",
    "group_orders",
    *COUNT_COLUMNS,
    *RIVAL_COLUMNS,
)

KPI_DEFINITIONS = {
    "customers": "Consumers with at least one order by the end of the run.",
    "penetration": "customers / consumers.",
    "orders": "Orders placed over the run.",
    "gmv": "Gross merchandise value: list-price value of all orders, in yuan.",
    "repeat_rate_30d": "Among customers whose first order was at least 30 days before the "
    "end, the share who ordered again on a later day within 30 days of it.",
    "repeat_rate_90d": "As repeat_rate_30d with a 90-day window (undefined, null, in runs "
    "shorter than 90 days).",
    "active_customers_30d": "Customers with an order in the last 30 days of the run.",
    "active_customers": "Customers who have not lapsed, at the end of the run.",
    "active_sharers": "Sharers still active at the end of the run.",
    "payouts_total": "All payouts (commissions, upline overrides, referral and sales "
    "bonuses, gifts, KOL fees and commissions), in yuan.",
    "payout_ratio": "payouts_total / gmv.",
    "discounts_total": "All discounts (self-purchase, group-buy, coupon, bargain), in yuan.",
    "contribution_margin": "The platform's revenue (order payments to the platform + entry "
    "fees + stock sold to sharers) - its cost of goods (list price x (1 - margin) per unit "
    "sold) - fulfillment costs - payouts, in yuan.",
    "mean_delivery_hours": "Mean lead time of delivered orders, from order to arrival, in "
    "hours (null without the fulfillment pipeline).",
    "late_delivery_share": "Delivered orders later than the delivery mode's promise / "
    "delivered orders.",
    "kol_customers": "Customers whose first order a KOL's post won.",
    "kol_repeat_rate_90d": "repeat_rate_90d among the customers KOLs brought.",
    "kol_roi": "(GMV of the orders of customers KOLs brought - KOL fees and commissions) / "
    "KOL fees and commissions (null without KOL costs).",
    "group_liveness": "Share of community groups still active (activity > 0.05) at the end "
    "(null without community groups).",
    "market_share": "The platform's active customers / (its active customers + rivals' "
    "customers) at the end (null without rivals).",
    "proxy_purchase_share": "Orders placed through a proxy (a group leader or a tie who buys "
    "online) / orders.",
    "bad_news_reach": "Consumers who heard of a bad experience from a tie, per bad "
    "experience (summed over days).",
    "k_factor": "Customers acquired through word of mouth, a share or a group buy / customers: the mean "
    "number of new customers each customer brought in.",
    "cac": "(ad spend + referral bonuses + commissions and discounts on new customers' first "
    "orders) / customers, in yuan per customer.",
    "payback_days": "Acquisition spend (cac x customers) / the run's mean daily contribution "
    "margin: days of margin that pay back acquisition (null if the margin is not positive).",
    "sharers_ever": "Consumers who were sharers at some point of the run.",
    "sharer_income_median": "Median net income of everyone who was a sharer: payouts and "
    "retail sales received - entry fees and stock bought, in yuan.",
    "sharer_income_p90": "90th percentile of sharers' net income, in yuan.",
    "sharer_income_gini": "Gini coefficient of sharers' gross income (payouts + retail sales).",
    "sharers_negative_income_share": "Share of sharers whose net income is negative.",
    "downline_income_share": "Share of sharers' gross income paid on their recruits' sales "
    "(upline overrides) rather than on sales to their own customers.",
    "payout_levels": "Deepest level of people paid on one sale (1 = the seller only).",
    "recruitment_tree_depth": "Deepest level of the realised recruitment tree (1 = nobody "
    "was recruited by a sharer).",
    "recruited_sharers": "Sharers recruited by another sharer (the tree's size below its roots).",
    "group_fill_rate": "Groups that filled / groups that closed (filled or failed); null "
    "without group buys.",
}
KPI_NAMES = tuple(KPI_DEFINITIONS)


class DailyRecorder:
    """Preallocated daily series; money is kept in fen and reported in yuan."""

    def __init__(self, days: int):
        self.values = {name: np.zeros(days, dtype=np.int64) for name in DAILY_COLUMNS}
        self.first_order_commission_fen = 0
        self.first_order_discount_fen = 0

    def record(
        self,
        model: SocialCommerceModel,
        orders: Orders,
        settlement: Settlement,
        new_customers: np.ndarray,
        joined: np.ndarray,
        quit_: np.ndarray,
        lapsed: np.ndarray,
        shared: np.ndarray,
        counts: dict[str, int],
    ) -> None:
        day, c, v = model.day, model.consumers, self.values
        ledger = model.ledger
        cost_fen = settlement.cost_of_goods_fen
        payouts = ledger.day_total_fen(day, PAYOUT_TYPES)
        v["new_customers"][day] = new_customers.sum()
        v["customers"][day] = (v["customers"][day - 1] if day else 0) + v["new_customers"][day]
        v["active_customers"][day] = np.count_nonzero(c.active_customer)
        v["active_customers_30d"][day] = np.count_nonzero(
            (c.last_order_day >= 0) & (c.last_order_day > day - 30)
        )
        v["lapsed_today"][day] = lapsed.sum()
        v["lapsed"][day] = (v["lapsed"][day - 1] if day else 0) + v["lapsed_today"][day]
        v["orders"][day] = orders.size
        v["first_orders"][day] = orders.first_in_category.sum()
        v["repeat_orders"][day] = orders.size - v["first_orders"][day]
        v["gmv"][day] = settlement.list_fen.sum()
        v["paid"][day] = settlement.paid_fen.sum()
        v["discounts"][day] = ledger.day_total_fen(day, DISCOUNT_TYPES)
        for t in DISCOUNT_TYPES:
            v[f"discount_{t.removesuffix('_discount')}"][day] = ledger.day_total_fen(day, (t,))
        for t in PAYOUT_TYPES:
            v[f"payout_{t}"][day] = ledger.day_total_fen(day, (t,))
        v["payouts_total"][day] = payouts
        v["cost_of_goods"][day] = cost_fen
        v["retail_sales"][day] = ledger.daily_fen[day, TYPE_INDEX["retail_sale"]]
        v["entry_fees"][day] = ledger.daily_fen[day, TYPE_INDEX["entry_fee"]]
        v["stock_purchases"][day] = ledger.daily_fen[day, TYPE_INDEX["stock_purchase"]]
        platform_revenue = (
            v["paid"][day]
            - v["retail_sales"][day]
            + v["entry_fees"][day]
            + v["stock_purchases"][day]
        )
        v["fulfillment_cost"][day] = settlement.fulfillment_cost_fen
        v["contribution_margin"][day] = (
            platform_revenue - cost_fen - settlement.fulfillment_cost_fen - payouts
        )
        started = day >= model.spec.platform.start_day
        v["ad_spend"][day] = round(model.platform.ad_spend_yuan_per_day * 100) * started
        v["new_sharers"][day] = joined.sum()
        v["quit_sharers"][day] = quit_.sum()
        v["active_sharers"][day] = c.is_sharer.sum()
        v["shares"][day] = shared.sum()
        for name in COUNT_COLUMNS:
            v[name][day] = counts.get(name, 0)
        v["group_orders"][day] = orders.group_order.sum()
        v["acquired_by_group_buy"][day] = np.count_nonzero(
            c.acquired_by[np.flatnonzero(new_customers)] == SOURCE_GROUP
        )
        newcomers = np.flatnonzero(new_customers)
        v["acquired_by_share"][day] = np.count_nonzero(c.acquired_by[newcomers] == SOURCE_SHARE)
        v["acquired_by_word_of_mouth"][day] = np.count_nonzero(
            c.acquired_by[newcomers] == SOURCE_WORD_OF_MOUTH
        )
        first = orders.first_in_category & new_customers[orders.buyer]
        self.first_order_commission_fen += int(settlement.commission_fen[first].sum())
        self.first_order_discount_fen += int(settlement.discount_fen[first].sum())

    def frame(self, days: int, rivals: bool = False) -> pd.DataFrame:
        data = {"day": np.arange(days)}
        for name in DAILY_COLUMNS:
            col = self.values[name][:days]
            data[name] = col / 100.0 if name in IN_FEN else col
        if rivals:  # the platform's share of the consumers some platform holds
            own, other = data["active_customers"], data["rival_customers"]
            total = own + other
            data["market_share"] = np.divide(own, total, out=np.full(days, np.nan), where=total > 0)
        return pd.DataFrame(data)


def ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def repeat_rate(
    first_day: np.ndarray, second_day: np.ndarray, horizon_end: int, window_days: int
) -> float:
    """Share of customers first ordering >= window days before the end who reordered within it."""
    cohort = (first_day >= 0) & (first_day <= horizon_end - window_days)
    repeat = cohort & (second_day >= 0) & (second_day - first_day <= window_days)
    if not cohort.any():
        return float("nan")  # undefined: the run is shorter than the window
    return ratio(np.count_nonzero(repeat), np.count_nonzero(cohort))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one has all); NaN if empty."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() <= 0:
        return float("nan") if x.size == 0 else 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * ranks - x.size - 1) @ x / (x.size * x.sum()))


def sharer_economics(model: SocialCommerceModel) -> dict[str, float]:
    """Income distribution of everyone who was a sharer, and the recruitment tree."""
    c, ledger = model.consumers, model.ledger
    who = np.flatnonzero(c.was_sharer)
    gross = (ledger.received_fen[who] + ledger.sales_fen[who]) / 100.0
    net = gross - ledger.dues_fen[who] / 100.0
    by_level = ledger.payout_by_level_fen
    paid_levels = np.flatnonzero(by_level > 0)
    override_fen = model.recorder.values["payout_upline_override"].sum()
    nan = float("nan")
    return {
        "sharers_ever": float(who.size),
        "sharer_income_median": float(np.median(net)) if who.size else nan,
        "sharer_income_p90": float(np.percentile(net, 90)) if who.size else nan,
        "sharer_income_gini": gini(gross),
        "sharers_negative_income_share": float(np.mean(net < 0)) if who.size else nan,
        "downline_income_share": ratio(override_fen / 100.0, gross.sum()),
        "payout_levels": float(paid_levels.max()) if paid_levels.size else 0.0,
        "recruitment_tree_depth": float(c.sharer_level.max()),
        "recruited_sharers": float(np.count_nonzero(c.recruiter >= 0)),
    }


def kol_kpis(model: SocialCommerceModel) -> dict[str, float]:
    c, v = model.consumers, model.recorder.values
    mine = model.kol_of >= 0
    cost = v["payout_kol_fee"].sum() + v["payout_kol_commission"].sum()
    return {
        "kol_customers": float(np.count_nonzero(mine & c.is_customer)),
        "kol_repeat_rate_90d": repeat_rate(
            np.where(mine, c.first_order_day, -1), c.second_order_day, model.day, 90
        ),
        "kol_roi": ratio(v["kol_customer_gmv"].sum() - cost, cost) if cost else float("nan"),
    }


def kpis(model: SocialCommerceModel) -> dict[str, float]:
    """End-of-run KPIs, as defined in KPI_DEFINITIONS."""
    c, days = model.consumers, model.day
    v = {k: arr[:days] for k, arr in model.recorder.values.items()}
    customers = int(np.count_nonzero(c.is_customer))
    gmv = v["gmv"].sum() / 100.0
    payouts = v["payouts_total"].sum() / 100.0
    viral = np.count_nonzero(c.is_customer & np.isin(c.acquired_by, VIRAL_SOURCES))
    acquisition_fen = (
        v["ad_spend"].sum()
        + v["payout_referral_bonus_referrer"].sum()
        + v["payout_referral_bonus_referee"].sum()
        + model.recorder.first_order_commission_fen
        + model.recorder.first_order_discount_fen
    )
    cm = float(v["contribution_margin"].sum() / 100.0)
    return {
        "customers": float(customers),
        "penetration": ratio(customers, c.n),
        "orders": float(v["orders"].sum()),
        "gmv": float(gmv),
        "repeat_rate_30d": repeat_rate(c.first_order_day, c.second_order_day, days, 30),
        "repeat_rate_90d": repeat_rate(c.first_order_day, c.second_order_day, days, 90),
        "active_customers": float(np.count_nonzero(c.active_customer)),
        "active_customers_30d": float(
            np.count_nonzero((c.last_order_day >= 0) & (c.last_order_day >= days - 30))
        ),
        "active_sharers": float(np.count_nonzero(c.is_sharer)),
        "payouts_total": float(payouts),
        "payout_ratio": ratio(payouts, gmv),
        "discounts_total": float(v["discounts"].sum() / 100.0),
        "contribution_margin": cm,
        "k_factor": ratio(viral, customers),
        "cac": ratio(acquisition_fen / 100.0, customers),
        "payback_days": ratio(acquisition_fen / 100.0, cm / days) if cm > 0 else float("nan"),
        **sharer_economics(model),
        **kol_kpis(model),
        "group_liveness": float(model.community.alive.mean())
        if model.community is not None
        else float("nan"),
        "market_share": ratio(
            np.count_nonzero(c.active_customer),
            np.count_nonzero(c.active_customer) + v["rival_customers"][days - 1],
        )
        if model.rivals
        else float("nan"),
        "proxy_purchase_share": ratio(v["proxy_orders"].sum(), v["orders"].sum()),
        "bad_news_reach": ratio(v["bad_news_hearers"].sum(), v["bad_experiences"].sum()),
        "mean_delivery_hours": ratio(v["delivery_minutes_total"].sum() / 60, v["deliveries"].sum())
        if v["deliveries"].sum()
        else float("nan"),
        "late_delivery_share": ratio(v["late_deliveries"].sum(), v["deliveries"].sum())
        if v["deliveries"].sum()
        else float("nan"),
        "group_fill_rate": ratio(
            v["groups_filled"].sum(), v["groups_filled"].sum() + v["groups_failed"].sum()
        )
        if model.groups is not None
        else float("nan"),
    }
