"""Forms generated from the scenario schema: which keys the dashboard lets a strategist
edit, with their units, ranges and one-line docs, and validation with the CLI's messages.

No web code here: the Solara page (`sim.dashboard.app`) renders these `Field`s, and the
tests check them without a browser.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel

from sim.errors import Problem, ScenarioError, _unwrap, describe_allowed
from sim.payout.scheme import RULES
from sim.scenario import Scenario, apply_overrides, validate_scenario

# The behaviour keys a strategist most often questions, in the order shown.
KEY_BEHAVIOR = (
    "word_of_mouth_per_day",
    "share_conversion_per_share",
    "share_rate_per_day",
    "share_effort_elasticity",
    "sharer_recruitment_per_day",
    "sharer_join_elasticity",
    "price_sensitivity_per_100_yuan",
    "repurchase_probability",
    "churn_base_hazard_per_day",
)
RUN_KEYS = (
    "run.days",
    "run.replications",
    "population.consumers",
    "platform.ad_spend_yuan_per_day",
)


@dataclass(frozen=True)
class Field:
    """One editable number: its dotted key, value, type, range, unit and help text."""

    key: str
    label: str
    value: float | int
    integer: bool
    minimum: float | None
    maximum: float | None
    unit: str
    help: str
    allowed: str
    group: str


def _bounds(info) -> tuple[float | None, float | None]:
    low = high = None
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation)[1:]:
        metadata.extend(getattr(arg, "metadata", []))
    for m in metadata:
        if isinstance(m, annotated_types.Ge | annotated_types.Gt):
            low = float(getattr(m, "ge", getattr(m, "gt", None)))
        elif isinstance(m, annotated_types.Le | annotated_types.Lt):
            high = float(getattr(m, "le", getattr(m, "lt", None)))
    return low, high


def _number_field(key: str, model: type[BaseModel], name: str, value: Any, group: str):
    info = model.model_fields[name]
    kind = _unwrap(info.annotation)
    if kind not in (int, float) or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    low, high = _bounds(info)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return Field(
        key=key,
        label=name.replace("_", " "),
        value=value,
        integer=kind is int,
        minimum=low,
        maximum=high,
        unit=str(extra.get("unit", "")),
        help=info.description or "",
        allowed=describe_allowed(info),
        group=group,
    )


def _section(scenario: Scenario, dotted: str):
    node: Any = scenario
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def editable_fields(scenario: Scenario) -> list[Field]:
    """The run size, the payout rules that are on, and the key behaviour parameters."""
    fields: list[Field] = []
    for key in RUN_KEYS:
        section, name = key.rsplit(".", 1)
        owner = _section(scenario, section)
        found = _number_field(key, type(owner), name, getattr(owner, name), "size and ads")
        if found:
            fields.append(found)
    for rule_name in RULES:
        rule = scenario.payout.rule(rule_name)
        if rule is None:
            continue
        for name in type(rule).model_fields:
            key = f"payout.{rule_name}.{name}"
            found = _number_field(
                key, type(rule), name, getattr(rule, name), f"payout: {rule_name}"
            )
            if found:
                fields.append(found)
    behavior = scenario.behavior
    for name in KEY_BEHAVIOR:
        if name in type(behavior).model_fields:
            found = _number_field(
                f"behavior.{name}", type(behavior), name, getattr(behavior, name), "behaviour"
            )
            if found:
                fields.append(found)
    return fields


def rule_switches(scenario: Scenario) -> dict[str, bool]:
    """Every payout rule and whether it is on."""
    return {name: scenario.payout.rule(name) is not None for name in RULES}


def parse_number(text: str, field: Field) -> tuple[float | int | None, str | None]:
    """A typed value, or the message the CLI would give for it."""
    raw = text.strip()
    try:
        value: float | int = int(raw) if field.integer else float(raw)
    except ValueError:
        kind = "an integer" if field.integer else "a number"
        return None, f"{field.key}: {raw!r} is not {kind}; allowed: {field.allowed}"
    return value, None


def apply_edits(
    data: dict[str, Any], edits: dict[str, Any], switches: dict[str, bool] | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Validate a scenario mapping with the form's edits (dotted keys) and rule switches
    exactly as the CLI does; return the scenario, or the problems (key, message, allowed)."""
    merged = dict(data)
    payout = dict(merged.get("payout") or {})
    for rule, on in (switches or {}).items():
        table = payout.get(rule)
        table = dict(table) if isinstance(table, dict) else {}
        if on:
            table["enabled"] = True
        elif rule in payout or rule in ("direct_commission", "self_purchase_discount"):
            table = {"enabled": False}
        else:
            continue
        payout[rule] = table
    if payout:
        merged["payout"] = payout
    try:
        merged = apply_overrides(merged, edits)
        return validate_scenario(merged, source="dashboard"), []
    except ScenarioError as exc:
        return None, list(exc.problems)


def problem_text(problem: Problem) -> str:
    """One problem as the CLI prints it, on one line."""
    text = f"{problem.key}: {problem.message}"
    if problem.allowed:
        text += f" (allowed: {problem.allowed})"
    return text
