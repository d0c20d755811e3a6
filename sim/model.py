"""`SocialCommerceModel`: the Mesa model. One step is one day.

Wiring only: the scenario builds the population and the trust network; each day applies
the rules of `sim.rules` in order; the ledger and `sim.metrics` record what happened.
A Mesa user can drive it step by step::

    model = SocialCommerceModel(load_scenario("scenarios/baseline.toml"))
    for _ in range(30):
        model.step()
    model.daily_frame()
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import kols, metrics
from sim.fulfillment import Fulfillment
from sim.ledger import EXTERNAL, PLATFORM, Ledger
from sim.network import (
    EdgeList,
    edge_list_network,
    generate_network,
    read_edge_list,
    row_normalized,
    ties_to_matrix,
)
from sim.payout import PayoutScheme, onboard_sharers, pay_gifts, pay_sales_bonuses, settle_orders
from sim.payout.sales_bonus import BONUS_PERIOD_DAYS
from sim.population import build_layout
from sim.rules import (
    bargaining,
    churn,
    community_groups,
    experience,
    exposure,
    gifting,
    group_buying,
    negative_word_of_mouth,
    proxy_purchase,
    purchase,
    repurchase,
    sharers,
)
from sim.scenario import Scenario, rival_scenarios
from sim.state import (
    SOURCE_AD,
    SOURCE_GROUP,
    SOURCE_KOL,
    SOURCE_NONE,
    SOURCE_SHARE,
    SOURCE_WORD_OF_MOUTH,
    Consumers,
    Orders,
)
from sim.streams import Streams


class Platform(mesa.Agent):
    """The platform: prices, the payout scheme, ads."""

    def __init__(
        self,
        model: SocialCommerceModel,
        name: str,
        scheme: PayoutScheme,
        ad_spend_yuan_per_day: float,
    ):
        super().__init__(model)
        self.name = name
        self.scheme = scheme
        self.ad_spend_yuan_per_day = ad_spend_yuan_per_day


class RivalPlatform(mesa.Agent):
    """A rival platform on the same network: a full model of its own (`self.rival`)."""

    def __init__(self, model: SocialCommerceModel, index: int, rival: SocialCommerceModel):
        super().__init__(model)
        self.index = index
        self.rival = rival
        self.name = rival.platform.name

    def customers(self) -> int:
        return int(np.count_nonzero(self.rival.consumers.active_customer))


class Neighborhood(mesa.Agent):
    """A neighborhood: a contiguous block of consumers with a city tier."""

    def __init__(
        self, model: SocialCommerceModel, index: int, city_tier: str, start: int, size: int
    ):
        super().__init__(model)
        self.index = index
        self.city_tier = city_tier
        self.members = slice(start, start + size)

    def customers(self) -> int:
        return int(self.model.consumers.is_customer[self.members].sum())

    def elderly_share(self) -> float:
        members = self.model.layout.elderly[self.members]
        return float(members.mean()) if members.size else 0.0


class SocialCommerceModel(mesa.Model):
    """Consumers and sharers on a trust network, buying from one platform."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        edge_list: EdgeList | None = None,
        source: str = "<scenario>",
        spawn_prefix: tuple[int, ...] = (),
        world: tuple | None = None,
    ):
        streams = Streams(scenario.run.seed, replication, spawn_prefix)
        super().__init__(rng=streams["mesa"])
        # `self.scenario` belongs to Mesa (>= 3.4); ours is `self.spec`.
        self.spec = scenario
        self.replication = replication
        self.streams = streams
        self.day = 0
        self.days = scenario.run.days
        beh = scenario.behavior

        if world is not None:  # a rival platform on another model's population and network
            self.layout, self.trust = world
        else:
            self.layout = build_layout(scenario.population, streams["population"])
            if scenario.network.edge_list is not None:
                edges = (
                    edge_list
                    if edge_list is not None
                    else read_edge_list(scenario.network.edge_list)
                )
                self.trust = edge_list_network(
                    edges, scenario.population.consumers, scenario.network, source
                )
            else:
                self.trust = generate_network(
                    self.layout, scenario.network, beh.trust_weights, streams["network"]
                )
        world = (self.layout, self.trust)  # before this platform's leader ties
        gl = scenario.group_leaders
        layout = self.layout
        self.leaders = proxy_purchase.choose_leaders(
            layout.neighborhood,
            layout.online_ready,
            gl.per_neighborhood,
            streams["leaders"].random(layout.consumers),
        )
        self.leader_of_neighborhood = np.full(layout.neighborhood_size.size, -1, np.int64)
        self.leader_of_neighborhood[layout.neighborhood[self.leaders[::-1]]] = self.leaders[::-1]
        if self.leaders.size:
            lu, lv = proxy_purchase.leader_ties(
                self.leaders,
                layout.neighborhood[self.leaders],
                layout.neighborhood_start,
                layout.neighborhood_size,
            )
            old = self.trust.tocoo()
            w = np.full(lu.size, gl.trust)
            self.trust = ties_to_matrix(
                layout.consumers,
                np.concatenate([old.row, lu, lv]),
                np.concatenate([old.col, lv, lu]),
                np.concatenate([old.data, w, w]),
                symmetric=False,
            )
        self.trust_by_speaker = self.trust.T.tocsr()
        self.local_trust = proxy_purchase.same_neighborhood(self.trust, layout.neighborhood)
        self.influence_by_speaker = row_normalized(self.trust).T.tocsr()
        self.cascade_by_speaker = self.trust_by_speaker.copy()
        self.cascade_by_speaker.data = -np.log1p(
            -beh.cascade_probability * np.clip(self.cascade_by_speaker.data, 0.0, 1.0) * (1 - 1e-12)
        )

        self.consumers = Consumers.create(self.layout.online_ready, len(scenario.categories))
        c0 = self.consumers
        c0.is_leader[self.leaders] = True
        c0.is_sharer[self.leaders] = True
        c0.was_sharer[self.leaders] = True
        c0.sharer_since_day[self.leaders] = 0
        c0.sharer_level[self.leaders] = 1
        self._broadcast = self.consumers.influence_state()
        self.signal = np.zeros_like(self._broadcast)  # (N, C+1) trust-weighted shares

        scheme = PayoutScheme.from_section(scenario.payout, scenario.categories)
        self.platform = Platform(
            self, scenario.platform.name, scheme, scenario.platform.ad_spend_yuan_per_day
        )
        self.neighborhoods = [
            Neighborhood(self, k, str(tier), int(start), int(size))
            for k, (tier, start, size) in enumerate(
                zip(
                    self.layout.neighborhood_tier,
                    self.layout.neighborhood_start,
                    self.layout.neighborhood_size,
                    strict=True,
                )
            )
        ]
        cats = scenario.categories
        self.price_factor = np.exp(
            -beh.price_sensitivity_per_100_yuan * np.array([c.price_yuan for c in cats]) / 100.0
        )
        self.share_appeal = np.array([c.share_appeal for c in cats])
        self.interval_days = np.array([c.repurchase_interval_days for c in cats])
        self.hype_half_life = np.array(
            [c.hype_half_life_days if c.hype_half_life_days else np.inf for c in cats]
        )
        self.appeal = sharers.reward_appeal(
            scheme.reward_per_order_yuan(), beh.sharer_reward_reference_yuan
        ) * np.exp(-scheme.joining_cost_yuan() / beh.entry_fee_tolerance_yuan)
        self.recruit_appeal = beh.recruitment_push * sharers.reward_appeal(
            scheme.upline_reward_per_order_yuan(), beh.sharer_reward_reference_yuan
        )
        group_rule = scenario.payout.rule("group_buy")
        self.groups = group_buying.GroupBook.create(self.consumers.n) if group_rule else None
        discount = group_rule.discount_rate if group_rule else 0.0
        self.group_demand = np.exp(
            -beh.price_sensitivity_per_100_yuan
            * np.array([c.price_yuan for c in cats])
            * (1 - discount)
            / 100.0
        )
        ff = scenario.fulfillment
        self.fulfillment = (
            Fulfillment(ff, len(self.neighborhoods), streams["fulfillment"]) if ff.enabled else None
        )
        self.lead_sensitivity = ff.lead_time_sensitivity_per_day if ff.enabled else 0.0
        self.kols = [
            kols.KOL(
                self,
                i,
                spec,
                kols.draw_followers(self.consumers.n, spec.followers, streams["kols"]),
                scenario.category_names.index(spec.category) if spec.category else 0,
            )
            for i, spec in enumerate(scenario.kols)
        ]
        self.kol_of = np.full(self.consumers.n, -1, np.int64)  # the KOL who brought them
        self.kol_match = np.array([kol.spec.audience_match for kol in self.kols] + [1.0])
        self.kol_trust = np.array([kol.spec.trust for kol in self.kols] + [1.0])
        self.kol_commission = np.array([kol.spec.commission_rate for kol in self.kols] + [0.0])
        cg = scenario.community_groups
        self.community = (
            community_groups.form_groups(
                cg,
                self.trust,
                layout.neighborhood_start,
                layout.neighborhood_size,
                layout.neighborhood,
                len(cats),
                streams["community"],
            )
            if cg.count
            else None
        )
        if self.community is not None:
            self.community_repurchase = community_groups.repurchase_factor(
                community_groups.member_match(self.community, self.consumers.n),
                cg.affinity_repurchase_effect,
            )
        # Rival platforms: full models of their own on this population and network.
        self.excluded = np.zeros(self.consumers.n, bool)  # customers of another platform
        self.rivals = [
            SocialCommerceModel(spec, replication, spawn_prefix=(*spawn_prefix, i + 1), world=world)
            for i, spec in enumerate(rival_scenarios(scenario))
        ]
        self.rival_agents = [RivalPlatform(self, i, r) for i, r in enumerate(self.rivals)]
        self.awareness = np.zeros((self.consumers.n, len(cats)))
        self.bad_news = np.zeros(self.consumers.n)  # trust-weighted bad news heard
        coupon = scenario.payout.rule("coupon")
        prices = np.array([c.price_yuan for c in cats])
        coupon_yuan = (
            np.where(prices >= coupon.min_spend_yuan, coupon.new_user_yuan, 0.0)
            if coupon
            else np.zeros(len(cats))
        )
        self.new_user_boost = np.exp(
            beh.price_sensitivity_per_100_yuan * np.minimum(coupon_yuan, prices) / 100.0
        )
        gift = scenario.payout.gift
        self.gift_category = (
            scenario.category_names.index(gift.category)
            if gift is not None and gift.category
            else 0
        )
        self.ledger = Ledger(self.consumers.n, self.days, scenario.run.ledger == "entries")
        self.recorder = metrics.DailyRecorder(self.days)
        self.running = True

    # ------------------------------------------------------------------ the day
    def hype(self) -> np.ndarray:
        """Demand multiplier per category from its hype half-life."""
        return np.power(0.5, self.day / self.hype_half_life)

    def step(self) -> None:
        """One day for this platform and its rivals, in alternating order (fair on ties).

        Before each platform's day, the consumers who are active customers of another
        platform are out of its reach: a consumer belongs to one platform at a time.
        """
        if self.day >= self.days:
            self.running = False
            return
        if not self.rivals:
            self._step_day()
            return
        day = self.day
        platforms = [self, *self.rivals]
        for model in platforms if day % 2 == 0 else platforms[::-1]:
            model.excluded = np.zeros(self.consumers.n, bool)
            for other in platforms:
                if other is not model:
                    model.excluded |= other.claimed()
            model._step_day()
        v = self.recorder.values
        v["rival_customers"][day] = sum(
            int(np.count_nonzero(r.consumers.active_customer)) for r in self.rivals
        )
        v["rival_gmv"][day] = sum(int(r.recorder.values["gmv"][day]) for r in self.rivals)

    def claimed(self) -> np.ndarray:
        """Consumers this platform holds: active customers and consumers in its open groups."""
        held = self.consumers.active_customer.copy()
        if self.groups is not None:
            held |= self.groups.member_group >= 0
        return held

    def _step_day(self) -> None:
        if self.day >= self.days:
            self.running = False
            return
        day, c, beh = self.day, self.consumers, self.spec.behavior
        n, k = c.customer_of.shape
        demand = self.price_factor * self.hype()

        # 1. exposure
        sharer_idx = np.flatnonzero(c.is_sharer)
        share_prob = np.clip(beh.share_rate_per_day * self.share_appeal * self.hype(), 0, 1)
        shared = exposure.share_products(
            sharer_idx, share_prob, self.uniform("exposure", (n, k))[sharer_idx]
        )
        shares_received = exposure.share_exposure(self.trust_by_speaker, sharer_idx, shared)
        wom = exposure.word_of_mouth_signal(
            self.spec.network.mixing, self.signal[:, :k], self._broadcast[:, :k]
        )
        if beh.word_of_mouth_model == "bass":
            wom_rate = beh.word_of_mouth_per_day * wom
        else:
            wom_rate = exposure.cascade_rate(self.cascade_by_speaker, c.new_customer_of)

        counts = dict.fromkeys(metrics.COUNT_COLUMNS, 0)
        bad_before = c.bad_experiences.copy()
        if self.spec.payout.rule("gift") is not None:
            self._send_gifts(sharer_idx, counts)
        wom_rate = wom_rate + self.awareness  # gifts and bargains: heard from a tie
        self.awareness = np.zeros_like(self.awareness)
        if self.community is not None:
            posts = community_groups.post_and_update(
                self.community, self.spec.community_groups, self.streams["community"]
            )
            wom_rate = wom_rate + community_groups.group_exposure(
                self.community, posts, self.spec.community_groups.exposure_per_post
            )
            counts["community_posts"] = int(posts.sum())
            counts["live_groups"] = int(self.community.alive.sum())
        kol_rate, kol_who = kols.kol_rates(self.kols, day, (n, k))
        self._pay_kol_fees(counts)

        # 2. purchase
        waiting = self.groups.member_group >= 0 if self.groups is not None else np.zeros(n, bool)
        free = ~c.lapsed & ~waiting
        online_customer = c.online_ready & c.active_customer
        has_proxy = self._proxies_available(free, online_customer)
        can_buy = c.online_ready | has_proxy
        free = free & ~self.excluded
        eligible = can_buy[:, None] & free[:, None] & ~c.customer_of
        if day < self.spec.platform.start_day:
            eligible[:] = False
        share_rate = beh.share_conversion_per_share * shares_received
        rate = (beh.external_influence_per_day + wom_rate + share_rate + kol_rate) * demand
        rate *= np.where(c.first_order_day[:, None] < 0, self.new_user_boost, 1.0)
        rate *= np.where(c.online_ready, 1.0, beh.proxy_purchase_propensity)[:, None]
        rate *= negative_word_of_mouth.adoption_damper(
            self.bad_news, beh.negative_wom_adoption_sensitivity
        )[:, None]
        u = self.uniform("purchase", (n, k))
        bought = purchase.first_purchases(eligible, rate, u)
        first_buyer, first_cat = np.nonzero(bought)
        u_channel, u_pick = self.uniform("attribution", (2, n, k))
        channel = purchase.credit_channel(
            {
                SOURCE_AD: np.full(first_buyer.size, beh.external_influence_per_day),
                SOURCE_WORD_OF_MOUTH: np.asarray(wom_rate[first_buyer, first_cat]),
                SOURCE_SHARE: share_rate[first_buyer, first_cat],
                SOURCE_KOL: kol_rate[first_buyer, first_cat],
            },
            u_channel[first_buyer, first_cat],
        )
        by_kol = (channel == SOURCE_KOL) & (self.kol_of[first_buyer] < 0)
        self.kol_of[first_buyer[by_kol]] = kol_who[first_buyer[by_kol]]
        shared_by = np.full(first_buyer.size, -1, np.int64)
        shared_full = np.zeros((n, k), bool)
        shared_full[sharer_idx] = shared
        for cat in range(k):  # a handful of categories, not consumers
            pick = np.flatnonzero((channel == SOURCE_SHARE) & (first_cat == cat))
            shared_by[pick] = purchase.pick_sharer(
                self.trust, first_buyer[pick], shared_full[:, cat], u_pick[first_buyer[pick], cat]
            )

        # 3. repurchase
        u_reorder, self._u_interval = self.uniform("repurchase", (2, n, k))
        due_buyer, due_cat = np.nonzero(
            (c.next_due_day <= day) & (free & can_buy)[:, None] & c.customer_of
        )
        lead = repurchase.lead_time_factor(c.last_lead_hours[due_buyer], self.lead_sensitivity)
        lead *= np.where(self.kol_of[due_buyer] >= 0, self.kol_match[self.kol_of[due_buyer]], 1.0)
        if self.community is not None:
            lead *= self.community_repurchase[due_buyer, due_cat]
        effect = beh.recommendation_repurchase_effect
        lead *= 1.0 - effect + effect * c.recommendation_trust[due_buyer]
        reorder = repurchase.due_reorders(
            beh.repurchase_probability * demand[due_cat] * lead, u_reorder[due_buyer, due_cat]
        )
        self._schedule_next_due(due_buyer[~reorder], due_cat[~reorder])
        orders = Orders.concat(
            Orders.make(first_buyer, first_cat, True, shared_by),
            Orders.make(due_buyer[reorder], due_cat[reorder], False),
        )
        channels = np.concatenate([channel, np.full(int(reorder.sum()), SOURCE_NONE, np.int8)])
        self._credit_proxies(orders, online_customer)

        # 3b. group buying
        if self.groups is not None:
            orders, channels = self._group_buying(orders, channels, counts)
        counts["proxy_orders"] = int(orders.proxy.sum())
        new_customers = self._apply_orders(orders, channels)
        if self.spec.payout.rule("bargain") is not None:
            self._bargain(orders, counts)

        # 4. payouts
        ledger, scheme = self.ledger, self.platform.scheme
        earned_before = ledger.received_fen + ledger.sales_fen
        settlement = settle_orders(day, orders, c, new_customers, scheme, ledger)
        self._pay_kol_commissions(orders, settlement, counts)
        if self.fulfillment is not None:
            self._fulfil(orders, settlement, counts)
        if (day + 1) % BONUS_PERIOD_DAYS == 0:
            pay_sales_bonuses(day, c, scheme, ledger)

        # 5. sharers
        sharers.update_monthly_earnings(
            c.monthly_earnings_fen, ledger.received_fen + ledger.sales_fen - earned_before
        )
        bound = c.referrer
        recruiting = bound >= 0
        recruiting[recruiting] = c.is_sharer[bound[recruiting]]
        joined = sharers.join_sharers(
            c.active_customer & ~c.is_sharer,
            self.signal[:, k],
            beh.sharer_recruitment_per_day,
            self.appeal * (1.0 + self.recruit_appeal * recruiting),
            beh.sharer_peer_effect,
            self.uniform("sharers", n),
        )
        quit_ = ~c.is_leader & sharers.quit_sharers(
            c.is_sharer,
            day - c.sharer_since_day,
            c.monthly_earnings_fen,
            beh.sharer_grace_days,
            beh.sharer_min_monthly_earnings_yuan * 100.0,
            beh.sharer_quit_hazard_per_day,
            self.uniform("sharers", n),
        )
        sharers.record_recruitment(c.recruiter, c.sharer_level, joined, bound, recruiting)
        c.is_sharer |= joined
        c.is_sharer &= ~quit_
        c.was_sharer |= joined
        c.sharer_since_day[joined] = day
        c.monthly_earnings_fen[joined] = 0.0
        settlement.cost_of_goods_fen += onboard_sharers(
            day, np.flatnonzero(joined), c, scheme, ledger
        )

        # 6. experience and negative word of mouth
        bad = experience.bad_orders(
            orders.buyer,
            beh.product_mismatch_probability,
            self.uniform("experience", (n, k))[orders.buyer, orders.category],
        )
        np.add.at(c.bad_experiences, bad, 1)
        counts["bad_news_hearers"] = negative_word_of_mouth.spread_bad_news(
            self.bad_news,
            self.trust_by_speaker,
            c.bad_experiences - bad_before,
            beh.negative_wom_half_life_days,
        )

        # 7. churn
        active = c.active_customer & ~c.is_leader
        hazard = churn.churn_hazard(
            day - c.last_order_day,
            c.bad_experiences,
            beh.churn_base_hazard_per_day,
            beh.churn_recency_scale_days,
            beh.churn_per_bad_experience,
        ) * negative_word_of_mouth.churn_amplifier(
            self.bad_news, beh.negative_wom_churn_sensitivity
        )
        lapsed = churn.lapse(active, hazard, self.uniform("churn", n))
        c.lapsed |= lapsed
        quit_ |= lapsed & c.is_sharer
        c.is_sharer &= ~lapsed

        self._update_signal()
        self.recorder.record(
            self,
            orders,
            settlement,
            new_customers,
            joined,
            quit_,
            lapsed,
            shared,
            counts | {"bad_experiences": bad.size + counts["bad_experiences"]},
        )
        self.day += 1
        if self.day >= self.days:
            self.running = False

    # ------------------------------------------------------------------ helpers
    def uniform(self, stream: str, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniforms of a fixed shape from a named stream.

        Each rule draws the same shape every day (per consumer, or per consumer and
        category) whatever the state, so two variants of a scenario consume their streams
        in lockstep: common random numbers for paired comparisons.
        """
        return self.streams[stream].random(shape, dtype=np.float32)

    def _schedule_next_due(self, buyers: np.ndarray, categories: np.ndarray) -> None:
        """Draw the next repurchase day of each (buyer, category)."""
        beh = self.spec.behavior
        self.consumers.next_due_day[buyers, categories] = self.day + repurchase.draw_intervals(
            self.interval_days[categories],
            beh.repurchase_interval_shape,
            self._u_interval[buyers, categories],
        )

    def _apply_orders(self, orders: Orders, channels: np.ndarray) -> np.ndarray:
        """Make the day's orders happen for the buyers; return who became a customer today.

        Buyers become customers of the category (first orders), are bound to the sharer
        whose share won them, are credited to a channel (for the viral coefficient), and
        draw their next repurchase day.
        """
        c = self.consumers
        buyer, cat = orders.buyer, orders.category
        orders.first_in_category = ~c.customer_of[buyer, cat]
        new_customers = np.zeros(c.n, bool)
        new_customers[buyer] = c.first_order_day[buyer] < 0
        # The first credited channel of a new customer's first day decides acquisition.
        newcomer = new_customers[buyer] & (c.acquired_by[buyer] == SOURCE_NONE)
        c.acquired_by[buyer[newcomer][::-1]] = channels[newcomer][::-1]
        kol = self.kol_of[buyer[newcomer]]
        c.recommendation_trust[buyer[newcomer][::-1]] = purchase.recommendation_trust(
            self.trust,
            buyer[newcomer],
            channels[newcomer],
            orders.shared_by[newcomer],
            np.where(kol >= 0, self.kol_trust[kol], np.nan),
            c.active_customer,
        )[::-1]
        c.customer_of[buyer, cat] = True
        c.new_customer_of = np.zeros_like(c.customer_of)
        first = orders.first_in_category
        c.new_customer_of[buyer[first], cat[first]] = True
        bind = (orders.shared_by >= 0) & (c.referrer[buyer] < 0)
        c.referrer[buyer[bind][::-1]] = orders.shared_by[bind][::-1]
        self._schedule_next_due(buyer, cat)
        self._record_orders(buyer)
        return new_customers

    def _pay_kol_fees(self, counts: dict) -> None:
        """The platform pays each KOL posting today their fee per post."""
        posting = [kol for kol in self.kols if kol.posts_on(self.day)]
        fees = np.array([round(kol.spec.fee_per_post_yuan * 100) for kol in posting], np.int64)
        who = np.array([kol.index for kol in posting], np.int64)
        self.ledger.record(
            self.day,
            "kol_fee",
            np.full(who.size, PLATFORM),
            np.full(who.size, EXTERNAL),
            fees,
            level=1,
        )
        counts["kol_posts"] = len(posting)

    def _pay_kol_commissions(self, orders: Orders, settlement, counts: dict) -> None:
        """CPS: each KOL earns their rate on the orders of the customers they brought."""
        kol = self.kol_of[orders.buyer]
        mine = kol >= 0
        counts["kol_customer_gmv"] = int(settlement.list_fen[mine].sum())
        if not self.kols or not mine.any():
            return
        amount = np.rint(settlement.list_fen[mine] * self.kol_commission[kol[mine]])
        self.ledger.record(
            self.day,
            "kol_commission",
            np.full(int(mine.sum()), PLATFORM),
            np.full(int(mine.sum()), EXTERNAL),
            amount.astype(np.int64),
            level=1,
        )

    def _proxies_available(self, free: np.ndarray, online_customer: np.ndarray) -> np.ndarray:
        """Who cannot buy online but has a proxy: a group leader or an online customer tie."""
        c, spec = self.consumers, self.spec
        offline = ~c.online_ready & free
        has_proxy = np.zeros(c.n, bool)
        if self.leaders.size and spec.group_leaders.proxy_purchase:
            has_proxy |= offline & (self.leader_of_neighborhood[self.layout.neighborhood] >= 0)
        if spec.behavior.proxy_via_ties:
            ask = np.flatnonzero(offline & ~has_proxy)
            has_proxy[ask] = proxy_purchase.has_online_tie(self.local_trust, ask, online_customer)
        return has_proxy

    def _credit_proxies(self, orders: Orders, online_customer: np.ndarray) -> None:
        """Offline buyers' orders go through a proxy; a proxy who is a sharer is credited."""
        c = self.consumers
        idx = np.flatnonzero(~c.online_ready[orders.buyer])
        if idx.size == 0:
            return
        buyers = orders.buyer[idx]
        proxy = self.leader_of_neighborhood[self.layout.neighborhood[buyers]]
        if not self.spec.group_leaders.proxy_purchase:
            proxy[:] = -1
        ask = proxy < 0
        proxy[ask] = purchase.pick_sharer(
            self.local_trust, buyers[ask], online_customer, self.uniform("proxy", c.n)[buyers[ask]]
        )
        orders.proxy[idx] = True
        sharer = proxy >= 0
        sharer[sharer] = c.is_sharer[proxy[sharer]]
        orders.shared_by[idx[sharer]] = proxy[sharer]

    def _fulfil(self, orders: Orders, settlement, counts: dict) -> None:
        """Send today's orders down the SimPy pipeline; judge what arrived today."""
        c, ff = self.consumers, self.fulfillment
        ff.submit(self.day, orders.buyer, self.layout.neighborhood[orders.buyer])
        delivered = ff.advance(self.day)
        late = delivered.buyers[delivered.lead_hours > ff.promise_hours]
        np.add.at(c.bad_experiences, late, 1)
        c.last_lead_hours[delivered.buyers] = delivered.lead_hours
        settlement.fulfillment_cost_fen = orders.size * ff.cost_per_order_fen
        counts["bad_experiences"] += late.size
        counts["late_deliveries"] = int(late.size)
        counts["deliveries"] = int(delivered.buyers.size)
        counts["delivery_minutes_total"] = round(float(delivered.lead_hours.sum()) * 60)

    def _send_gifts(self, sharer_idx: np.ndarray, counts: dict) -> None:
        """Sharers send gifts; receivers who register are bound to the sender and aware."""
        c, rule = self.consumers, self.spec.payout.gift
        u_send, u_pick, u_claim = self.uniform("gifts", (3, c.n))
        sender, receiver = gifting.send_gifts(
            sharer_idx,
            min(1.0, rule.gifts_per_sharer_per_month / 30.0),
            self.trust_by_speaker,
            u_send[sharer_idx],
            u_pick[sharer_idx],
        )
        claimed = gifting.claim_gifts(
            receiver, c.online_ready & ~c.lapsed, rule.claim_probability, u_claim[receiver]
        )
        sender, receiver = sender[claimed], receiver[claimed]
        bind = c.referrer[receiver] < 0
        c.referrer[receiver[bind]] = sender[bind]
        self.awareness[receiver, self.gift_category] += rule.awareness_per_gift
        pay_gifts(self.day, receiver, self.platform.scheme, self.ledger)
        counts["gifts_sent"], counts["gifts_claimed"] = int(claimed.size), int(receiver.size)

    def _bargain(self, orders: Orders, counts: dict) -> None:
        """First orders may start a bargain: helpers cut the price and become aware."""
        rule = self.spec.payout.bargain
        n, k = self.consumers.customer_of.shape
        u_ask = self.uniform("bargain", (n, k))
        idx = np.flatnonzero(
            orders.first_in_category & (u_ask[orders.buyer, orders.category] < rule.ask_probability)
        )
        _, first = np.unique(orders.buyer[idx], return_index=True)
        idx = idx[first]  # one bargain per buyer a day
        owner, helper = bargaining.ask_helpers(
            orders.buyer[idx],
            self.trust_by_speaker,
            rule.help_probability,
            self.streams["bargain_help"].random,
        )
        helpers = np.bincount(owner, minlength=idx.size)
        orders.bargain_cut[idx] = bargaining.cut_rate(
            helpers, rule.helpers_needed, rule.max_cut_rate
        )
        np.add.at(self.awareness, (helper, orders.category[idx[owner]]), rule.awareness_per_help)
        counts["bargains"], counts["bargain_helpers"] = int(idx.size), int(helper.size)

    def _group_buying(self, orders: Orders, channels: np.ndarray, counts: dict):
        """Divert purchases into groups, let groups recruit, fill or fail them."""
        c, day, book = self.consumers, self.day, self.groups
        rule = self.spec.payout.group_buy
        scheme = self.platform.scheme
        n, k = c.customer_of.shape
        u_open = self.uniform("group_buy", (n, k))
        divert = scheme.group_categories[orders.category] & (
            u_open[orders.buyer, orders.category] < rule.open_probability
        )
        # A consumer opens one group at a time; their other purchases today stay solo.
        idx = np.flatnonzero(divert)
        _, first = np.unique(orders.buyer[idx], return_index=True)
        divert[:] = False
        divert[idx[first]] = True
        opened = group_buying.open_groups(
            book, orders.buyer[divert], orders.category[divert], channels[divert], day
        )
        kept = ~divert
        orders = orders.subset(kept)
        channels = channels[kept]
        joiners = self.streams["group_join"]
        group_buying.join_groups(
            book,
            self.trust_by_speaker,
            c.online_ready & ~c.lapsed & ~self.excluded,
            rule.join_rate_per_share,
            self.group_demand * self.hype(),
            rule.group_size,
            joiners.random,
            SOURCE_GROUP,
        )
        closed_before = np.bincount(book.status, minlength=3)
        filled, filled_cat, failed, failed_cat = group_buying.close_groups(
            book, day, rule.group_size, rule.window_days
        )
        closed = np.bincount(book.status, minlength=3) - closed_before
        np.add.at(c.bad_experiences, failed, 1)
        counts["bad_experiences"] += failed.size
        was_customer = c.customer_of[failed, failed_cat]
        self._schedule_next_due(failed[was_customer], failed_cat[was_customer])
        group_orders = Orders.make(filled, filled_cat, False, group_order=True)
        orders = Orders.concat(orders, group_orders)
        channels = np.concatenate([channels, book.member_channel[filled]])
        counts["groups_opened"] = int(opened.size)
        counts["groups_filled"] = int(closed[group_buying.FILLED])
        counts["groups_failed"] = int(closed[group_buying.FAILED])
        return orders, channels

    def _record_orders(self, buyers: np.ndarray) -> None:
        """Update each buyer's order count and first/second/last order days."""
        c, day = self.consumers, self.day
        np.add.at(c.orders, buyers, 1)
        who = np.unique(buyers)
        first = c.first_order_day[who] < 0
        second = ~first & (c.second_order_day[who] < 0) & (c.first_order_day[who] < day)
        c.first_order_day[who[first]] = day
        c.second_order_day[who[second]] = day
        c.last_order_day[who] = day

    def _update_signal(self) -> None:
        """Incrementally update the trust-weighted share of ties broadcasting each state."""
        now = self.consumers.influence_state()
        changed = np.flatnonzero((now != self._broadcast).any(axis=1))
        if changed.size:
            delta = now[changed] - self._broadcast[changed]
            self.signal += np.asarray(self.influence_by_speaker[changed].T @ delta)
            self._broadcast = now

    def release(self) -> None:
        """Let a finished model be freed.

        Mesa 3.3 keeps every model alive in the class-level `Agent._ids` counter (keyed by
        model); a sweep of thousands of runs would hold them all. Call this when done.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def run_model(self) -> None:
        while self.running:
            self.step()

    # ------------------------------------------------------------------ results
    def daily_frame(self):
        return self.recorder.frame(self.day, rivals=bool(self.rivals))

    def kpis(self) -> dict[str, float]:
        return metrics.kpis(self)
