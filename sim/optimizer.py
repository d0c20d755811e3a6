"""The payout optimizer: `sim optimize FILE` searches payout keys for the best scheme.

An optimization file names a base scenario, the keys to search (a low..high range, or a
list of choices), one or two objectives (KPIs; two give a Pareto front) and constraints:
no compliance flag (`compliant`, on by default), and bounds on any KPI (payout ratio at
most 3%, cash trough at least -50,000 yuan...).

    [optimize]
    scenario = "referral_commission_team.toml"
    objectives = ["npv"]
    trials = 100
    [[parameters]]
    key = "payout.direct_commission.rate"
    low = 0.04
    high = 0.16
    [[constraints]]
    kpi = "payout_ratio"
    max = 0.03

How it searches. Optuna's TPE sampler (seeded) proposes trials in batches of a fixed size;
each trial runs `replications` replications on common random numbers (replication r of
every trial uses the streams of replication r of the base scenario, so trials differ only
by their keys), as a sweep on the local process pool or a Dask cluster. A trial's value is
its mean objective; its constraint values (flags raised, bounds exceeded) steer the sampler
towards feasible schemes (Optuna's constrained TPE). The sampler of batch k is seeded from
the file's seed and k, so the search does not depend on the number of workers, and a
search resumed after a kill (`--resume`) replays the finished batches and proposes exactly
what an uninterrupted one would.

The verdict. The leading feasible trials (the best `finalists`, or for two objectives the
feasible Pareto front), the base scheme as it is (`incumbent`) and, when the best trial
overall breaks a constraint, that trial and the nearest feasible one, are re-run with
`final_replications` fresh replications each (not the draws that selected them) and
compared as `sim compare` does: ranking with
Holm-adjusted pairwise tests, flags, and the constraints checked again on the final means.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError, model_validator

from sim.catalog import fmt, kpi_names, lower_is_better
from sim.compare import CompareResult, comparison_from_runs, signed
from sim.errors import ScenarioError, problems_from_validation_error
from sim.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    probe_values,
    read_toml,
    resolve_path,
)
from sim.schema_base import Section, param
from sim.streams import design_generator
from sim.sweep_runner import Execution

# What a payout decision may not change: the experiment itself and the market's facts.
NOT_A_LEVER = ("run", "population", "network", "behavior", "variants", "rivals", "compare", "check")


class SearchKey(Section):
    """A searched scenario key: a low..high range (float or integer), or choices."""

    key: str = param(..., "Scenario key path, e.g. payout.direct_commission.rate.")
    low: float | None = param(None, "Lower bound of the range.")
    high: float | None = param(None, "Upper bound of the range.")
    integer: bool = param(False, "Search whole numbers only.")
    log: bool = param(False, "Search on a log scale (low > 0).")
    choices: list[Any] | None = param(None, "Listed values instead of a range.", min_length=2)

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchKey:
        if self.choices is None and (
            self.low is None or self.high is None or self.low >= self.high
        ):
            raise ValueError(f"{self.key!r}: give low < high, or choices = [...]")
        if self.choices is not None and (self.low is not None or self.high is not None):
            raise ValueError(f"{self.key!r}: give either a low..high range or choices, not both")
        if self.integer and self.choices is None and math.ceil(self.low) > math.floor(self.high):
            raise ValueError(f"{self.key!r}: no whole number lies in {self.low}..{self.high}")
        if self.log and (self.low is None or self.low <= 0):
            raise ValueError(f"{self.key!r}: a log scale needs low > 0")
        if self.key.split(".")[0] in NOT_A_LEVER:
            raise ValueError(
                f"{self.key!r}: {self.key.split('.')[0]}.* is not a lever of the scheme; search "
                f"payout.*, platform.* (ad spend) or other keys the platform sets"
            )
        return self

    def distribution(self):
        import optuna

        if self.choices is not None:
            return optuna.distributions.CategoricalDistribution([label(c) for c in self.choices])
        if self.integer:
            return optuna.distributions.IntDistribution(
                math.ceil(self.low), math.floor(self.high), log=self.log
            )
        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)

    def value(self, sampled: Any) -> Any:
        """The scenario value of a sampled parameter (choices travel as JSON labels)."""
        return json.loads(sampled) if self.choices is not None else sampled

    def scaled(self, value: Any) -> float | str:
        """The value on [0, 1] (log scale where searched so) for distances; a choice as its
        label."""
        if self.choices is not None:
            return label(value)
        lo, hi, v = float(self.low), float(self.high), float(value)
        if self.log:
            lo, hi, v = math.log(lo), math.log(hi), math.log(v)
        return (v - lo) / (hi - lo)


def short(value: Any) -> str:
    """A searched value for people: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def label(choice: Any) -> str:
    return json.dumps(choice, sort_keys=True)


class Constraint(Section):
    """A bound on a KPI's mean: at least `min`, at most `max`."""

    kpi: str = param(..., "KPI name (see docs/kpis.md).")
    min: float | None = param(None, "The KPI's mean must be at least this.")
    max: float | None = param(None, "The KPI's mean must be at most this.")

    @model_validator(mode="after")
    def _bounded(self) -> Constraint:
        if self.kpi not in kpi_names():
            raise ValueError(f"unknown KPI {self.kpi!r}; see docs/kpis.md")
        if self.min is None and self.max is None:
            raise ValueError(f"constraint on {self.kpi}: give min, max or both")
        return self

    def excess(self, mean: float | None) -> float:
        """How far the mean breaks the bound (<= 0: kept), relative to the bound (so that
        bounds in yuan and in shares weigh alike); an undefined mean breaks it by 1000."""
        if mean is None or not np.isfinite(mean):
            return 1e3
        return max(
            (self.min - mean) / (abs(self.min) or 1.0) if self.min is not None else -math.inf,
            (mean - self.max) / (abs(self.max) or 1.0) if self.max is not None else -math.inf,
        )

    def describe(self) -> str:
        parts = [f">= {fmt(self.min, self.kpi)}"] if self.min is not None else []
        parts += [f"<= {fmt(self.max, self.kpi)}"] if self.max is not None else []
        return f"{self.kpi} {' and '.join(parts)}"


class OptimizeSection(Section):
    """What to optimize, how long, and how surely."""

    name: str = param("optimize", "Name of the optimization (output folder name).", min_length=1)
    scenario: str = param(..., "Base scenario file, relative to this file.")
    objectives: list[str] | None = param(
        None,
        "One KPI to optimize, or two for a Pareto front (directions from the KPI catalog); "
        "default: the scenario's compare.objective.",
        min_length=1,
        max_length=2,
    )
    trials: int = param(100, "Trials (schemes evaluated) in the search.", ge=1, le=100_000)
    batch: int = param(
        4, "Trials proposed at a time (fixed, so results do not depend on workers).", ge=1, le=256
    )
    startup_trials: int = param(10, "Random trials before TPE takes over.", ge=1, le=10_000)
    replications: int = param(3, "Replications per trial in the search.", ge=1, le=1_000)
    finalists: int = param(5, "Leading feasible trials re-run for the verdict.", ge=1, le=50)
    final_replications: int = param(
        20, "Replications per finalist in the final comparison.", ge=2, le=10_000
    )
    seed: int | None = param(None, "Seed of the search (default: the scenario's run.seed).")
    compliant: bool = param(True, "Constraint: the scheme raises no compliance flag.")
    overrides: dict[str, Any] = param({}, "Fixed overrides of the base scenario.")

    @model_validator(mode="after")
    def _known_objectives(self) -> OptimizeSection:
        for kpi in self.objectives or []:
            if kpi not in kpi_names():
                raise ValueError(f"unknown objective {kpi!r}; see docs/kpis.md")
        if self.objectives and len(set(self.objectives)) < len(self.objectives):
            raise ValueError("the two objectives must differ")
        return self


class OptimizeFile(Section):
    optimize: OptimizeSection = param(..., "The optimization.")
    parameters: list[SearchKey] = param(..., "The searched keys.", min_length=1)
    constraints: list[Constraint] = param([], "Bounds on KPI means.")

    @model_validator(mode="after")
    def _distinct_keys(self) -> OptimizeFile:
        keys = [p.key for p in self.parameters]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"searched twice: {', '.join(twice)}")
        return self


def load_optimization(
    path: str | Path, overrides: dict[str, Any] | None = None
) -> tuple[OptimizeFile, Scenario]:
    """Read an optimization file and its base scenario; check that every searched value
    (both ends of each range, every choice) makes a valid scenario, before any work."""

    path = Path(path)
    try:
        opt = OptimizeFile.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ScenarioError(str(path), problems_from_validation_error(exc, OptimizeFile)) from None
    o = opt.optimize
    spec = load_scenario(
        resolve_path(o.scenario, path.parent), {**o.overrides, **(overrides or {})}
    )
    base = spec.model_dump(mode="python", exclude={"variants"})
    probes = []
    for i, p in enumerate(opt.parameters):
        for v in p.choices if p.choices is not None else [p.low, p.high]:
            if p.integer and p.choices is None:
                v = math.ceil(v) if v == p.low else math.floor(v)
            probes.append((f"parameters[{i}]", p.key, v))
    problems = probe_values(base, probes)
    if problems:
        raise ScenarioError(str(path), problems)
    if not o.objectives:
        o.objectives = [spec.compare.objective]
    return opt, spec


def sampler_for(seed: int, batch: int, startup: int):
    """The TPE sampler proposing batch `batch`: seeded from the search's seed and the batch
    number, so a replayed history gives the same proposals."""
    import optuna

    child = int(design_generator(seed, f"optimize-batch-{batch}").integers(2**31 - 1))
    return optuna.samplers.TPESampler(
        seed=child,
        n_startup_trials=startup,
        multivariate=True,
    )


@dataclass
class OptimizeResult:
    """A finished optimization: every trial, and the final comparison of the finalists."""

    name: str
    objectives: list[str]
    keys: list[str]
    trials: pd.DataFrame  # one row per trial
    final: CompareResult  # finalists (and the incumbent) re-run on common random numbers
    finalists: dict[str, dict[str, Any]]  # finalist name -> its overrides
    constraints: list[Constraint]
    compliant: bool
    nearest: dict[str, Any] | None = None  # the best trial breaking a constraint, its fix
    manifest: dict[str, Any] = field(default_factory=dict)

    def final_means(self, name: str) -> dict[str, float | None]:
        out = {}
        for k in kpi_names():
            v = self.final.values(name, k)
            out[k] = float(np.nanmean(v)) if np.isfinite(v).any() else None
        return out

    def feasible_finalists(self) -> list[str]:
        """Finalists that raise no flag (if required) and keep every bound, in ranking order."""
        flags = self.final.compliance()
        keep = []
        for name in self.final.ranking()["order"]:
            means = self.final_means(name)
            if self.compliant and flags[name]:
                continue
            if any(c.excess(means[c.kpi]) > 0 for c in self.constraints):
                continue
            keep.append(name)
        return keep

    def best(self) -> str | None:
        feasible = self.feasible_finalists()
        return feasible[0] if feasible else None

    def describe(self, name: str) -> str:
        keys = self.finalists.get(name, {})
        return (
            "the scheme as it is"
            if not keys
            else ", ".join(f"{k.split('.', 1)[-1]} = {short(v)}" for k, v in keys.items())
        )

    def sentence(self) -> str:
        obj = self.objectives[0]
        unit = obj.replace("_", " ")
        best = self.best()
        ok = int(self.trials["feasible"].sum())
        failed = int((self.trials["state"] == "failed").sum())
        text = (
            f"{len(self.trials)} trials searched {', '.join(self.keys)} "
            f"({ok} feasible{f', {failed} failed' if failed else ''}); the finalists were "
            f"re-run with {self.final.replications} fresh replications each on common random "
            f"numbers. "
        )
        if ok == 0:
            text += "No trial kept every constraint; only the incumbent was re-run. "
        if best is None:
            return text + "No finalist keeps every constraint: no scheme is recommended."
        diff = self.final.table().query("variant == @best and kpi == @obj").iloc[0]
        text += f"Best feasible scheme on {unit}: '{best}' ({self.describe(best)}), mean {fmt(diff['mean'], obj)}"
        if best != "incumbent" and pd.notna(diff["diff_ci95_low"]):
            text += (
                f", {signed(diff['diff'], obj)} versus the incumbent (95% CI "
                f"{signed(diff['diff_ci95_low'], obj)} .. {signed(diff['diff_ci95_high'], obj)})"
            )
        text += ". "
        rank = self.final.ranking()
        rows = {r["variant"]: r for r in rank["rows"]}
        unclear = [
            p["worse"]
            for p in rank["pairs"]
            if p["better"] == best and not p["clear"] and p["worse"] in self.feasible_finalists()
        ]
        if unclear:
            text += f"It cannot be told apart from {', '.join(unclear)} at 5% (Holm). "
        r = rows[best]
        if r["cash_trough"] is not None:
            text += f"Cash trough {r['cash_trough']:,.0f} yuan"
            text += (
                f", break-even day {r['breakeven_day']:,.0f}. "
                if r["breakeven_day"] is not None
                else ", no break-even within the horizon. "
            )
        if self.nearest is not None:
            n = self.nearest
            text += (
                f"The best trial overall, '{n['scheme']}' ({self.describe(n['scheme'])}), breaks "
                f"{'; '.join(n['broken'])}; the nearest scheme that kept every constraint in "
                f"the search"
                + ("" if n["fix"] in self.feasible_finalists() else " (but not in the re-run)")
                + ", "
                f"'{n['fix']}' ({self.describe(n['fix'])}), changes {unit} by "
                f"{signed(n['cost'], obj)}"
                + (
                    f" (95% CI {signed(n['cost_ci95_low'], obj)} .. "
                    f"{signed(n['cost_ci95_high'], obj)})."
                    if n.get("cost_ci95_low") is not None
                    else "."
                )
            )
        return text.strip()

    def pareto(self) -> pd.DataFrame:
        """Feasible trials on the Pareto front of the two objectives (empty for one)."""
        if len(self.objectives) < 2:
            return self.trials.iloc[0:0]
        ok = self.trials[self.trials["feasible"]]
        return ok[front_mask(ok, self.objectives)]

    def to_json_dict(self) -> dict[str, Any]:
        from sim.robust import records

        return {
            "optimization": self.name,
            "objectives": self.objectives,
            "keys": self.keys,
            "constraints": [c.describe() for c in self.constraints]
            + (["no compliance flag"] if self.compliant else []),
            "best": self.best(),
            "best_keys": self.finalists.get(self.best() or "", {}),
            "sentence": self.sentence(),
            "finalists": self.finalists,
            "ranking": self.final.ranking(),
            "compliance": self.final.compliance(),
            "nearest_feasible": self.nearest,
            "pareto_front": records(self.pareto()),
        }


def front_mask(trials: pd.DataFrame, objectives: list[str]) -> np.ndarray:
    """Which rows no other row dominates (at least as good on both, better on one)."""
    sign = np.array([-1.0 if lower_is_better(k) else 1.0 for k in objectives])
    v = trials[objectives].to_numpy(float) * sign  # higher is better now
    better_eq = (v[:, None, :] >= v[None, :, :]).all(axis=2)
    strictly = (v[:, None, :] > v[None, :, :]).any(axis=2)
    dominated = (better_eq & strictly).any(axis=0)
    return ~dominated


def trial_row(
    number: int,
    batch: int,
    params: dict[str, Any],
    runs: pd.DataFrame,
    spec: Scenario,
    opt: OptimizeFile,
) -> dict[str, Any]:
    """A trial's record: its keys, KPI means over its replications, flags and constraint
    values (<= 0: kept)."""
    from sim.payout.compliance import compliance_flags
    from sim.scenario import validate_scenario

    ok = runs[runs["status"] == "ok"]
    means = {
        k: (float(ok[k].mean()) if k in ok and ok[k].notna().any() else None) for k in kpi_names()
    }
    trial_spec = validate_scenario(
        apply_overrides(spec.model_dump(mode="python", exclude={"variants"}), params)
    )
    flags = [f.flag for f in compliance_flags(trial_spec.payout, means)]
    excess = [c.excess(means[c.kpi]) for c in opt.constraints]
    constraints = ([float(len(flags))] if opt.optimize.compliant else []) + excess
    failed = len(ok) < len(runs) or any(means[k] is None for k in opt.optimize.objectives)
    return {
        "trial": number,
        "batch": batch,
        "state": "failed" if failed else "complete",
        **{  # choices as their JSON labels, whatever their type
            p.key: label(params[p.key]) if p.choices is not None else params[p.key]
            for p in opt.parameters
        },
        **{k: means[k] for k in opt.optimize.objectives},
        "flags": ";".join(flags),
        "constraint_excess": max(excess) if excess else 0.0,
        "feasible": not failed and all(c <= 0 for c in constraints),
        "constraints": constraints,
        "error": "" if not failed else "; ".join(runs.loc[runs["status"] != "ok", "error"]),
        **{f"kpi.{k}": v for k, v in means.items() if k not in opt.optimize.objectives},
    }


def optimize(
    path: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    execution: Execution | None = None,
    out: str | Path | None = None,
    resume: bool = False,
) -> tuple[OptimizeResult, Path]:
    """Run an optimization file; results (every trial, the final comparison, a report) go
    to `out` (default: a new folder under results/runs/)."""
    import optuna

    from sim.provenance import manifest, to_json, write_text_atomic
    from sim.sweep_runner import sweep

    opt, spec = load_optimization(path, overrides)
    o = opt.optimize
    seed = o.seed if o.seed is not None else spec.run.seed
    from sim.provenance import resumable_folder, scenario_hash

    identity = {
        "file": opt.model_dump(mode="json"),
        "scenario_hash": scenario_hash(spec),  # the resolved base scenario, --set included
        "search_seed": seed,
    }
    folder = resumable_folder(
        out, f"optimize-{o.name}", identity, "optimization", resume, "search.json"
    )
    started, t0 = datetime.now(UTC), time.perf_counter()
    execution = execution or Execution()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = ["minimize" if lower_is_better(k) else "maximize" for k in o.objectives]
    study = optuna.create_study(
        directions=directions, sampler=sampler_for(seed, 0, o.startup_trials)
    )
    distributions = {p.key: p.distribution() for p in opt.parameters}
    by_key = {p.key: p for p in opt.parameters}
    rows: list[dict[str, Any]] = []
    with execution.open() as executor:
        batch = 0
        while len(rows) < o.trials:
            size = min(o.batch, o.trials - len(rows))
            bdir = folder / "trials" / f"batch-{batch:05d}"
            study.sampler = sampler_for(seed, batch, o.startup_trials)
            proposed = bdir / "proposed.json"
            if proposed.exists():  # a batch proposed before a kill: the same trials again
                for params in json.loads(proposed.read_text()):
                    study.enqueue_trial(params)
            asked = [study.ask(distributions) for _ in range(size)]
            if not proposed.exists():
                write_text_atomic(proposed, to_json([t.params for t in asked]))
            overrides_of = [{k: by_key[k].value(v) for k, v in t.params.items()} for t in asked]
            table = sweep(
                spec,
                samples=pd.DataFrame(overrides_of, columns=list(distributions)),
                replications=o.replications,
                executor=executor,
                workers=execution.workers,
                out=bdir,
                progress=execution.progress,
                resume=True,
                common_random_numbers=True,
                experiment={"optimization": o.name, "batch": batch},
            )
            for i, (trial, params) in enumerate(zip(asked, overrides_of, strict=True)):
                row = trial_row(trial.number, batch, params, table[table["point"] == i], spec, opt)
                rows.append(row)
                if row["state"] == "failed":
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                for j, value in enumerate(row["constraints"]):  # <= 0: kept (constrained TPE)
                    trial.set_constraint(f"c{j}", value)
                study.tell(trial, [row[k] for k in o.objectives])
            write_text_atomic(
                folder / "trials.csv", trials_frame(rows).to_csv(index=False, float_format="%.15g")
            )
            batch += 1
        trials = trials_frame(rows)
        finalists, nearest = pick_finalists(trials, opt, by_key)
        final = final_comparison(spec, finalists, opt, executor, execution, folder)
    result = OptimizeResult(
        o.name,
        list(o.objectives),
        list(distributions),
        trials,
        final,
        finalists,
        list(opt.constraints),
        o.compliant,
    )
    if nearest is not None:
        from sim.stats import paired_difference

        a, b = nearest

        d = paired_difference(
            final.values(a, o.objectives[0]),
            final.values(b, o.objectives[0]),
            lower_is_better(o.objectives[0]),
        )
        row = trials.set_index("trial").loc[int(a.split("_")[1])]
        broken = [f"the compliance rules ({row['flags']})"] if row["flags"] and o.compliant else []
        broken += [
            c.describe()
            for c in opt.constraints
            if c.excess(row[c.kpi] if c.kpi in o.objectives else row[f"kpi.{c.kpi}"]) > 0
        ]
        result.nearest = {
            "scheme": a,
            "fix": b,
            "broken": broken or ["a constraint"],
            "cost": d["diff"],
            "cost_ci95_low": d["diff_ci95_low"],
            "cost_ci95_high": d["diff_ci95_high"],
        }
    result.manifest = manifest(spec, started, time.perf_counter() - t0) | {
        "kind": "optimization",
        "file": str(path),
        "file_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        "search_seed": seed,
        "optuna": optuna.__version__,
    }
    from sim.optimizer_report import write_optimize_files

    write_optimize_files(result, folder)
    write_text_atomic(folder / "manifest.json", to_json(result.manifest))
    return result, folder


def trials_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).drop(columns="constraints")


def pick_finalists(
    trials: pd.DataFrame, opt: OptimizeFile, keys: dict[str, SearchKey]
) -> tuple[dict[str, dict[str, Any]], tuple[str, str] | None]:
    """The finalists (name -> overrides): the incumbent; the best `finalists` feasible
    trials (one objective) or the feasible Pareto front, thinned evenly (two); and, if the
    best completed trial is infeasible, it and its nearest feasible trial (distance over the
    searched keys scaled to [0, 1]; a differing choice counts 1)."""
    o = opt.optimize
    obj = o.objectives[0]
    done = trials[trials["state"] == "complete"]
    ascending = lower_is_better(obj)
    feasible = done[done["feasible"]]
    if len(o.objectives) == 2 and len(feasible):
        front = feasible[front_mask(feasible, o.objectives)].sort_values(obj, ascending=ascending)
        take = np.unique(
            np.linspace(0, len(front) - 1, min(o.finalists, len(front))).round()
        ).astype(int)
        chosen = front.iloc[take]
    else:
        chosen = feasible.sort_values([obj, "trial"], ascending=[ascending, True])
        chosen = chosen.drop_duplicates(list(keys)).head(o.finalists)

    def overrides(row) -> dict[str, Any]:
        return {k: json.loads(row[k]) if keys[k].choices is not None else row[k] for k in keys}

    finalists = {"incumbent": {}}
    for _, row in chosen.iterrows():
        finalists[f"trial_{int(row['trial'])}"] = clean_values(overrides(row))
    nearest = None
    if len(done):
        top = done.sort_values([obj, "trial"], ascending=[ascending, True]).iloc[0]
        if not top["feasible"] and len(feasible):

            def scaled(row) -> list:
                return [keys[k].scaled(overrides(row)[k]) for k in keys]

            a = scaled(top)
            dist = [
                sum(
                    (abs(x - y) if not isinstance(x, str) else float(x != y)) ** 2
                    for x, y in zip(a, scaled(r), strict=True)
                )
                for _, r in feasible.iterrows()
            ]
            fix = feasible.iloc[int(np.argmin(dist))]
            finalists[f"trial_{int(top['trial'])}"] = clean_values(overrides(top))
            finalists[f"trial_{int(fix['trial'])}"] = clean_values(overrides(fix))
            nearest = (f"trial_{int(top['trial'])}", f"trial_{int(fix['trial'])}")
    return finalists, nearest


def clean_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}


def final_comparison(
    spec: Scenario,
    finalists: dict[str, dict[str, Any]],
    opt: OptimizeFile,
    executor,
    execution: Execution,
    folder: Path,
) -> CompareResult:
    """Re-run every finalist with final_replications on common random numbers (one sweep
    each) and compare them. The replications are fresh (they follow the search's), so the
    finalists' lead is not measured on the draws that selected them."""
    from sim.scenario import validate_scenario
    from sim.sweep_runner import sweep

    o = opt.optimize
    base = spec.model_dump(mode="python", exclude={"variants"})
    scenarios, kpis = {}, []
    for name, keys in finalists.items():
        scenarios[name] = validate_scenario(apply_overrides(base, keys))
        table = sweep(
            spec,
            samples=pd.DataFrame([keys]) if keys else pd.DataFrame(index=[0]),
            replications=o.final_replications,
            first_replication=o.replications,
            executor=executor,
            workers=execution.workers,
            out=folder / "final" / name,
            progress=execution.progress,
            resume=True,
            common_random_numbers=True,
            experiment={"optimization": o.name, "finalist": name},
        )
        ok = table[table["status"] == "ok"]
        kpis.append(ok.assign(variant=name))
    return comparison_from_runs(
        f"{o.name}-final", scenarios, o.objectives[0], pd.concat(kpis, ignore_index=True)
    )
