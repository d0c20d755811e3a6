"""Robust comparison: does the verdict hold in every plausible world?

`sim compare FILE --uncertainty U` runs the comparison once per world sampled from the
uncertainty file (`sim.uncertainty`): every variant, the same replications, on common
random numbers within a world (replication r of world w uses the same streams for every
variant) and on independent streams across worlds. Per world it ranks the variants as a
plain comparison does (pairwise paired t tests, Holm-adjusted) and records the winner,
whether the win is clear and the best variant that raises no compliance flag. Across
worlds, per variant:

- win share: the share of worlds it wins (a tie, to the last fen, is shared);
- regret in a world: how far its mean objective falls short of that world's best; mean
  and worst regret across worlds (the minimax-regret scheme is the safest bet);
- compliant win share and regret: the same among the variants that raise no flag.

Scenario discovery: a shallow decision tree (scikit-learn) classifies each world's winner
from the uncertain parameters; its leaves are the regions of the parameter space where one
scheme wins, written as rules ("commission_plus_2 loses when
behavior.word_of_mouth_per_day > 0.061"), and drawn in a figure.

The runs are sweeps (`sim.sweep_runner`), one per variant over the same worlds: they run on
the local process pool or a Dask cluster, stream to disk, and `--resume` finishes an
interrupted robust comparison without redoing a finished run.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.catalog import fmt, lower_is_better
from sim.compare import comparison_from_runs, comparison_scenarios
from sim.errors import ScenarioError, SimError
from sim.scenario import Scenario
from sim.sweep_runner import Execution
from sim.uncertainty import load_uncertainty, sample_worlds


@dataclass
class RobustResult:
    """A comparison across sampled worlds."""

    name: str
    objective: str
    variants: list[str]
    worlds: pd.DataFrame  # world, then one column per uncertain key
    runs: pd.DataFrame  # world, variant, replication, KPIs
    per_world: pd.DataFrame  # world, variant, mean, regret, flags, compliant_regret
    winners: pd.DataFrame  # world, winner(s), clear, best_compliant
    summary: pd.DataFrame  # one row per variant
    rules: list[dict[str, Any]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    skipped_worlds: list[int] = field(default_factory=list)  # objective undefined somewhere

    @property
    def keys(self) -> list[str]:
        return [c for c in self.worlds.columns if c != "world"]

    @property
    def favourite(self) -> str:
        """The variant winning most worlds (ties: the lower mean regret)."""
        s = self.summary.sort_values(["win_share", "mean_regret"], ascending=[False, True])
        return str(s["variant"].iloc[0])

    def sentence(self) -> str:
        """The robust verdict in words."""
        n = len(self.winners)
        unit = self.objective.replace("_", " ")
        s = self.summary.set_index("variant")
        fav = self.favourite
        order = self.summary.sort_values("win_share", ascending=False)
        shares = ", ".join(
            f"'{v}' {100 * w:.0f}%"
            for v, w in zip(order["variant"], order["win_share"], strict=True)
            if w > 0
        )
        unclear = int((~self.winners["clear"]).sum())
        text = (
            f"Across {n} sampled worlds, on {unit}: wins {shares} (a tie shares the win); "
            f"{unclear} of {n} worlds have no single clear winner (pairwise paired t tests, "
            f"Holm-adjusted, 5%). "
        )
        if self.skipped_worlds:
            text += (
                f"{len(self.skipped_worlds)} more worlds were left out: some variant's "
                f"{unit} is undefined there. "
            )
        safest = str(self.summary.sort_values(["worst_regret", "mean_regret"])["variant"].iloc[0])
        text += (
            f"'{fav}' has mean regret {fmt(s.loc[fav, 'mean_regret'], self.objective)} and worst "
            f"{fmt(s.loc[fav, 'worst_regret'], self.objective)}"
            + (
                "; it is also the minimax-regret choice. "
                if safest == fav
                else f"; the minimax-regret choice is '{safest}' (worst regret "
                f"{fmt(s.loc[safest, 'worst_regret'], self.objective)}). "
            )
        )
        flagged = int(s.loc[fav, "flagged_worlds"])
        if flagged:
            clean = [v for v in self.variants if s.loc[v, "flagged_worlds"] == 0]
            text += f"'{fav}' raises a compliance flag in {flagged} of {n} worlds"
            if not clean:
                text += "; every variant is flagged in some world. "
            else:
                wide = self.per_world.pivot(index="world", columns="variant", values="mean")[clean]
                best_each = (
                    wide.idxmin(axis=1) if lower_is_better(self.objective) else wide.idxmax(axis=1)
                )
                shares = best_each.value_counts(normalize=True)
                best = str(shares.index[0])
                text += (
                    f"; among the schemes flagged in no world, '{best}' is best in "
                    f"{100 * shares.iloc[0]:.0f}% of worlds. "
                )
        losing = [r for r in self.rules if r["winner"] != fav and r["worlds"] > 0]
        mine = self.per_world.query("variant == @fav")["win"]
        lost = int((mine == 0).sum())
        if not losing:
            text += (
                f"'{fav}' wins in every sampled world."
                if (mine == 1).all()
                else f"'{fav}' wins or ties in every sampled world."
                if lost == 0
                else f"'{fav}' loses {lost} of {n} worlds, scattered: no region of the sampled "
                f"ranges where it mostly loses was found (decision tree)."
            )
        else:
            text += " ".join(
                f"'{fav}' loses when {r['condition']} ('{r['winner']}' wins {r['won']} of the "
                f"{r['worlds']} worlds there)."
                for r in losing
            )
        return text.strip()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "comparison": self.name,
            "objective": self.objective,
            "worlds": len(self.winners),
            "uncertain_keys": self.keys,
            "skipped_worlds": self.skipped_worlds,
            "favourite": self.favourite,
            "sentence": self.sentence(),
            "summary": records(self.summary),
            "rules": self.rules,
            "winners": records(self.winners),
        }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts for JSON: missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def analyse(
    name: str,
    scenarios: dict[str, Scenario],
    objective: str,
    worlds: pd.DataFrame,
    runs: pd.DataFrame,
) -> RobustResult:
    """Rank the variants in every world, then summarize win shares, regret and flags across
    worlds and discover the regions where the winner changes.

    runs: one row per (world, variant, replication) with the KPI columns; worlds: one row per
    world (column `world`) with the uncertain keys. A world where some variant has no
    finished run is left out."""
    lower = lower_is_better(objective)
    variants = list(scenarios)
    per_world, winners, skipped = [], [], []
    for world, part in runs.groupby("world", sort=True):
        result = comparison_from_runs(name, scenarios, objective, part.drop(columns="world"))
        means = {v: result.values(v, objective) for v in variants}
        if any(not np.isfinite(m).any() for m in means.values()):
            skipped.append(world)  # a variant without a defined objective: no fair ranking
            continue
        rank = result.ranking()
        means = {r["variant"]: r["mean"] for r in rank["rows"]}
        flags = {r["variant"]: r["flags"] for r in rank["rows"]}
        best = min(means.values()) if lower else max(means.values())
        tied = [v for v in variants if means[v] == best]
        clear = all(
            p["clear"] for p in rank["pairs"] if p["better"] == tied[0] and p["worse"] not in tied
        )
        good = [v for v in variants if not flags[v]]
        best_good = (min if lower else max)(means[v] for v in good) if good else None
        for v in variants:
            per_world.append(
                {
                    "world": world,
                    "variant": v,
                    "mean": means[v],
                    "regret": abs(best - means[v]),
                    "win": (1.0 / len(tied)) if v in tied else 0.0,
                    "flags": ";".join(flags[v]),
                    "compliant_regret": abs(best_good - means[v]) if v in good else None,
                    "compliant_win": (
                        1.0 / sum(means[g] == best_good for g in good)
                        if v in good and means[v] == best_good
                        else 0.0
                    ),
                }
            )
        winners.append(
            {
                "world": world,
                "winner": "+".join(tied),
                "clear": bool(clear and len(tied) == 1),
                "best_compliant": rank["best_compliant"],
            }
        )
    if not winners:
        raise SimError(
            f"{name}: no world has a defined {objective} for every variant (failed runs, or a "
            f"KPI such as break-even day that is undefined when it never happens)"
        )
    pw = pd.DataFrame(per_world)
    win = pd.DataFrame(winners)
    summary = (
        pw.groupby("variant", sort=False)
        .agg(
            mean=("mean", "mean"),
            win_share=("win", "mean"),
            mean_regret=("regret", "mean"),
            worst_regret=("regret", "max"),
            flagged_worlds=("flags", lambda f: int((f != "").sum())),
            compliant_win_share=("compliant_win", "mean"),
            compliant_mean_regret=("compliant_regret", "mean"),
        )
        .reset_index()
    )
    clear_wins = {v: 0.0 for v in variants}
    for _, w in win[win["clear"]].iterrows():  # a clear world has one winner
        clear_wins[w["winner"]] += 1.0 / len(win)
    summary.insert(3, "clear_win_share", summary["variant"].map(clear_wins))
    kept = worlds[worlds["world"].isin(win["world"])].reset_index(drop=True)
    result = RobustResult(name, objective, variants, kept, runs, pw, win, summary)
    result.skipped_worlds = skipped
    result.rules = discover(kept, win, result.favourite)
    return result


def discover(
    worlds: pd.DataFrame, winners: pd.DataFrame, favourite: str, max_depth: int = 2
) -> list[dict[str, Any]]:
    """Scenario discovery: the regions of the uncertain parameters where each scheme wins.

    A decision tree (scikit-learn, Gini, at most `max_depth` splits deep, every leaf holding
    at least max(2, a tenth of the worlds)) classifies the winner of each world from its
    parameters; each leaf is a region, returned as a rule with its condition, its majority
    winner, how many worlds it holds and how many of them that winner won (density). A
    world's winner is its first tied variant. Without variation in the winner there is one
    region: everything."""
    from sklearn.tree import DecisionTreeClassifier

    keys = [c for c in worlds.columns if c != "world"]
    labels = winners.set_index("world").loc[worlds["world"], "winner"].str.split("+").str[0]
    y = labels.to_numpy()
    everything = {
        "condition": "anywhere in the sampled ranges",
        "conditions": [],
        "winner": pd.Series(y).mode().iloc[0],
        "worlds": len(y),
        "won": int((y == pd.Series(y).mode().iloc[0]).sum()),
    }
    if len(set(y)) < 2 or not keys:
        return [everything | {"favourite_wins": everything["winner"] == favourite}]
    x = worlds[keys].to_numpy(dtype=float)
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(2, math.ceil(len(y) / 10)), random_state=0
    ).fit(x, y)
    t = tree.tree_
    rules = []

    def walk(node: int, bounds: dict[str, list[float | None]]) -> None:
        if t.children_left[node] == -1:
            inside = np.ones(len(y), bool)
            parts = []
            for key, (low, high) in bounds.items():
                j = keys.index(key)
                if low is not None:
                    inside &= x[:, j] > low
                if high is not None:
                    inside &= x[:, j] <= high
                parts.append(
                    f"{key} > {low:.4g}"
                    if high is None
                    else f"{key} <= {high:.4g}"
                    if low is None
                    else f"{low:.4g} < {key} <= {high:.4g}"
                )
            here = pd.Series(y[inside])
            modes = list(here.mode())
            winner = favourite if favourite in modes else str(modes[0])  # ties: no flip claimed
            rules.append(
                {
                    "condition": " and ".join(parts) or "anywhere in the sampled ranges",
                    "conditions": [
                        {"key": k, "above": lo, "at_most": hi} for k, (lo, hi) in bounds.items()
                    ],
                    "winner": winner,
                    "worlds": int(inside.sum()),
                    "won": int((here == winner).sum()),
                    "favourite_wins": int((here == favourite).sum()),
                    "counts": {str(k): int(n) for k, n in here.value_counts().items()},
                }
            )
            return
        key, cut = keys[t.feature[node]], float(t.threshold[node])
        low, high = bounds.get(key, [None, None])
        walk(t.children_left[node], {**bounds, key: [low, cut if high is None else min(high, cut)]})
        walk(t.children_right[node], {**bounds, key: [cut if low is None else max(low, cut), high]})

    walk(0, {})
    return rules


def compare_robust(
    sources,
    uncertainty: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    execution: Execution | None = None,
    out: str | Path | None = None,
    resume: bool = False,
) -> tuple[RobustResult, Path]:
    """Run a comparison in every world of an uncertainty file and analyse it; the results
    go to `out` (default: a new folder under results/runs/). Returns the result and the
    folder."""
    from sim.provenance import manifest, to_json, write_text_atomic
    from sim.sweep_runner import sweep, validate_points

    name, spec, scenarios, _ = comparison_scenarios(sources, overrides)
    unc = load_uncertainty(uncertainty)
    u = unc.uncertainty
    seed = u.seed if u.seed is not None else spec.run.seed
    worlds = sample_worlds(unc, seed, uncertainty)
    for v, s in scenarios.items():  # every world must make a valid scenario of every variant
        try:
            validate_points(s, worlds)
        except ScenarioError as exc:
            raise ScenarioError(f"{uncertainty} (worlds of variant {v})", exc.problems) from None
    from sim.provenance import resumable_folder, scenario_hash

    design = worlds.to_csv(index_label="world")
    identity = {
        "variants": {v: scenario_hash(s) for v, s in scenarios.items()},
        "replications": u.replications,
        "worlds_sha256": hashlib.sha256(design.encode()).hexdigest(),
    }
    folder = resumable_folder(out, f"robust-{name}", identity, "robust comparison", resume)
    write_text_atomic(folder / "worlds.csv", design)
    started, t0 = datetime.now(UTC), time.perf_counter()
    execution = execution or Execution()
    tables = []
    with execution.open() as executor:
        for v, s in scenarios.items():
            table = sweep(
                s,
                samples=worlds,
                replications=u.replications,
                executor=executor,
                workers=execution.workers,
                out=folder / "runs" / v,
                progress=execution.progress,
                resume=resume or (folder / "runs" / v).exists(),
                experiment={
                    "robust_comparison": name,
                    "variant": v,
                    "uncertainty_file": str(uncertainty),
                    "uncertainty_sha256": hashlib.sha256(
                        Path(uncertainty).read_bytes()
                    ).hexdigest(),
                },
            )
            tables.append(table.rename(columns={"point": "world"}).assign(variant=v))
    runs = pd.concat(tables, ignore_index=True)
    failed = runs[runs["status"] != "ok"]
    ok = runs[runs["status"] == "ok"]
    front = ["world", "variant", "replication"]
    runs_out = ok[[*front, *[c for c in ok.columns if c not in front and c not in worlds]]]
    result = analyse(
        name, scenarios, spec.compare.objective, worlds.reset_index(names="world"), runs_out
    )
    result.manifest = manifest(spec, started, time.perf_counter() - t0) | {
        "kind": "robust_comparison",
        "uncertainty": unc.model_dump(mode="json"),
        "worlds_seed": seed,
        "variants": result.variants,
        "failed_runs": failed[["world", "variant", "replication", "error"]].to_dict("records"),
    }
    from sim.robust_report import write_robust_files

    write_robust_files(result, folder)
    write_text_atomic(folder / "manifest.json", to_json(result.manifest))
    return result, folder


def verdict_lines(result: RobustResult) -> list[str]:
    """The terminal's summary table of a robust comparison."""
    lines = [
        f"{'variant':<24} {'win share':>9} {'clear':>6} {'mean regret':>14} "
        f"{'worst regret':>14} {'flagged':>8}"
    ]
    for r in result.summary.itertuples():
        lines.append(
            f"{r.variant:<24} {100 * r.win_share:>8.0f}% {100 * r.clear_win_share:>5.0f}% "
            f"{fmt(r.mean_regret, result.objective):>14} {fmt(r.worst_regret, result.objective):>14} "
            f"{r.flagged_worlds:>8}"
        )
    return lines
