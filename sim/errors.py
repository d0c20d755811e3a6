"""Errors a user can fix: each names the file, the key path and what is allowed."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ValidationError


@dataclass
class Problem:
    """One thing wrong with an input: where, what, and what would be accepted."""

    key: str
    message: str
    allowed: str = ""
    hint: str | None = None
    candidates: list[str] = field(default_factory=list)
    about: str = ""

    def did_you_mean(self) -> str | None:
        if self.hint is None or not self.candidates:
            return None
        close = difflib.get_close_matches(self.hint, self.candidates, n=1, cutoff=0.5)
        return close[0] if close else None

    def render(self) -> str:
        where = self.key or "(file)"
        text = f"  {where}: {self.message}"
        if self.allowed:
            text += f"\n      allowed: {self.allowed}"
        if self.about:
            text += f"\n      meaning: {self.about}"
        suggestion = self.did_you_mean()
        if suggestion is not None:
            text += f"\n      did you mean {suggestion!r}?"
        return text


class SimError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback."""

    exit_code = 2


class ScenarioError(SimError):
    """Everything wrong with one scenario file, reported at once."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(p.render() for p in self.problems)])


class OutputExistsError(SimError):
    """Refusing to overwrite an earlier run's results."""


def format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated wrappers to the underlying type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _field_and_parent(model: type[BaseModel], loc: tuple[Any, ...]):
    """Walk a pydantic loc through the schema; return (field_info, parent_model)."""
    current: Any = model
    info = None
    parent: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            parent = current
            info = current.model_fields.get(part)
            if info is None:
                return None, parent
            current = _unwrap(info.annotation)
            origin = typing.get_origin(current)
            if origin in (list, dict):
                args = typing.get_args(current)
                current = _unwrap(args[-1]) if args else current
        else:
            return info, parent
    return info, parent


def describe_allowed(info: Any) -> str:
    """Human text for what a field accepts, from its type, range and unit."""
    if info is None:
        return ""
    parts: list[str] = []
    base = _unwrap(info.annotation)
    if typing.get_origin(base) is list:
        item = _unwrap(typing.get_args(base)[0]) if typing.get_args(base) else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "a list of tables, each with keys: " + ", ".join(item.model_fields)
        return "a list"
    if typing.get_origin(base) is dict:
        return "a table of name = value"
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "a table with keys: " + ", ".join(base.model_fields)
    if typing.get_origin(base) is Literal:
        parts.append("one of " + ", ".join(repr(a) for a in typing.get_args(base)))
    else:
        kind = {int: "an integer", float: "a number", str: "text", bool: "true or false"}.get(
            base, ""
        )
        bounds = []
        metadata = list(info.metadata)
        ann_args = typing.get_args(info.annotation)
        for arg in ann_args[1:] if typing.get_origin(info.annotation) is typing.Annotated else []:
            metadata.extend(getattr(arg, "metadata", []))
        for m in metadata:
            if isinstance(m, annotated_types.Ge):
                bounds.append(f">= {m.ge}")
            elif isinstance(m, annotated_types.Gt):
                bounds.append(f"> {m.gt}")
            elif isinstance(m, annotated_types.Le):
                bounds.append(f"<= {m.le}")
            elif isinstance(m, annotated_types.Lt):
                bounds.append(f"< {m.lt}")
        text = " ".join(x for x in [kind, " and ".join(bounds)] if x)
        if text:
            parts.append(text)
    unit = (
        (info.json_schema_extra or {}).get("unit")
        if isinstance(info.json_schema_extra, dict)
        else None
    )
    if unit:
        parts.append(f"({unit})")
    return " ".join(parts)


def problems_from_validation_error(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into Problems with key paths, allowed values and hints."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = format_loc(loc)
        if err["type"] == "extra_forbidden":
            _, parent = _field_and_parent(model, (*loc[:-1], "__none__"))
            names = list(parent.model_fields) if parent is not None else []
            problems.append(
                Problem(
                    key,
                    "unknown key",
                    "keys here: " + ", ".join(names),
                    hint=str(loc[-1]),
                    candidates=names,
                )
            )
            continue
        info, _ = _field_and_parent(model, loc)
        value = err.get("input")
        shown = (
            ""
            if isinstance(value, dict | list) or err["type"] == "missing"
            else f" (got {short_repr(value)})"
        )
        message = re.sub(r" or instance of \w+", "", err["msg"])  # no internal class names
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        about = info.description if info is not None and info.description else ""
        allowed = describe_allowed(info) or "see this key in docs/scenario-reference.md"
        problems.append(Problem(key, short_text(message) + shown, allowed, about=about))
    return problems


def short_repr(value: Any, limit: int = 80) -> str:
    """A value as the user wrote it, cut to a readable length (huge numbers by size)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return (
            f"a {len(str(abs(value))) if abs(value) < 10**4000 else 'more than 4000'}-digit number"
        )
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def short_text(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
