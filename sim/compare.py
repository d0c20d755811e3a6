"""Compare payout schemes: variants on common random numbers, paired by replication.

Replication r of every variant uses the same random streams (same seed, same replication
index), so it sees the same network, the same consumers and, as far as the variants'
differences allow, the same daily draws. The difference of a KPI between a variant and the
baseline (the first variant) is then measured replication by replication, and its 95%
confidence interval is a paired Student-t interval: much narrower than the difference of
two independent runs' intervals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.catalog import fmt, kpi_names, lower_is_better
from sim.errors import Problem, ScenarioError
from sim.preflight import check_size, read_network
from sim.runner import Batch, make_progress, run_batch
from sim.scenario import (
    Scenario,
    coerce_scenario,
    load_scenario,
    variant_scenarios,
)
from sim.stats import holm_adjust, paired_difference, summarize, t_test_p

AUTO_START_REPLICATIONS = 5


def signed(value: float, kpi: str) -> str:
    text = fmt(value, kpi)
    return text if text.startswith("-") else "+" + text


@dataclass
class CompareResult:
    """Everything `sim compare` produces."""

    name: str
    scenarios: dict[str, Scenario]  # variant name -> full scenario, baseline first
    descriptions: dict[str, str]
    objective: str
    daily: pd.DataFrame  # variant, replication, day, ...
    kpi_values: pd.DataFrame  # variant, replication, one column per KPI
    payouts_by_level: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    cohorts: pd.DataFrame | None = None  # variant, replication, channel, month, ...

    @property
    def variants(self) -> list[str]:
        return list(self.scenarios)

    @property
    def baseline(self) -> str:
        return self.variants[0]

    @property
    def replications(self) -> int:
        return int(self.kpi_values["replication"].nunique())

    def values(self, variant: str, kpi: str) -> np.ndarray:
        """A KPI's values by replication, over every replication any variant has (NaN
        where this variant's run is missing or failed), so variants pair by replication."""
        rows = self._by_variant.get(variant)
        if rows is None:  # no finished run at all
            return np.full(self.kpi_values["replication"].nunique(), np.nan)
        return rows[kpi].to_numpy(dtype=float)

    @cached_property
    def _by_variant(self) -> dict[str, pd.DataFrame]:
        every = np.sort(self.kpi_values["replication"].unique())
        return {
            v: rows.set_index("replication").reindex(every)
            for v, rows in self.kpi_values.groupby("variant", sort=False)
        }

    def table(self) -> pd.DataFrame:
        """Tidy: one row per variant and KPI, with the paired difference to the baseline."""
        rows = []
        for variant in self.variants:
            for kpi in kpi_names():
                s = summarize(self.values(variant, kpi))
                diff = paired_difference(
                    self.values(self.baseline, kpi),
                    self.values(variant, kpi),
                    lower_is_better(kpi),
                )
                if variant == self.baseline:
                    diff = {k: (0.0 if k == "diff" else None) for k in diff}
                rows.append(
                    {
                        "variant": variant,
                        "kpi": kpi,
                        "mean": s["mean"],
                        "ci95_low": s["ci95_low"],
                        "ci95_high": s["ci95_high"],
                        **diff,
                    }
                )
        return pd.DataFrame(rows)

    def compliance(self) -> dict[str, list[dict[str, Any]]]:
        from sim.payout.compliance import compliance_flags

        out = {}
        for variant, spec in self.scenarios.items():
            means = {k: summarize(self.values(variant, k))["mean"] for k in kpi_names()}
            out[variant] = [f.as_dict() for f in compliance_flags(spec.payout, means)]
        return out

    def warnings(self) -> dict[str, list[str]]:
        """Each variant's warnings, as `sim run` gives them: payout rules that paid nothing,
        and outputs outside their plausible range (`sim.plausibility`)."""
        from sim.plausibility import plausibility_warnings
        from sim.runner import unpaid_rules

        out = {}
        for variant, spec in self.scenarios.items():
            means = {k: summarize(self.values(variant, k))["mean"] for k in kpi_names()}
            daily = self.daily[self.daily["variant"] == variant]
            out[variant] = unpaid_rules(spec, daily) + plausibility_warnings(spec, means)
        return out

    def verdict(self) -> dict[str, Any]:
        """The variant that wins on the objective, and whether the win is clear."""
        table = self.table()
        obj = table[table["kpi"] == self.objective].set_index("variant")
        lower = lower_is_better(self.objective)
        means = obj["mean"].astype(float)
        best = str(means.idxmin() if lower else means.idxmax())
        word = "lower" if lower else "higher"
        unit = self.objective.replace("_", " ")
        if best == self.baseline:
            clearly_worse = [
                v
                for v in self.variants[1:]
                if obj.loc[v, "diff_ci95_low"] is not None
                and (
                    (obj.loc[v, "diff_ci95_low"] > 0)
                    if lower
                    else (obj.loc[v, "diff_ci95_high"] < 0)
                )
            ]
            clear = len(clearly_worse) == len(self.variants) - 1
            sentence = f"The baseline '{best}' has the best {unit}; " + (
                "every other variant is clearly worse (95% CI of the paired difference "
                "excludes zero)."
                if clear
                else "not every other variant is clearly worse: "
                + ", ".join(v for v in self.variants[1:] if v not in clearly_worse)
                + " cannot be told apart from it at 95%."
            )
            return {
                "winner": best,
                "clear": clear,
                "objective": self.objective,
                "sentence": sentence,
            }
        row = obj.loc[best]
        low, high = row["diff_ci95_low"], row["diff_ci95_high"]
        clear = low is not None and ((high < 0) if lower else (low > 0))
        ci = (
            ""
            if low is None
            else (f" (95% CI {signed(low, self.objective)} .. {signed(high, self.objective)})")
        )
        p = row["p_beats_baseline"]
        sentence = (
            f"'{best}' wins on {unit}: {signed(row['diff'], self.objective)} versus the baseline "
            f"'{self.baseline}'{ci}, {word} is better; "
            + (
                "the win is statistically clear"
                if clear
                else "the win is not statistically clear (the interval includes zero)"
            )
            + (f", P(beats baseline) = {p:.3f}." if p is not None else ".")
        )
        return {
            "winner": best,
            "clear": bool(clear),
            "objective": self.objective,
            "sentence": sentence,
        }

    def ranking(self, family_alpha: float = 0.05) -> dict[str, Any]:
        """Every variant ranked on the objective, with pairwise paired t tests between all
        of them, Holm-adjusted so the chance of any false 'clearly better' is at most
        `family_alpha`; the best variant, whether it is clearly ahead of each other, and the
        best variant that raises no compliance flag, with its cash trough and payback."""
        lower = lower_is_better(self.objective)
        means = {v: float(np.nanmean(self.values(v, self.objective))) for v in self.variants}
        order = sorted(self.variants, key=lambda v: means[v], reverse=not lower)
        pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
        raw = [
            t_test_p(True, self.values(b, self.objective), self.values(a, self.objective))
            for a, b in pairs
        ]
        adjusted = holm_adjust([1.0 if p is None else p for p in raw])
        ahead = {pair: p < family_alpha for pair, p in zip(pairs, adjusted, strict=True)}
        flags = self.compliance()

        def kpi_mean(variant: str, kpi: str) -> float | None:
            values = self.values(variant, kpi) if kpi in kpi_names() else np.array([np.nan])
            return float(np.nanmean(values)) if np.isfinite(values).any() else None

        rows = [
            {
                "rank": i + 1,
                "variant": v,
                "mean": means[v],
                "clearly_behind_best": bool(i and ahead[(order[0], v)]),
                "flags": [f["flag"] for f in flags[v]],
                "cash_trough": kpi_mean(v, "cash_trough"),
                "breakeven_day": kpi_mean(v, "breakeven_day"),
                "payback_days": kpi_mean(v, "payback_days"),
            }
            for i, v in enumerate(order)
        ]
        compliant = [r for r in rows if not r["flags"]]
        return {
            "order": order,
            "rows": rows,
            "pairs": [
                {"better": a, "worse": b, "p_holm": p, "clear": ahead[(a, b)]}
                for (a, b), p in zip(pairs, adjusted, strict=True)
            ],
            "best": order[0],
            "best_clear": all(r["clearly_behind_best"] for r in rows[1:]),
            "best_compliant": compliant[0]["variant"] if compliant else None,
        }

    def ranking_sentence(self) -> str:
        """The ranking in words: order, how clear the best is, flags and cash."""
        rank = self.ranking()
        unit = self.objective.replace("_", " ")
        best, rows = rank["best"], {r["variant"]: r for r in rank["rows"]}
        text = f"Ranked on {unit}: " + " > ".join(rank["order"]) + ". "
        unclear = [r["variant"] for r in rank["rows"][1:] if not r["clearly_behind_best"]]
        text += (
            f"'{best}' is clearly ahead of every other variant (pairwise paired t tests, "
            "Holm-adjusted, 5% family-wise). "
            if not unclear
            else f"'{best}' cannot be told apart from {', '.join(unclear)} (pairwise paired t "
            "tests, Holm-adjusted, 5% family-wise). "
        )
        if rows[best]["flags"]:
            text += f"'{best}' raises {', '.join(rows[best]['flags'])}; "
            good = rank["best_compliant"]
            if good is None:
                text += "every variant raises a compliance flag. "
            else:
                gap = rows[good]["mean"] - rows[best]["mean"]
                text += (
                    f"the best scheme that raises no flag is '{good}' "
                    f"({signed(gap, self.objective)} versus '{best}'). "
                )
        else:
            text += f"'{best}' raises no compliance flag. "
        for name in dict.fromkeys([best, rank["best_compliant"]]):
            if name is None:
                continue
            r = rows[name]
            trough = "-" if r["cash_trough"] is None else f"{r['cash_trough']:,.0f} yuan"
            payback = "-" if r["payback_days"] is None else f"{r['payback_days']:,.0f} days"
            even = "never" if r["breakeven_day"] is None else f"day {r['breakeven_day']:,.0f}"
            text += f"'{name}': cash trough {trough}, break-even {even}, payback {payback}. "
        return text.strip()

    def to_json_dict(self) -> dict[str, Any]:
        table = self.table()
        compliance, warnings = self.compliance(), self.warnings()
        variants = []
        for v in self.variants:
            part = table[table["variant"] == v].drop(columns="variant").set_index("kpi")
            variants.append(
                {
                    "name": v,
                    "description": self.descriptions.get(v, ""),
                    "kpis": {
                        k: {c: (None if pd.isna(x) else float(x)) for c, x in r.items()}
                        for k, r in part.iterrows()
                    },
                    "compliance": compliance[v],
                    "warnings": warnings[v],
                }
            )
        return {
            "comparison": self.name,
            "baseline": self.baseline,
            "objective": self.objective,
            "replications": self.replications,
            "verdict": self.verdict(),
            "ranking": self.ranking() | {"sentence": self.ranking_sentence()},
            "variants": variants,
        }


def comparison_scenarios(
    sources: list[str | Path] | Scenario | dict | str | Path,
    overrides: dict[str, Any] | None = None,
) -> tuple[str, Scenario, dict[str, Scenario], dict[str, str]]:
    """(name, the scenario holding the compare settings, variants, their descriptions).

    One scenario with [[variants]], or several whole files (the first is the baseline; all
    run with the first file's seed and replications, so they stay paired).
    """
    if isinstance(sources, list | tuple) and len(sources) > 1:
        specs = [load_scenario(p, overrides) for p in sources]
        first = specs[0]
        names = [s.run.name for s in specs]
        if len(set(names)) < len(names):
            raise ScenarioError(
                str(sources[0]),
                [
                    Problem(
                        "run.name",
                        "two files share a run.name: " + ", ".join(names),
                        "a distinct run.name per compared file",
                    )
                ],
            )
        paired = {}
        for s in specs:
            data = s.model_dump(mode="python")
            data["run"]["seed"] = first.run.seed
            data["run"]["replications"] = first.run.replications
            data["run"]["days"] = first.run.days
            paired[s.run.name] = coerce_scenario(data)
        return (
            "-vs-".join(names)[:80],
            first,
            paired,
            {s.run.name: s.run.description for s in specs},
        )
    source = sources[0] if isinstance(sources, list | tuple) else sources
    spec = coerce_scenario(source, overrides)
    if len(spec.variants) < 2:
        raise ScenarioError(
            str(source),
            [
                Problem(
                    "variants",
                    f"{len(spec.variants)} variant(s) to compare",
                    "at least two [[variants]] (the first is the baseline), or several scenario "
                    "files on the command line",
                )
            ],
        )
    base_dir = Path(source).parent if isinstance(source, str | Path) else None
    pairs = variant_scenarios(spec, base_dir)
    return (
        spec.run.name,
        spec,
        {v.name: s for v, s in pairs},
        {v.name: v.description for v, _ in pairs},
    )


def compare(
    sources,
    *,
    replications: int | str | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool | Callable[[int, int], Any] | None = None,
) -> CompareResult:
    """Run every variant on the same replications and compare them to the baseline.

    replications: a number, "auto" (add replications until the objective's paired
    differences are precise enough, see `[compare]`), or None for the file's setting.
    """
    name, spec, scenarios, descriptions = comparison_scenarios(sources, overrides)
    settings = spec.compare
    wanted = replications if replications is not None else settings.replications
    auto = wanted == "auto"
    first_batch = (
        min(max(AUTO_START_REPLICATIONS, spec.run.replications), settings.max_replications)
        if auto
        else int(wanted)
        if wanted is not None
        else spec.run.replications
    )
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    edges = {v: read_network(s, f"variant {v}") for v, s in scenarios.items()}
    for v, s in scenarios.items():  # refuse what cannot fit, before any work
        check_size(s, edges[v], f"variant {v}")
    batches: dict[str, list[Batch]] = {v: [] for v in scenarios}
    done = 0
    target = first_batch
    while True:
        days = sum(s.run.days for s in scenarios.values())
        bar = make_progress((target - done) * days, progress, f"{name} {done}..{target}")
        try:
            for v, s in scenarios.items():
                batches[v].append(run_batch(s, range(done, target), edges[v], bar))
        finally:
            if bar is not None:
                bar.close()
        done = target
        result = assemble(name, scenarios, descriptions, settings.objective, batches)
        if not auto or done >= settings.max_replications or precise_enough(result, settings):
            break
        target = min(settings.max_replications, done + first_batch)
    from sim.provenance import manifest

    result.manifest = manifest(spec, started, time.perf_counter() - t0)
    result.manifest.update(
        {
            "variants": result.variants,
            "replications": done,
            "replications_mode": "auto" if auto else "fixed",
        }
    )
    return result


def assemble(name, scenarios, descriptions, objective, batches) -> CompareResult:
    daily, kpis, levels, cohorts = [], [], [], []
    for v, parts in batches.items():
        b = Batch.concat(parts)
        daily.append(b.daily.assign(variant=v))
        kpis.append(b.kpi_values.reset_index().assign(variant=v))
        levels.append(b.payouts_by_level.assign(variant=v))
        if b.cohorts is not None:
            cohorts.append(b.cohorts.assign(variant=v))

    def front(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["variant", *[c for c in frame.columns if c != "variant"]]]

    return CompareResult(
        name=name,
        scenarios=scenarios,
        descriptions=descriptions,
        objective=objective,
        daily=front(pd.concat(daily, ignore_index=True)),
        kpi_values=front(pd.concat(kpis, ignore_index=True)),
        payouts_by_level=front(pd.concat(levels, ignore_index=True)),
        cohorts=front(pd.concat(cohorts, ignore_index=True)) if cohorts else None,
    )


def comparison_from_runs(
    name: str,
    scenarios: dict[str, Scenario],
    objective: str,
    kpi_values: pd.DataFrame,
    descriptions: dict[str, str] | None = None,
) -> CompareResult:
    """A comparison of finished runs given as KPI rows (variant, replication, one column per
    KPI), e.g. collected from sweeps on common random numbers: its table, ranking, verdict
    and flags, without daily series."""
    columns = ["variant", "replication", *[k for k in kpi_names() if k in kpi_values]]
    return CompareResult(
        name=name,
        scenarios=scenarios,
        descriptions=descriptions or {},
        objective=objective,
        daily=pd.DataFrame(columns=["variant", "replication", "day"]),
        kpi_values=kpi_values[columns].reset_index(drop=True),
        payouts_by_level=pd.DataFrame(columns=["variant", "replication", "level", "payouts"]),
    )


def precise_enough(result: CompareResult, settings) -> bool:
    """Is every variant's paired-difference CI of the objective narrow enough?"""
    kpi = settings.objective
    base = result.values(result.baseline, kpi)
    scale = abs(float(np.nanmean(base))) if np.isfinite(base).any() else 0.0
    for v in result.variants[1:]:
        d = paired_difference(base, result.values(v, kpi))
        if d["diff_ci95_low"] is None:
            return False
        half = (d["diff_ci95_high"] - d["diff_ci95_low"]) / 2
        if half > settings.target_relative_half_width * max(scale, 1e-9):
            return False
    return True
