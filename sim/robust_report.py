"""The robust comparison's files: tables, the verdict, the report and the scenario-discovery
figure (worlds on the two uncertain parameters that matter most, coloured by winner, with
the decision tree's region boundaries)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.catalog import fmt
from sim.provenance import to_json, write_file_atomic, write_text_atomic

if TYPE_CHECKING:
    from sim.robust import RobustResult


def csv_text(frame) -> str:
    return frame.to_csv(index=False, float_format="%.15g")


def write_robust_files(result: RobustResult, folder: Path) -> None:
    """runs.csv, per_world.csv, winners.csv, summary.csv, robustness.json, report.md and
    robustness.png, each written atomically."""
    folder = Path(folder)
    worlds = result.worlds
    write_text_atomic(folder / "runs.csv", csv_text(result.runs))
    write_text_atomic(
        folder / "per_world.csv", csv_text(worlds.merge(result.per_world, on="world"))
    )
    write_text_atomic(folder / "winners.csv", csv_text(worlds.merge(result.winners, on="world")))
    write_text_atomic(folder / "summary.csv", csv_text(result.summary))
    write_text_atomic(folder / "robustness.json", to_json(result.to_json_dict()))
    write_file_atomic(folder / "robustness.png", lambda p: discovery_figure(result, p))
    write_text_atomic(folder / "report.md", report_markdown(result))


def shown_keys(result: RobustResult) -> list[str]:
    """The (at most two) uncertain keys the discovery rules use most, then the rest."""
    used: dict[str, int] = {}
    for rule in result.rules:
        for c in rule["conditions"]:
            used[c["key"]] = used.get(c["key"], 0) + rule["worlds"]
    ranked = sorted(used, key=lambda k: -used[k]) + [k for k in result.keys if k not in used]
    return ranked[:2]


def discovery_figure(result: RobustResult, path: Path) -> None:
    keys = shown_keys(result)
    worlds = result.worlds.merge(result.winners, on="world")
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    colours = {v: plt.cm.tab10(i % 10) for i, v in enumerate(result.variants)}
    first = worlds["winner"].str.split("+").str[0]
    x = worlds[keys[0]].to_numpy(float)
    y = worlds[keys[1]].to_numpy(float) if len(keys) > 1 else np.zeros(len(worlds))
    for v in result.variants:
        for clear, marker in ((True, "o"), (False, "x")):
            sel = (first == v).to_numpy() & (worlds["clear"].to_numpy() == clear)
            if sel.any():
                ax.scatter(
                    x[sel],
                    y[sel],
                    color=colours[v],
                    marker=marker,
                    s=36,
                    label=f"{v} wins" + ("" if clear else " (not clearly)"),
                )
    for rule in result.rules:  # region boundaries on the shown keys
        for c in rule["conditions"]:
            if c["key"] not in keys:
                continue
            for edge in (c["above"], c["at_most"]):
                if edge is None:
                    continue
                if c["key"] == keys[0]:
                    ax.axvline(edge, color="0.4", ls="--", lw=0.8)
                else:
                    ax.axhline(edge, color="0.4", ls="--", lw=0.8)
    ax.set_xlabel(keys[0])
    ax.set_ylabel(keys[1] if len(keys) > 1 else "")
    ax.set_title("Winner in each sampled world (dashed: discovered boundaries)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    s = result.summary
    pos = np.arange(len(s))
    bars.barh(pos, 100 * s["win_share"], color=[colours[v] for v in s["variant"]])
    bars.set_yticks(pos, s["variant"])
    bars.invert_yaxis()
    bars.set_xlabel("share of worlds won (%)")
    for i, r in enumerate(s.itertuples()):
        bars.text(
            1,
            i,
            f"mean regret {fmt(r.mean_regret, result.objective)}, worst "
            f"{fmt(r.worst_regret, result.objective)}",
            va="center",
            fontsize=7,
        )
    bars.set_xlim(0, 100)
    bars.set_title(f"Win share and regret on {result.objective.replace('_', ' ')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def report_markdown(result: RobustResult) -> str:
    obj = result.objective
    lines = [
        f"# Robust comparison: {result.name}",
        "",
        result.sentence(),
        "",
        f"Objective: **{obj}**. Worlds: {len(result.winners)}, sampled over "
        + ", ".join(
            f"`{k}` ({result.worlds[k].min():.4g} .. {result.worlds[k].max():.4g})"
            for k in result.keys
        )
        + ". In each world every variant runs the same replications on common random numbers.",
        "",
        "![Winners by world and win shares](robustness.png)",
        "",
        "## Win shares and regret",
        "",
        "Regret in a world: how far the variant's mean falls short of that world's best. "
        "Compliant columns: the same among the variants that raise no flag in the world.",
        "",
        "| variant | mean | win share | clear wins | mean regret | worst regret | flagged worlds "
        "| compliant win share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result.summary.itertuples():
        lines.append(
            f"| {r.variant} | {fmt(r.mean, obj)} | {100 * r.win_share:.0f}% | "
            f"{100 * r.clear_win_share:.0f}% | {fmt(r.mean_regret, obj)} | "
            f"{fmt(r.worst_regret, obj)} | {r.flagged_worlds} | {100 * r.compliant_win_share:.0f}% |"
        )
    lines += [
        "",
        "## Where the ranking flips (scenario discovery)",
        "",
        "A decision tree (scikit-learn, depth 2, leaves of at least a tenth of the worlds) "
        "classifies each world's winner from the uncertain parameters; each leaf is a region.",
        "",
        "| region | winner | worlds | won there |",
        "|---|---|---|---|",
    ]
    for rule in result.rules:
        lines.append(
            f"| {rule['condition']} | {rule['winner']} | {rule['worlds']} | {rule['won']} |"
        )
    lines += ["", "## Worlds", "", "| world | " + " | ".join(result.keys) + " | winner | clear |"]
    lines.append("|---" * (len(result.keys) + 3) + "|")
    table = result.worlds.merge(result.winners, on="world")
    for r in table.to_dict("records"):
        lines.append(
            f"| {r['world']} | "
            + " | ".join(f"{r[k]:.4g}" for k in result.keys)
            + f" | {r['winner']} | {'yes' if r['clear'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"
