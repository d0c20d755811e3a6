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

import io
import re
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


def layers_to_matrix(
    n: int, layers: list[tuple[np.ndarray, np.ndarray]], weights: list[float]
) -> sp.csr_matrix:
    """The symmetric CSR trust matrix of tie layers (pairs u-v), each of one weight >= 0.

    Where layers tie the same pair the strongest tie wins (the earlier layer among equal
    weights); self-loops and zero-weight layers are left out: the matrix `ties_to_matrix`
    builds from the concatenated layers, built with one array of 8 bytes per directed tie
    (pair and layer rank in one sortable number) instead of a dozen.
    """
    ranks = len(layers)
    strongest_first = sorted(range(ranks), key=lambda k: -weights[k])  # stable
    rank = {layer: r for r, layer in enumerate(strongest_first)}
    keys = np.empty(sum(2 * u.size for u, _ in layers), np.int64)
    filled = 0
    for layer, (u, v) in enumerate(layers):
        if weights[layer] == 0:
            continue
        keep = u != v
        u, v = np.asarray(u[keep], np.int64), np.asarray(v[keep], np.int64)
        for a, b in ((u, v), (v, u)):
            keys[filled : filled + a.size] = (a * n + b) * ranks + rank[layer]
            filled += a.size
    keys = keys[:filled]
    keys.sort()
    pair = keys // ranks
    first = np.ones(pair.size, bool)
    first[1:] = pair[1:] != pair[:-1]
    pair, strongest = pair[first], keys[first] % ranks
    del keys, first
    by_rank = np.array([weights[k] for k in strongest_first], np.float64)
    index = np.int32 if max(n, pair.size) < 2**31 else np.int64  # as scipy would choose
    indptr = np.searchsorted(pair, np.arange(n + 1, dtype=np.int64) * n).astype(index)
    mat = sp.csr_matrix(
        (by_rank[strongest], (pair % n).astype(index), indptr), shape=(n, n), copy=False
    )
    mat.has_sorted_indices = True
    return mat


def generate_network(
    layout: Layout, net: NetworkSection, trust: TrustWeights, rng: np.random.Generator
) -> sp.csr_matrix:
    """Households, neighbors and small-world friends, weighted by trust per tie type."""
    n = layout.consumers
    layers = [
        household_ties(layout.household),
        neighbor_ties(layout, net.neighbor_ties_per_consumer, rng),
        friend_ties(n, net.friend_ties_per_consumer, net.friend_rewiring_probability, rng),
    ]
    return layers_to_matrix(n, layers, [trust.household, trust.neighbor, trust.friend])


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


HEADER_WORDS = frozenset(
    {
        "source",
        "target",
        "from",
        "to",
        "src",
        "dst",
        "u",
        "v",
        "i",
        "j",
        "node",
        "node1",
        "node2",
        "id1",
        "id2",
        "a",
        "b",
        "head",
        "tail",
        "follower",
        "followee",
        "rater",
        "ratee",
    }
)


def data_line(lines: list[str], k: int) -> int:
    """The file line number of the k-th data row (0-based; blank and '#' lines skipped)."""
    seen = -1
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            seen += 1
            if seen == k:
                return number
    return len(lines)


def is_header(first: list[str], second: list[str] | None) -> bool:
    """A first row is a header if its weight is text where the next row's is a number, or,
    without weights, if it names the columns (source, target, from, to, ...)."""
    if len(first) >= 3 and first[2]:
        return not _looks_numeric(first[2]) and (
            second is None or len(second) < 3 or _looks_numeric(second[2])
        )
    return first[0].strip().lower() in HEADER_WORDS or first[1].strip().lower() in HEADER_WORDS


def node_codes(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorize node ids: integer ids by value (7, 07 and 7.0 are one node), others as
    text. Returns (codes of source then target, labels)."""
    ids = np.concatenate([source, target])
    numbers = pd.to_numeric(pd.Series(ids), errors="coerce").to_numpy(np.float64)
    integral = np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()
    if integral and np.abs(numbers).max() < 2**53:
        codes, labels = pd.factorize(numbers.astype(np.int64))
        return codes, np.asarray(labels, np.int64)
    codes, labels = pd.factorize(ids)
    return codes, np.asarray(labels, dtype=object)


def read_numeric_edges(text: str, columns: int) -> EdgeList | None:
    """The common case, fast: integer node ids and finite weights in every row, no header.
    None when any row is otherwise (the checking reader then finds and names it)."""
    usecols = [0, 1, 2] if columns >= 3 else [0, 1]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=range(columns),
            usecols=usecols,
            dtype={0: np.int64, 1: np.int64, 2: np.float64},
            na_filter=False,
            comment="#",
            skip_blank_lines=True,
            skipinitialspace=True,
            engine="c",
        )
    except (ValueError, OverflowError, pd.errors.ParserError):
        return None
    if frame.empty:
        return None
    weight = frame[2].to_numpy(np.float64) if columns >= 3 else np.ones(len(frame))
    if not np.isfinite(weight).all():
        return None
    m = len(frame)
    codes, labels = pd.factorize(np.concatenate([frame[0].to_numpy(), frame[1].to_numpy()]))
    src, dst = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    if not np.any((weight != 0) & (src != dst)):
        return None
    return EdgeList(src, dst, weight, int(labels.size), np.asarray(labels, np.int64))


def read_edge_list(path: str | Path) -> EdgeList:
    """Read a CSV edge list 'source,target[,weight,...]' and check every row.

    A header row is optional; lines that are blank or start with '#' are skipped; extra
    columns are ignored; a missing weight is 1. Node ids are integers (7, 07 and 7.0 are one
    node) or text labels (not empty, not a missing-value marker such as NA or null). Every
    problem names its line: text that is not UTF-8, an unterminated quote, a row with fewer
    than two columns, a missing node id, a weight that is not a finite number; a file
    without a single tie of non-zero weight between two different nodes is refused too.
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
    del raw
    first = next(
        (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), ""
    )
    if not first:
        raise _edge_problem(path, "no edges (the file is empty or has comments only)", allowed)
    columns = max(2, first.count(",") + 1)
    fast = read_numeric_edges(text, columns)
    if fast is not None:
        return fast
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=range(columns),
            usecols=[0, 1, 2] if columns >= 3 else [0, 1],
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            comment="#",
            skip_blank_lines=True,
            skipinitialspace=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        found = re.search(r"row (\d+)|line (\d+)", str(exc))
        where = ""
        if found:
            k = int(found.group(1) or found.group(2))
            where = f"line {data_line(text.splitlines(), k - 1 if found.group(2) else k)}: "
        raise _edge_problem(
            path, f"{where}not readable as CSV ({str(exc).strip()[:120]})", allowed
        ) from None
    if len(frame) and is_header(
        list(frame.iloc[0]), list(frame.iloc[1]) if len(frame) > 1 else None
    ):
        frame = frame.iloc[1:]
        offset = 1
    else:
        offset = 0
    if frame.empty:
        raise _edge_problem(path, "no edges (the file is empty or has a header only)", allowed)

    def line_of(k: int) -> int:
        return data_line(text.splitlines(), k + offset)

    source, target = frame[0].str.strip().to_numpy(), frame[1].str.strip().to_numpy()
    quoted = np.flatnonzero(frame[0].str.contains('"') | frame[1].str.contains('"'))
    if quoted.size:
        raise _edge_problem(
            path, f"line {line_of(quoted[0])}: a stray or unterminated quote", allowed
        )
    short = np.flatnonzero(target == "")
    if short.size and (
        frame[1].iloc[short[0]] == "" and "," not in text.splitlines()[line_of(short[0]) - 1]
    ):
        raise _edge_problem(path, f"line {line_of(short[0])}: fewer than two columns", allowed)
    for ids in (source, target):
        missing = np.flatnonzero(pd.Series(ids).str.lower().isin(MISSING_IDS).to_numpy())
        if missing.size:
            raise _edge_problem(
                path,
                f"line {line_of(missing[0])}: missing node id {ids[missing[0]]!r} "
                f"({missing.size} rows in all)",
                "a node id (a number or a label) in the first two columns",
            )
    raw_weight = (
        frame[2].str.strip().replace("", "1") if 2 in frame else pd.Series(["1"] * len(frame))
    )
    weight = pd.to_numeric(raw_weight, errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(weight))
    if bad.size:
        raise _edge_problem(
            path,
            f"line {line_of(bad[0])}: weight {raw_weight.iloc[bad[0]]!r} is not a finite "
            f"number ({bad.size} rows in all)",
            "a finite number in the third column",
        )
    codes, labels = node_codes(source, target)
    m = len(frame)
    src, dst = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    if not np.any((weight != 0) & (src != dst)):
        raise _edge_problem(
            path,
            "no tie: every row is a self-loop or has weight 0",
            "at least one row tying two different nodes with a non-zero weight",
        )
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
    return sp.csr_matrix(sp.diags(listener_scale(trust)) @ trust)


def listener_scale(trust: sp.csr_matrix) -> np.ndarray:
    """(N,) what each listener's ties are scaled by to sum to 1 in absolute value (0 for
    isolated rows)."""
    totals = np.asarray(abs(trust).sum(axis=1)).ravel()
    return np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
