"""The catalog: every daily series and every KPI, defined once.

Each entry names the mechanism that provides it (`platform` for the platform's own
bookkeeping, `market` for what only the market knows). Reports, `sim compare`, `sim check`
and `docs/kpis.md` read this catalog through `series()`, `kpis()` and `kpi_names()`;
nothing else defines a KPI.

The entries below are the built-in ones, in the order of `daily.csv` and the KPI tables.
A mechanism added later may declare its own entries (`Series` or `KPI` objects in its
`series` / `kpis`); they follow the built-in ones, in the order of the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.ledger import DISCOUNT_TYPES, PAYOUT_TYPES


@dataclass(frozen=True)
class Series:
    """A daily series: one value per day."""

    name: str
    definition: str
    unit: str  # "count" or "yuan" (kept in fen, reported in yuan)
    provider: str

    @property
    def in_fen(self) -> bool:
        return self.unit == "yuan"


@dataclass(frozen=True)
class KPI:
    """An end-of-run key performance indicator."""

    name: str
    definition: str
    formula: str
    unit: str  # "yuan", "days", "share" (0..1, shown as %), "count", "ratio", "hours", ...
    higher_is_better: bool | None  # None: neither direction is better in itself
    provider: str
    when_off: float = float("nan")  # value when the providing mechanism is switched off

    @property
    def percent(self) -> bool:
        return self.unit == "share"


def _s(name: str, definition: str, provider: str = "platform", unit: str = "count") -> Series:
    return Series(name, definition, unit, provider)


def _money(name: str, definition: str, provider: str = "platform") -> Series:
    return Series(name, definition, "yuan", provider)


BUILTIN_SERIES: tuple[Series, ...] = (
    _s("new_customers", "Consumers whose first order ever was today."),
    _s("customers", "Consumers with at least one order so far."),
    _s("active_customers", "Customers who have not lapsed, at the end of the day."),
    _s("active_customers_30d", "Customers with an order in the last 30 days."),
    _s("lapsed_today", "Customers who lapsed today.", "churn"),
    _s("lapsed", "Customers lapsed now (lapsed and not won back).", "churn"),
    _s("won_back", "Lapsed customers won back today.", "churn"),
    _s("orders", "Orders placed today."),
    _s("first_orders", "Orders that were a customer's first in their category."),
    _s("repeat_orders", "Orders that were not a first order in their category."),
    _money("gmv", "List-price value of today's orders."),
    _money("paid", "What buyers paid for today's orders."),
    _money("discounts", "All discounts taken off today's orders."),
    *(
        _money(f"discount_{t.removesuffix('_discount')}", f"Ledger entries of type {t}.")
        for t in DISCOUNT_TYPES
    ),
    *(_money(f"payout_{t}", f"Ledger entries of type {t}.") for t in PAYOUT_TYPES),
    _money("payouts_total", "All payouts of the day."),
    _money("retail_sales", "Orders paid to sharers from their own stock."),
    _money("entry_fees", "Entry fees paid by new sharers."),
    _money("gift_packs", "Gift packs bought by new sharers to join (membership)."),
    _money("stock_purchases", "Stock bought by sharers from the platform."),
    _money(
        "downline_stock_sales",
        "Stock sharers sold to their downline agents, at the seller's own unit price (agent "
        "tiers; passed through).",
    ),
    _money(
        "downline_stock_markups",
        "The tier markup sharers kept on stock sold to their downline agents.",
    ),
    _money("cost_of_goods", "The platform's cost of the goods it sold (orders and stock)."),
    _money("fulfillment_cost", "Cost of fulfilling today's orders.", "fulfillment"),
    _money(
        "contribution_margin",
        "Platform revenue (orders paid to it, fees, stock and gift packs sold) - cost of "
        "goods - fulfillment cost - payouts.",
    ),
    _money("ad_spend", "Ad spend of the day (from the platform's start day).", "advertising"),
    _money("sharer_gmv", "List value of orders credited to a sharer.", "incentives"),
    _money("sharer_own_gmv", "List value of sharers' own orders.", "incentives"),
    _s("new_sharers", "Customers who became sharers today.", "sharers"),
    _s("quit_sharers", "Sharers who stopped sharing today (quit or lapsed).", "sharers"),
    _s("active_sharers", "Sharers at the end of the day.", "sharers"),
    _s("shares", "Shares of a category by a sharer today.", "sharing"),
    _s("acquired_by_share", "New customers credited to a share."),
    _s("acquired_by_word_of_mouth", "New customers credited to word of mouth."),
    _s("acquired_by_group_buy", "New customers who came through a group buy."),
    _s("group_orders", "Orders of filled group buys."),
    _s("bad_experiences", "Bad experiences today (mismatch, late delivery, failed group)."),
    _s("groups_opened", "Group buys opened.", "group_buying"),
    _s("groups_filled", "Group buys that filled.", "group_buying"),
    _s("groups_failed", "Group buys that failed.", "group_buying"),
    _s(
        "group_listing_joins",
        "Solo buyers who took an open group listed on the category's page.",
        "group_buying",
    ),
    _s("gifts_sent", "Gifts sent by sharers.", "gifting"),
    _s("gifts_claimed", "Gifts claimed by receivers.", "gifting"),
    _s("bargains", "Bargains started.", "bargaining"),
    _s("bargain_helpers", "Ties who helped cut a price.", "bargaining"),
    _s("deliveries", "Orders delivered today.", "fulfillment"),
    _s("late_deliveries", "Deliveries later than the promise.", "fulfillment"),
    _s("delivery_minutes_total", "Lead time of today's deliveries, summed.", "fulfillment"),
    _s(
        "bad_news_hearers",
        "Consumers who heard of a bad experience today.",
        "negative_word_of_mouth",
    ),
    _s("proxy_orders", "Orders placed through a proxy.", "proxy_purchase"),
    _s("leaders_active", "Group leader seats held at the end of the day.", "group_leaders"),
    _s("leaders_quit", "Group leaders who quit today (low income).", "group_leaders"),
    _s("leaders_poached", "Group leaders a rival took today.", "group_leaders"),
    _s("leaders_appointed", "Empty leader seats filled today.", "group_leaders"),
    _s(
        "point_service_failures",
        "Orders that went badly at a leader's pickup point today.",
        "community_group_buying",
    ),
    _s("kol_posts", "KOL posts today.", "kols"),
    _s(
        "recommended_purchases",
        "First purchases of a category credited to the platform's recommendations.",
        "recommendations",
    ),
    _money("kol_customer_gmv", "GMV of the customers KOLs brought.", "kols"),
    _s("community_posts", "Posts in community groups.", "community_groups"),
    _s("live_groups", "Community groups still alive.", "community_groups"),
    _s("rival_customers", "Active customers of rival platforms.", "market"),
    _money("rival_gmv", "GMV of rival platforms.", "market"),
    _s("rival_orders", "Orders placed with rival platforms.", "market"),
)

BUILTIN_KPIS: tuple[KPI, ...] = (
    KPI(
        "customers",
        "Consumers with at least one order by the end of the run.",
        "count(first order day >= 0)",
        "people",
        True,
        "platform",
    ),
    KPI(
        "penetration",
        "Share of all consumers who became customers.",
        "customers / consumers",
        "share",
        True,
        "platform",
    ),
    KPI("orders", "Orders placed over the run.", "sum of daily orders", "orders", True, "platform"),
    KPI(
        "gmv",
        "Gross merchandise value: list-price value of all orders.",
        "sum of list prices of all orders",
        "yuan",
        True,
        "platform",
    ),
    KPI(
        "repeat_rate_30d",
        "Among customers whose first order was at least 30 days before "
        "the end, the share who ordered again on a later day within 30 days of it.",
        "reordered within 30 days / customers first ordering >= 30 days before the end",
        "share",
        True,
        "platform",
    ),
    KPI(
        "repeat_rate_90d",
        "As repeat_rate_30d with a 90-day window (undefined, null, in runs shorter than 90 days).",
        "reordered within 90 days / customers first ordering >= 90 days before the end",
        "share",
        True,
        "platform",
    ),
    KPI(
        "active_customers",
        "Customers who have not lapsed, at the end of the run.",
        "count(customer and not lapsed)",
        "people",
        True,
        "platform",
    ),
    KPI(
        "categories_per_customer",
        "Mean number of categories each active customer has bought, at the end of the run "
        "(the width of the basket).",
        "mean over active customers of count(categories bought)",
        "categories",
        True,
        "platform",
    ),
    KPI(
        "active_customers_30d",
        "Customers with an order in the last 30 days of the run.",
        "count(last order day >= days - 30)",
        "people",
        True,
        "platform",
    ),
    KPI(
        "active_sharers",
        "Sharers still active at the end of the run.",
        "count(sharer at the end)",
        "people",
        None,
        "sharers",
    ),
    KPI(
        "payouts_total",
        "All payouts (commissions, upline overrides, referral and sales "
        "bonuses, gifts, KOL fees and commissions).",
        "sum of payout ledger entries",
        "yuan",
        None,
        "platform",
    ),
    KPI(
        "payout_ratio",
        "Payouts per yuan of GMV.",
        "payouts_total / gmv",
        "share",
        False,
        "platform",
    ),
    KPI(
        "discounts_total",
        "All discounts (self-purchase, group-buy, coupon, bargain).",
        "sum of discount ledger entries",
        "yuan",
        None,
        "platform",
    ),
    KPI(
        "contribution_margin",
        "The platform's revenue (order payments to the platform + "
        "entry fees + stock sold to sharers) - its cost of goods (list price x (1 - margin) "
        "per unit sold) - fulfillment costs - payouts.",
        "revenue - cost of goods - fulfillment cost - payouts",
        "yuan",
        True,
        "platform",
    ),
    KPI(
        "k_factor",
        "Customers acquired through word of mouth, a share or a group buy / "
        "customers: the mean number of new customers each customer brought in.",
        "viral customers / customers",
        "ratio",
        True,
        "platform",
    ),
    KPI(
        "cac",
        "Acquisition cost per customer: ad spend, referral bonuses, and commissions "
        "and discounts on new customers' first orders.",
        "(ad spend + referral bonuses + first-order commissions and discounts) / customers",
        "yuan per customer",
        False,
        "platform",
    ),
    KPI(
        "payback_days",
        "Days of the run's mean daily contribution margin that pay back "
        "acquisition (null if the margin is not positive).",
        "cac x customers / (contribution_margin / days)",
        "days",
        False,
        "platform",
    ),
    KPI(
        "operating_margin",
        "Contribution margin after ad spend and the scenario's fixed costs.",
        "contribution_margin - ad spend - fixed costs",
        "yuan",
        True,
        "platform",
    ),
    KPI(
        "npv",
        "Net present value of the daily cash (payouts settled after the settlement lag), at "
        "the scenario's discount rate, with a terminal value for the customers active at "
        "the horizon (see sim/economics.py).",
        "sum of discounted daily cash - unsettled payouts + terminal value",
        "yuan",
        True,
        "platform",
    ),
    KPI(
        "cash_trough",
        "Lowest point of the cumulative cash curve (0 if it never goes below zero).",
        "min(0, min over days of cumulative cash)",
        "yuan",
        True,
        "platform",
    ),
    KPI(
        "cash_trough_day",
        "Day of the cash trough.",
        "argmin of cumulative cash",
        "day",
        None,
        "platform",
    ),
    KPI(
        "breakeven_day",
        "First day after the trough on which cumulative cash is back at zero (null if "
        "never within the run).",
        "first day after the trough with cumulative cash >= 0",
        "day",
        False,
        "platform",
    ),
    KPI(
        "sharers_ever",
        "Consumers who were sharers at some point of the run.",
        "count(was a sharer)",
        "people",
        None,
        "sharers",
    ),
    KPI(
        "sharer_income_median",
        "Median net income of everyone who was a sharer: payouts "
        "and sales from stock (to customers and to downline agents) received - entry fees "
        "and stock bought.",
        "median(received + retail sales - dues)",
        "yuan",
        True,
        "sharers",
    ),
    KPI(
        "sharer_income_p90",
        "90th percentile of sharers' net income.",
        "percentile 90 of (received + retail sales - dues)",
        "yuan",
        None,
        "sharers",
    ),
    KPI(
        "sharer_income_gini",
        "Gini coefficient of sharers' gross income (payouts + retail sales).",
        "Gini(received + retail sales)",
        "ratio",
        None,
        "sharers",
    ),
    KPI(
        "sharers_negative_income_share",
        "Share of sharers whose net income is negative.",
        "count(net income < 0) / sharers_ever",
        "share",
        False,
        "sharers",
    ),
    KPI(
        "sharers_without_sales_share",
        "Share of everyone who was a sharer who never earned anything from a sale: no "
        "payout received and no unit of stock sold.",
        "count(received + retail sales = 0) / sharers_ever",
        "share",
        False,
        "sharers",
    ),
    KPI(
        "unsold_stock_yuan",
        "Locked capital: the stock sharers still hold at the end, at what their agent tier "
        "paid per unit.",
        "sum(units held x their tier's unit price)",
        "yuan",
        False,
        "sharers",
    ),
    KPI(
        "downline_income_share",
        "Share of sharers' gross income earned on their recruits rather than on sales to "
        "their own customers: upline overrides, pay per recruit and the markup on stock sold "
        "to downline agents (stock passed down at the seller's own price counts on neither "
        "side).",
        "(upline overrides + pay per recruit + downline stock markups) / (sharers' gross "
        "income - stock passed down at cost)",
        "share",
        False,
        "sharers",
    ),
    KPI(
        "payout_levels",
        "Deepest level of people paid on one sale (1 = the seller only).",
        "max level with payouts > 0",
        "levels",
        False,
        "sharers",
    ),
    KPI(
        "recruitment_tree_depth",
        "Deepest level of the realised recruitment tree (1 = nobody was recruited by a sharer).",
        "max sharer level",
        "levels",
        None,
        "sharers",
    ),
    KPI(
        "recruited_sharers",
        "Sharers recruited by another sharer (the tree's size below its roots).",
        "count(recruiter >= 0)",
        "people",
        None,
        "sharers",
    ),
    KPI(
        "sharer_gmv_share",
        "Share of GMV (list value) from orders credited to a sharer: their shares, the "
        "customers bound to them, their groups and proxy orders.",
        "sum(sharer_gmv) / sum(gmv)",
        "share",
        None,
        "incentives",
    ),
    KPI(
        "member_gmv_share",
        "Share of GMV from orders credited to a sharer or placed by a sharer for themself.",
        "(sum(sharer_gmv) + sum(sharer_own_gmv)) / sum(gmv)",
        "share",
        None,
        "incentives",
    ),
    KPI(
        "criminal_line_crossed",
        "1 if one realised recruitment tree has at least 30 participants in at least 3 levels "
        "(the 2013 criminal-line thresholds), else 0; its mean over replications is the share "
        "of replications that cross the line.",
        "any tree: members >= 30 and depth >= 3",
        "share",
        False,
        "sharers",
    ),
    KPI(
        "kol_customers",
        "Customers whose first order a KOL's post won.",
        "count(customers credited to a KOL)",
        "people",
        True,
        "kols",
        when_off=0.0,
    ),
    KPI(
        "kol_repeat_rate_90d",
        "repeat_rate_90d among the customers KOLs brought.",
        "as repeat_rate_90d, over KOL customers",
        "share",
        True,
        "kols",
    ),
    KPI(
        "kol_roi",
        "Return on what KOLs were paid (null without KOL costs).",
        "(GMV of KOL customers - KOL fees and commissions) / KOL fees and commissions",
        "ratio",
        True,
        "kols",
    ),
    KPI(
        "leader_income_yuan_per_month",
        "Median income from the platform over the last 30 days of the group leaders "
        "seated at the end who have led for at least 30 days (null without any).",
        "median over those leaders of (payouts received in the last 30 days)",
        "yuan",
        True,
        "group_leaders",
    ),
    KPI(
        "leader_departures",
        "Group leaders who quit or were poached over the run.",
        "count of departures",
        "count",
        False,
        "group_leaders",
        0.0,
    ),
    KPI(
        "group_liveness",
        "Share of community groups still active (activity > 0.05) at the "
        "end (null without community groups).",
        "count(activity > 0.05) / groups",
        "share",
        True,
        "community_groups",
    ),
    KPI(
        "market_share",
        "The platform's share of the customers some platform holds at the "
        "end (null without rivals).",
        "active customers / (active customers + rivals' active customers)",
        "share",
        True,
        "market",
    ),
    KPI(
        "market_share_orders",
        "The platform's share of all orders placed in the market over the run (null "
        "without rivals).",
        "orders / (orders + rivals' orders)",
        "share",
        True,
        "market",
    ),
    KPI(
        "market_share_gmv",
        "The platform's share of the market's GMV over the run (null without rivals).",
        "GMV / (GMV + rivals' GMV)",
        "share",
        True,
        "market",
    ),
    KPI(
        "multi_homing_share",
        "Share of the platform's active customers who are also active customers of a rival "
        "at the end (null without multi-homing).",
        "count(active here and at a rival) / active customers",
        "share",
        None,
        "multi_homing",
    ),
    KPI(
        "proxy_purchase_share",
        "Orders placed through a proxy (a group leader or a tie who buys online) / orders.",
        "proxy orders / orders",
        "share",
        None,
        "proxy_purchase",
        when_off=0.0,
    ),
    KPI(
        "bad_news_reach",
        "Consumers who heard of a bad experience from a tie, per bad "
        "experience (summed over days).",
        "sum of bad-news hearers / sum of bad experiences",
        "people per bad experience",
        False,
        "negative_word_of_mouth",
        when_off=0.0,
    ),
    KPI(
        "mean_delivery_hours",
        "Mean lead time of delivered orders, from order to arrival "
        "(null without the fulfillment pipeline).",
        "delivery minutes / 60 / deliveries",
        "hours",
        False,
        "fulfillment",
    ),
    KPI(
        "late_delivery_share",
        "Delivered orders later than the delivery mode's promise / delivered orders.",
        "late deliveries / deliveries",
        "share",
        False,
        "fulfillment",
    ),
    KPI(
        "group_fill_rate",
        "Groups that filled / groups that closed (filled or failed); null without group buys.",
        "filled / (filled + failed)",
        "share",
        True,
        "group_buying",
    ),
)


def _declared(kind: type) -> list:
    """Entries of this kind that registered mechanisms declare themselves."""
    from sim.mechanisms import REGISTRY

    return [e for m in REGISTRY for e in (*m.series, *m.kpis) if isinstance(e, kind)]


def series() -> tuple[Series, ...]:
    """Every daily series: the built-in ones, then those mechanisms declare."""
    return (*BUILTIN_SERIES, *_declared(Series))


def kpis() -> tuple[KPI, ...]:
    """Every KPI: the built-in ones, then those mechanisms declare."""
    return (*BUILTIN_KPIS, *_declared(KPI))


def kpi_names() -> tuple[str, ...]:
    return tuple(k.name for k in kpis())


def lower_is_better(name: str) -> bool:
    return kpi(name).higher_is_better is False


def series_entry(name: str) -> Series:
    """The catalog entry of a daily series; an unknown name is an error naming the known."""
    for entry in series():
        if entry.name == name:
            return entry
    raise KeyError(f"unknown daily series {name!r}; known: {', '.join(s.name for s in series())}")


def kpi(name: str) -> KPI:
    """The catalog entry of a KPI; an unknown name is an error naming the known ones."""
    for entry in kpis():
        if entry.name == name:
            return entry
    raise KeyError(f"unknown KPI {name!r}; known: {', '.join(kpi_names())}")


def fmt(value: float | None, kpi_name: str) -> str:
    """A KPI value written for people: percentages for shares, thousands separated."""
    if value is None:
        return "-"
    entry = next((k for k in kpis() if k.name == kpi_name), None)
    if entry is not None and entry.percent:
        return f"{100 * value:.2f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
