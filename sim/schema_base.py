"""Building blocks of the scenario schema: every parameter is declared with `param`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


def param(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """Declare a scenario parameter: default, one-line description, unit and range."""
    extra = {"unit": unit} if unit else None
    return Field(default, description=description, json_schema_extra=extra, **constraints)


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
