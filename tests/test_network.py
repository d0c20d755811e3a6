"""The trust network: the seeded generator and edge lists, real and large."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.market import SocialCommerceModel
from sim.network import (
    edge_list_network,
    friend_ties,
    generate_network,
    layers_to_matrix,
    read_edge_list,
    row_normalized,
    ties_to_matrix,
)
from sim.population import build_layout
from sim.scenario import NetworkSection
from sim.streams import Streams
from tests.conftest import BITCOIN, edge_list_scenario, small_scenario


def build(seed: int, replication: int = 0):
    s = small_scenario(run={"seed": seed})
    streams = Streams(seed, replication)
    layout = build_layout(s.population, streams["population"])
    trust = generate_network(layout, s.network, s.behavior.trust_weights, streams["network"])
    return layout, trust, s


def test_generator_is_seeded():
    _, a, _ = build(1)
    _, b, _ = build(1)
    _, c, _ = build(2)
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


def test_replications_get_different_networks():
    _, a, _ = build(1, 0)
    _, b, _ = build(1, 1)
    assert (a != b).nnz > 0


def test_generated_network_is_symmetric_without_self_ties():
    _, trust, _ = build(3)
    assert (trust != trust.T).nnz == 0
    assert trust.diagonal().sum() == 0


def test_household_members_are_all_tied_with_household_trust():
    layout, trust, s = build(4)
    hh = layout.household
    for h in np.unique(hh)[:200]:
        members = np.flatnonzero(hh == h)
        block = trust[members][:, members].toarray()
        off = ~np.eye(members.size, dtype=bool)
        assert np.all(block[off] == s.behavior.trust_weights.household)


def test_neighbor_ties_stay_inside_the_neighborhood():
    layout, trust, s = build(5)
    coo = trust.tocoo()
    neighbor = coo.data == s.behavior.trust_weights.neighbor
    assert neighbor.sum() > 0
    nb = layout.neighborhood
    assert np.all(nb[coo.row[neighbor]] == nb[coo.col[neighbor]])


def test_mean_degree_matches_parameters():
    layout, trust, s = build(6)
    sizes = np.bincount(layout.household)
    household_degree = (sizes * (sizes - 1)).sum() / sizes.sum()
    expected = (
        household_degree + s.network.neighbor_ties_per_consumer + s.network.friend_ties_per_consumer
    )
    degree = trust.getnnz(axis=1).mean()
    # Overlaps between layers only remove ties: at most a few percent here.
    assert 0.9 * expected < degree <= expected + 0.2


def test_friend_ring_without_rewiring_is_a_lattice(rng):
    u, v = friend_ties(50, 4, 0.0, rng)
    trust = ties_to_matrix(50, u, v, np.ones(u.size), symmetric=True)
    assert np.all(trust.getnnz(axis=1) == 4)


def test_friend_rewiring_makes_shortcuts(rng):
    u, v = friend_ties(10_000, 6, 0.1, rng)
    assert u.size == 30_000 - np.count_nonzero(u == v)


def test_duplicate_ties_keep_the_strongest():
    m = ties_to_matrix(
        3, np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([0.3, 0.9, 0.5]), symmetric=True
    )
    assert m[0, 1] == 0.9 and m[1, 0] == 0.9 and m[2, 1] == 0.5


def test_row_normalized_sums_to_one_or_zero():
    _, trust, _ = build(7)
    sums = np.asarray(row_normalized(trust).sum(axis=1)).ravel()
    degree = trust.getnnz(axis=1)
    np.testing.assert_allclose(sums[degree > 0], 1.0)
    assert np.all(sums[degree == 0] == 0)


# ------------------------------------------------------------------ edge lists
def bitcoin_network(**net):
    edges = read_edge_list(BITCOIN)
    section = NetworkSection(edge_list=str(BITCOIN), directed=True, weight_scale=10.0, **net)
    return edges, edge_list_network(edges, edges.nodes, section, "test")


def test_bitcoin_otc_loads_as_a_directed_trust_network():
    raw = pd.read_csv(BITCOIN, header=None, names=["s", "t", "rating", "time"])
    edges, trust = bitcoin_network()
    assert edges.nodes == 5881
    assert trust.shape == (5881, 5881)
    assert trust.nnz == int((raw["rating"] > 0).sum())  # negatives dropped
    assert trust.data.min() > 0 and trust.data.max() <= 1.0
    # 'source rates target': the source (row) trusts the target (column).
    row = raw.iloc[0]
    i = int(np.flatnonzero(edges.labels == row["s"])[0])
    j = int(np.flatnonzero(edges.labels == row["t"])[0])
    assert trust[i, j] == pytest.approx(row["rating"] / 10)


def test_bitcoin_otc_distrust_keeps_negative_ties():
    raw = pd.read_csv(BITCOIN, header=None, names=["s", "t", "rating", "time"])
    _, trust = bitcoin_network(negative_ties="distrust")
    assert trust.nnz == len(raw)
    assert (trust.data < 0).sum() == int((raw["rating"] < 0).sum())


def test_bitcoin_otc_runs_as_a_scenario(tmp_path):
    s = edge_list_scenario(
        tmp_path,
        [(0, 1, 1.0)],
        5881,
        network={"edge_list": str(BITCOIN), "directed": True, "weight_scale": 10.0},
        behavior={"external_influence_per_day": 0.01, "word_of_mouth_per_day": 0.3},
    )
    model = SocialCommerceModel(s)
    model.run_model()
    assert 0 < model.kpis()["customers"] <= 5881


def test_weight_scale_must_map_into_unit_interval():
    edges = read_edge_list(BITCOIN)
    with pytest.raises(ScenarioError) as info:
        edge_list_network(edges, edges.nodes, NetworkSection(edge_list="x"), "s.toml")
    assert info.value.problems[0].key == "network.weight_scale"
    assert "10" in info.value.problems[0].allowed


def test_too_few_consumers_for_the_edge_list():
    edges = read_edge_list(BITCOIN)
    with pytest.raises(ScenarioError) as info:
        edge_list_network(edges, 100, NetworkSection(edge_list="x", weight_scale=10), "s")
    assert info.value.problems[0].key == "population.consumers"


def test_header_is_optional_and_labels_need_not_be_numbers(tmp_path):
    with_header = tmp_path / "a.csv"
    with_header.write_text("source,target,weight\nann,bo,0.5\nbo,cy,1\n")
    edges = read_edge_list(with_header)
    assert edges.nodes == 3 and list(edges.labels) == ["ann", "bo", "cy"]
    bare = tmp_path / "b.csv"
    bare.write_text("1,2\n2,3\n")
    edges = read_edge_list(bare)
    assert edges.nodes == 3 and np.all(edges.weight == 1.0)


def test_non_numeric_weight_is_reported_with_its_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("source,target,weight\n1,2,0.5\n2,3,high\n")
    with pytest.raises(ScenarioError) as info:
        read_edge_list(path)
    assert "line 3" in str(info.value)


@pytest.mark.slow
def test_a_generated_edge_list_of_over_a_million_edges(tmp_path, rng):
    n, m = 200_000, 1_200_000
    frame = pd.DataFrame(
        {
            "source": rng.integers(0, n, m),
            "target": rng.integers(0, n, m),
            "weight": np.round(rng.random(m) * 0.99, 3) + 0.01,
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    edges = read_edge_list(path)
    trust = edge_list_network(edges, edges.nodes, NetworkSection(edge_list=str(path)), "big")
    keep = (frame["source"] != frame["target"]).to_numpy()
    assert edges.source.size == m
    assert trust.nnz <= 2 * keep.sum() and trust.nnz > 1.9 * keep.sum()  # few duplicates
    assert (trust != trust.T).nnz == 0


def test_generated_network_is_a_small_world():
    """High clustering (households, neighborhoods) with short paths (friend shortcuts)."""
    import networkx as nx

    _, trust, _ = build(8)
    graph = nx.from_scipy_sparse_array(trust)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    density = 2 * m / (n * (n - 1))
    assert nx.average_clustering(graph) > 10 * density  # a random graph has about `density`
    giant = graph.subgraph(max(nx.connected_components(graph), key=len))
    assert giant.number_of_nodes() > 0.99 * n
    sources = list(giant.nodes)[:20]
    lengths = [
        np.mean(list(nx.single_source_shortest_path_length(giant, s).values())) for s in sources
    ]
    assert np.mean(lengths) < 2 * np.log(n) / np.log(2 * m / n)


BAD_EDGE_LISTS = {
    "missing id NA": (b"1,2,1\nNA,3,1\n", "line 2: missing node id 'NA'"),
    "missing id null": (b"1,2,1\n2,null,1\n", "line 2: missing node id 'null'"),
    "missing id nan": (b"1,2,1\n2,3,1\nnan,1,1\n", "line 3: missing node id 'nan'"),
    "empty id": (b"1,2,1\n,3,1\n", "line 2: missing node id ''"),
    "latin-1": ("1,2,1\nJosé,3,1\n".encode("latin-1"), "line 2: not UTF-8"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    "unterminated quote": (b'1,2,1\n"3,4,1\n', "line 2"),
    "one column": (b"1,2,1\n3\n", "line 2: fewer than two columns"),
    "infinite weight": (b"1,2,1\n2,3,inf\n", "line 2: weight 'inf' is not a finite number"),
    "header only": (b"source,target,weight\n", "no edges"),
    "empty file": (b"", "no edges"),
    "all zero weights": (b"1,2,0\n2,3,0\n", "no tie"),
    "all self-loops": (b"1,1,1\n2,2,1\n", "no tie"),
}


@pytest.mark.parametrize("case", BAD_EDGE_LISTS, ids=list(BAD_EDGE_LISTS))
def test_every_bad_edge_list_is_refused_naming_its_line(tmp_path, case):
    content, expected = BAD_EDGE_LISTS[case]
    path = tmp_path / "edges.csv"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        read_edge_list(path)
    problem = info.value.problems[0]
    assert problem.key == "network.edge_list" and problem.allowed
    assert expected in problem.message


def test_comments_and_blank_lines_are_skipped_with_lines_counted(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("# exported 2026-11-25\n\nsource,target\n1,2\n\n# a note\n2,x3\n")
    edges = read_edge_list(path)
    assert edges.nodes == 3 and list(edges.labels) == ["1", "2", "x3"]
    path.write_text("# c\n1,2,1\n\n2,3,oops\n")
    with pytest.raises(ScenarioError, match="line 4"):
        read_edge_list(path)


def test_sim_validate_reads_the_edge_list(tmp_path, capsys):
    from sim.cli import main

    (tmp_path / "edges.csv").write_text("1,2,1\nNA,3,1\n")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        '[network]\nedge_list = "edges.csv"\n[population]\nconsumers = 10\n'
        "neighborhoods = [{count = 1}]\n"
    )
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "line 2: missing node id 'NA'" in err and "allowed:" in err


def test_integer_ids_are_one_node_however_written_and_labels_are_kept(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("7,1,1\n007,2,1\n7.0,1,1\n")
    edges = read_edge_list(path)
    assert edges.nodes == 3 and list(edges.labels) == [7, 1, 2]
    path.write_text("--5,3,1\n²,3,1\n99999999999999999999,4,1\n")
    edges = read_edge_list(path)  # odd labels are labels, not a crash
    assert edges.nodes == 5 and "--5" in list(edges.labels)


def test_label_ids_without_weights_keep_their_first_edge(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("alice,bob\nbob,carol\n")
    edges = read_edge_list(path)
    assert edges.source.size == 2 and edges.nodes == 3
    path.write_text("source,target\nalice,bob\n")
    assert read_edge_list(path).source.size == 1  # a header that names its columns


def test_layers_build_the_matrix_ties_to_matrix_builds_from_their_concatenation():
    """The lean builder of generated networks equals the general one: strongest tie wins,
    the earlier layer among equal weights, self-loops and zero-weight layers left out."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 60))
        layers = [(rng.integers(0, n, m), rng.integers(0, n, m)) for m in rng.integers(0, 80, 3)]
        weights = [float(w) for w in rng.choice([0.0, 0.35, 0.6, 1.0], 3)]
        u = np.concatenate([a for a, _ in layers])
        v = np.concatenate([b for _, b in layers])
        w = np.concatenate([np.full(a.size, x) for (a, _), x in zip(layers, weights, strict=True)])
        general = ties_to_matrix(n, u, v, w, symmetric=True)
        lean = layers_to_matrix(n, layers, weights)
        for part in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(lean, part), getattr(general, part))
            assert getattr(lean, part).dtype == getattr(general, part).dtype
