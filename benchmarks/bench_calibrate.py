"""Calibration throughput and accuracy: `sim calibrate` of six keys to the CDNOW log
(2,357 customers; scenarios/calibration/cdnow.calibrate.toml), on the local process pool or
a Dask cluster.

    python benchmarks/bench_calibrate.py [--workers 2] [--scheduler tcp://...] [--out DIR]
    python benchmarks/bench_calibrate.py --recovery 10   # also the recovery check

Target (the calibration issue): at most 10 minutes on the 2-core machine, with progress
shown. Prints the wall time, simulations per second, the estimates, the holdout error next
to BG/NBD's, and (with --recovery N) how many of N synthetic logs' 90% intervals cover each
true value.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import this_tree  # noqa: F401  (first: this tree's sim, not the installed one)

from sim.calibration.fit import calibrate
from sim.sweep_runner import Execution

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "scenarios" / "calibration" / "cdnow.calibrate.toml"
TARGET_SECONDS = 10 * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--recovery", type=int, default=0, metavar="LOGS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "cdnow"
        t0 = time.perf_counter()
        result, _ = calibrate(
            FILE,
            execution=Execution(workers=args.workers, scheduler=args.scheduler),
            out=out,
            on_generation=lambda g: print(
                f"generation {g.index}: {g.simulated} simulations, {g.acceptance:.0%} "
                f"accepted, tolerance {g.epsilon:.3g}",
                file=sys.stderr,
            ),
        )
        wall = time.perf_counter() - t0
        runs = result.simulations + len(result.predictive)
        print(
            f"{result.simulations} fit simulations ({len(result.generations)} generations, "
            f"stopped by {result.stopped_by}) + {len(result.predictive)} predictive runs"
        )
        print(
            f"wall {wall:.0f} s ({runs / wall:.1f} runs/s on {args.workers} workers, BG/NBD "
            f"included); target {TARGET_SECONDS} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'}"
        )
        print(result.estimates[["key", "median", "q05", "q95"]].to_string(index=False))
        print(result.sentence())
        h = result.holdout()
        ratio = abs(h["simulated_error"]) / abs(h["bgnbd_error"])
        print(
            f"holdout error {h['simulated_error']:+.1%} (target within 10%: "
            f"{'met' if abs(h['simulated_error']) <= 0.10 else 'MISSED'}); "
            f"{ratio:.2f} x BG/NBD's (target at most 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"
        )
        if args.recovery:
            sys.path.insert(0, str(ROOT))
            from tests.calibration.recovery import recover

            t0 = time.perf_counter()
            table = recover(Path(tmp) / "recovery", logs=args.recovery, workers=args.workers)
            print(
                f"\nrecovery on {args.recovery} synthetic logs ({time.perf_counter() - t0:.0f} s):"
            )
            print(table.groupby("key")[["covered", "within_tolerance"]].sum().to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
