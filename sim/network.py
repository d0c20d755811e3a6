"""The trust network as a `scipy.sparse` CSR matrix.

`trust[j, i]` is how much listener j trusts speaker i (tie strength in [-1, 1]; negative
only for distrust ties of a loaded network). Rows are listeners, columns speakers, so that
`trust @ x` sums over the speakers a listener hears.

The generator builds three layers, all drawn from the model's "network" stream:
households (everyone in a household tied to everyone else), neighbor ties inside a
neighborhood, and friend/colleague ties on a Watts-Strogatz small-world ring laid over a
random order of all consumers (so friends live across neighborhoods). Where two layers tie
the same pair, the stronger tie wins.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.errors import Problem, ScenarioError
from sim.population import MAX_HOUSEHOLD_SIZE, Layout
from sim.scenario import NetworkSection, TrustWeights


def household_ties(household: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of consumers in the same household (members are consecutive)."""
    us, vs = [], []
    for offset in range(1, MAX_HOUSEHOLD_SIZE):
        i = np.flatnonzero(household[:-offset] == household[offset:])
        us.append(i)
        vs.append(i + offset)
    return np.concatenate(us), np.concatenate(vs)


def neighbor_ties(layout: Layout, ties_per_consumer: float, rng: np.random.Generator):
    """Each consumer starts Poisson(ties/2) ties to random members of its neighborhood."""
    n = layout.consumers
    starts = rng.poisson(ties_per_consumer / 2.0, size=n)
    u = np.repeat(np.arange(n), starts)
    nb = layout.neighborhood[u]
    v = layout.neighborhood_start[nb] + np.floor(
        rng.random(u.size) * layout.neighborhood_size[nb]
    ).astype(np.int64)
    keep = u != v
    return u[keep], v[keep]


def friend_ties(n: int, ties_per_consumer: int, rewiring: float, rng: np.random.Generator):
    """Watts-Strogatz ring over a random order of consumers, each tie rewired w.p. `rewiring`."""
    if ties_per_consumer == 0 or n < 3:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = rng.permutation(n)
    us, vs = [], []
    for offset in range(1, ties_per_consumer // 2 + 1):
        u = order
        v = np.roll(order, -offset)
        rewire = rng.random(n) < rewiring
        v = np.where(rewire, rng.integers(0, n, size=n), v)
        keep = u != v
        us.append(u[keep])
        vs.append(v[keep])
    return np.concatenate(us), np.concatenate(vs)


def ties_to_matrix(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, symmetric: bool
) -> sp.csr_matrix:
    """Build the CSR trust matrix; duplicate pairs keep the strongest tie (largest |w|)."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    if symmetric:
        u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    keep = (u != v) & (w != 0)
    u, v, w = u[keep], v[keep], w[keep]
    key = u * n + v
    order = np.lexsort((-np.abs(w), key))
    key, w = key[order], w[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, w = key[first], w[first]
    rows, cols = np.divmod(key, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    mat = sp.csr_matrix((w, cols, indptr), shape=(n, n))
    mat.has_sorted_indices = True
    return mat


def generate_network(
    layout: Layout, net: NetworkSection, trust: TrustWeights, rng: np.random.Generator
) -> sp.csr_matrix:
    """Households, neighbors and small-world friends, weighted by trust per tie type."""
    n = layout.consumers
    hu, hv = household_ties(layout.household)
    nu, nv = neighbor_ties(layout, net.neighbor_ties_per_consumer, rng)
    fu, fv = friend_ties(n, net.friend_ties_per_consumer, net.friend_rewiring_probability, rng)
    u = np.concatenate([hu, nu, fu])
    v = np.concatenate([hv, nv, fv])
    w = np.concatenate(
        [
            np.full(hu.size, trust.household),
            np.full(nu.size, trust.neighbor),
            np.full(fu.size, trust.friend),
        ]
    )
    return ties_to_matrix(n, u, v, w, symmetric=True)


@dataclass(frozen=True)
class EdgeList:
    """A loaded edge list: consumer indices 0..nodes-1 and raw weights."""

    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    nodes: int
    labels: np.ndarray  # original node id per consumer index


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


MISSING_IDS = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})


def _edge_problem(path: Path, message: str, allowed: str) -> ScenarioError:
    return ScenarioError(str(path), [Problem("network.edge_list", message, allowed)])


def read_edge_list(path: str | Path) -> EdgeList:
    """Read a CSV edge list 'source,target[,weight,...]' and check every row.

    A header row is optional; lines that are blank or start with '#' are skipped; extra
    columns are ignored; a missing weight is 1. Node ids are labels (any text but an empty
    or missing-value marker such as NA or null). Every problem names its line: text that is
    not UTF-8, an unterminated quote, a row with fewer than two columns, a missing node id,
    a weight that is not a finite number; a file without a single tie of non-zero weight
    between two different nodes is refused too.
    """
    path = Path(path)
    allowed = "UTF-8 CSV rows 'source,target[,weight]' (header optional, '#' comments)"
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _edge_problem(
            path, f"line {line}: not UTF-8 text (byte {exc.start})", allowed
        ) from None
    numbered = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    reader = csv.reader((ln for _, ln in numbered), strict=True, skipinitialspace=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        line = numbered[min(reader.line_num, len(numbered)) - 1][0]
        raise _edge_problem(path, f"line {line}: not readable as CSV ({exc})", allowed) from None
    for (line, _), row in zip(numbered, rows, strict=True):
        if len(row) < 2:
            raise _edge_problem(path, f"line {line}: fewer than two columns", allowed)
        if any('"' in cell for cell in row[:3]):
            raise _edge_problem(path, f"line {line}: a stray or unterminated quote", allowed)
    if rows and not _looks_numeric(rows[0][0]) and not _looks_numeric(rows[0][-1]):
        numbered, rows = numbered[1:], rows[1:]  # a header
    if not rows:
        raise _edge_problem(path, "no edges (the file is empty or has a header only)", allowed)
    lines = np.array([line for line, _ in numbered])
    source = np.array([r[0].strip() for r in rows], dtype=object)
    target = np.array([r[1].strip() for r in rows], dtype=object)
    for ids in (source, target):
        missing = np.flatnonzero([x.lower() in MISSING_IDS for x in ids])
        if missing.size:
            raise _edge_problem(
                path,
                f"line {lines[missing[0]]}: missing node id {ids[missing[0]]!r} "
                f"({missing.size} rows in all)",
                "a node id (a number or a label) in the first two columns",
            )
    weight = pd.to_numeric(
        pd.Series([r[2] if len(r) > 2 else "1" for r in rows]), errors="coerce"
    ).to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(weight))
    if bad.size:
        raise _edge_problem(
            path,
            f"line {lines[bad[0]]}: weight {rows[bad[0]][2]!r} is not a finite number "
            f"({bad.size} rows in all)",
            "a finite number in the third column",
        )
    codes, labels = pd.factorize(np.concatenate([source, target]))
    m = len(rows)
    src, dst = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    if not np.any((weight != 0) & (src != dst)):
        raise _edge_problem(
            path,
            "no tie: every row is a self-loop or has weight 0",
            "at least one row tying two different nodes with a non-zero weight",
        )
    labels = np.asarray(labels)
    if all(x.lstrip("-").isdigit() for x in labels):
        labels = labels.astype(np.int64)  # integer node ids stay integers
    return EdgeList(src, dst, weight, int(labels.size), labels)


def edge_list_network(
    edges: EdgeList, consumers: int, net: NetworkSection, source: str
) -> sp.csr_matrix:
    """Trust matrix from a loaded edge list; consumers beyond its nodes have no ties."""
    if consumers < edges.nodes:
        raise ScenarioError(
            source,
            [
                Problem(
                    "population.consumers",
                    f"{consumers} consumers but the edge list {net.edge_list} has {edges.nodes} nodes",
                    f"at least {edges.nodes}",
                )
            ],
        )
    w = edges.weight / net.weight_scale
    worst = float(np.abs(w).max()) if w.size else 0.0
    if worst > 1.0 + 1e-12:
        raise ScenarioError(
            source,
            [
                Problem(
                    "network.weight_scale",
                    f"edge weights divided by {net.weight_scale:g} reach {worst:g}",
                    f"a scale that maps weights into [-1, 1], e.g. {np.abs(edges.weight).max():g}",
                )
            ],
        )
    if net.negative_ties == "drop":
        w = np.where(w > 0, w, 0.0)
    # 'source trusts target': the source listens to the target.
    return ties_to_matrix(consumers, edges.source, edges.target, w, symmetric=not net.directed)


def row_normalized(trust: sp.csr_matrix) -> sp.csr_matrix:
    """Each listener's ties scaled to sum to 1 in absolute value (isolated rows stay 0)."""
    totals = np.asarray(abs(trust).sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sp.csr_matrix(sp.diags(scale) @ trust)
