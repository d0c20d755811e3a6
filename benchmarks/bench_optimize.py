"""Optimizer throughput: `sim optimize` over three payout keys, 100 trials at 5,000
consumers x 365 days (the decision in scenarios/decisions/), on the local process pool.

    python benchmarks/bench_optimize.py [--trials 100] [--workers 2] [--out DIR]

Target (the decisions issue): at most 15 minutes on the 2-core machine. Prints the wall
time (search and final comparison), runs per second, the parent's peak memory and the
verdict.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import this_tree  # noqa: F401  (first: this tree's sim, not the installed one)

from sim.optimizer import load_optimization, optimize
from sim.sweep_runner import Execution

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "scenarios" / "decisions" / "referral_commission_team.optimize.toml"
TARGET_SECONDS = 15 * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    opt, spec = load_optimization(FILE)
    o = opt.optimize
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "optimize"
        text = FILE.read_text().replace(f"trials = {o.trials}", f"trials = {args.trials}")
        file = Path(tmp) / FILE.name
        file.write_text(text.replace('scenario = "', f'scenario = "{FILE.parent}/'))
        t0 = time.perf_counter()
        result, _ = optimize(
            file, execution=Execution(workers=args.workers, progress=False), out=out
        )
        wall = time.perf_counter() - t0
    runs = args.trials * o.replications + len(result.finalists) * o.final_replications
    print(
        f"{args.trials} trials x {o.replications} replications + {len(result.finalists)} "
        f"finalists x {o.final_replications}: {runs} runs of {spec.population.consumers:,} "
        f"consumers x {spec.run.days} days"
    )
    print(
        f"wall {wall:.0f} s ({runs / wall:.2f} runs/s on {args.workers} workers); target "
        f"{TARGET_SECONDS} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'}"
    )
    print(f"parent peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(result.sentence())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
