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

from sim.schema_base import Probability, Section, param

if TYPE_CHECKING:
    from sim.model import SocialCommerceModel


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
        model: SocialCommerceModel,
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
