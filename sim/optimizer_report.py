"""The optimization's files: every trial, the final comparison, the verdict, a report and a
figure (the search history for one objective, the Pareto front for two)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.catalog import fmt, lower_is_better
from sim.provenance import to_json, write_file_atomic, write_text_atomic

if TYPE_CHECKING:
    from sim.optimizer import OptimizeResult


def write_optimize_files(result: OptimizeResult, folder: Path) -> None:
    """trials.csv, final.csv, optimization.json, search.png and report.md, atomically."""
    folder = Path(folder)
    write_text_atomic(
        folder / "trials.csv", result.trials.to_csv(index=False, float_format="%.15g")
    )
    write_text_atomic(
        folder / "final.csv", result.final.table().to_csv(index=False, float_format="%.15g")
    )
    write_text_atomic(folder / "optimization.json", to_json(result.to_json_dict()))
    write_file_atomic(folder / "search.png", lambda p: search_figure(result, p))
    write_text_atomic(folder / "report.md", report_markdown(result))


def search_figure(result: OptimizeResult, path: Path) -> None:
    t = result.trials[result.trials["state"] == "complete"]
    ok, bad = t[t["feasible"]], t[~t["feasible"]]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    if len(result.objectives) == 1:
        obj = result.objectives[0]
        ax.scatter(ok["trial"], ok[obj], s=14, color="tab:blue", label="feasible trial")
        ax.scatter(
            bad["trial"], bad[obj], s=14, color="tab:red", marker="x", label="breaks a constraint"
        )
        if len(ok):
            run = ok.sort_values("trial")
            best = run[obj].cummin() if lower_is_better(obj) else run[obj].cummax()
            ax.step(run["trial"], best, where="post", color="k", lw=1, label="best feasible so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(f"{obj} (mean of {result.manifest.get('replications', 'the')} replications)")
        ax.set_title("Search history", fontsize=9)
    else:
        a, b = result.objectives
        ax.scatter(ok[a], ok[b], s=14, color="tab:blue", label="feasible trial")
        ax.scatter(bad[a], bad[b], s=14, color="tab:red", marker="x", label="breaks a constraint")
        front = result.pareto().sort_values(a)
        ax.plot(front[a], front[b], "o-", color="k", ms=4, lw=1, label="Pareto front (feasible)")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title("Trials on both objectives", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def report_markdown(result: OptimizeResult) -> str:
    obj = result.objectives[0]
    flags = result.final.compliance()
    rank = result.final.ranking()
    feasible = set(result.feasible_finalists())
    lines = [
        f"# Optimization: {result.name}",
        "",
        result.sentence(),
        "",
        f"Objective{'s' if len(result.objectives) > 1 else ''}: "
        + ", ".join(f"**{k}**" for k in result.objectives)
        + ". Searched: "
        + ", ".join(f"`{k}`" for k in result.keys)
        + ". Constraints: "
        + (
            ", ".join(
                [c.describe() for c in result.constraints]
                + (["no compliance flag"] if result.compliant else [])
            )
            or "none"
        )
        + ".",
        "",
        "![Search](search.png)",
        "",
        f"## Final comparison ({result.final.replications} replications each, common random numbers)",
        "",
        f"| rank | scheme | keys | {obj} | feasible | flags |",
        "|---|---|---|---|---|---|",
    ]
    for r in rank["rows"]:
        name = r["variant"]
        lines.append(
            f"| {r['rank']} | {name} | {result.describe(name)} | {fmt(r['mean'], obj)} | "
            f"{'yes' if name in feasible else 'no'} | {', '.join(f['flag'] for f in flags[name]) or '-'} |"
        )
    t = result.trials
    lines += [
        "",
        "## Trials",
        "",
        f"{len(t)} trials, {int(t['feasible'].sum())} feasible, "
        f"{int((t['state'] == 'failed').sum())} failed. Every trial is in `trials.csv`.",
    ]
    if len(result.objectives) == 2:
        front = result.pareto()
        lines += [
            "",
            f"## Pareto front ({len(front)} feasible trials)",
            "",
            "| trial | " + " | ".join(result.keys) + " | " + " | ".join(result.objectives) + " |",
        ]
        lines.append("|---" * (1 + len(result.keys) + 2) + "|")
        for r in front.sort_values(result.objectives[0]).to_dict("records"):
            lines.append(
                f"| {r['trial']} | "
                + " | ".join(str(r[k]) for k in result.keys)
                + " | "
                + " | ".join(fmt(r[k], k) for k in result.objectives)
                + " |"
            )
    return "\n".join(lines) + "\n"
