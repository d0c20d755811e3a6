"""The world: one population and trust network per replication, shared by platforms."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.market import Market
from sim.world import TrustNetwork
from tests.conftest import small_scenario


def test_derived_views_of_the_network():
    trust = sp.csr_matrix(np.array([[0, 0.5, 0.2], [1.0, 0, 0], [0, 0.4, 0]]))
    net = TrustNetwork(trust, neighborhood=np.array([0, 0, 1]))
    assert (net.by_speaker.toarray() == trust.T.toarray()).all()
    assert np.allclose(np.asarray(abs(net.influence_by_speaker).sum(axis=0)).ravel(), 1.0)
    assert net.local.tolist() == [True, False, True, False]  # (0,1) (0,2) (1,0) (2,1)
    tied = net.with_ties(np.array([2]), np.array([0]), np.array([0.9]))
    assert tied.trust[2, 0] == 0.9 and net.trust[2, 0] == 0  # a new network


def test_a_generated_network_is_its_own_transpose():
    market = Market(small_scenario(run={"days": 1}))
    net = market.world.network
    assert net.symmetric and net.by_speaker is net.trust
    transpose = net.trust.T.tocsr()
    for part in ("indptr", "indices", "data"):
        assert (getattr(transpose, part) == getattr(net.trust, part)).all()


def test_rivals_share_one_world_and_its_network():
    s = small_scenario(run={"days": 5}, rivals=[{"name": "rival"}])
    market = Market(s)
    mine, rival = market.platforms
    assert rival.world is mine.world and rival.network is mine.network
    assert rival.network.by_speaker is mine.network.by_speaker  # derived once


def test_group_leaders_tie_their_platform_only():
    s = small_scenario(
        run={"days": 5}, rivals=[{"name": "rival", "group_leaders": {"per_neighborhood": 1}}]
    )
    mine, rival = Market(s).platforms
    assert rival.network is not mine.network
    assert rival.network.trust.nnz > mine.network.trust.nnz == mine.world.network.trust.nnz


def test_influence_of_a_generated_network_shares_the_trust_matrix_layout():
    """For a symmetric network the by-speaker influence is the trust matrix's own index
    arrays with scaled values: the same numbers in the same order as transposing the
    row-normalized matrix, with no second copy of the indices."""
    from sim.network import row_normalized

    net = Market(small_scenario()).platform.network
    assert net.symmetric
    fast, slow = net.influence_by_speaker, row_normalized(net.trust).T.tocsr()
    assert np.array_equal(fast.indptr, slow.indptr)
    assert np.array_equal(fast.indices, slow.indices)
    assert fast.data.tobytes() == slow.data.tobytes()
    assert np.shares_memory(fast.indices, net.trust.indices)


def test_every_matrix_said_to_be_sorted_is_sorted():
    """Spreading split among threads bisects each speaker's ties to a range of listeners
    when the matrix says its indices ascend (`has_sorted_indices`), so a flag set by hand
    (the network builders set it) must be true: each matrix spread over (trust, by
    speaker, influence) of a generated network, of one with group leaders' ties added,
    and of an edge list (Bitcoin OTC's) is checked against a fresh look at its indices."""
    from sim.scenario import load_scenario
    from tests.conftest import ROOT

    specs = [
        small_scenario(run={"days": 1}),
        small_scenario(run={"days": 1}, group_leaders={"per_neighborhood": 1}),
        load_scenario(ROOT / "scenarios" / "bitcoin_otc.toml", {"run.days": 1}),
    ]
    sorted_seen = 0
    for k, spec in enumerate(specs):
        market = Market(spec)
        net = market.platform.network
        assert (net is not market.world.network) == (k == 1)  # the leaders' ties: a new matrix
        for matrix in (net.trust, net.by_speaker, net.influence_by_speaker):
            fresh = sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), matrix.shape)
            assert fresh.has_sorted_indices or not matrix.has_sorted_indices
            sorted_seen += bool(matrix.has_sorted_indices)
    assert sorted_seen >= 6  # the flag is set where the kernel could bisect
