"""Scale: every target of the scale issue, measured side by side with its references.

    python benchmarks/bench_scale.py                 # every target (about 10 minutes)
    python benchmarks/bench_scale.py --only bass     # one target: baseline, bass, small, sweep, ceiling
    python benchmarks/bench_scale.py --repeat 3      # each figure the median of 3 fresh runs
    python benchmarks/bench_scale.py --scaling 10000,100000,1000000[,10000000] --plot

A run splits its largest passes among every core it may use (`sim/threads.py`);
`SIM_THREADS=1 python benchmarks/bench_scale.py ...` measures it on one core.

Each measurement runs in a fresh Python process (so its peak memory is its own) and
prints one JSON line; the parent prints a table of figures, targets and ratios, and
appends every figure to `benchmarks/results/scale.csv` (date, machine, commit).

Targets (a 2-core machine):
- baseline: the shipped baseline scenario, all its mechanisms on, 1,000,000 consumers x
  365 days: at most 30 s wall and 1 GB peak memory (the process, imports included).
- bass: a network-Bass-only scenario (word of mouth and external influence; every other
  rate zero, payouts, ads and fulfillment off) at 10,000 and 1,000,000 consumers x 60 days:
  at most 1.5 times as long per simulated day as a plain numpy + scipy.sparse loop of the
  same rule on the same trust network; an idiomatic per-agent Mesa model at 10,000
  consumers gives the other end of the scale.
- small: runs of 2,000 consumers x 365 days one after another in one process: at least
  10 runs per second per core.
- sweep: a 200-run sweep on a 2-worker process pool against 1 worker: at least 1.8x.
- ceiling: what small runs made as blocks of one world (docs/block-replications.md) could
  reach at best on one core: a world of 20 and of 100 small runs' worth of consumers (ads
  scaled with it) runs a year, and a small run's own draws, which each block would still
  make, are added to its share.
- shares: each mechanism's share of a day at 1,000,000 consumers or --shares-consumers
  (where time goes), over the first 60 days or --shares-days, of the baseline or
  (--shares-of bass) the Bass-only scenario.

--repeat applies to every measurement, the shares and the scaling's included.
- scaling (--scaling): time and peak memory of the baseline from 10^4 to 10^7 consumers;
  --plot draws them (docs/images/scale.png).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from this_tree import ROOT, measured_tree  # first: this tree's sim, here and in children

RESULTS = ROOT / "benchmarks" / "results" / "scale.csv"
BASS_P, BASS_Q = 0.01, 0.3


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the measured programs
def scaled_baseline(consumers: int, days: int, extra: dict | None = None):
    """The shipped baseline at `consumers` (neighborhood counts scaled, so neighborhoods
    keep their size)."""
    from sim.scenario import load_scenario

    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    scale = consumers / base.population.consumers
    overrides = {"population.consumers": consumers, "run.days": days, "run.replications": 1}
    for k, group in enumerate(base.population.neighborhoods):
        overrides[f"population.neighborhoods.{k}.count"] = max(1, round(group.count * scale))
    return load_scenario(ROOT / "scenarios" / "baseline.toml", {**overrides, **(extra or {})})


BASS_ONLY = {
    "behavior.external_influence_per_day": BASS_P,
    "behavior.word_of_mouth_per_day": BASS_Q,
    "behavior.share_conversion_per_share": 0.0,
    "behavior.price_sensitivity_per_100_yuan": 0.0,
    "behavior.product_mismatch_probability": 0.0,
    "behavior.churn_base_hazard_per_day": 0.0,
    "behavior.sharer_recruitment_per_day": 0.0,
    "behavior.repurchase_probability": 0.0,  # no reorders: the repurchase mechanism is off
    "population.online_readiness": {
        **{t: 1.0 for t in ("tier1", "tier2", "tier3", "county", "town", "village")},
        "elderly_factor": 1.0,
    },
    "payout": {
        "direct_commission": {"enabled": False},
        "self_purchase_discount": {"enabled": False},
    },
    "fulfillment.enabled": False,
    "platform.ad_spend_yuan_per_day": 0.0,  # p is the external influence alone, as the references'
    "categories": [
        {"name": "product", "price_yuan": 50.0, "margin": 0.3, "repurchase_interval_days": 100000}
    ],
}


def warm_up(extra: dict | None = None) -> None:
    """First calls, outside the timing: caches, and the compiled kernels loaded (those of
    positional draws too, which a small world does not reach: some 0.3 s once a process;
    and the first-purchase kernel's signatures a year's days show, as channels and
    factors come on: each compiled on first sight on a machine, then cached on disk)."""
    import numpy as np

    from sim.market import Market
    from sim.mechanisms.base import Uniforms

    warm = Market(scaled_baseline(1000, 120, extra), 0)
    while warm.running:
        warm.step()
    Uniforms(np.random.Generator(np.random.PCG64(0)), Uniforms.DRAW_IN_FULL + 1).at([0, 2, 1])


def small_runs_worth(consumers: int) -> dict:
    """The baseline at `consumers` as `consumers / 2,000` small runs' worth of one world
    would be: its ad spend scaled with it, so every 2,000 consumers get a small run's
    (the baseline states it a day for its whole market: a larger world left at it would
    have each consumer see fewer ads, win fewer customers, and do less work a day)."""
    return {"platform.ad_spend_yuan_per_day": AD_SPEND_YUAN_PER_DAY * consumers / 2000}


AD_SPEND_YUAN_PER_DAY = 300.0  # scenarios/baseline.toml's


def child_run(kind: str, consumers: int, days: int) -> dict:
    """One replication of the baseline or the Bass-only scenario, in this process."""
    from sim.market import Market

    extra = {"bass": BASS_ONLY, "blocks": small_runs_worth(consumers)}.get(kind)
    if kind == "blocks":  # the block world's ceiling is per core
        from sim.threads import set_threads

        set_threads(1)
    warm_up(None if kind == "blocks" else extra)
    spec = scaled_baseline(consumers, days, extra)
    t0 = time.perf_counter()
    model = Market(spec, 0)
    t1 = time.perf_counter()
    spent = []  # each day's time
    while model.running:
        t = time.perf_counter()
        model.step()
        spent.append(time.perf_counter() - t)
    t2 = time.perf_counter()
    customers = int(model.platform.consumers.is_customer.sum())
    quiet = [t for t, n in zip(spent, model.platform.recorder.values["orders"], strict=False)
             if n == 0]  # fmt: skip
    from sim.threads import threads

    return {
        "threads": threads(),
        "wall_s": t2 - t0,
        "setup_s": t1 - t0,
        "per_day_ms": (t2 - t1) / days * 1000,
        "peak_mb": peak_rss_mb(),
        "customers": customers,
        "quiet_days": len(quiet),  # days on which nobody bought: the day's fixed cost
        "quiet_per_day_ms": sum(quiet) / len(quiet) * 1000 if quiet else None,
    }


def child_shares(kind: str, consumers: int, days: int) -> dict:
    """Each mechanism's share of the day's time (its phases and the factors it lends to
    other rules), and the recorder's, for the baseline or the Bass-only scenario at this
    size."""
    from collections import defaultdict

    from sim.market import Market

    spent: dict[str, float] = defaultdict(float)
    inner = [0.0]  # time of timed calls inside the running one (a factor inside a phase)

    def timed(name, method):
        def run(*args, **kwargs):
            outer, inner[0] = inner[0], 0.0
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                took = time.perf_counter() - t
                spent[name] += took - inner[0]  # exclusive: nested calls counted once
                inner[0] = outer + took

        return run

    extra = BASS_ONLY if kind == "bass" else None
    warm_up(extra)
    model = Market(scaled_baseline(consumers, days, extra), 0)
    platform = model.platform
    for hook, methods in platform._plan.items():
        platform._plan[hook] = [timed(m.__self__.name, m) for m in methods]
    platform.recorder.record = timed("(recorder)", platform.recorder.record)
    t0 = time.perf_counter()
    while model.running:
        model.step()
    wall = time.perf_counter() - t0
    spent["(other: the market's step, day set-up)"] = wall - sum(spent.values())
    return {"wall_s": wall, "seconds": dict(spent)}


def child_numpy_bass(consumers: int, days: int) -> dict:
    """The reference: the same network-Bass rule as a plain numpy + scipy.sparse loop, on
    the project's trust network of that size (row-normalized, as the model's signal)."""
    import numpy as np

    from sim.network import row_normalized
    from sim.streams import Streams
    from sim.world import World

    spec = scaled_baseline(consumers, days, BASS_ONLY)
    world = World.build(spec, Streams(spec.run.seed, 0))
    influence = row_normalized(world.network.trust).tocsr()
    rng = np.random.Generator(np.random.PCG64(1))
    adopted = np.zeros(consumers, bool)
    t0 = time.perf_counter()
    for _ in range(days):
        share = influence @ adopted.astype(np.float64)
        probability = -np.expm1(-(BASS_P + BASS_Q * share))
        adopted |= rng.random(consumers, dtype=np.float32) < probability
    wall = time.perf_counter() - t0
    return {
        "per_day_ms": wall / days * 1000,
        "peak_mb": peak_rss_mb(),
        "customers": int(adopted.sum()),
    }


def child_mesa_bass(consumers: int, days: int) -> dict:
    """The other reference: an idiomatic per-agent Mesa model of the same rule (each
    consumer an agent that looks at its ties every day)."""
    import mesa
    import numpy as np

    from sim.network import row_normalized
    from sim.streams import Streams
    from sim.world import World

    spec = scaled_baseline(consumers, days, BASS_ONLY)
    world = World.build(spec, Streams(spec.run.seed, 0))
    influence = row_normalized(world.network.trust).tocsr()

    class Consumer(mesa.Agent):
        def __init__(self, model, ties, weights):
            super().__init__(model)
            self.ties, self.weights = ties, weights
            self.adopted = self.adopting = False

        def step(self):
            if self.adopted:
                return
            agents = self.model.by_index
            share = sum(
                w for j, w in zip(self.ties, self.weights, strict=True) if agents[j].adopted
            )
            probability = 1.0 - np.exp(-(BASS_P + BASS_Q * share))
            self.adopting = self.random.random() < probability

        def advance(self):
            self.adopted = self.adopted or self.adopting

    class BassModel(mesa.Model):
        def __init__(self):
            super().__init__(seed=1)
            self.by_index = [
                Consumer(
                    self,
                    influence.indices[influence.indptr[i] : influence.indptr[i + 1]].tolist(),
                    influence.data[influence.indptr[i] : influence.indptr[i + 1]].tolist(),
                )
                for i in range(consumers)
            ]

        def step(self):
            self.agents.do("step")
            self.agents.do("advance")

    model = BassModel()
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
    wall = time.perf_counter() - t0
    return {
        "per_day_ms": wall / days * 1000,
        "peak_mb": peak_rss_mb(),
        "customers": int(sum(a.adopted for a in model.by_index)),
    }


def child_small(runs: int) -> dict:
    """Runs of the baseline at 2,000 consumers x 365 days, one after another on one core
    (after one run to warm up)."""
    from sim.runner import run_replication

    spec = scaled_baseline(2000, 365)
    run_replication(spec, 0)
    t0 = time.perf_counter()
    for r in range(1, runs + 1):
        run_replication(spec, r)
    wall = time.perf_counter() - t0
    return {"runs_per_s": runs / wall, "per_day_ms": wall / runs / 365 * 1000}


def child_draws(runs: int) -> dict:
    """Time a small run spends making its draws (the generator's calls, and the compiled
    draws made in full or read at positions), a day: what each block of a block world
    would still spend on its own, as its numbers come from its own streams."""
    from sim.mechanisms import base
    from sim.runner import run_replication

    spent = [0.0]

    def timed(method):
        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t

        return run

    class TimedGenerator:
        def __init__(self, generator):
            self.generator = generator

        def __getattr__(self, name):
            found = getattr(self.generator, name)
            return timed(found) if callable(found) else found

    rng = base.Mechanism.rng
    base.Mechanism.rng = lambda self, stream: TimedGenerator(rng(self, stream))
    base.Uniforms.make_into = timed(base.Uniforms.make_into)
    base.Uniforms._read = timed(base.Uniforms._read)
    spec = scaled_baseline(2000, 365)
    run_replication(spec, 0)
    spent[0] = 0.0
    t0 = time.perf_counter()
    for r in range(1, runs + 1):
        run_replication(spec, r)
    wall = time.perf_counter() - t0
    return {"draw_ms_per_day": spent[0] / runs / 365 * 1000, "share": spent[0] / wall}


def child_sweep(runs: int, workers: int) -> dict:
    """A sweep of `runs` small runs on a process pool of `workers` (bench_sweep's)."""
    from sim.sweep_runner import sweep

    base = scaled_baseline(1500, 90, {"payout.direct_commission.by_category": {}})
    points = runs // 4
    grid = {
        "payout.direct_commission.rate": [0.02 + 0.14 * i / (points - 1) for i in range(points)]
    }
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        table = sweep(
            base,
            grid=grid,
            replications=4,
            executor="processes",
            workers=workers,
            out=Path(tmp) / "sweep",
            progress=False,
        )
        wall = time.perf_counter() - t0
    assert (table["status"] == "ok").all()
    return {"wall_s": wall, "runs": len(table)}


CHILDREN = {
    "run": lambda a: child_run(a[0], int(a[1]), int(a[2])),
    "numpy_bass": lambda a: child_numpy_bass(int(a[0]), int(a[1])),
    "mesa_bass": lambda a: child_mesa_bass(int(a[0]), int(a[1])),
    "small": lambda a: child_small(int(a[0])),
    "shares": lambda a: child_shares(a[0], int(a[1]), int(a[2])),
    "sweep": lambda a: child_sweep(int(a[0]), int(a[1])),
    "draws": lambda a: child_draws(int(a[0])),
}


REPEAT = 1  # --repeat: fresh processes per measurement, their median reported


def measure(*args: object) -> dict:
    """Run one child measurement in a fresh process; its JSON line."""
    command = [sys.executable, __file__, "--child", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def repeated(*measurements: tuple) -> list[list[dict]]:
    """Each measurement (a `measure` argument tuple) REPEAT times, in turn (A, B, A, B,
    ...: the machine's drift falls on all of them alike); each one's list of results."""
    found: list[list[dict]] = [[] for _ in measurements]
    for _ in range(REPEAT):
        for results, args in zip(found, measurements, strict=True):
            results.append(measure(*args))
    return found


def figure(name: str, values: list[float], unit: str, target: str = "", ok=None) -> dict:
    """A report row: the median of a figure's measurements, with their range when there
    are several (`ok(median)` decides the target)."""
    row = {"figure": name, "value": float(median(values)), "unit": unit}
    if len(values) > 1:
        row["range"] = (min(values), max(values), len(values))
    if target:
        row["target"], row["ok"] = target, ok(row["value"])
    return row


# ---------------------------------------------------------------- the report
def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def record(rows: list[dict]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    new = not RESULTS.exists()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with RESULTS.open("a", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(["when", "commit", "machine", "figure", "value", "unit", "target"])
        machine = f"{os.cpu_count()} cores {platform.machine()}"
        for row in rows:
            value = f"{row['value']:.6g}"
            suffix = f" (median of {row['range'][2]})" if "range" in row else ""
            writer.writerow(
                [stamp, commit(), machine, row["figure"] + suffix, value, row["unit"],
                 row.get("target", "")]
            )  # fmt: skip
            if "range" in row:
                low, high, n = row["range"]
                for which, v in (("lowest", low), ("highest", high)):
                    writer.writerow([stamp, commit(), machine, f"{row['figure']} ({which} of {n})",
                                     f"{v:.6g}", row["unit"], ""])  # fmt: skip


def show(rows: list[dict]) -> None:
    width = max(len(r["figure"]) for r in rows)
    for r in rows:
        target = f"   target {r['target']}" if r.get("target") else ""
        verdict = ""
        if "ok" in r:
            verdict = "   met" if r["ok"] else "   NOT MET"
        spread = ""
        if "range" in r:
            low, high, n = r["range"]
            spread = f"   (median of {n}: {low:,.4g} to {high:,.4g})"
        print(
            f"{r['figure']:<{width}}  {r['value']:>12,.4g} {r['unit']:<14}{target}{verdict}{spread}"
        )


def target_baseline() -> list[dict]:
    (runs,) = repeated(("run", "baseline", 1_000_000, 365))
    label = "baseline 1M x 365"
    return [
        figure(f"{label}: wall", [m["wall_s"] for m in runs], "s", "<= 30", lambda v: v <= 30),
        figure(f"{label}: set-up", [m["setup_s"] for m in runs], "s"),
        figure(f"{label}: peak memory", [m["peak_mb"] for m in runs], "MB", "<= 1024",
               lambda v: v <= 1024),
        figure(f"{label}: threads", [m["threads"] for m in runs], "(SIM_THREADS)"),
    ]  # fmt: skip


def target_bass() -> list[dict]:
    rows = []
    for consumers in (10_000, 1_000_000):
        days = 60
        agents_too = consumers == 10_000
        found = repeated(
            ("run", "bass", consumers, days),
            ("numpy_bass", consumers, days),
            *([("mesa_bass", consumers, days)] if agents_too else []),
        )
        mine, ref = ([m["per_day_ms"] for m in runs] for runs in found[:2])
        label = f"bass {consumers:,} x {days}"
        rows += [
            figure(f"{label}: this project", mine, "ms/day"),
            figure(f"{label}: plain numpy", ref, "ms/day"),
        ]
        ratio = figure(f"{label}: ratio", [a / b for a, b in zip(mine, ref, strict=True)],
                       "x numpy", "<= 1.5", lambda v: v <= 1.5)  # fmt: skip
        ratio["value"] = float(median(mine) / median(ref))  # of the medians
        ratio["ok"] = ratio["value"] <= 1.5
        rows.append(ratio)
        quiet = [m["quiet_per_day_ms"] for m in found[0] if m["quiet_per_day_ms"] is not None]
        if quiet:  # the days nobody bought (everyone a customer): what a day costs at least
            rows.append(figure(f"{label}: this project, a day nobody buys", quiet, "ms/day"))
        if agents_too:
            agents = [m["per_day_ms"] for m in found[2]]
            rows.append(figure(f"{label}: per-agent Mesa", agents, "ms/day"))
            rows.append(
                {"figure": f"{label}: Mesa / this project",
                 "value": float(median(agents) / median(mine)), "unit": "x"}
            )  # fmt: skip
    return rows


def target_small() -> list[dict]:
    (runs,) = repeated(("small", 20))
    return [
        figure("small runs 2,000 x 365", [m["runs_per_s"] for m in runs], "runs/s/core",
               ">= 10", lambda v: v >= 10),
        figure("small runs: time per day", [m["per_day_ms"] for m in runs], "ms/day"),
    ]  # fmt: skip


def target_sweep() -> list[dict]:
    one, two = repeated(("sweep", 200, 1), ("sweep", 200, 2))
    ones, twos = [m["wall_s"] for m in one], [m["wall_s"] for m in two]
    speedup = figure("sweep speed-up on 2 workers", [a / b for a, b in zip(ones, twos, strict=True)],
                     "x", ">= 1.8", lambda v: v >= 1.8)  # fmt: skip
    speedup["value"] = float(median(ones) / median(twos))  # of the medians
    speedup["ok"] = speedup["value"] >= 1.8
    return [
        figure("sweep 200 runs: 1 worker", ones, "s"),
        figure("sweep 200 runs: 2 workers", twos, "s"),
        speedup,
    ]


def target_ceiling() -> list[dict]:
    """What running small runs as blocks of one world (`docs/block-replications.md`)
    could reach at best, on one core: one world of B small runs' worth of consumers
    (ads scaled with it: `small_runs_worth`) runs a year; shared perfectly, that is
    B / its time small runs a second. Each block would still make its own draws
    (`child_draws`): with them, the best a block world could do."""
    sizes = (40_000, 200_000)
    found = repeated(*[("run", "blocks", n, 365) for n in sizes], ("draws", 10))
    draws_ms = [m["draw_ms_per_day"] for m in found[-1]]
    rows = [figure("a small run's own draws", draws_ms, "ms/day")]
    for n, runs in zip(sizes, found[:-1], strict=True):
        label = f"block world {n:,} x 365 (1 thread)"
        worth = n / 2000
        walls = [m["wall_s"] for m in runs]
        rows += [
            figure(f"{label}: wall", walls, "s"),
            figure(f"{label}: customers", [100 * m["customers"] / n for m in runs], "%"),
            figure(f"{label}: small runs a second, shared perfectly",
                   [worth / w for w in walls], "runs/s/core"),
            figure(f"{label}: with each block's own draws",
                   [1 / (w / worth + median(draws_ms) * 365 / 1000) for w in walls],
                   "runs/s/core", ">= 10", lambda v: v >= 10),
        ]  # fmt: skip
    return rows


def size_label(consumers: int) -> str:
    """A world's size as the figures name it: 1M for a million, else the number."""
    return "1M" if consumers == 1_000_000 else f"{consumers:,}"


def target_shares(days: int = 60, kind: str = "baseline", consumers: int = 1_000_000):
    """Where the time goes: each mechanism's share of a day of `consumers` (a million
    unless told), over the first `days` days, of the baseline or the Bass-only scenario;
    each share the median over --repeat runs."""
    (runs,) = repeated(("shares", kind, consumers, days))
    what = "the day" if kind == "baseline" else "the Bass-only day"
    names = sorted(runs[0]["seconds"], key=lambda name: -runs[0]["seconds"][name])
    return [
        figure(
            f"share of {what} ({size_label(consumers)} x {days}): {name}",
            [100 * m["seconds"].get(name, 0.0) / m["wall_s"] for m in runs],
            "%",
        )
        for name in names
    ]


def scaling(sizes: list[int]) -> list[dict]:
    """Wall time and peak memory of the baseline's year at each size, each the median
    over --repeat runs (the sizes taken in turn)."""
    found = repeated(*[("run", "baseline", n, 365) for n in sizes])
    rows = []
    for n, runs in zip(sizes, found, strict=True):
        rows += [
            figure(f"scaling {n:,} x 365: wall", [m["wall_s"] for m in runs], "s"),
            figure(f"scaling {n:,} x 365: peak memory", [m["peak_mb"] for m in runs], "MB"),
        ]
        show(rows[-2:])
    return rows


def plot(path: Path) -> None:
    """Wall time and peak memory against consumers, the latest figure of each size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    table = pd.read_csv(RESULTS)
    table = table[table["figure"].str.startswith("scaling ")]
    table["consumers"] = table["figure"].str.extract(r"scaling ([\d,]+) x")[0]
    table["consumers"] = table["consumers"].str.replace(",", "").astype(int)
    table["what"] = table["figure"].str.extract(r": (.*)$")[0]
    latest = table.groupby(["consumers", "what"]).last()["value"].unstack()
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    ax_t.loglog(latest.index, latest["wall"], "o-")
    ax_t.set(xlabel="consumers", ylabel="wall time, 365 days (s)", title="Time")
    ax_m.loglog(latest.index, latest["peak memory"], "o-", label="peak memory")
    ax_m.set(xlabel="consumers", ylabel="peak memory (MB)", title="Memory")
    sizes, mbs = latest.index.to_numpy(), latest["peak memory"].to_numpy()
    for n, mb, secs in zip(sizes, mbs, latest["wall"], strict=True):
        ax_t.annotate(
            f"{n * 365 / secs / 1e6:.1f}M consumer-days/s",
            (n, secs),
            textcoords="offset points",
            xytext=(6, -10),
            fontsize=8,
        )
        ax_m.annotate(f"{mb:,.0f} MB", (n, mb), textcoords="offset points", xytext=(6, -10))
    for k in range(1, sizes.size):  # the memory each further consumer costs
        kb = (mbs[k] - mbs[k - 1]) * 1024 / (sizes[k] - sizes[k - 1])
        mid = (sizes[k - 1] * sizes[k]) ** 0.5, (mbs[k - 1] * mbs[k]) ** 0.5
        ax_m.annotate(f"+{kb:.2f} KB/consumer", mid, textcoords="offset points", xytext=(-30, 12),
                      fontsize=8)  # fmt: skip
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("The baseline scenario, one replication, 2-core machine")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> int:
    measured_tree()
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3:])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=["baseline", "bass", "small", "sweep", "shares", "ceiling"],
        action="append",
    )
    parser.add_argument("--scaling", help="comma-separated consumer counts")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each target's figures this many times, in turn, each in a fresh "
        "process, and report their median and range (default 1)",
    )
    parser.add_argument("--plot", action="store_true", help="draw docs/images/scale.png")
    parser.add_argument(
        "--shares-days", type=int, default=60, help="days of the shares' run (default 60)"
    )
    parser.add_argument(
        "--shares-consumers",
        type=int,
        default=1_000_000,
        help="consumers of the shares' run (default 1,000,000)",
    )
    parser.add_argument(
        "--shares-of",
        choices=["baseline", "bass"],
        default="baseline",
        help="the scenario whose day is shared out (default baseline)",
    )
    args = parser.parse_args()
    if args.shares_days < 1:
        parser.error(f"--shares-days must be at least 1, not {args.shares_days}")
    if args.shares_consumers < 100:
        parser.error(f"--shares-consumers must be at least 100, not {args.shares_consumers}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, not {args.repeat}")
    global REPEAT
    REPEAT = args.repeat
    targets = {
        "baseline": target_baseline,
        "bass": target_bass,
        "small": target_small,
        "sweep": target_sweep,
        "ceiling": target_ceiling,
        "shares": lambda: target_shares(args.shares_days, args.shares_of, args.shares_consumers),
    }
    chosen = args.only or ([] if args.scaling or args.plot else list(targets))
    rows: list[dict] = []
    for name in chosen:
        found = targets[name]()
        show(found)
        rows += found
    if args.scaling:
        rows += scaling([int(x) for x in args.scaling.split(",")])
    if rows:
        record(rows)
        print(f"\nappended to {RESULTS.relative_to(ROOT)}; {platform.python_version()}")
    if args.plot:
        plot(ROOT / "docs" / "images" / "scale.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
