"""Regression checks of model outputs against stored baselines (`sim baseline`, `sim check`).

A baseline records, for one scenario: the KPIs of every replication, the resolved scenario
and its hash, the seed, the overrides it ran with, and the code and package versions.
`sim check` reruns it and compares:

* exact mode (the default where platform and package versions match the baseline's): every
  KPI of every replication must be identical;
* statistical mode (where they differ, or on request): each KPI's mean difference must
  lie within a Student-t band from the spread over replications, Bonferroni-corrected over
  the KPIs so that a scenario with no change is flagged with probability about 1%, or
  within the KPI's relative tolerance from the scenario's `[check]`. With the baseline's
  own seed the replications are paired (they share their random streams) and the band
  comes from the paired differences, with a floor of 0.5% of the mean; with another seed
  the band is a pooled two-sample one;
* a scenario whose hash differs from the baseline's is reported as changed, not as drift.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from sim.catalog import kpi_names
from sim.errors import SimError
from sim.provenance import environment, scenario_hash, to_json, write_text_atomic
from sim.runner import run
from sim.scenario import Scenario, load_scenario, variant_scenarios
from sim.stats import bonferroni_alpha, mean_band, pooled_band, t_test_p

BASELINE_DIR = Path("results") / "baselines"
FAMILY_ALPHA = 0.01  # chance that a scenario with no change is flagged (Bonferroni)
MIN_RELATIVE = 0.005  # paired mode: differences under 0.5% of the mean are not drift


def baseline_scenario(
    scenario_path: str | Path, overrides: dict[str, Any], variant: str | None
) -> Scenario:
    """The scenario a baseline runs: the file with overrides, or one of its [[variants]]."""
    spec = load_scenario(scenario_path, overrides)
    if variant is None:
        return spec
    pairs = variant_scenarios(spec, Path(scenario_path).parent)
    for v, variant_spec in pairs:
        if v.name == variant:
            return variant_spec
    names = ", ".join(v.name for v, _ in pairs) or "none"
    raise SimError(f"{scenario_path}: no variant named {variant!r} (its variants: {names})")


def baseline_path(spec: Scenario, variant: str | None, folder: Path = BASELINE_DIR) -> Path:
    """Where a scenario's (or variant's) baseline is stored."""
    stem = spec.run.name if variant is None else f"{spec.run.name}--{variant}"
    return Path(folder) / f"{stem}.json"


def daily_hash(daily) -> str:
    """Hash of the daily series of every replication (full float precision)."""
    return hashlib.sha256(daily.to_csv(index=False, float_format="%.17g").encode()).hexdigest()


def record_baseline(
    scenario_path: str | Path,
    *,
    replications: int | None = None,
    overrides: dict[str, Any] | None = None,
    variant: str | None = None,
    folder: Path = BASELINE_DIR,
    path: Path | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> Path:
    """Run a scenario (or one of its variants) and store its baseline as
    FOLDER/<run.name>.json (FOLDER/<run.name>--<variant>.json), or at `path`."""
    overrides = dict(overrides or {})
    if replications is not None:
        overrides["run.replications"] = replications
    spec = baseline_scenario(scenario_path, overrides, variant)
    if path is None:
        path = baseline_path(spec, variant, folder)
    if path.exists() and not force:
        raise SimError(
            f"{path}: a baseline exists; use --update (sim check) or --force to "
            f"replace it on purpose"
        )
    result = run(spec, progress=progress)
    data = {
        "scenario": spec.run.name if variant is None else f"{spec.run.name}--{variant}",
        "scenario_file": Path(scenario_path).as_posix(),
        "variant": variant,
        "overrides": overrides,
        "scenario_hash": scenario_hash(spec),
        "daily_hash": daily_hash(result.daily),
        "seed": spec.run.seed,
        "replications": spec.run.replications,
        "environment": environment(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "kpis": {
            k: [
                None if (v is None or (isinstance(v, float) and math.isnan(v))) else float(v)
                for v in result.kpi_values[k]
            ]
            for k in kpi_names()
        },
        "resolved_scenario": spec.model_dump(mode="json", exclude={"variants"}),
    }
    write_text_atomic(path, to_json(data))
    return path


@dataclass
class Row:
    kpi: str
    baseline: float | None
    now: float | None
    allowed: float | None
    p_value: float | None
    verdict: str  # "ok", "drift"

    @property
    def difference(self) -> float | None:
        if self.baseline is None or self.now is None:
            return None
        return self.now - self.baseline

    @property
    def relative(self) -> float | None:
        d = self.difference
        if d is None or not self.baseline:
            return None
        return d / abs(self.baseline)


@dataclass
class CheckResult:
    baseline_file: Path
    scenario: str
    mode: str  # "exact", "statistical" or "changed"
    rows: list[Row] = field(default_factory=list)
    message: str = ""

    @property
    def drifted(self) -> list[Row]:
        return [r for r in self.rows if r.verdict in ("drift", "missing")]

    @property
    def holds(self) -> bool:
        return self.mode != "changed" and not self.drifted

    def table(self) -> str:
        head = f"{self.scenario} ({self.baseline_file}): {self.mode} mode"
        if self.mode == "changed":
            return f"{head}\n  {self.message}"
        lines = [
            head,
            f"  {'KPI':30s} {'baseline':>14s} {'now':>14s} {'difference':>12s} "
            f"{'relative':>9s} {'allowed':>12s}  verdict",
        ]
        for r in self.rows:
            lines.append(
                f"  {r.kpi:30s} {fmt(r.baseline):>14s} {fmt(r.now):>14s} "
                f"{fmt(r.difference):>12s} {pct(r.relative):>9s} {fmt(r.allowed):>12s}  "
                f"{r.verdict.upper() if r.verdict in ('drift', 'missing') else r.verdict}"
            )
        verdict = "holds" if self.holds else f"DRIFT in {', '.join(r.kpi for r in self.drifted)}"
        return "\n".join([*lines, f"  -> {verdict}"])


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.6g}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.2f}%"


def values(data: dict, kpi: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in data["kpis"][kpi]], dtype=float)


def kpi_set_rows(base: dict) -> tuple[list[str], list[Row]]:
    """The KPIs both runs have, and rows for KPIs added since the baseline ("new", not
    drift) or gone from the model ("missing", drift)."""
    shared = [k for k in kpi_names() if k in base["kpis"]]
    rows = [Row(k, None, None, None, None, "new") for k in kpi_names() if k not in base["kpis"]]
    rows += [
        Row(k, nanmean(values(base, k)), None, None, None, "missing")
        for k in base["kpis"]
        if k not in kpi_names()
    ]
    return shared, rows


def compare_exact(base: dict, now: dict) -> list[Row]:
    shared, extra = kpi_set_rows(base)
    rows = []
    for kpi in shared:
        b, n = values(base, kpi), values(now, kpi)
        same = b.shape == n.shape and np.array_equal(b, n, equal_nan=True)
        rows.append(Row(kpi, nanmean(b), nanmean(n), 0.0, None, "ok" if same else "drift"))
    return rows + extra


def nanmean(x: np.ndarray) -> float | None:
    return float(np.nanmean(x)) if np.isfinite(x).any() else None


def compare_statistical(
    base: dict, now: dict, relative: dict[str, float], paired: bool
) -> list[Row]:
    """Each KPI's mean difference against a Student-t band, Bonferroni-corrected so that
    the whole scenario has a FAMILY_ALPHA chance of a false alarm.

    paired (the same seed): replication r of both runs shares its random streams, so the
    band comes from the spread of the paired differences, with a floor of MIN_RELATIVE of
    the baseline mean (tiny numerical differences between platforms are not drift).
    Otherwise: a pooled two-sample band from both runs' spread over replications.
    """
    shared, extra = kpi_set_rows(base)
    kpis = [k for k in shared if np.isfinite(values(base, k)).any()]
    alpha = bonferroni_alpha(FAMILY_ALPHA, len(kpis))
    rows = []
    for kpi in shared:
        b_all, n_all = values(base, kpi), values(now, kpi)
        b, n = b_all[np.isfinite(b_all)], n_all[np.isfinite(n_all)]
        if b.size == 0 or n.size == 0:
            rows.append(
                Row(
                    kpi,
                    nanmean(b_all),
                    nanmean(n_all),
                    None,
                    None,
                    "ok" if b.size == n.size else "drift",
                )
            )
            continue
        mean_b = float(b.mean())
        diff = float(n.mean() - mean_b)
        floor = relative.get(kpi, 0.0) * abs(mean_b)
        if paired and b_all.shape == n_all.shape:
            both = np.isfinite(n_all - b_all)
            band = mean_band((n_all - b_all)[both], alpha)
            floor = max(floor, MIN_RELATIVE * abs(mean_b))
            p = t_test_p(True, b_all[both], n_all[both]) if both.sum() > 1 else None
        else:
            band = pooled_band(b, n, alpha)
            p = t_test_p(False, b, n) if b.size + n.size > 2 else None
        allowed = max(band, floor)
        drift = abs(diff) > allowed + 1e-9 * max(abs(mean_b), 1.0)
        rows.append(Row(kpi, mean_b, float(n.mean()), allowed, p, "drift" if drift else "ok"))
    return rows + extra


# What a baseline file must hold: key -> (type, what is allowed).
BASELINE_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "scenario": (str, "the scenario's name"),
    "scenario_file": (str, "the path of the scenario file, relative to the project"),
    "overrides": (dict, "a table of key.path = value"),
    "scenario_hash": (str, "the hash `sim baseline` recorded"),
    "environment": (dict, "the versions `sim baseline` recorded"),
    "kpis": (dict, "a table of KPI name = list of values per replication"),
}


def read_baseline(path: Path) -> dict:
    """A baseline file, checked: every problem names the file and the key."""
    try:
        base = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SimError(
            f"{path}: not a readable baseline ({type(exc).__name__}: {exc!s:.200})"
        ) from None
    if not isinstance(base, dict):
        raise SimError(f"{path}: not a baseline (a JSON object is expected)")
    for key, (kind, allowed) in BASELINE_KEYS.items():
        if not isinstance(base.get(key), kind):
            raise SimError(
                f"{path}: key {key!r} is missing or of the wrong type; allowed: {allowed} "
                f"(re-record with `sim baseline`)"
            )
    for kpi, values in base["kpis"].items():
        if not isinstance(values, list) or not all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        ):
            raise SimError(
                f"{path}: kpis.{kpi} must be a list of numbers (or null) per replication"
            )
    if not isinstance(base.get("variant"), str | type(None)):
        raise SimError(f"{path}: key 'variant' must be a variant's name or null")
    return base


def check_baseline(
    path: str | Path,
    *,
    mode: str = "auto",
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    root: Path | None = None,
    progress: bool | None = None,
) -> CheckResult:
    """Rerun a baseline's scenario and compare; overrides apply to the rerun only."""
    path = Path(path)
    base = read_baseline(path)
    root = root if root is not None else Path.cwd()
    scenario_file = root / base["scenario_file"]
    if not scenario_file.exists():
        raise SimError(f"{path}: its scenario {scenario_file} does not exist")
    spec = baseline_scenario(scenario_file, base["overrides"], base.get("variant"))
    if scenario_hash(spec) != base["scenario_hash"]:
        return CheckResult(
            path,
            base["scenario"],
            "changed",
            message=(
                f"the scenario changed since the baseline was recorded ({scenario_file}); this "
                f"is not drift: rerun `sim check --update {path}` to record it on purpose"
            ),
        )
    if mode == "auto":
        mode = (
            "exact"
            if environment() == base["environment"] and seed is None and not overrides
            else "statistical"
        )
    rerun = dict(overrides or {})
    if seed is not None:
        rerun["run.seed"] = seed
    result = run(spec, overrides=rerun, progress=progress)
    now = {
        "kpis": {
            k: [None if math.isnan(v) else float(v) for v in result.kpi_values[k]]
            for k in kpi_names()
        }
    }
    relative = spec.check.relative_tolerance
    if mode == "exact":
        rows = compare_exact(base, now)
        if "daily_hash" in base:  # every daily series of every replication, to the bit
            same = daily_hash(result.daily) == base["daily_hash"]
            rows.append(Row("daily series", None, None, 0.0, None, "ok" if same else "drift"))
    else:
        rows = compare_statistical(base, now, relative, paired=seed is None)
    return CheckResult(path, base["scenario"], mode, rows)


def baseline_files(paths: list[Path] | None) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    files = sorted(BASELINE_DIR.rglob("*.json"))
    if not files:
        raise SimError(f"no baselines in {BASELINE_DIR}: record one with `sim baseline SCENARIO`")
    return files


def junit_xml(results: list[CheckResult]) -> str:
    """JUnit XML: a test suite per baseline, a test case per KPI."""
    suites = []
    for r in results:
        cases = []
        if r.mode == "changed":
            cases.append(
                f'    <testcase classname="{escape(r.scenario)}" name="scenario">'
                f'<failure message="scenario changed">{escape(r.message)}</failure>'
                f"</testcase>"
            )
        for row in r.rows:
            body = ""
            if row.verdict in ("drift", "missing"):
                msg = (
                    f"{row.kpi}: baseline {fmt(row.baseline)}, now {fmt(row.now)}, "
                    f"difference {fmt(row.difference)}, allowed {fmt(row.allowed)}"
                )
                body = (
                    f'<failure message="{escape(msg, {chr(34): "&quot;"})}">{escape(msg)}</failure>'
                )
            cases.append(
                f'    <testcase classname="{escape(r.scenario)}" '
                f'name="{escape(row.kpi)}">{body}</testcase>'
            )
        failures = len(r.drifted) + (r.mode == "changed")
        suites.append(
            f'  <testsuite name="{escape(r.scenario)} ({r.mode})" '
            f'tests="{max(len(r.rows), 1)}" failures="{failures}">\n'
            + "\n".join(cases)
            + "\n  </testsuite>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
        + "\n".join(suites)
        + "\n</testsuites>\n"
    )
