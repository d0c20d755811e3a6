"""`sim calibrate FILE`: fit scenario keys to a platform's orders log.

A calibration file names a base scenario, the log (and optional referral edges and sharer
roster), the calibration and holdout periods, and the keys to fit with their prior ranges.
The fit (`sim.calibration.abc`, APMC) simulates the calibration period only and compares
the summary statistics of each simulated run's orders (`sim.calibration.summaries`, the
same code as for the log) with the log's. Then posterior samples are run over the whole
period, calibration and holdout, so the fit report can show observed against simulated
with bands on both and state the holdout error, next to BG/NBD's (`bgnbd`).

Outputs in the folder: `posterior.csv` (equally weighted samples, one column per key,
which `sim compare --uncertainty` takes in), `particles.csv` (the final particles with
weights and distances), `calibrated.toml` (the base scenario with the posterior medians),
`generations.csv`, `predictive.csv` (weekly curves of the predictive runs), `fit.json`,
`report.md` and figures.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError, model_validator

from sim.calibration.data import PlatformData, read_platform_data
from sim.calibration.summaries import (
    MAX_REPEATS,
    LogSummary,
    orders_from_entries,
    summarize_log,
)
from sim.errors import Problem, ScenarioError, SimError, problems_from_validation_error
from sim.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    probe_values,
    read_toml,
    resolve_path,
)
from sim.schema_base import Section, param
from sim.state import SOURCE_GROUP, SOURCE_SHARE

Scale = Literal["linear", "log"]
NOT_FITTED = ("payout", "run", "variants", "compare", "check")


class FittedKey(Section):
    """A scenario key to fit, and its prior (uniform over its range, or over its logs).

    Scale "linear": uniform over low..high; scale "log": uniform over log(low)..log(high),
    for rates and shapes spanning decades."""

    key: str = param(..., "Scenario key path, e.g. behavior.purchase_rate_shape.")
    low: float = param(..., "Lower end of the prior range.")
    high: float = param(..., "Upper end of the prior range.")
    scale: Scale = param("linear", "linear or log: where the prior is uniform.")
    true: float | None = param(
        None, "The known true value (synthetic logs only): shown next to the estimate."
    )

    @model_validator(mode="after")
    def _range(self) -> FittedKey:
        if not self.low < self.high:
            raise ValueError(f"parameter {self.key!r}: needs low < high")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"parameter {self.key!r}: a log scale needs low > 0")
        if self.key.split(".")[0] in NOT_FITTED:
            raise ValueError(
                f"parameter {self.key!r}: {self.key.split('.')[0]}.* keys describe the "
                f"experiment or the scheme, not the market; fit behavior.*, population.*, "
                f"categories.*, network.* or platform.* keys"
            )
        return self

    def value(self, unit: float) -> float:
        """The key's value at a unit-cube coordinate."""
        if self.scale == "log":
            return float(self.low * (self.high / self.low) ** unit)
        return float(self.low + unit * (self.high - self.low))


class CalibrationSection(Section):
    """What to fit to which log, and how hard to try."""

    name: str = param("calibration", "Name (output folder name).", min_length=1)
    scenario: str = param(..., "Base scenario file, relative to this file.")
    orders: str = param(..., "Orders log (CSV or Parquet), relative to this file.")
    referrals: str | None = param(None, "Referral or binding edges (CSV or Parquet).")
    roster: str | None = param(None, "Sharer roster (CSV or Parquet).")
    start: str | None = param(None, "First day of the period (day 0); default: the first order.")
    acquisition_end: str | None = param(
        None,
        "Last day a customer's first order may fall on to count (a cohort, e.g. CDNOW's "
        "first quarter); default: the calibration end.",
    )
    calibration_end: str = param(..., "Last day of the calibration period.")
    end: str | None = param(None, "Last day of the holdout; default: the last order.")
    seed: int | None = param(
        None,
        "Seed of every draw of the calibration: the fit's proposals and the simulations' "
        "run.seed (default: the scenario's run.seed).",
    )
    particles: int = param(200, "Particles kept per generation (posterior size).", ge=20, le=5000)
    keep_fraction: float = param(
        0.5, "Share of each generation's particles kept (APMC alpha).", gt=0.05, lt=1.0
    )
    min_acceptance: float = param(
        0.05, "Stop when fewer new particles than this beat the tolerance.", gt=0.0, lt=1.0
    )
    max_simulations: int = param(3000, "Most simulations the fit may run.", ge=100, le=10_000_000)
    predictive_runs: int = param(
        100, "Posterior samples run over the whole period for the fit report.", ge=2, le=10_000
    )
    posterior_samples: int = param(
        1000, "Rows of posterior.csv (drawn by weight from the final particles).", ge=2
    )
    yardstick: bool = param(True, "Fit BG/NBD to the same log and report it alongside.")
    overrides: dict[str, Any] = param({}, "Fixed overrides of the base scenario.")

    @model_validator(mode="after")
    def _budget(self) -> CalibrationSection:
        first = math.ceil(self.particles / self.keep_fraction)
        if first + max(1, first - self.particles) > self.max_simulations:
            raise ValueError(
                f"max_simulations = {self.max_simulations} cannot run two generations: the "
                f"first alone is particles / keep_fraction = {first} simulations"
            )
        return self


class CalibrationFile(Section):
    calibration: CalibrationSection = param(..., "The calibration.")
    parameters: list[FittedKey] = param(..., "The keys to fit.", min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> CalibrationFile:
        keys = [p.key for p in self.parameters]
        for k in keys:
            if keys.count(k) > 1:
                raise ValueError(f"parameter {k!r} is declared twice")
        return self


@dataclass(frozen=True)
class Periods:
    """The log's dates, as the summaries of a simulated run need them (day 0 = start)."""

    start: pd.Timestamp
    acquisition_end: pd.Timestamp
    calibration_end: pd.Timestamp
    end: pd.Timestamp
    referrals: bool = False  # the log has referral edges: compare the referral share

    @property
    def calibration_days(self) -> int:
        return (self.calibration_end - self.start).days + 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def summarize(self, orders: pd.DataFrame, **extra) -> LogSummary:
        return summarize_log(
            orders,
            self.calibration_end,
            self.end,
            start=self.start,
            acquisition_end=self.acquisition_end,
            **extra,
        )


@dataclass
class Calibration:
    """A loaded calibration: the file, the base scenario, the data and its summaries."""

    file: CalibrationFile
    path: Path
    spec: Scenario
    data: PlatformData
    periods: Periods
    observed: LogSummary

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.file.parameters]

    def values(self, unit: np.ndarray) -> pd.DataFrame:
        """Unit-cube points (rows) as scenario values, one column per key."""
        return pd.DataFrame(
            {p.key: [p.value(u) for u in unit[:, i]] for i, p in enumerate(self.file.parameters)}
        )


def parse_date(value: str | None, key: str, problems: list[Problem]) -> pd.Timestamp | None:
    """A calibration date: a full day (`1997-09-30` or `19970930`), no time or zone."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{8}", value.strip()):
        try:
            return pd.Timestamp(value.strip())
        except ValueError:
            pass
    problems.append(
        Problem(f"calibration.{key}", f"{value!r} is not a day", "a full date like 1997-09-30")
    )
    return None


def load_calibration(path: str | Path, overrides: dict[str, Any] | None = None) -> Calibration:
    """Read a calibration file, its base scenario and its data, and check them all (dates
    in order and within the log, every fitted key across its range, the log's statistics
    defined), before any work."""
    path = Path(path)
    try:
        cal = CalibrationFile.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ScenarioError(
            str(path), problems_from_validation_error(exc, CalibrationFile)
        ) from None
    c = cal.calibration
    scenario_path = resolve_path(c.scenario, path.parent)
    set_keys = {**c.overrides, **(overrides or {})}
    try:
        spec = load_scenario(scenario_path, set_keys)
    except ScenarioError as exc:
        if not set_keys:
            raise
        load_scenario(scenario_path)  # the scenario's own problems name the scenario file
        raise ScenarioError(
            str(path),
            [
                Problem(f"calibration.overrides: {q.key}", q.message, q.allowed)
                for q in exc.problems
            ],
        ) from None
    data = read_platform_data(
        resolve_path(c.orders, path.parent),
        resolve_path(c.referrals, path.parent) if c.referrals else None,
        resolve_path(c.roster, path.parent) if c.roster else None,
    )
    orders = data.orders
    problems: list[Problem] = []
    first, last = orders["date"].min().normalize(), orders["date"].max().normalize()
    start = parse_date(c.start, "start", problems) or first
    end = parse_date(c.end, "end", problems) or last
    cal_end = parse_date(c.calibration_end, "calibration_end", problems)
    acq_end = parse_date(c.acquisition_end, "acquisition_end", problems) or cal_end
    if problems:
        raise ScenarioError(str(path), problems)
    if not start <= acq_end <= cal_end < end:
        problems.append(
            Problem(
                "calibration",
                f"start {start.date()}, acquisition end {acq_end.date()}, calibration end "
                f"{cal_end.date()}, end {end.date()}",
                "dates in this order (start <= acquisition end <= calibration end < end)",
            )
        )
    if end > last + pd.Timedelta(days=7):
        problems.append(
            Problem(
                "calibration.end",
                f"{end.date()} is more than a week after the log's last order ({last.date()})",
                "a day the log covers: the holdout is compared with what the log holds",
            )
        )
    periods = Periods(start, acq_end, cal_end, end, data.referrals is not None)
    if not problems and periods.days > 3650:
        problems.append(
            Problem("calibration.end", f"{periods.days} days from start", "at most 3650 days")
        )
    base = spec.model_dump(mode="python", exclude={"variants"})
    # both ends, and two inner values: a key that takes whole numbers only cannot be fitted
    problems += probe_values(
        base,
        [
            (f"parameters[{i}]", p.key, v)
            for i, p in enumerate(cal.parameters)
            for v in (p.low, p.high, p.value(1 / math.pi), p.value(1 / math.e))
        ],
    )
    if problems:
        raise ScenarioError(str(path), problems)
    observed = periods.summarize(orders, referrals=data.referrals, roster=data.roster)
    if observed.customers == 0:
        raise ScenarioError(
            str(path),
            [
                Problem(
                    "calibration",
                    f"no customer's first order falls between {start.date()} and {acq_end.date()}",
                    "a period in which the log acquires customers",
                )
            ],
        )
    vector = observed.vector()
    undefined = vector.index[~np.isfinite(vector.to_numpy(dtype=float))]
    if len(undefined):
        raise ScenarioError(
            str(path),
            [
                Problem(
                    "calibration",
                    f"the log's {', '.join(undefined)} cannot be computed (e.g. no customer "
                    f"repeats within the calibration period)",
                    "a calibration period long enough for customers to buy again",
                )
            ],
        )
    return Calibration(cal, path, spec, data, periods, observed)


def run_statistics(periods: Periods, model) -> dict[str, float]:
    """A finished run's summary statistics (`stat.*`, as the fit compares them) and curves
    for the fit report (`curve.*`: cumulative repeats by week, holdout repeats by
    calibration repeats); worker side. Where the log has referral edges, the simulated
    referral share counts the customers whose first order came through a share or a group
    invitation."""
    orders = orders_from_entries(model.ledger.entries(), periods.start)
    s = periods.summarize(orders)
    if periods.referrals:  # customers a share or a group invitation brought, as referees
        cohort = s.per_customer.index.astype(np.int64)
        brought = np.isin(model.consumers.acquired_by[cohort], (SOURCE_SHARE, SOURCE_GROUP))
        s.referral_share = float(brought.mean()) if len(cohort) else 0.0
    out = {f"stat.{k}": float(v) for k, v in s.vector().items()}
    out["curve.customers"] = float(s.customers)
    out["curve.holdout_repeats"] = s.holdout_repeats()
    for w, v in zip(s.weekly["week"], s.weekly["cumulative_repeats"], strict=True):
        out[f"curve.cumulative_repeats_w{int(w)}"] = float(v)
    by_frequency = s.holdout_by_frequency().reindex(range(MAX_REPEATS + 1))
    for k, v in by_frequency.items():  # NaN where no customer made k repeats
        out[f"curve.holdout_by_frequency_{int(k)}"] = float(v)
    for k, v in s.repeats_histogram.items():
        out[f"curve.repeats_histogram_{int(k)}"] = float(v)
    return out


@dataclass
class CalibrationResult:
    name: str
    parameters: list[FittedKey]
    estimates: pd.DataFrame  # per key: median, q05, q95, low, high, true
    generations: pd.DataFrame
    particles: pd.DataFrame
    posterior: pd.DataFrame
    predictive: pd.DataFrame  # one row per predictive run: curve.* columns
    observed: LogSummary
    periods: Periods
    yardstick: dict[str, Any] | None
    stopped_by: str
    simulations: int
    manifest: dict[str, Any] | None = None

    def holdout(self) -> dict[str, float]:
        """Observed and predicted holdout repeat transactions, with the 90% band."""
        sims = self.predictive["curve.holdout_repeats"].to_numpy(dtype=float)
        observed = self.observed.holdout_repeats()
        mean = float(np.mean(sims))
        # per customer: each run's holdout repeats scaled to the log's number of customers
        customers = self.predictive["curve.customers"].to_numpy(dtype=float)
        scaled = float(np.mean(sims * self.observed.customers / np.maximum(customers, 1)))
        out = {
            "observed": observed,
            "simulated_mean": mean,
            "simulated_q05": float(np.quantile(sims, 0.05)),
            "simulated_q95": float(np.quantile(sims, 0.95)),
            "simulated_error": (mean - observed) / observed if observed else math.nan,
            "simulated_customers_mean": float(np.mean(customers)),
            "per_customer_scaled": scaled,
            "per_customer_error": (scaled - observed) / observed if observed else math.nan,
        }
        if self.yardstick is not None:
            b = self.yardstick["holdout_repeats"]
            out["bgnbd"] = b
            out["bgnbd_error"] = (b - observed) / observed if observed else math.nan
        return out

    def sentence(self) -> str:
        h = self.holdout()
        text = (
            f"Holdout repeat transactions: observed {h['observed']:,.0f}, simulated "
            f"{h['simulated_mean']:,.0f} (90% of runs {h['simulated_q05']:,.0f}.."
            f"{h['simulated_q95']:,.0f}), error {h['simulated_error']:+.1%}"
        )
        if "bgnbd" in h:
            text += f"; BG/NBD {h['bgnbd']:,.0f}, error {h['bgnbd_error']:+.1%}"
        return text + "."


def curve_columns(observed: LogSummary) -> list[str]:
    """The predictive runs' curve columns in a fixed order (whatever order runs finished)."""
    ks = range(MAX_REPEATS + 1)
    return [
        "curve.customers",
        "curve.holdout_repeats",
        *(f"curve.cumulative_repeats_w{int(w)}" for w in observed.weekly["week"]),
        *(f"curve.holdout_by_frequency_{k}" for k in ks),
        *(f"curve.repeats_histogram_{k}" for k in ks),
    ]


def calibrate(
    path: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    execution=None,
    out: str | Path | None = None,
    resume: bool = False,
    on_generation=None,
) -> tuple[CalibrationResult, Path]:
    """Run a calibration file (module docstring); results go to `out` (default: a new
    folder under results/runs/). `on_generation(generation)` is called after each
    generation (progress)."""
    from sim.calibration.abc import apmc, resample, weighted_quantile
    from sim.provenance import manifest, resumable_folder, scenario_hash, to_json
    from sim.streams import design_generator
    from sim.sweep_runner import Execution, sweep

    cal = load_calibration(path, overrides)
    c = cal.file.calibration
    seed = c.seed if c.seed is not None else cal.spec.run.seed
    data_hash = {
        name: hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
        for name, frame in (
            ("orders", cal.data.orders),
            ("referrals", cal.data.referrals),
            ("roster", cal.data.roster),
        )
        if frame is not None
    }
    identity = {
        "file": cal.file.model_dump(mode="json"),
        "scenario_hash": scenario_hash(cal.spec),
        "data_sha256": data_hash,
        "seed": seed,
    }
    folder = resumable_folder(out, f"calibrate-{c.name}", identity, "calibration", resume)
    started, t0 = datetime.now(UTC), time.perf_counter()
    execution = execution or Execution()
    periods = cal.periods
    measure = partial(run_statistics, periods)
    observed_vector = cal.observed.vector()
    stat_names = [f"stat.{k}" for k in observed_vector.index]
    fit_spec = apply_overrides(
        cal.spec.model_dump(mode="python", exclude={"variants"}),
        {
            "run.days": periods.calibration_days,
            "run.ledger": "entries",
            "run.replications": 1,
            "run.seed": seed,
        },
    )
    whole_spec = apply_overrides(fit_spec, {"run.days": periods.days})

    with execution.open() as executor:

        def simulate(unit: np.ndarray, generation: int) -> np.ndarray:
            table = sweep(
                fit_spec,
                samples=cal.values(unit),
                replications=1,
                first_replication=generation,  # fresh streams in every generation
                executor=executor,
                workers=execution.workers,
                out=folder / "simulations" / f"generation-{generation:03d}",
                progress=execution.progress,
                resume=True,
                measure=measure,
                experiment={"calibration": c.name, "generation": generation},
            )
            table = table.set_index("point").reindex(range(len(unit)))
            failed = table[table["status"] != "ok"]
            if len(failed) > len(unit) // 2:
                raise SimError(
                    f"{folder}: {len(failed)} of {len(unit)} simulations of generation "
                    f"{generation} failed, e.g. {failed['error'].iloc[0]}; narrow the "
                    f"parameters' ranges (fewer than half may fail: they count as far)"
                )
            return np.column_stack(
                [
                    pd.to_numeric(table[n], errors="coerce").to_numpy(dtype=float)
                    if n in table
                    else np.full(len(unit), np.nan)
                    for n in stat_names
                ]
            )

        abc = apmc(
            simulate,
            observed_vector.to_numpy(dtype=float),
            len(cal.file.parameters),
            lambda g: design_generator(seed, f"calibration_generation_{g}"),
            kept=c.particles,
            keep_fraction=c.keep_fraction,
            min_acceptance=c.min_acceptance,
            max_simulations=c.max_simulations,
            on_generation=on_generation,
        )
        final = abc.final
        weight = final.kept_weight / final.kept_weight.sum()
        particles = cal.values(final.kept_theta)
        particles["weight"] = weight
        particles["distance"] = final.kept_distance
        particles[stat_names] = final.kept_stats
        rng = design_generator(seed, "calibration_posterior")
        posterior = cal.values(final.kept_theta[resample(rng, weight, c.posterior_samples)])
        rows = []
        for i, p in enumerate(cal.file.parameters):
            u = final.kept_theta[:, i]
            rows.append(
                {
                    "key": p.key,
                    "median": p.value(weighted_quantile(u, weight, 0.5)),
                    "q05": p.value(weighted_quantile(u, weight, 0.05)),
                    "q95": p.value(weighted_quantile(u, weight, 0.95)),
                    "low": p.low,
                    "high": p.high,
                    "scale": p.scale,
                    "true": p.true,
                }
            )
        estimates = pd.DataFrame(rows)
        pick = design_generator(seed, "calibration_predictive").choice(
            len(posterior), size=min(c.predictive_runs, len(posterior)), replace=False
        )
        predictive = sweep(
            whole_spec,
            samples=posterior.iloc[np.sort(pick)].reset_index(drop=True),
            replications=1,
            first_replication=len(abc.generations),  # streams no fit run used
            executor=executor,
            workers=execution.workers,
            out=folder / "simulations" / "predictive",
            progress=execution.progress,
            resume=True,
            measure=measure,
            experiment={"calibration": c.name, "predictive": True},
        )
    failed = int((predictive["status"] != "ok").sum())
    predictive = predictive[predictive["status"] == "ok"]
    if predictive.empty:
        raise SimError(f"{folder}: every predictive run failed; see simulations/predictive/")
    yardstick = None
    if c.yardstick:
        from sim.calibration.bgnbd import fit_bgnbd

        yardstick = fit_bgnbd(cal.observed)
    generations = pd.DataFrame(
        [
            {
                "generation": g.index,
                "simulations": g.simulated,
                "acceptance": g.acceptance,
                "epsilon": g.epsilon,
            }
            for g in abc.generations
        ]
    )
    result = CalibrationResult(
        c.name,
        list(cal.file.parameters),
        estimates,
        generations,
        particles,
        posterior,
        predictive.reindex(columns=curve_columns(cal.observed)).reset_index(drop=True),
        cal.observed,
        periods,
        yardstick,
        abc.stopped_by,
        abc.simulations,
    )
    result.manifest = manifest(cal.spec, started, time.perf_counter() - t0) | {
        "kind": "calibration",
        "file": str(path),
        "file_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        "data_sha256": data_hash,
        "seed": seed,
        "simulations": abc.simulations + len(predictive) + failed,
        "failed_predictive_runs": failed,
        "stopped_by": abc.stopped_by,
    }
    from sim.calibration.report import write_calibration_files

    write_calibration_files(result, cal, folder)
    from sim.provenance import write_text_atomic

    write_text_atomic(folder / "manifest.json", to_json(result.manifest))
    return result, folder
