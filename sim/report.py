"""The run report: `report.md` with a KPI table and figures, readable without Python."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.catalog import fmt, kpi
from sim.economics import cohort_summary, with_cumulative_cash

if TYPE_CHECKING:
    from sim.runner import RunResult


def band(daily: pd.DataFrame, column: str, smooth_days: int = 1) -> pd.DataFrame:
    """Mean and 5-95% range over replications of a daily column, per day."""
    wide = daily.pivot(index="day", columns="replication", values=column)
    if smooth_days > 1:
        wide = wide.rolling(smooth_days, min_periods=1).mean()
    return pd.DataFrame(
        {
            "mean": wide.mean(axis=1),
            "low": wide.quantile(0.05, axis=1),
            "high": wide.quantile(0.95, axis=1),
        }
    )


def plot_band(
    ax, daily: pd.DataFrame, column: str, label: str, smooth_days: int = 1, scale: float = 1.0
) -> None:
    b = band(daily, column, smooth_days) * scale
    (line,) = ax.plot(b.index, b["mean"], label=label)
    ax.fill_between(b.index, b["low"], b["high"], color=line.get_color(), alpha=0.2, lw=0)


def figure(path: Path, title: str, ylabel: str, draw) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    draw(ax)
    ax.set_title(title)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_figures(result: RunResult, folder: Path) -> dict[str, str]:
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    daily = result.daily
    consumers = result.scenario.population.consumers
    out = {}

    def adoption(ax):
        plot_band(ax, daily, "customers", "customers (share of consumers)", scale=100 / consumers)
        plot_band(ax, daily, "lapsed", "lapsed customers", scale=100 / consumers)

    figure(figs / "adoption.png", "Adoption curve", "% of consumers", adoption)
    out["Adoption curve"] = "figures/adoption.png"

    def money(ax):
        plot_band(ax, daily, "gmv", "GMV", smooth_days=7)
        plot_band(ax, daily, "payouts_total", "payouts", smooth_days=7)
        plot_band(ax, daily, "discounts", "discounts", smooth_days=7)
        plot_band(ax, daily, "contribution_margin", "contribution margin", smooth_days=7)

    figure(figs / "gmv_payouts.png", "GMV and payouts (7-day mean)", "yuan per day", money)
    out["GMV and payouts"] = "figures/gmv_payouts.png"

    def actives(ax):
        plot_band(ax, daily, "active_customers_30d", "customers ordering in last 30 days")
        plot_band(ax, daily, "active_sharers", "active sharers")

    figure(figs / "active.png", "Active customers and sharers", "people", actives)
    out["Active customers and sharers"] = "figures/active.png"

    cash = with_cumulative_cash(daily, result.scenario.economics)

    def cash_curve(ax):
        plot_band(ax, cash, "cumulative_cash", "cumulative cash")
        ax.axhline(0.0, color="0.4", lw=0.8)

    figure(
        figs / "cash.png",
        "Cash curve (payouts settled after the lag, ads and fixed costs counted)",
        "yuan",
        cash_curve,
    )
    out["Cash curve"] = "figures/cash.png"
    return out


def kpi_markdown(result: RunResult) -> str:
    lines = ["| KPI | mean | 95% CI | unit | definition |", "|---|---:|---|---|---|"]
    for name, s in result.kpis.items():
        ci = (
            "-"
            if s["ci95_low"] is None
            else f"{fmt(s['ci95_low'], name)} .. {fmt(s['ci95_high'], name)}"
        )
        lines.append(
            f"| {name} | {fmt(s['mean'], name)} | {ci} | {kpi(name).unit} "
            f"| {kpi(name).definition} |"
        )
    return "\n".join(lines)


def payouts_markdown(result: RunResult) -> str:
    """Payouts and discounts by type, and payouts by level, means over replications."""
    reps = result.daily["replication"].nunique()
    money = [
        c
        for c in result.daily.columns
        if c.startswith(("payout_", "discount_"))
        or c
        in (
            "entry_fees",
            "gift_packs",
            "stock_purchases",
            "retail_sales",
            "downline_stock_sales",
            "downline_stock_markups",
        )
    ]
    totals = result.daily[money].sum() / reps
    lines = ["| type | kind | yuan (mean per run) |", "|---|---|---:|"]
    lines += [
        f"| {name.partition('_')[2] if name.startswith(('payout_', 'discount_')) else name} "
        f"| {name.partition('_')[0] if name.startswith(('payout_', 'discount_')) else 'flow'} "
        f"| {value:,.0f} |"
        for name, value in totals.items()
        if value
    ]
    if result.payouts_by_level is not None:
        by_level = result.payouts_by_level.groupby("level")["payouts"].sum() / reps
        by_level = by_level[by_level > 0]
        if len(by_level):
            lines += ["", "| level (1 = the seller) | payouts, yuan |", "|---:|---:|"]
            lines += [f"| {level} | {value:,.0f} |" for level, value in by_level.items()]
    return "\n".join(lines)


COHORT_NOTE = (
    "Customer-weighted means over the cohorts old enough, with 95% CIs over replications; "
    "LTV is the cumulative order margin per customer (price paid - cost of goods - "
    "direct commission); CAC counts first-order discounts, referral bonuses and, for the "
    "ad channel, ad spend. Per month and channel: `cohorts.csv`."
)


def cohort_markdown(cohorts, note: bool = True) -> str:
    """Acquisition cohorts by channel: CAC, LTV and payback (sim/mechanisms/cohorts.py),
    from the cohort rows of a run (or of one variant of a comparison)."""
    table = cohort_summary(cohorts)
    if table.empty:
        return "No customers."

    def cell(row, m: str, digits: str = ",.1f") -> str:
        low, high = row[f"{m}_ci95"]
        if row[m] is None or np.isnan(row[m]):
            return "-"
        ci = "" if low is None or np.isnan(low) else f" ({low:{digits}} .. {high:{digits}})"
        return f"{row[m]:{digits}}{ci}"

    lines = [
        *([COHORT_NOTE, ""] if note else []),
        "| channel | customers | CAC (yuan) | LTV 3 m | LTV 6 m | LTV 12 m | payback month |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, row in table.iterrows():
        lines.append(
            f"| {row['channel']} | {cell(row, 'customers', ',.0f')} | {cell(row, 'cac')} | "
            f"{cell(row, 'ltv_3m')} | {cell(row, 'ltv_6m')} | {cell(row, 'ltv_12m')} | "
            f"{cell(row, 'payback_month')} |"
        )
    return "\n".join(lines)


def compliance_markdown(flags: list[dict]) -> str:
    if not flags:
        return (
            "No compliance flags: no entry fee or required stock, no pay on downline "
            "sales, at most the level cap, and most sharers earn more than they pay."
        )
    lines = ["| flag | finding | rule |", "|---|---|---|"]
    lines += [f"| **{f['flag']}** | {f['reason']} | {f['rule']} |" for f in flags]
    return "\n".join(lines)


def write_report(result: RunResult, folder: Path) -> Path:
    spec, m = result.scenario, result.manifest
    figures = write_figures(result, folder)
    cats = ", ".join(
        f"{c.name} ({c.price_yuan:g} yuan, every {c.repurchase_interval_days:g} d)"
        for c in spec.categories
    )
    parts = [
        f"# {spec.run.name}",
        "",
        spec.run.description or "",
        "",
        f"{spec.population.consumers:,} consumers in "
        f"{sum(g.count for g in spec.population.neighborhoods)} neighborhoods, "
        f"{spec.run.days} days, {spec.run.replications} replication(s), seed {spec.run.seed}.",
        f"Categories: {cats}.",
        f"Payout scheme: {spec.payout.describe()}",
        "",
        "## Key figures",
        "",
        "Means over replications, with 95% confidence intervals (Student t).",
        "",
        kpi_markdown(result),
        "",
        "## Money by type",
        "",
        payouts_markdown(result),
        "",
        "## Compliance flags",
        "",
        compliance_markdown(result.compliance()),
        "",
        "## Warnings",
        "",
        "\n".join(f"- {w}" for w in result.warnings())
        or "None: every payout rule that is on paid something, and every checked output is "
        "within its plausible range (docs/plausibility.md).",
        "",
        "## Acquisition cohorts",
        "",
        cohort_markdown(result.cohorts),
        "",
        "## Figures",
        "",
        "Lines are means over replications; shaded bands the 5-95% range.",
        "",
    ]
    for title, path in figures.items():
        parts += [f"### {title}", "", f"![{title}]({path})", ""]
    parts += [
        "## Files",
        "",
        "- `daily.csv`: one row per replication and day (money in yuan).",
        "- `kpis.json`: the KPIs above with the value of every replication.",
        "- `scenario.resolved.toml`: the scenario with every default filled in; rerun it "
        "with `sim run scenario.resolved.toml`.",
        "- `manifest.json`: versions, seed and timing.",
        "",
        f"Run with sim {m.get('version', '?')} (commit {m.get('git_commit') or 'n/a'}) in "
        f"{m.get('wall_seconds', 0):.1f} s.",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def terminal_summary(result: RunResult) -> str:
    """The KPI table for a terminal (formatted values, CIs and units; undefined KPIs left
    out), then the compliance flags and the warnings."""
    from sim.catalog import kpi

    rows = [("KPI", "mean", "95% CI", "unit")]
    for name, s in result.kpis.items():
        if s["mean"] is None:
            continue
        ci = (
            "-"
            if s["ci95_low"] is None
            else f"{fmt(s['ci95_low'], name)} .. {fmt(s['ci95_high'], name)}"
        )
        unit = "" if kpi(name).percent else kpi(name).unit
        rows.append((name, fmt(s["mean"], name), ci, unit))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip()
        for r in rows
    ]
    flags = result.compliance()
    lines += ["", f"compliance flags: {len(flags) or 'none'}"]
    lines += [f"  {f['flag']}: {f['reason']} ({f['rule']})" for f in flags]
    lines += [f"warning: {w}" for w in result.warnings()]
    return "\n".join(lines)
