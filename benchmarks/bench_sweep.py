"""Sweep throughput: a 200-run sweep of a small scenario, process pool versus sequential.

    python benchmarks/bench_sweep.py [--runs 200] [--workers 2]

Prints wall times, the pool's speedup, and the parent process's peak memory after each
mode (the pool runs first: the parent only streams results to part files, so its memory
should not grow with the number of runs; the sequential mode runs models in the parent).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import this_tree  # noqa: F401  (first: this tree's sim, not the installed one)

from sim.scenario import load_scenario
from sim.sweep_runner import sweep

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = load_scenario(
        ROOT / "scenarios" / "baseline.toml",
        {
            "run.days": 90,
            "population.consumers": 1500,
            "population.neighborhoods": [{"count": 6, "city_tier": "county"}],
            "payout.direct_commission.by_category": {},
        },
    )
    points = args.runs // 4
    grid = {
        "payout.direct_commission.rate": [0.02 + 0.14 * i / (points - 1) for i in range(points)]
    }
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the pool first: the parent only streams results, so its peak is the sweep's own
        for mode in ("processes", "sequential"):
            t0 = time.perf_counter()
            table = sweep(
                base,
                grid=grid,
                replications=4,
                executor=mode,
                workers=args.workers,
                out=Path(tmp) / mode,
                progress=False,
            )
            times[mode] = time.perf_counter() - t0
            assert (table["status"] == "ok").all() and len(table) == points * 4
            print(
                f"{mode:10s} {len(table)} runs  {times[mode]:6.1f} s  "
                f"parent peak memory {peak_rss_mb():.0f} MB"
            )
    print(f"speedup    {times['sequential'] / times['processes']:.2f}x on {args.workers} workers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
