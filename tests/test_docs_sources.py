"""docs/parameter-sources.md gives every scenario default a source or an assumption."""

from __future__ import annotations

import re

from pydantic import BaseModel

from sim.scenario import Scenario
from tests.conftest import ROOT

# How a run is driven and judged, not a magnitude of the market.
NOT_MARKET = ("run.", "check.", "compare.")


def schema_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        nested = [
            t
            for t in getattr(annotation, "__args__", (annotation,))
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        if nested:
            keys += schema_keys(nested[0], f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_default_has_a_source_or_an_assumption():
    text = (ROOT / "docs" / "parameter-sources.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+)` \|[^|]*\| (.+) \|$", text, re.M))
    keys = [k for k in schema_keys(Scenario) if not k.startswith(NOT_MARKET)]
    assert len(keys) > 150
    missing = [k for k in keys if k not in rows]
    assert not missing, f"no row in docs/parameter-sources.md for {missing}"
    for key in keys:
        reason = rows[key]
        assert (
            "assumption" in reason.lower()
            or "not a magnitude" in reason.lower()
            or re.search(r"\d{4}|https?://|docs/|\"|[a-z0-9-]+\.(?:com|cn|org|net)\b", reason)
        ), f"{key}: neither a source nor an assumption: {reason[:80]}"
