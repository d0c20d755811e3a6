"""Run a scenario: replications of the model, summarised with confidence intervals.

`sim.run(scenario_or_path, ...)` is the Python API; `sim run` calls it and then writes the
results with `sim.output`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.catalog import kpi_names
from sim.market import Market
from sim.network import EdgeList
from sim.preflight import check_size, read_network
from sim.scenario import Scenario, coerce_scenario
from sim.stats import summarize


@dataclass
class RunResult:
    """Everything one `sim run` produces, as pandas tables and dicts."""

    scenario: Scenario
    daily: pd.DataFrame  # one row per replication and day
    kpi_values: pd.DataFrame  # one row per replication, one column per KPI
    ledger: pd.DataFrame | None = None  # every entry, with run.ledger = "entries"
    payouts_by_level: pd.DataFrame | None = None  # replication, level, payouts (yuan)
    cohorts: pd.DataFrame | None = None  # replication, channel, month: CAC, LTV, payback
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def kpis(self) -> dict[str, dict[str, Any]]:
        """Per KPI: mean, 95% CI (Student t over replications) and the per-replication values."""
        return {name: summarize(self.kpi_values[name].to_numpy()) for name in kpi_names()}

    def kpi_table(self) -> pd.DataFrame:
        rows = [
            {"kpi": k, **{m: v for m, v in s.items() if m != "values"}}
            for k, s in self.kpis.items()
        ]
        return pd.DataFrame(rows)

    def compliance(self) -> list[dict[str, Any]]:
        """The compliance flags of this run's scheme, from the KPI means."""
        from sim.payout.compliance import compliance_flags

        means = {k: s["mean"] for k, s in self.kpis.items()}
        return [f.as_dict() for f in compliance_flags(self.scenario.payout, means)]

    def warnings(self) -> list[str]:
        """Payout rules that are switched on but paid nothing in any replication (they cost
        nothing and change no behaviour, which a strategist should know), and outputs
        outside their plausible range (`sim.plausibility`)."""
        from sim.plausibility import plausibility_warnings

        means = {k: s["mean"] for k, s in self.kpis.items()}
        return unpaid_rules(self.scenario, self.daily) + plausibility_warnings(self.scenario, means)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.run.name,
            "replications": int(self.kpi_values.shape[0]),
            "kpis": self.kpis,
            "compliance": self.compliance(),
            "warnings": self.warnings(),
        }


# The daily series in which each payout rule's money shows.
RULE_SERIES: dict[str, tuple[str, ...]] = {
    "direct_commission": ("payout_direct_commission",),
    "self_purchase_discount": ("discount_self_purchase",),
    "upline_override": ("payout_upline_override",),
    "referral_bonus": ("payout_referral_bonus_referrer", "payout_referral_bonus_referee"),
    "entry_fee": ("entry_fees",),
    "gift_pack": ("gift_packs",),
    "stock": ("stock_purchases", "retail_sales", "downline_stock_sales", "downline_stock_markups"),
    "group_buy": ("discount_group_buy",),
    "coupon": ("discount_coupon",),
    "bargain": ("discount_bargain",),
    "gift": ("payout_gift",),
    "sales_bonus": ("payout_sales_bonus",),
    "recruit_bonus": ("payout_recruit_bonus",),
    "leader_commission": ("payout_leader_commission",),
}


def unpaid_rules(scenario: Scenario, daily: pd.DataFrame) -> list[str]:
    """A warning for each payout rule that is switched on but paid nothing in any
    replication (it costs nothing and changes no behaviour, which a strategist should
    know)."""
    out = []
    for rule, columns in RULE_SERIES.items():
        if scenario.payout.rule(rule) is None:
            continue
        if not any(c in daily and daily[c].abs().sum() > 0 for c in columns):
            out.append(
                f"payout.{rule} is on but paid nothing in any replication "
                f"({scenario.payout.rule(rule).describe()})"
            )
    return out


def run_replication(
    scenario: Scenario,
    replication: int,
    edge_list: EdgeList | None = None,
    progress=None,
    spawn_prefix: tuple[int, ...] = (),
) -> Market:
    """Build and run one replication; return the finished model."""
    model = Market(scenario, replication, edge_list=edge_list, spawn_prefix=spawn_prefix)
    while model.running:
        model.step()
        if progress is not None:
            progress.update(1)
    return model


@dataclass
class Batch:
    """The outputs of some replications of one scenario."""

    daily: pd.DataFrame
    kpi_values: pd.DataFrame  # indexed by replication
    payouts_by_level: pd.DataFrame
    ledger: pd.DataFrame | None
    cohorts: pd.DataFrame | None = None  # one row per replication, channel and month

    @classmethod
    def concat(cls, batches: list[Batch]) -> Batch:
        ledgers = [b.ledger for b in batches if b.ledger is not None]
        cohorts = [b.cohorts for b in batches if b.cohorts is not None]
        return cls(
            pd.concat([b.daily for b in batches], ignore_index=True),
            pd.concat([b.kpi_values for b in batches]),
            pd.concat([b.payouts_by_level for b in batches], ignore_index=True),
            pd.concat(ledgers, ignore_index=True) if ledgers else None,
            pd.concat(cohorts, ignore_index=True) if cohorts else None,
        )


def run_batch(
    spec: Scenario,
    replications: range,
    edges: EdgeList | None = None,
    progress=None,
    on_replication: Callable[[Batch], Any] | None = None,
) -> Batch:
    """Run the given replication indices of a scenario (replication r always sees the same
    random streams, whichever batch it runs in). `on_replication` gets each finished
    replication's outputs at once (to put them on disk before the next one starts)."""
    dailies, kpi_rows, ledgers, levels, cohorts = [], [], [], [], []
    for r in replications:
        model = run_replication(spec, r, edges, progress)
        daily = model.daily_frame()
        daily.insert(0, "replication", r)
        dailies.append(daily)
        kpi_rows.append({"replication": r, **model.kpis()})
        cohorts.append(model.platform.get("cohorts").table().assign(replication=r))
        by_level = model.ledger.payout_by_level_fen
        levels.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "level": np.arange(1, by_level.size),
                    "payouts": by_level[1:] / 100.0,
                }
            )
        )
        if spec.run.ledger == "entries":
            entries = model.ledger.entries()
            entries.insert(0, "replication", r)
            ledgers.append(entries)
        model.release()
        if on_replication is not None:
            on_replication(
                Batch(
                    dailies[-1],
                    pd.DataFrame(kpi_rows[-1:]).set_index("replication"),
                    levels[-1],
                    ledgers[-1] if spec.run.ledger == "entries" else None,
                    cohorts[-1],
                )
            )
    return Batch(
        pd.concat(dailies, ignore_index=True),
        pd.DataFrame(kpi_rows).set_index("replication"),
        pd.concat(levels, ignore_index=True),
        pd.concat(ledgers, ignore_index=True) if ledgers else None,
        pd.concat(cohorts, ignore_index=True),
    )


class CallbackProgress:
    """Progress reported to a function f(done, total) (days simulated), e.g. a dashboard."""

    def __init__(self, callback: Callable[[int, int], Any], total: int):
        self.callback, self.total, self.done = callback, total, 0
        callback(0, total)

    def update(self, n: int = 1) -> None:
        self.done += n
        self.callback(self.done, self.total)

    def close(self) -> None:
        pass


def make_progress(total: int, enabled, description: str):
    """A tqdm bar (terminal or notebook); None when disabled or not attached to a terminal;
    with a callable, a `CallbackProgress` calling it with (done, total) days."""
    if callable(enabled):
        return CallbackProgress(enabled, total)
    if enabled is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit="day",
        disable=None if enabled is None else False,
        leave=False,
    )


def run(
    scenario: Scenario | dict | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool | Callable[[int, int], Any] | None = None,
    on_replication: Callable[[Batch], Any] | None = None,
    edge_list: EdgeList | None = None,
) -> RunResult:
    """Run a scenario's replications and return daily series and KPIs.

    scenario: a Scenario, a mapping in the scenario schema or a path to a TOML file.
    replications, seed, days: shortcuts for the run.* keys; overrides: {"key.path": value}.
    progress: True/False to force the progress bar; None shows it on a terminal only; a
    function f(done, total) is called as the simulated days accumulate.
    """
    merged = dict(overrides or {})
    for key, value in (("run.replications", replications), ("run.seed", seed), ("run.days", days)):
        if value is not None:
            merged[key] = value
    spec = coerce_scenario(scenario, merged)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    edges = edge_list if edge_list is not None else read_network(spec, spec.run.name)
    check_size(spec, edges, spec.run.name)  # refuse what cannot fit, before any work
    reps = spec.run.replications
    bar = make_progress(reps * spec.run.days, progress, spec.run.name)
    try:
        batch = run_batch(spec, range(reps), edges, bar, on_replication)
    finally:
        if bar is not None:
            bar.close()
    from sim.provenance import manifest

    return RunResult(
        scenario=spec,
        daily=batch.daily,
        kpi_values=batch.kpi_values,
        ledger=batch.ledger,
        payouts_by_level=batch.payouts_by_level,
        cohorts=batch.cohorts,
        manifest=manifest(spec, started, time.perf_counter() - t0),
    )
