"""Generate the reference docs from the code: the scenario schema, the KPI and series
catalog, the mechanisms and the compliance flags."""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from sim.catalog import kpis, series
from sim.errors import _unwrap, describe_allowed
from sim.mechanisms.base import PHASES
from sim.scenario import Scenario

HEADER = """# Scenario reference

Generated from the schema in `sim/scenario.py` by `sim docs`; do not edit by hand.
Every key, its default, unit, allowed values and meaning. Unknown keys are errors.
"""


def _owners() -> dict[str, str]:
    """Which mechanism declares each `[behavior]` key."""
    from sim.mechanisms import REGISTRY

    return {f: cls.name for cls in REGISTRY if cls.params for f in cls.params.model_fields}


OWNERS = _owners()


def _default_text(info) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(table)"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} entries"
    return f"`{value!r}`".replace("|", "\\|") if value is not None else "none"


def section_rows(
    model: type[BaseModel], prefix: str, out: list[str], tables: list[tuple[str, type[BaseModel]]]
) -> None:
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _unwrap(info.annotation)
        origin = typing.get_origin(inner)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            tables.append((key, inner))
            continue
        if origin is list:
            arg = _unwrap(typing.get_args(inner)[0])
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                tables.append((f"{key}[]", arg))
                continue
        allowed = describe_allowed(info).replace("|", "\\|")
        desc = (info.description or "").replace("|", "\\|")
        owner = OWNERS.get(name) if model.__name__ == "BehaviorSection" else None
        desc += f" *({owner})*" if owner else ""
        out.append(f"| `{key}` | {_default_text(info)} | {allowed} | {desc} |")


def scenario_reference() -> str:
    return HEADER + "\n" + file_tables(Scenario)


def file_tables(root: type[BaseModel]) -> str:
    """One table per section of a TOML file's schema: key, default, allowed, meaning."""
    parts: list[str] = []
    tables: list[tuple[str, type[BaseModel]]] = []
    for name, info in root.model_fields.items():
        inner = _unwrap(info.annotation)
        if typing.get_origin(inner) is list:
            inner = _unwrap(typing.get_args(inner)[0])
            name = f"[{name}]"
        tables.append((name, inner))
    while tables:
        key, model = tables.pop(0)
        title = f"[[{key.strip('[]')}]]" if key.endswith("]") or key.startswith("[") else f"[{key}]"
        doc = (model.__doc__ or "").strip().split("\n\n")[0]
        rows = ["| key | default | allowed | meaning |", "|---|---|---|---|"]
        nested: list[tuple[str, type[BaseModel]]] = []
        section_rows(model, f"{key.strip('[]')}.", rows, nested)
        parts += [f"## `{title}`", "", doc, "", *rows, ""]
        tables = nested + tables
    return "\n".join(parts)


def decision_reference() -> str:
    """docs/decisions.md: uncertainty and optimization files, and how each is used."""
    from sim import optimizer, robust, uncertainty

    return "\n".join(
        [
            "# Decisions: robust comparisons and the payout optimizer",
            "",
            "Generated from `sim/uncertainty.py`, `sim/robust.py` and `sim/optimizer.py` by "
            "`sim docs`; do not edit by hand.",
            "",
            "# Uncertainty files (`sim compare FILE --uncertainty U`)",
            "",
            (uncertainty.__doc__ or "").strip(),
            "",
            (robust.__doc__ or "").strip(),
            "",
            file_tables(uncertainty.UncertaintyFile).replace("## `", "### `"),
            "# Optimization files (`sim optimize FILE`)",
            "",
            (optimizer.__doc__ or "").strip(),
            "",
            file_tables(optimizer.OptimizeFile).replace("## `", "### `"),
        ]
    )


def calibration_reference() -> str:
    """docs/calibration.md: the data a calibration takes, its statistics, the fit, the
    yardstick and the calibration file's keys."""
    from sim.calibration import abc, bgnbd, data, fit, summaries, synthetic

    return "\n".join(
        [
            "# Calibration: `sim calibrate FILE`",
            "",
            "Generated from `sim/calibration/` by `sim docs`; do not edit by hand. Measured "
            "accuracy (recovery, CDNOW holdout) is in docs/validation.md.",
            "",
            (fit.__doc__ or "").strip(),
            "",
            "## The data",
            "",
            (data.__doc__ or "").strip(),
            "",
            "## Summary statistics",
            "",
            (summaries.__doc__ or "").strip(),
            "",
            "## The fit",
            "",
            (abc.__doc__ or "").strip(),
            "",
            "## The yardstick",
            "",
            (bgnbd.__doc__ or "").strip(),
            "",
            "## Known answers",
            "",
            (synthetic.__doc__ or "").strip(),
            "",
            "# Calibration files",
            "",
            file_tables(fit.CalibrationFile).replace("## `", "### `"),
        ]
    )


def kpi_reference() -> str:
    better = {True: "higher", False: "lower", None: "-"}
    lines = [
        "# KPIs and daily series",
        "",
        "Generated from the catalog in `sim/catalog.py` by `sim docs`; do not edit by hand.",
        "Each KPI is computed per replication; reports show the mean over replications",
        "with a 95% Student-t confidence interval. *Better* says which direction is better",
        "for the platform (used by `sim compare`); *provider* is the mechanism that computes",
        "it, and a switched-off mechanism's KPI takes the value in *when off*.",
        "",
        "| KPI | definition | formula | unit | better | provider | when off |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{k.name}` | {k.definition} | {k.formula} | {k.unit} | "
        f"{better[k.higher_is_better]} | {k.provider} | {k.when_off:g} |"
        for k in kpis()
    ]
    lines += [
        "",
        "## Daily series",
        "",
        "Columns of `daily.csv`, one row per replication and day (money in yuan).",
        "",
        "| series | definition | unit | provider |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{s.name}` | {s.definition} | {s.unit} | {s.provider} |" for s in series()]
    return "\n".join(lines) + "\n"


def mechanism_reference() -> str:
    from sim.mechanisms import REGISTRY

    lines = [
        "# Mechanisms",
        "",
        "Generated from `sim/mechanisms/` by `sim docs`; do not edit by hand. A platform's",
        "day runs these phases in order: "
        + ", ".join(f"`{p}`" for p in PHASES)
        + ". Inside a phase, mechanisms run in the order below (the order of `REGISTRY`).",
        "",
        "| mechanism | module | hooks | streams | own state | series | KPIs |",
        "|---|---|---|---|---|---|---|",
    ]
    for cls in REGISTRY:
        cell = lambda items: ", ".join(f"`{x}`" for x in items) or "-"  # noqa: E731
        lines.append(
            f"| **{cls.name}** | `{cls.__module__}` | {cell(cls.hooks())} | "
            f"{cell(cls.streams)} | {cell(s.name for s in cls.states)} | "
            f"{cell(cls.series_names())} | {cell(cls.kpi_names())} |"
        )
    lines += ["", "## What each mechanism does", ""]
    for cls in REGISTRY:
        module = sys.modules[cls.__module__]
        lines += [f"### {cls.name}", "", (module.__doc__ or "").strip(), ""]
    return "\n".join(lines)


def compliance_reference() -> str:
    from sim.payout import compliance

    body = (compliance.__doc__ or "").strip()
    return (
        "# Compliance flags\n\nGenerated from `sim/payout/compliance.py` by `sim docs`; do "
        "not edit by hand. Every `sim run` and `sim compare` reports these flags with the "
        "reason and the number behind each; thresholds are in `[payout.compliance]` "
        "(docs/scenario-reference.md).\n\n" + body + "\n\nThese flags point at risks; "
        "they are not legal advice.\n"
    )


def incentives_reference() -> str:
    """docs/incentives.md: every payout rule's behavioural channel, from the declarations."""
    from sim.mechanisms import incentives
    from sim.payout.channel import all_channels

    lines = [
        "# Incentives: how each payout rule moves behaviour",
        "",
        "Generated from the `CHANNELS` each payout rule declares in `sim/payout/` (and the "
        "ad response in `sim/mechanisms/advertising.py`) by `sim docs`; do not edit by hand. "
        "The probes named in the last column (`tests/test_incentive_probes.py`, on paired "
        "common random numbers) show that a rule paying nothing leaves customers, orders "
        "and sharers identical, and that a larger reward moves its behaviour. Bargains and "
        "gifts are formats whose act does not depend on a reward: they have no probe.",
        "",
        "| Rule | Who responds | To what they can expect | Form | Parameters (units) "
        "| Mechanism | When it pays nothing | Probe |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for ch in all_channels():
        cells = (ch.rule, ch.who, ch.responds_to, ch.form, ch.parameters, ch.mechanism)
        cells = (*cells, ch.when_unpaid, ch.probe or "none")
        row = " | ".join(c.replace("|", "/") for c in cells)
        lines.append(f"| {row} |")
    lines += [
        "",
        "## Where the expectations come from",
        "",
        (incentives.__doc__ or "").strip(),
        "",
    ]
    return "\n".join(lines)


def plausibility_reference() -> str:
    from sim.plausibility import reference

    return reference()


def write_docs(folder: Path) -> list[Path]:
    from sim.provenance import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("scenario-reference.md", scenario_reference()),
        ("kpis.md", kpi_reference()),
        ("compliance.md", compliance_reference()),
        ("mechanisms.md", mechanism_reference()),
        ("incentives.md", incentives_reference()),
        ("decisions.md", decision_reference()),
        ("calibration.md", calibration_reference()),
        ("plausibility.md", plausibility_reference()),
    ):
        write_text_atomic(folder / name, text)
        written.append(folder / name)
    return written
