"""Result folders as the dashboard shows them: KPI table, verdict, flags, curves with bands.

A folder written by `sim run` or `sim compare` (from the CLI or the dashboard) is read back
the same way, so earlier results under `results/` open like new ones.
"""

from __future__ import annotations

import io
import json
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.catalog import fmt, kpi_names
from sim.economics import EconomicsSection, with_cumulative_cash


def show(value, kpi_name: str) -> str:
    """A KPI value for people ("-" when undefined)."""
    if value is None or pd.isna(value):
        return "-"
    return fmt(float(value), kpi_name)


CURVES = (("customers", "Customers"), ("gmv", "GMV (yuan)"), ("payouts_total", "Payouts (yuan)"))


@dataclass
class ResultView:
    folder: Path
    kind: str  # "run" or "compare"
    title: str
    kpis: pd.DataFrame  # one row per KPI (and variant): mean and 95% CI
    flags: pd.DataFrame  # variant, flag, rule, reason
    verdict: str = ""
    ranking: str = ""
    economics: dict = field(default_factory=dict)  # variant ("" for a run) -> [economics]
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)


def _flags(rows: list[dict], variant: str) -> list[dict]:
    return [{"variant": variant, **{k: r[k] for k in ("flag", "rule", "reason")}} for r in rows]


def compare_table(table: pd.DataFrame) -> pd.DataFrame:
    """comparison.csv as a strategist reads it: formatted means, CIs and differences."""
    rows = []
    for r in table.itertuples():
        if r.kpi not in kpi_names():
            continue
        diff = (
            ""
            if pd.isna(r.diff_ci95_low)
            else (
                f"{show(r.diff, r.kpi)} ({show(r.diff_ci95_low, r.kpi)} .. {show(r.diff_ci95_high, r.kpi)})"
            )
        )
        rows.append(
            {
                "kpi": r.kpi,
                "variant": r.variant,
                "mean": show(r.mean, r.kpi),
                "95% CI": f"{show(r.ci95_low, r.kpi)} .. {show(r.ci95_high, r.kpi)}",
                "difference to baseline (95% CI)": diff,
                "P(beats baseline)": ""
                if pd.isna(r.p_beats_baseline)
                else f"{r.p_beats_baseline:.3f}",
            }
        )
    return pd.DataFrame(rows)


def economics_of(path: Path) -> EconomicsSection:
    """The [economics] of a resolved scenario file (defaults if it is missing)."""
    if not path.exists():
        return EconomicsSection()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return EconomicsSection.model_validate(data.get("economics", {}))


def load_result(folder: str | Path) -> ResultView:
    """Read a run or comparison folder."""
    folder = Path(folder)
    daily = pd.read_csv(folder / "daily.csv") if (folder / "daily.csv").exists() else None
    if (folder / "comparison.json").exists():
        data = json.loads((folder / "comparison.json").read_text())
        table = compare_table(pd.read_csv(folder / "comparison.csv"))
        flags = [f for v in data["variants"] for f in _flags(v.get("compliance", []), v["name"])]
        return ResultView(
            folder,
            "compare",
            f"Comparison {data['comparison']}: {', '.join(v['name'] for v in data['variants'])}",
            table,
            pd.DataFrame(flags, columns=["variant", "flag", "rule", "reason"]),
            economics={
                v["name"]: economics_of(folder / "variants" / f"{v['name']}.resolved.toml")
                for v in data["variants"]
            },
            verdict=data["verdict"]["sentence"],
            ranking=data.get("ranking", {}).get("sentence", ""),
            daily=daily if daily is not None else pd.DataFrame(),
        )
    data = json.loads((folder / "kpis.json").read_text())
    rows = [
        {
            "kpi": name,
            "mean": show(s["mean"], name),
            "95% CI": f"{show(s['ci95_low'], name)} .. {show(s['ci95_high'], name)}",
        }
        for name, s in data["kpis"].items()
        if name in kpi_names()
    ]
    return ResultView(
        folder,
        "run",
        f"Run {data['scenario']} ({data['replications']} replications)",
        pd.DataFrame(rows),
        pd.DataFrame(
            _flags(data.get("compliance", []), data["scenario"]),
            columns=["variant", "flag", "rule", "reason"],
        ),
        daily=daily if daily is not None else pd.DataFrame(),
        economics={"": economics_of(folder / "scenario.resolved.toml")},
    )


def curves_figure(daily: pd.DataFrame, economics: dict | None = None):
    """Customers, GMV, payouts and cumulative cash per day: mean over replications with a
    5-95% band, one line per variant."""
    fig, axes = plt.subplots(1, len(CURVES) + 1, figsize=(15, 3.2), constrained_layout=True)
    groups = daily.groupby("variant") if "variant" in daily else [("", daily)]
    for name, frame in groups:
        econ = (economics or {}).get(name) or EconomicsSection()
        cash = with_cumulative_cash(frame, econ).groupby("day")["cumulative_cash"]
        mean = cash.mean()
        axes[-1].plot(mean.index, mean.to_numpy())
        axes[-1].fill_between(
            mean.index, cash.quantile(0.05).to_numpy(), cash.quantile(0.95), alpha=0.2
        )
        axes[-1].set_title("Cumulative cash (yuan)")
        axes[-1].set_xlabel("day")
        for ax, (column, title) in zip(axes[:-1], CURVES, strict=True):
            if column not in frame:
                continue
            per_day = frame.groupby("day")[column]
            mean = per_day.mean()
            ax.plot(mean.index, mean.to_numpy(), label=name or None)
            ax.fill_between(
                mean.index, per_day.quantile(0.05).to_numpy(), per_day.quantile(0.95), alpha=0.2
            )
            ax.set_title(title)
            ax.set_xlabel("day")
    if "variant" in daily:
        axes[0].legend(fontsize=7)
    return fig


def zip_folder(folder: Path) -> bytes:
    """The whole result folder as a zip archive (for download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    return buffer.getvalue()


def earlier_results(root: Path) -> list[Path]:
    """Result folders under `root` (newest first): those holding kpis.json or comparison.json."""
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.rglob("*")
        if p.is_dir() and ((p / "kpis.json").exists() or (p / "comparison.json").exists())
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
