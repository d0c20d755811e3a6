"""Speed and memory of the engine: the baseline scenario scaled to 100,000 consumers.

    python benchmarks/bench_baseline.py [--consumers 100000] [--days 365] [--replications 1]

Prints wall time, consumer-days per second and the peak resident memory of the process.
Target on a 2-core machine: under 20 s and under 2 GB for 100,000 consumers x 365 days.
Neighborhood counts are scaled with the population, so neighborhoods keep their size.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import this_tree  # noqa: F401  (first: this tree's sim, not the installed one)

import sim
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

ALL_MECHANISMS = {
    "group_leaders.per_neighborhood": 1,
    "kols": [
        {"name": "lifestyle", "followers": 5000, "fee_per_post_yuan": 2000.0},
        {
            "name": "mom_blogger",
            "followers": 3000,
            "commission_rate": 0.05,
            "category": "mother_baby",
            "audience_match": 0.9,
        },
    ],
    "payout.group_buy": {"group_size": 3, "categories": ["fresh_produce"]},
    "payout.coupon": {"new_user_yuan": 10.0, "min_spend_yuan": 39.0},
    "payout.bargain": {},
    "payout.gift": {},
    "payout.referral_bonus": {"referrer_yuan": 5.0, "referee_yuan": 5.0},
    "payout.sales_bonus": {},
    "payout.upline_override": {"rates": [0.02]},
}


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument(
        "--all-mechanisms",
        action="store_true",
        help="Also switch on group leaders, KOLs, community groups, group buying, coupons, "
        "bargaining, gifting, referral and sales bonuses, upline overrides.",
    )
    args = parser.parse_args()

    base = load_scenario(args.scenario)
    scale = args.consumers / base.population.consumers
    overrides = {"population.consumers": args.consumers}
    for k, group in enumerate(base.population.neighborhoods):
        overrides[f"population.neighborhoods.{k}.count"] = max(1, round(group.count * scale))
    if args.all_mechanisms:
        overrides.update(ALL_MECHANISMS)
        overrides["community_groups.count"] = max(1, args.consumers // 200)
    t0 = time.perf_counter()
    result = sim.run(
        base, replications=args.replications, days=args.days, overrides=overrides, progress=False
    )
    wall = time.perf_counter() - t0
    consumer_days = args.consumers * args.days * args.replications
    print(
        f"scenario          {Path(args.scenario).name} scaled to {args.consumers:,} consumers"
        + (", all mechanisms on" if args.all_mechanisms else "")
    )
    print(f"days x reps       {args.days} x {args.replications}")
    print(f"wall time         {wall:.2f} s")
    print(f"consumer-days/s   {consumer_days / wall:,.0f}")
    print(f"peak memory       {peak_rss_mb():,.0f} MB")
    print(f"customers (mean)  {result.kpis['customers']['mean']:,.0f}")
    print(f"machine           {platform.machine()}, Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
