"""Community groups (社群): chat groups that live on activity and content.

Each group has members drawn from the network (a host and the host's ties, filled up with
consumers from the host's neighborhood), a few seed users, and value contributors among the
members. Every day group g gets Poisson(S x s + K_g x k x A_g) posts: S seed users posting
s a day and K_g contributors posting k a day while the group is active (activity A_g in
0..1). Activity decays without posts and grows with them:

    A_g <- clip(A_g x (1 - decay) + per_post x posts_g, 0, 1)

Posts are exposures: a member's adoption hazard for category c rises by
exposure_per_post x posts_g x A_g x affinity_gc, with affinity_gc the group's match to the
category (a Dirichlet draw per group). Members also reorder a category more when their
groups match it: x (1 - e + e x C x match). A group without seed users decays; seed users
keep it alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.mechanisms.base import Day, Mechanism
from sim.schema_base import Probability, Section, param

if TYPE_CHECKING:
    from sim.scenario import Scenario

ALIVE_ACTIVITY = 0.05


class CommunityGroupSection(Section):
    """Community groups and what keeps them alive."""

    count: int = param(0, "Number of community groups (0: none).", "groups", ge=0)
    members_per_group: int = param(100, "Members per group.", "people", ge=2)
    seed_users_per_group: int = param(2, "Seed users posting in each group.", "people", ge=0)
    seed_posts_per_day: float = param(1.0, "Posts per seed user per day.", "posts", ge=0.0)
    contributor_share: Probability = param(
        0.05, "Share of members who are value contributors.", "fraction"
    )
    contributor_posts_per_day: float = param(
        0.1, "Posts per contributor per day in a fully active group.", "posts", ge=0.0
    )
    activity_decay_per_day: Probability = param(
        0.1, "Share of a group's activity lost each day.", "per day"
    )
    activity_per_post: float = param(0.05, "Activity gained per post.", "per post", ge=0.0)
    initial_activity: Probability = param(1.0, "Activity of a new group.", "0..1")
    exposure_per_post: float = param(
        0.01,
        "Adoption hazard per post read in a fully active, matching group.",
        "per post",
        ge=0.0,
        le=50.0,
    )
    affinity_repurchase_effect: Probability = param(
        0.5,
        "Members reorder a category with probability x (1 - e + e x C x match), match "
        "their groups' mean affinity for it (1/C is neutral).",
        "fraction",
    )
    affinity_concentration: float = param(
        1.0, "Dirichlet concentration of groups' category affinity (small: niche groups).", gt=0.0
    )


@dataclass
class CommunityGroups:
    membership: sp.csr_matrix  # (N, G) 1 where a consumer is a member
    affinity: np.ndarray  # (G, C) category match, rows sum to 1
    contributors: np.ndarray  # (G,) value contributors per group
    activity: np.ndarray  # (G,)

    @property
    def alive(self) -> np.ndarray:
        return self.activity > ALIVE_ACTIVITY


def form_groups(
    spec: CommunityGroupSection,
    trust: sp.csr_matrix,
    neighborhood_start,
    neighborhood_size,
    neighborhood,
    categories: int,
    rng: np.random.Generator,
) -> CommunityGroups:
    """Draw hosts, members (host's ties first, then neighbors), contributors and affinity."""
    n, g, m = trust.shape[0], spec.count, spec.members_per_group
    hosts = rng.integers(0, n, g)
    rows, cols = [], []
    for j, host in enumerate(hosts):  # groups, not consumers
        ties = trust.indices[trust.indptr[host] : trust.indptr[host + 1]]
        nb = neighborhood[host]
        pool = neighborhood_start[nb] + rng.permutation(neighborhood_size[nb])
        ordered = np.concatenate([[host], ties, pool])
        _, first = np.unique(ordered, return_index=True)
        members = ordered[np.sort(first)][:m]
        rows.append(members)
        cols.append(np.full(members.size, j))
    rows_a = np.concatenate(rows) if rows else np.empty(0, np.int64)
    cols_a = np.concatenate(cols) if cols else np.empty(0, np.int64)
    membership = sp.csr_matrix((np.ones(rows_a.size), (rows_a, cols_a)), shape=(n, g))
    sizes = np.asarray(membership.sum(axis=0)).ravel()
    contributors = rng.binomial(sizes.astype(np.int64), spec.contributor_share)
    affinity = rng.dirichlet(np.full(categories, spec.affinity_concentration), size=g)
    return CommunityGroups(membership, affinity, contributors, np.full(g, spec.initial_activity))


def member_match(groups: CommunityGroups, consumers: int) -> np.ndarray:
    """(N, C) each member's mean category affinity over their groups; 1/C for non-members."""
    categories = groups.affinity.shape[1]
    counts = np.asarray(groups.membership.sum(axis=1)).ravel()
    total = np.asarray(groups.membership @ groups.affinity)
    return np.where(counts[:, None] > 0, total / np.maximum(counts, 1)[:, None], 1.0 / categories)


def repurchase_factor(match: np.ndarray, effect: float) -> np.ndarray:
    """Reorder multiplier 1 - e + e x C x match (1 for a neutral match)."""
    return 1.0 - effect + effect * match.shape[1] * match


def post_and_update(
    groups: CommunityGroups, spec: CommunityGroupSection, rng: np.random.Generator
) -> np.ndarray:
    """Today's posts per group; activity is updated in place."""
    mean = (
        spec.seed_users_per_group * spec.seed_posts_per_day
        + groups.contributors * spec.contributor_posts_per_day * groups.activity
    )
    posts = rng.poisson(mean)
    groups.activity = np.clip(
        groups.activity * (1 - spec.activity_decay_per_day) + spec.activity_per_post * posts,
        0.0,
        1.0,
    )
    return posts


def group_exposure(groups: CommunityGroups, posts: np.ndarray, per_post: float) -> np.ndarray:
    """(N, C) adoption hazard from today's posts read by members."""
    weight = (posts * groups.activity)[:, None] * groups.affinity * per_post
    return np.asarray(groups.membership @ weight)


class CommunityGroupsMechanism(Mechanism):
    name = "community_groups"
    phase = "expose"
    streams = ("community",)
    series = ("community_posts", "live_groups")
    kpis = ("group_liveness",)

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.community_groups.count > 0

    def setup(self) -> None:
        spec, layout = self.spec.community_groups, self.platform.layout
        self.groups = form_groups(
            spec,
            self.platform.network.trust,
            layout.neighborhood_start,
            layout.neighborhood_size,
            layout.neighborhood,
            len(self.spec.categories),
            self.rng("community"),
        )
        self.repurchase = repurchase_factor(
            member_match(self.groups, self.pop.n), spec.affinity_repurchase_effect
        )

    def expose(self, day: Day) -> None:
        spec = self.spec.community_groups
        posts = post_and_update(self.groups, spec, self.rng("community"))
        day.hazard["word_of_mouth"] = day.hazard["word_of_mouth"] + group_exposure(
            self.groups, posts, spec.exposure_per_post
        )
        day.count("community_posts", posts.sum())
        day.count("live_groups", self.groups.alive.sum())

    def reorder_factor(self, day: Day, buyers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        """Members reorder a category more when their groups match it."""
        return self.repurchase[buyers, categories]

    def kpi_values(self) -> dict[str, float]:
        return {"group_liveness": float(self.groups.alive.mean())}
