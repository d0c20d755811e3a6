"""How often `sim check` cries wolf, and the smallest drift it catches.

    python benchmarks/check_calibration.py [--seeds 40] [--replications 10]

False alarms: one baseline, then statistical checks with many other seeds and no model
change; the share flagged. Power: baselines with several seeds, each checked (paired, same
seed) after lowering behavior.repurchase_probability by 1% to 10%; the share flagged.
Scenario: scenarios/baseline.toml at 1,200 consumers, 90 days (as in tests/test_check.py).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import this_tree  # noqa: F401  (first: this tree's sim, not the installed one)

from sim.check import check_baseline, record_baseline

ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "population.consumers": 1200,
    "run.days": 90,
    "population.neighborhoods": [{"count": 4, "city_tier": "county"}],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--power-seeds", type=int, default=5)
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        base = record_baseline(
            "scenarios/baseline.toml",
            replications=args.replications,
            overrides=SMALL,
            folder=Path(tmp),
            progress=False,
        )
        flagged = sum(
            not check_baseline(base, seed=1000 + s, progress=False).holds for s in range(args.seeds)
        )
        print(
            f"false alarms: {flagged} of {args.seeds} seed-only changes flagged "
            f"({flagged / args.seeds:.1%}); {args.replications} replications"
        )
        for change in (0.01, 0.02, 0.03, 0.05, 0.10):
            caught = 0
            for s in range(args.power_seeds):
                folder = Path(tmp) / f"p{s}"
                path = (
                    record_baseline(
                        "scenarios/baseline.toml",
                        replications=args.replications,
                        overrides={**SMALL, "run.seed": 500 + s},
                        folder=folder,
                        progress=False,
                    )
                    if not (folder / "baseline.json").exists()
                    else folder / "baseline.json"
                )
                result = check_baseline(
                    path,
                    overrides={"behavior.repurchase_probability": 0.75 * (1 - change)},
                    progress=False,
                )
                caught += not result.holds
            print(
                f"repurchase probability -{change:.0%}: caught in {caught} of "
                f"{args.power_seeds} baselines"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
