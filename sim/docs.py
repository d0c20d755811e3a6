"""Generate the scenario reference and the KPI definitions from the schema."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from sim.errors import _unwrap, describe_allowed
from sim.catalog import KPI_DEFINITIONS
from sim.scenario import Scenario

HEADER = """# Scenario reference

Generated from the schema in `sim/scenario.py` by `sim docs`; do not edit by hand.
Every key, its default, unit, allowed values and meaning. Unknown keys are errors.
"""


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
        out.append(f"| `{key}` | {_default_text(info)} | {allowed} | {desc} |")


def scenario_reference() -> str:
    parts = [HEADER]
    tables: list[tuple[str, type[BaseModel]]] = []
    for name, info in Scenario.model_fields.items():
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


def kpi_reference() -> str:
    lines = [
        "# KPIs",
        "",
        "Generated from `sim/metrics.py` by `sim docs`; do not edit by hand.",
        "Each KPI is computed per replication; reports show the mean over replications",
        "with a 95% Student-t confidence interval.",
        "",
        "| KPI | definition |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {v} |" for k, v in KPI_DEFINITIONS.items()]
    return "\n".join(lines) + "\n"


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


def write_docs(folder: Path) -> list[Path]:
    from sim.output import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("scenario-reference.md", scenario_reference()),
        ("kpis.md", kpi_reference()),
        ("compliance.md", compliance_reference()),
    ):
        write_text_atomic(folder / name, text)
        written.append(folder / name)
    return written
