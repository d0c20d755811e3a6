"""KOLs (意见领袖): one-to-many reach over weaker trust, a posting schedule, fees and CPS.

Each KOL is a `mesa.Agent` with a follower set (drawn from the consumers at the start) and
a posting schedule. On a post day every follower's adoption hazard for the promoted
category rises by trust x conversion_per_post (a burst). Customers a KOL brought (credited
to the KOL channel) reorder with probability x audience_match: they "try once but
repurchase only if the product matches the audience". The platform pays the KOL a fixed
fee per post and/or a commission (CPS) on the orders of the customers the KOL brought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.ledger import EXTERNAL, PLATFORM
from sim.mechanisms.base import Day, Mechanism, State
from sim.metrics import ratio, repeat_rate
from sim.schema_base import Probability, Section, param
from sim.state import SOURCE_KOL

if TYPE_CHECKING:
    from sim.scenario import Scenario


class KOLSection(Section):
    """One KOL."""

    name: str = param(..., "KOL name.", min_length=1, max_length=60)
    followers: int = param(2000, "Followers, drawn at random from the consumers.", "people", ge=1)
    trust: Probability = param(
        0.15, "Followers' trust in the KOL (weaker than a tie's).", "weight 0..1"
    )
    first_post_day: int = param(14, "Day of the first post.", "day", ge=0)
    post_interval_days: int = param(30, "Days between posts.", "days", ge=1)
    conversion_per_post: float = param(
        2.0, "Adoption hazard a post adds for a follower of trust 1.", "per post", ge=0.0, le=50.0
    )
    category: str | None = param(None, "The promoted category (default: the first).")
    audience_match: Probability = param(
        0.5,
        "How well the product matches the audience: multiplies the reorder probability "
        "of the customers the KOL brought.",
        "fraction",
    )
    fee_per_post_yuan: float = param(0.0, "Fixed fee per post.", "yuan", ge=0.0)
    commission_rate: Probability = param(
        0.0, "Commission (CPS) on the orders of customers the KOL brought.", "fraction"
    )


class KOL(mesa.Agent):
    """A KOL agent: followers, schedule, and what the platform owes them."""

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        spec: KOLSection,
        followers: np.ndarray,
        category: int,
    ):
        super().__init__(model)
        self.index = index
        self.spec = spec
        self.followers = followers
        self.category = category

    def posts_on(self, day: int) -> bool:
        s = self.spec
        return day >= s.first_post_day and (day - s.first_post_day) % s.post_interval_days == 0


def draw_followers(consumers: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """A KOL's followers: `count` distinct consumers at random."""
    return np.sort(rng.choice(consumers, size=min(count, consumers), replace=False))


def kol_rates(kols: list[KOL], day: int, shape: tuple[int, int]):
    """(N, C) adoption hazard from today's posts, and (N,) which KOL reached each consumer
    (the strongest post; -1 for none)."""
    rate = np.zeros(shape)
    who = np.full(shape[0], -1, np.int64)
    best = np.zeros(shape[0])
    for kol in kols:  # a handful of KOLs, not consumers
        if not kol.posts_on(day):
            continue
        add = kol.spec.trust * kol.spec.conversion_per_post
        rate[kol.followers, kol.category] += add
        stronger = add > best[kol.followers]
        who[kol.followers[stronger]] = kol.index
        best[kol.followers[stronger]] = add
    return rate, who


class KOLs(Mechanism):
    name = "kols"
    phase = "expose"
    streams = ("kols",)
    series = ("kol_posts", "kol_customer_gmv")
    kpis = ("kol_customers", "kol_repeat_rate_90d", "kol_roi")
    states = (State("kol_of", np.int64, -1, doc="the KOL who brought the customer, -1 if none"),)

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return bool(spec.kols)

    def setup(self) -> None:
        names = self.spec.category_names
        self.agents = [
            KOL(
                self.platform.model,
                i,
                spec,
                draw_followers(self.pop.n, spec.followers, self.rng("kols")),
                names.index(spec.category) if spec.category else 0,
            )
            for i, spec in enumerate(self.spec.kols)
        ]
        self.match = np.array([kol.spec.audience_match for kol in self.agents] + [1.0])
        self.trust = np.array([kol.spec.trust for kol in self.agents] + [1.0])
        self.commission = np.array([kol.spec.commission_rate for kol in self.agents] + [0.0])

    def expose(self, day: Day) -> None:
        """Today's posts raise followers' hazards; the platform pays each post's fee."""
        rate, self.reached = kol_rates(self.agents, day.index, (day.consumers, day.categories))
        day.hazard["kol"] = rate
        posting = [kol for kol in self.agents if kol.posts_on(day.index)]
        fees = np.array([round(kol.spec.fee_per_post_yuan * 100) for kol in posting], np.int64)
        who = np.array([kol.index for kol in posting], np.int64)
        day.ledger.record(
            day.index,
            "kol_fee",
            np.full(who.size, PLATFORM),
            np.full(who.size, EXTERNAL),
            fees,
            level=1,
        )
        day.count("kol_posts", len(posting))

    def attribute(self, day: Day) -> None:
        """A first purchase credited to the KOL channel binds the buyer to the KOL."""
        buyer = day.first_buyer
        by_kol = (day.first_channel == SOURCE_KOL) & (self.pop.kol_of[buyer] < 0)
        self.pop.kol_of[buyer[by_kol]] = self.reached[buyer[by_kol]]

    def trust_in_recommender(self, buyers: np.ndarray) -> np.ndarray:
        """(K,) buyers' trust in the KOL who brought them, NaN where none did."""
        kol = self.pop.kol_of[buyers]
        return np.where(kol >= 0, self.trust[kol], np.nan)

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        """Customers a KOL brought reorder with probability x the KOL's audience match."""
        kol = self.pop.kol_of[buyers]
        return np.where(kol >= 0, self.match[kol], 1.0)

    def settle(self, day: Day) -> None:
        """CPS: each KOL earns their rate on the orders of the customers they brought."""
        orders, settlement = day.orders, day.settlement
        kol = self.pop.kol_of[orders.buyer]
        mine = kol >= 0
        day.count("kol_customer_gmv", settlement.list_fen[mine].sum())
        if not mine.any():
            return
        amount = np.rint(settlement.list_fen[mine] * self.commission[kol[mine]])
        day.ledger.record(
            day.index,
            "kol_commission",
            np.full(int(mine.sum()), PLATFORM),
            np.full(int(mine.sum()), EXTERNAL),
            amount.astype(np.int64),
            level=1,
        )

    def kpi_values(self) -> dict[str, float]:
        c, v = self.pop, self.platform.recorder.values
        mine = c.kol_of >= 0
        cost = v["payout_kol_fee"].sum() + v["payout_kol_commission"].sum()
        return {
            "kol_customers": float(np.count_nonzero(mine & c.is_customer)),
            "kol_repeat_rate_90d": repeat_rate(
                np.where(mine, c.first_order_day, -1), c.second_order_day, self.platform.day, 90
            ),
            "kol_roi": ratio(v["kol_customer_gmv"].sum() - cost, cost) if cost else float("nan"),
        }
