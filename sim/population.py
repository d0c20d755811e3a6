"""Where consumers live: households, neighborhoods, city tiers, age and online readiness.

Consumers are numbered so that the members of a household are consecutive and the
households of a neighborhood are consecutive; the network generator relies on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import PopulationSection

MAX_HOUSEHOLD_SIZE = 8


@dataclass(frozen=True)
class Layout:
    """Static facts about every consumer and neighborhood of one replication."""

    household: np.ndarray  # (N,) household id per consumer
    neighborhood: np.ndarray  # (N,) neighborhood id per consumer
    neighborhood_start: np.ndarray  # (M,) first consumer of each neighborhood
    neighborhood_size: np.ndarray  # (M,) consumers per neighborhood
    neighborhood_tier: np.ndarray  # (M,) city tier name per neighborhood
    online_ready: np.ndarray  # (N,) bool: can this consumer buy online?
    elderly: np.ndarray  # (N,) bool: aged 60 or more

    @property
    def consumers(self) -> int:
        return int(self.household.size)


def draw_household_sizes(n: int, mean_size: float, rng: np.random.Generator) -> np.ndarray:
    """Household sizes 1 + Poisson(mean - 1), capped, summing exactly to n consumers."""
    sizes = 1 + rng.poisson(max(mean_size - 1.0, 0.0), size=n)
    np.minimum(sizes, MAX_HOUSEHOLD_SIZE, out=sizes)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(ends[k - 1] - n)
    return sizes


def neighborhood_targets(pop: PopulationSection, rng: np.random.Generator):
    """Target consumers per neighborhood and its tier, from the neighborhood groups."""
    weights = np.array([g.weight for g in pop.neighborhoods], dtype=float)
    group_consumers = np.floor(pop.consumers * weights / weights.sum()).astype(np.int64)
    group_consumers[-1] += pop.consumers - group_consumers.sum()
    sizes, tiers = [], []
    for group, n_group in zip(pop.neighborhoods, group_consumers, strict=True):
        share = rng.dirichlet(np.full(group.count, 8.0))
        sizes.append(share * n_group)
        tiers.extend([group.city_tier] * group.count)
    return np.concatenate(sizes), np.array(tiers)


def build_layout(pop: PopulationSection, rng: np.random.Generator) -> Layout:
    """Draw households, place them in neighborhoods, and draw each consumer's readiness."""
    n = pop.consumers
    hh_sizes = draw_household_sizes(n, pop.household_size_mean, rng)
    household = np.repeat(np.arange(hh_sizes.size), hh_sizes)
    hh_start = np.cumsum(hh_sizes) - hh_sizes
    target_sizes, tiers = neighborhood_targets(pop, rng)
    target_ends = np.cumsum(target_sizes)
    # A household belongs to the neighborhood whose target range holds its first member.
    hh_neighborhood = np.minimum(
        np.searchsorted(target_ends, hh_start, side="right"), target_sizes.size - 1
    )
    neighborhood = np.repeat(hh_neighborhood, hh_sizes)
    m = target_sizes.size
    size = np.bincount(neighborhood, minlength=m)
    start = np.cumsum(size) - size
    readiness_by_tier = pop.online_readiness.model_dump()
    tier_readiness = np.array([readiness_by_tier[t] for t in tiers])[neighborhood]
    elderly_share = np.concatenate([np.full(g.count, g.elderly_share) for g in pop.neighborhoods])[
        neighborhood
    ]
    u_ready = rng.random(n)
    elderly = rng.random(n) < elderly_share
    readiness = age_readiness(
        tier_readiness, elderly, elderly_share, pop.online_readiness.elderly_factor
    )
    online_ready = u_ready < readiness
    return Layout(household, neighborhood, start, size, tiers, online_ready, elderly)


def age_readiness(
    tier_readiness: np.ndarray,
    elderly: np.ndarray,
    elderly_share: np.ndarray,
    elderly_factor: float,
) -> np.ndarray:
    """Each consumer's readiness: the tier average split by age.

    Younger consumers have r / (1 - e + e f) and the elderly f times that (capped at 1), so
    that a neighborhood with elderly share e averages its tier's readiness r.
    """
    young = np.minimum(tier_readiness / (1.0 - elderly_share + elderly_share * elderly_factor), 1.0)
    return np.where(elderly, young * elderly_factor, young)
