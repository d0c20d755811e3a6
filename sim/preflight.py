"""Checks before any work: the inputs a run needs are readable, it fits in this machine's
memory, and its results have a place to go. Every refusal is a `SimError` (exit status 2)
that says what was found and what would be accepted; nothing is computed first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sim.errors import Problem, ScenarioError, SimError
from sim.network import EdgeList, edge_list_network, read_edge_list
from sim.provenance import check_out_dir
from sim.scenario import Scenario

BASE_BYTES = 250 * 2**20  # the interpreter, numpy, scipy, pandas, mesa
MEMORY_SHARE = 0.8  # refuse runs estimated above this share of the available memory


EDGE_LIST_BYTES_PER_BYTE = 40  # peak memory of reading an edge list, per byte of file


def read_network(spec: Scenario, source: str = "<scenario>") -> EdgeList | None:
    """Read and check the scenario's edge list (every row, and against the population);
    a file too large to read in this machine's memory is refused before reading it."""
    if spec.network.edge_list is None:
        return None
    size = Path(spec.network.edge_list).stat().st_size
    if EDGE_LIST_BYTES_PER_BYTE * size > MEMORY_SHARE * available_bytes():
        raise ScenarioError(
            source,
            [
                Problem(
                    "network.edge_list",
                    f"a {size / 2**20:,.0f} MiB edge list needs about "
                    f"{EDGE_LIST_BYTES_PER_BYTE * size / 2**30:,.1f} GiB of memory to read",
                    "an edge list this machine can read",
                )
            ],
        )
    edges = read_edge_list(spec.network.edge_list)
    edge_list_network(edges, spec.population.consumers, spec.network, source)
    return edges


def estimate_bytes(spec: Scenario, edges: EdgeList | None = None) -> int:
    """Peak memory of one replication (replications run one after another), a conservative
    estimate from what the arrays hold: per consumer and category, per tie, per group."""
    n = spec.population.consumers
    c = len(spec.categories)
    platforms = 1 + len(spec.rivals)
    net = spec.network
    if edges is not None:
        ties = 2 * edges.source.size
    else:
        ties = n * (2 * 2.6 + 2 * net.neighbor_ties_per_consumer + net.friend_ties_per_consumer)
    # Calibrated on the baseline scenario (4 categories): 313 MB peak at 100,000 consumers
    # and 1.55 GB at 1,000,000 (benchmarks/bench_baseline.py); about 20% to spare.
    per_consumer = 500 + 100 * c  # state, the day's uniforms and hazards (float32/float64)
    network = 12 * 3 * ties  # CSR data + indices: the trust matrix and two derived views
    groups = 24 * spec.community_groups.count * spec.community_groups.members_per_group
    kept = 8 * 70 * spec.run.days * spec.run.replications  # daily series of every replication
    return int(BASE_BYTES + platforms * n * per_consumer + network + groups + kept)


def available_bytes() -> int:
    """Memory available to a new process: MemAvailable (else the physical memory), and no
    more than a container's cgroup limit leaves."""
    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    have = int(line.split()[1]) * 1024
    except OSError:
        pass
    for limit, used in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            cap = int(Path(limit).read_text().strip())
            have = min(have, cap - int(Path(used).read_text().strip()))
        except (OSError, ValueError):
            continue
    return have


def check_size(spec: Scenario, edges: EdgeList | None = None, source: str = "<scenario>"):
    """Refuse a scenario that cannot fit in memory, before any work."""
    need, have = estimate_bytes(spec, edges), available_bytes()
    if need > MEMORY_SHARE * have:
        per_consumer = max(1.0, (need - BASE_BYTES) / max(spec.population.consumers, 1))
        fits = int((MEMORY_SHARE * have - BASE_BYTES) / per_consumer)
        raise ScenarioError(
            source,
            [
                Problem(
                    "population.consumers",
                    f"{spec.population.consumers:,} consumers need about "
                    f"{need / 2**30:,.1f} GiB of memory; {have / 2**30:,.1f} GiB is available",
                    f"at most about {max(fits, 0):,} consumers on this machine (with these "
                    "categories, ties, groups and rivals)",
                )
            ],
        )


def output_bytes(spec: Scenario) -> int:
    """What a run's files take on disk, roughly: daily series as CSV and Parquet, and the
    per-replication copy kept until the run completes (so twice the series)."""
    rows = spec.run.days * spec.run.replications
    entries = 40 * spec.population.consumers * spec.run.days if spec.run.ledger == "entries" else 0
    return 2 * rows * 70 * 24 + entries + 2 * 2**20


def check_destination(out: Path | None, need_bytes: int = 0, fresh: bool = True) -> None:
    """Refuse an output folder that holds results (unless `fresh` is False: a folder that
    collects files, such as results/baselines/), or whose place cannot be written (missing
    permission, read-only, too little space), before any work. None: results/runs/."""
    target = Path(out) if out is not None else Path("results") / "runs"
    if fresh and out is not None:
        check_out_dir(target)
    anchor = target
    while not anchor.exists():
        anchor = anchor.parent
    if not anchor.is_dir():
        raise SimError(f"{target}: {anchor} is a file, not a folder; choose another --out")
    try:
        fd, probe = tempfile.mkstemp(prefix=".sim-probe-", dir=anchor)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SimError(
            f"{target}: cannot write in {anchor} ({exc.strerror}); choose a writable --out"
        ) from None
    free = shutil.disk_usage(anchor).free
    if need_bytes > free:
        raise SimError(
            f"{target}: the results need about {need_bytes / 2**20:,.0f} MiB and "
            f"{anchor} has {free / 2**20:,.0f} MiB free; free some space or choose another --out"
        )


def preflight(
    spec: Scenario, out: Path | None = None, source: str = "<scenario>", write: bool = True
) -> EdgeList | None:
    """Every check before a run: network input, size, and (if writing) the destination.
    Returns the edge list it read, so that the run does not read it again."""
    edges = read_network(spec, source)
    check_size(spec, edges, source)
    if write:
        check_destination(out, output_bytes(spec))
    return edges
