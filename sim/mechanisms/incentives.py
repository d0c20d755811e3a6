"""Incentives: the reward each sharer, and each would-be sharer, can expect.

Every payout rule moves behaviour through what someone can expect to earn from an action,
within caps and tiers (the channels are listed in `docs/incentives.md`). This mechanism
computes those expectations once a day, before anyone shares:

* r_i, the reward sharer i expects per order they bring (yuan):

      r_i = c + b x rho x [k_i < K] + t_i + s + g x [i leads a point]

  c the direct commission per order (mean over categories), b the referrer bonus, rho the
  believed share of a sharer's orders that are a new customer's first order through a
  share, k_i the referrer bonuses i has earned and K the cap (a capped-out sharer expects
  no more bonus; a cap of 0 means none ever), t_i the sales-threshold bonus per extra
  order (its tier's rate, or the jump to the next tier spread over the orders still
  needed when it is within reach), s the retail margin per order of a stock-holding
  sharer (the list-minus-wholesale margin of the stocked category, net of the commission
  a sale from stock does not earn, spread over the categories), g the leader commission
  per order (mean over categories of price x rate) for a group leader who holds a pickup
  point, which earns it on every order of the neighborhood (`community_group_buying`). Sharing effort
  responds to it (`sharing`).
* E_j, what customer j expects to earn a month as a sharer (yuan per month):

      E_j = r_new x O + d x S_j

  r_new the reward per order of a new sharer, O the believed orders a sharer brings a
  month, d the self-purchase discount and S_j j's own monthly spend at list price
  (categories they buy x price x 30 / repurchase interval). Joining responds to it
  (`sharers`).
* V, the value of recruiting one sharer (yuan):

      V = P + H x price x O x sum_l rate_l x m^(l-2)

  P the pay per recruit (拉人头), rate_l the override rate of level l >= 2, m the believed
  recruits per sharer (so level 3 pays on a recruit's recruits), H the horizon in months.
  Recruitment effort responds to it (`sharers`); each level adds its own term. With agent
  tiers (微商, `[payout.stock] tiers`), a sharer above the lowest tier also counts
  W = u x B x (1 + floor(H x O / K / B)), u the tier markup per unit, B the batch of units a
  recruit buys on joining and again each time they sell out (with restock; else once),
  O / K the recruit's orders of the stocked category a month (K categories): V_i = V + W
  for such a recruiter. A recruit's own s and joining cost are those of the
  tier they would join at.

Beliefs are learned from the platform's own recent results, with a prior: O is a
gamma-Poisson posterior mean, (w x O0 + orders brought) / (w + sharer-months), with the
counts exponentially weighted over 30 days; rho likewise (first orders won by shares per
order brought); m is the run's recruited sharers per sharer so far, with its prior. A
reward that is never paid adds exactly zero to every expectation.
"""

from __future__ import annotations

import numpy as np

from sim import exact
from sim.arrays import unique
from sim.mechanisms.base import Day, Mechanism
from sim.metrics import ratio
from sim.payout.sales_bonus import BONUS_PERIOD_DAYS
from sim.schema_base import Probability, Section, param

WINDOW_DAYS = 30.0


def reward_per_order_yuan(
    commission_yuan: float,
    referrer_bonus_yuan: float,
    referral_share: float,
    bonuses_earned: np.ndarray,
    bonus_cap: int,
    tier_reward_yuan: np.ndarray,
    stock_margin_yuan: np.ndarray,
) -> np.ndarray:
    """r: the reward a sharer expects per order brought (yuan), per sharer.

    commission_yuan: mean direct commission per order; referrer_bonus_yuan x referral_share
    (new customers per order brought, 0..1) counts only while bonuses_earned < bonus_cap;
    tier_reward_yuan, stock_margin_yuan: (S,) per sharer. Returns (S,) yuan per order.
    """
    referral = referrer_bonus_yuan * referral_share * (bonuses_earned < bonus_cap)
    return commission_yuan + referral + tier_reward_yuan + stock_margin_yuan


def tier_reward_yuan(
    sales_so_far_yuan: np.ndarray,
    expected_more_yuan: float,
    thresholds_yuan: np.ndarray,
    rates: np.ndarray,
    price_yuan: float,
    reach_orders: float,
) -> np.ndarray:
    """t: the sales-threshold bonus an extra order is worth (yuan), per sharer.

    Sales are projected to the period's end (so far + expected_more_yuan). An order earns
    the rate of the projected tier; if the next tier is at most reach_orders orders of
    price_yuan beyond the projection, the bonus jump of reaching it is spread over the
    orders still needed, when that is worth more. No tiers: 0.
    """
    if thresholds_yuan.size == 0:
        return np.zeros(sales_so_far_yuan.size)
    projected = sales_so_far_yuan + expected_more_yuan

    def bonus(sales: np.ndarray) -> np.ndarray:
        tier = np.searchsorted(thresholds_yuan, sales, side="right") - 1
        return np.where(tier >= 0, rates[np.maximum(tier, 0)], 0.0) * sales

    tier = np.searchsorted(thresholds_yuan, projected, side="right") - 1
    base = np.where(tier >= 0, rates[np.maximum(tier, 0)], 0.0) * price_yuan
    nxt = np.minimum(tier + 1, thresholds_yuan.size - 1)
    target = thresholds_yuan[nxt]
    needed = np.maximum(np.ceil((target - projected) / price_yuan), 1.0)
    reachable = (tier + 1 < thresholds_yuan.size) & (needed <= reach_orders)
    jump = (bonus(target) - bonus(projected)) / needed
    return np.where(reachable, np.maximum(base, jump), base)


def expected_monthly_earnings_yuan(
    reward_per_order_yuan: float,
    orders_per_month: float,
    self_purchase_discount_rate: float,
    own_spend_yuan_per_month: np.ndarray,
) -> np.ndarray:
    """E: what a customer expects to earn a month as a sharer (yuan), per customer:
    expected commissions and bonuses plus what the self-purchase discount saves them."""
    return reward_per_order_yuan * orders_per_month + (
        self_purchase_discount_rate * own_spend_yuan_per_month
    )


def recruit_value_yuan(
    pay_per_recruit_yuan: float,
    override_rates: np.ndarray,
    price_yuan: float,
    orders_per_month: float,
    recruits_per_sharer: float,
    horizon_months: float,
) -> float:
    """V: what recruiting one sharer is worth to the recruiter (yuan): the pay per recruit
    plus, over horizon_months, the overrides of every level on the recruit's sales and on
    their recruits' (level l >= 2 pays rate_l on sales l - 2 generations below the recruit)."""
    generations = recruits_per_sharer ** np.arange(override_rates.size)
    monthly = price_yuan * orders_per_month * float(np.sum(override_rates * generations))
    return pay_per_recruit_yuan + horizon_months * monthly


def stock_recruit_value_yuan(
    markup_yuan_per_unit: float,
    units: int,
    stock_orders_per_month: float,
    horizon_months: float,
    restock: bool,
) -> float:
    """W: what a recruit's stock earns the upline who supplies it (yuan): the tier markup
    on every unit the recruit buys over horizon_months. They buy a batch of `units` on
    joining and, with restock, another each time they sell out: 1 + floor(S / units)
    batches for S = horizon_months x stock_orders_per_month units sold (one unit per order
    of the stocked category). No tiers (markup 0): 0."""
    if markup_yuan_per_unit == 0 or units == 0:
        return 0.0
    sold = horizon_months * stock_orders_per_month
    batches = 1 + np.floor(sold / units) if restock else 1
    return markup_yuan_per_unit * units * float(batches)


def posterior_mean(prior_mean: float, prior_weight: float, events: float, exposure: float):
    """Gamma-Poisson (or beta) posterior mean: (w x prior + events) / (w + exposure)."""
    return (prior_weight * prior_mean + events) / (prior_weight + exposure)


class IncentiveBehavior(Section):
    """What sharers believe they will earn. (`[behavior]` keys.)"""

    sharer_orders_per_month_prior: float = param(
        6.0,
        "Orders a sharer expects to bring a month before the platform has a track record "
        "(the prior of the belief O).",
        "orders per month",
        ge=0.0,
        le=1000.0,
    )
    referral_share_prior: Probability = param(
        0.3,
        "Share of a sharer's orders expected to be a new customer's first order through a "
        "share, before there is a track record (the prior of rho).",
        "fraction",
    )
    recruits_per_sharer_prior: float = param(
        0.5,
        "Recruits a sharer expects to bring in, before there is a track record (prior of m).",
        "sharers",
        ge=0.0,
        le=100.0,
    )
    belief_prior_weight: float = param(
        30.0,
        "Weight of each prior, in observations (sharer-days for O, orders for rho, sharers "
        "for m); recent results (30-day exponential window) outweigh it as they accumulate.",
        "observations",
        gt=0.0,
    )
    sales_bonus_reach_orders: float = param(
        10.0,
        "A sales tier is within reach when at most this many extra orders beyond the "
        "projected month reach it.",
        "orders",
        ge=0.0,
    )
    recruit_horizon_months: float = param(
        6.0,
        "Months of a recruit's overrides a recruiter counts when valuing a recruit.",
        "months",
        ge=0.0,
        le=120.0,
    )


class Incentives(Mechanism):
    name = "incentives"
    params = IncentiveBehavior
    phase = "expose"
    series = ("sharer_gmv", "sharer_own_gmv")
    kpis = ("sharer_gmv_share", "member_gmv_share")

    def setup(self) -> None:
        spec, scheme = self.spec, self.platform.scheme
        beh = spec.behavior
        prices = scheme.price_fen / 100.0
        self.price_yuan = float(prices.mean())
        self.categories = prices.size
        self.commission_yuan = float(np.mean(prices * scheme.commission_rate))
        self.leader_commission_yuan = self.price_yuan * scheme.leader_commission_rate
        # s by agent tier (index 0 unused): a sale from stock earns the margin over what the
        # sharer's tier paid instead of the commission
        self.stock_margin_yuan = np.zeros(scheme.stock_tiers + 1)
        self.stock_markup_yuan = 0.0  # what a recruit's unit of stock earns their upline
        if scheme.has_stock:
            k = scheme.stock_category
            tiers = np.arange(1, scheme.stock_tiers + 1)
            margin = scheme.price_fen[k] - scheme.stock_price_fen(tiers)
            commission = scheme.price_fen[k] * scheme.commission_rate[k]
            self.stock_margin_yuan[1:] = (margin - commission) / (100.0 * prices.size)
            self.stock_markup_yuan = scheme.stock_tier_markup_fen / 100.0
        self.monthly_value_yuan = np.array(
            [c.price_yuan * 30.0 / c.repurchase_interval_days for c in spec.categories]
        )
        self.recruit_pay_yuan = scheme.recruit_bonus_fen / 100.0 + (
            scheme.recruit_entry_fee_share * scheme.entry_fee_fen / 100.0
        )
        w = beh.belief_prior_weight
        self.orders_per_day = beh.sharer_orders_per_month_prior / 30.0
        self.referral_share = beh.referral_share_prior
        self.recruits_per_sharer = beh.recruits_per_sharer_prior
        self.window = {"orders": 0.0, "sharer_days": 0.0, "referrals": 0.0}
        self.prior_weight = w
        self.reward = np.zeros(0)
        self.orders_per_month_today = self.orders_per_month
        self.new_sharer_reward = 0.0
        self.recruit_value = 0.0

    @property
    def orders_per_month(self) -> float:
        return 30.0 * self.orders_per_day

    def idle(self, sharers: np.ndarray) -> bool:
        """Nothing to expect today: no sharer to reward, and nobody can join (sharers'
        joining rate is 0: `Sharers.anyone_can_join`), so nothing reads today's r,
        r_new or V (sharing reads r at today's sharers only)."""
        return sharers.size == 0 and not self.platform.get("sharers").anyone_can_join()

    def expose(self, day: Day) -> None:
        """Today's expectations: r for every active sharer, r_new and V."""
        c, scheme, beh = self.pop, self.platform.scheme, self.spec.behavior
        sharers = np.flatnonzero(c.is_sharer)
        if self.idle(sharers):
            return
        days_left = BONUS_PERIOD_DAYS - day.index % BONUS_PERIOD_DAYS
        more = self.orders_per_day * days_left * self.price_yuan
        thresholds = scheme.sales_thresholds_fen / 100.0
        tier = tier_reward_yuan(
            c.period_sales_fen[sharers] / 100.0,
            more,
            thresholds,
            scheme.sales_bonus_rates,
            self.price_yuan,
            beh.sales_bonus_reach_orders,
        )
        holds_stock = (c.stock_units[sharers] > 0) | scheme.restock
        tier_of = scheme.stock_tier(c.sharer_level[sharers])
        self.reward = np.zeros(c.n)
        self.reward[sharers] = reward_per_order_yuan(
            self.commission_yuan,
            scheme.referrer_bonus_fen / 100.0,
            self.referral_share,
            c.referral_bonuses[sharers],
            scheme.referral_bonus_cap,
            tier,
            self.stock_margin_yuan[tier_of] * holds_stock,
        )
        if self.leader_commission_yuan:  # only with pickup points (scenario validation)
            self.reward[self.platform.get("group_leaders").point_leaders()] += (
                self.leader_commission_yuan
            )
        self.new_sharer_reward = reward_per_order_yuan(
            self.commission_yuan,
            scheme.referrer_bonus_fen / 100.0,
            self.referral_share,
            np.zeros(self.stock_margin_yuan.size, np.int32),
            scheme.referral_bonus_cap,
            tier_reward_yuan(
                np.zeros(1),
                self.orders_per_month * self.price_yuan,
                thresholds,
                scheme.sales_bonus_rates,
                self.price_yuan,
                beh.sales_bonus_reach_orders,
            ),
            self.stock_margin_yuan,
        )  # by the new sharer's tier
        self.orders_per_month_today = self.orders_per_month  # E_j uses this morning's O
        self.value_recruits()

    def value_recruits(self) -> None:
        """Today's V (pay per recruit and overrides) and W (the tier markup on a recruit's
        stock), from this morning's beliefs."""
        scheme, beh = self.platform.scheme, self.spec.behavior
        self.recruit_value = recruit_value_yuan(
            self.recruit_pay_yuan,
            scheme.override_rates,
            self.price_yuan,
            self.orders_per_month,
            self.recruits_per_sharer,
            beh.recruit_horizon_months,
        )
        self.stock_recruit_value = stock_recruit_value_yuan(
            self.stock_markup_yuan,
            scheme.stock_units,
            self.orders_per_month / self.categories,
            beh.recruit_horizon_months,
            scheme.restock,
        )

    def recruit_value_of(self, recruiters: np.ndarray) -> np.ndarray:
        """V_i, what a recruit is worth to each recruiter (yuan; -1: no recruiter): V, plus
        W for a sharer on an agent tier above the lowest, who will sell the recruit stock."""
        value = np.full(recruiters.size, self.recruit_value)
        if self.stock_recruit_value:
            scheme, level = self.platform.scheme, self.pop.sharer_level
            up = np.maximum(recruiters, 0)
            sells_down = (recruiters >= 0) & (scheme.stock_tier(level[up]) < scheme.stock_tiers)
            value += self.stock_recruit_value * sells_down
        return value

    def expected_monthly_earnings(
        self, who: np.ndarray | slice = slice(None), tier: np.ndarray | int = 1
    ) -> np.ndarray:
        """E_j for every consumer, or for those in `who` (yuan per month), joining at agent
        `tier` (which sets the margin on stock)."""
        c = self.pop
        own = exact.matmul(c.customer_of[who] & ~c.lapsed[who, None], self.monthly_value_yuan)
        return expected_monthly_earnings_yuan(
            self.new_sharer_reward[tier],
            self.orders_per_month_today,
            self.platform.scheme.self_purchase_discount_rate,
            own,
        )

    def roles(self, day: Day) -> None:
        """Learn from today's settled orders (before anyone joins or quits): orders sharers
        brought, new customers they brought, recruits."""
        c, s, orders = self.pop, day.settlement, day.orders
        credited = s.sharer >= 0
        own = c.is_sharer[orders.buyer]
        day.count("sharer_gmv", int(s.list_fen[credited].sum()))
        day.count("sharer_own_gmv", int(s.list_fen[own].sum()))
        brought = orders.via_share & day.new_customers[orders.buyer] & ~own
        referrals = unique(orders.buyer[brought]).size  # as the referral bonus counts them
        keep = 1.0 - 1.0 / WINDOW_DAYS
        win = self.window
        win["orders"] = keep * win["orders"] + int(credited.sum())
        win["sharer_days"] = keep * win["sharer_days"] + np.count_nonzero(c.is_sharer)
        win["referrals"] = keep * win["referrals"] + referrals
        beh, w = self.spec.behavior, self.prior_weight
        self.orders_per_day = posterior_mean(
            beh.sharer_orders_per_month_prior / 30.0, w, win["orders"], win["sharer_days"]
        )
        self.referral_share = posterior_mean(
            beh.referral_share_prior, w, win["referrals"], win["orders"]
        )
        self.recruits_per_sharer = posterior_mean(
            beh.recruits_per_sharer_prior,
            w,
            float(np.count_nonzero(c.recruiter >= 0)),
            float(np.count_nonzero(c.was_sharer)),
        )

    def kpi_values(self) -> dict[str, float]:
        v = self.platform.recorder.values
        gmv = v["gmv"].sum()
        return {
            "sharer_gmv_share": ratio(v["sharer_gmv"].sum(), gmv),
            "member_gmv_share": ratio(v["sharer_gmv"].sum() + v["sharer_own_gmv"].sum(), gmv),
        }
