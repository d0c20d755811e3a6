"""The comparison report: figures and tables a strategist reads to choose a scheme."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.economics import with_cumulative_cash
from sim.report import COHORT_NOTE, cohort_markdown, fmt

if TYPE_CHECKING:
    from sim.compare import CompareResult

HEADLINE_KPIS = (
    "contribution_margin",
    "gmv",
    "customers",
    "repeat_rate_90d",
    "active_customers_30d",
    "payouts_total",
    "k_factor",
    "cac",
    "active_sharers",
    "sharers_negative_income_share",
)


def mean_curve(daily: pd.DataFrame, column: str, smooth_days: int = 1) -> pd.DataFrame:
    wide = daily.pivot_table(
        index="day", columns="variant", values=column, aggfunc="mean", sort=False
    )
    return wide.rolling(smooth_days, min_periods=1).mean() if smooth_days > 1 else wide


def save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def curves_figure(result: CompareResult, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), dpi=110)
    consumers = {v: s.population.consumers for v, s in result.scenarios.items()}
    adoption = mean_curve(result.daily, "customers")
    for v in result.variants:
        axes[0].plot(adoption.index, 100 * adoption[v] / consumers[v], label=v)
    axes[0].set(title="Adoption", xlabel="day", ylabel="customers, % of consumers")
    gmv = mean_curve(result.daily, "gmv", smooth_days=7)
    for v in result.variants:
        axes[1].plot(gmv.index, gmv[v], label=v)
    axes[1].set(title="GMV (7-day mean)", xlabel="day", ylabel="yuan per day")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False)
    save(fig, path)


def cash_figure(result: CompareResult, path: Path) -> None:
    """Each variant's mean cumulative cash curve (its own [economics])."""
    fig, ax = plt.subplots(figsize=(8.5, 3.8), dpi=110)
    for v in result.variants:
        daily = result.daily[result.daily["variant"] == v]
        cash = with_cumulative_cash(daily, result.scenarios[v].economics)
        curve = cash.groupby("day")["cumulative_cash"].mean()
        ax.plot(curve.index, curve.to_numpy(), label=v)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set(title="Cash curve (mean over replications)", xlabel="day", ylabel="yuan")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    save(fig, path)


def payouts_figure(result: CompareResult, path: Path) -> None:
    reps = result.replications
    columns = [
        c for c in result.daily.columns if c.startswith("payout_") or c.startswith("discount_")
    ]
    totals = result.daily.groupby("variant", sort=False)[columns].sum() / reps
    totals = totals.loc[result.variants]
    totals = totals.loc[:, totals.sum() > 0]
    fig, ax = plt.subplots(figsize=(8.5, 3.8), dpi=110)
    bottom = np.zeros(len(totals))
    for col in totals.columns:
        kind, _, name = col.partition("_")
        label = f"{name} ({'payout' if kind == 'payout' else 'discount'})"
        ax.bar(totals.index, totals[col], bottom=bottom, label=label)
        bottom += totals[col].to_numpy()
    ax.set(title="Payouts and discounts by type (mean per run)", ylabel="yuan")
    ax.grid(alpha=0.3, axis="y")
    if len(totals.columns):
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    save(fig, path)


def differences_figure(result: CompareResult, table: pd.DataFrame, path: Path) -> None:
    """Paired differences to the baseline, in % of the baseline mean, with 95% CIs."""
    kpis = [k for k in HEADLINE_KPIS if k in set(table["kpi"])]
    others = result.variants[1:]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(kpis) * max(1, len(others)) + 1.2), dpi=110)
    y = 0
    ticks, labels = [], []
    for kpi in kpis:
        base = table[(table.variant == result.baseline) & (table.kpi == kpi)]["mean"].iloc[0]
        for i, v in enumerate(others):
            row = table[(table.variant == v) & (table.kpi == kpi)].iloc[0]
            if base is None or pd.isna(base) or base == 0 or pd.isna(row["diff"]):
                continue
            scale = 100.0 / abs(base)
            low, high = row["diff_ci95_low"], row["diff_ci95_high"]
            err = (
                None
                if pd.isna(low)
                else [[(row["diff"] - low) * scale], [(high - row["diff"]) * scale]]
            )
            ax.errorbar(
                row["diff"] * scale,
                y,
                xerr=err,
                fmt="o",
                color=f"C{i + 1}",
                label=v if kpi == kpis[0] else None,
                capsize=3,
            )
            ticks.append(y)
            labels.append(kpi if i == 0 else "")
            y -= 1
        y -= 0.5
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(ticks, labels)
    ax.set(
        title=f"Difference to '{result.baseline}' (paired, 95% CI)",
        xlabel="% of the baseline's mean",
    )
    ax.grid(alpha=0.3, axis="x")
    ax.legend(frameon=False, fontsize=8)
    save(fig, path)


def kpi_markdown(result: CompareResult, table: pd.DataFrame) -> str:
    head = "| KPI | " + " | ".join(result.variants) + " |"
    lines = [head, "|---|" + "---:|" * len(result.variants)]
    for kpi in HEADLINE_KPIS:
        cells = []
        for v in result.variants:
            row = table[(table.variant == v) & (table.kpi == kpi)].iloc[0]
            text = fmt(None if pd.isna(row["mean"]) else row["mean"], kpi)
            if v != result.baseline and not pd.isna(row["diff_ci95_low"]):
                text += f"<br>{fmt_diff(row, kpi)}"
            cells.append(text)
        lines.append(f"| {kpi} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fmt_diff(row, kpi: str) -> str:
    clear = row["diff_ci95_low"] > 0 or row["diff_ci95_high"] < 0
    star = " *" if clear else ""
    return (
        f"{'+' if row['diff'] >= 0 else ''}{fmt(row['diff'], kpi)} "
        f"[{fmt(row['diff_ci95_low'], kpi)}, {fmt(row['diff_ci95_high'], kpi)}]"
        f"{star} P={row['p_beats_baseline']:.2f}"
    )


def compliance_markdown(result: CompareResult) -> str:
    lines = ["| variant | flags |", "|---|---|"]
    for v, flags in result.compliance().items():
        text = "<br>".join(f"**{f['flag']}**: {f['reason']} ({f['rule']})" for f in flags)
        lines.append(f"| {v} | {text or 'none'} |")
    return "\n".join(lines)


def warnings_markdown(result: CompareResult) -> str:
    """Each variant's plausibility warnings, or a line saying there are none."""
    lines = [f"- **{v}**: {w}" for v, warnings in result.warnings().items() for w in warnings]
    return (
        "\n".join(lines)
        or "None: every rule paid, and every checked output is inside its plausible range."
    )


def cohorts_by_variant(result: CompareResult) -> str:
    """Each variant's cohort table (CAC, LTV at 3, 6 and 12 months, payback month)."""
    if result.cohorts is None:
        return "No cohort data (a comparison assembled from sweeps)."
    parts = [COHORT_NOTE, ""]
    for v in result.variants:
        rows = result.cohorts.query("variant == @v")
        parts += [f"### {v}", "", cohort_markdown(rows, note=False), ""]
    return "\n".join(parts)


def write_compare_report(result: CompareResult, folder: Path) -> Path:
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    table = result.table()
    curves_figure(result, figs / "curves.png")
    payouts_figure(result, figs / "payouts_by_type.png")
    cash_figure(result, figs / "cash.png")
    differences_figure(result, table, figs / "differences.png")
    verdict = result.verdict()
    schemes = "\n".join(
        f"- **{v}**{' (baseline)' if v == result.baseline else ''}: "
        f"{result.descriptions.get(v) or ''} {s.payout.describe()}".replace("  ", " ")
        for v, s in result.scenarios.items()
    )
    parts = [
        f"# Comparison: {result.name}",
        "",
        f"**Verdict.** {verdict['sentence']}",
        "",
        f"**Ranking.** {result.ranking_sentence()}",
        "",
        f"{len(result.variants)} variants, {result.replications} paired replications each "
        f"(common random numbers: replication r of every variant shares its network, "
        f"consumers and random streams). Objective: `{result.objective}`.",
        "",
        "## Variants",
        "",
        schemes,
        "",
        "## Key figures",
        "",
        "Means over replications; under each variant, the paired difference to the baseline "
        "with its 95% CI, `*` where the CI excludes zero, and P = the probability that the "
        "variant beats the baseline on that KPI.",
        "",
        kpi_markdown(result, table),
        "",
        "## Compliance flags",
        "",
        compliance_markdown(result),
        "",
        "## Warnings",
        "",
        "Payout rules that paid nothing, and outputs outside the ranges real platforms show "
        "(docs/plausibility.md).",
        "",
        warnings_markdown(result),
        "",
        "## Acquisition cohorts by variant",
        "",
        cohorts_by_variant(result),
        "",
        "## Figures",
        "",
        "![Adoption and GMV](figures/curves.png)",
        "",
        "![Payouts by type](figures/payouts_by_type.png)",
        "",
        "![Cash curve](figures/cash.png)",
        "",
        "![Differences to the baseline](figures/differences.png)",
        "",
        "## Files",
        "",
        "- `comparison.csv`: tidy table (variant, kpi, mean, ci95_low, ci95_high, diff, "
        "diff_ci95_low, diff_ci95_high, p_beats_baseline) over every KPI.",
        "- `comparison.json`: the same, with the verdict and compliance flags.",
        "- `daily.csv`, `kpis_by_replication.csv`: every variant's raw series.",
        "- `cohorts.csv`: every variant's acquisition cohorts by month and channel.",
        "- `variants/NAME.resolved.toml`: each variant as a full scenario.",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
