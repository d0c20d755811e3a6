"""Community groups: activity, seed users, posts and reorders."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.mechanisms import community_groups as cg
from sim.runner import run
from tests.conftest import small_scenario


def groups_fixture(activity=1.0):
    membership = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], dtype=float))
    affinity = np.array([[1.0, 0.0], [0.25, 0.75]])
    return cg.CommunityGroups(membership, affinity, np.array([0, 0]), np.full(2, activity))


def test_a_group_without_posts_decays_geometrically():
    spec = cg.CommunityGroupSection(count=2, seed_users_per_group=0, activity_decay_per_day=0.1)
    groups = groups_fixture()
    rng = np.random.Generator(np.random.PCG64(0))
    for _ in range(10):
        assert cg.post_and_update(groups, spec, rng).sum() == 0
    np.testing.assert_allclose(groups.activity, 0.9**10)
    for _ in range(20):
        cg.post_and_update(groups, spec, rng)
    assert not groups.alive.any()


def test_seed_users_keep_a_group_alive():
    spec = cg.CommunityGroupSection(
        count=2,
        seed_users_per_group=2,
        seed_posts_per_day=1.0,
        activity_decay_per_day=0.1,
        activity_per_post=0.05,
    )
    groups = groups_fixture()
    rng = np.random.Generator(np.random.PCG64(0))
    for _ in range(200):
        cg.post_and_update(groups, spec, rng)
    # equilibrium: A = 0.9 A + 0.05 x 2 posts a day -> about 1
    assert groups.alive.all() and groups.activity.mean() > 0.7


def test_posts_reach_members_by_category_affinity():
    groups = groups_fixture(activity=0.5)
    rate = cg.group_exposure(groups, np.array([2, 4]), 0.1)
    # member 0 in group 0 only: 2 posts x 0.5 x affinity (1, 0) x 0.1
    np.testing.assert_allclose(rate[0], [0.1, 0.0])
    # member 1 in both groups
    np.testing.assert_allclose(rate[1], [0.1 + 4 * 0.5 * 0.25 * 0.1, 4 * 0.5 * 0.75 * 0.1])


def test_groups_are_formed_from_the_network():
    result = run(
        small_scenario(
            run={"days": 30, "replications": 1},
            community_groups={"count": 5, "members_per_group": 40},
        ),
        progress=False,
    )
    assert result.kpis["group_liveness"]["mean"] == 1.0
    assert result.daily["community_posts"].sum() > 0


def test_group_match_scales_members_reorders():
    groups = groups_fixture()
    match = cg.member_match(groups, 3)
    np.testing.assert_allclose(match, [[1.0, 0.0], [0.625, 0.375], [0.25, 0.75]])
    factor = cg.repurchase_factor(match, 0.5)
    np.testing.assert_allclose(factor[0], [1.5, 0.5])  # a perfectly matched niche group
    neutral = cg.repurchase_factor(np.full((1, 4), 0.25), 0.5)
    np.testing.assert_allclose(neutral, 1.0)
