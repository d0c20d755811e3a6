"""Building blocks of the scenario schema: every parameter is declared with `param`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# The largest money amount a scenario may state: far above any real price, fee or bonus,
# and small enough that the integer-fen ledger (int64) cannot overflow at any size the
# memory check admits.
MAX_YUAN = 1e8


def param(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """Declare a scenario parameter: default, one-line description, unit and range.

    Amounts of money (a unit in yuan) are bounded by MAX_YUAN unless a tighter bound is
    given; every number must be finite (Section refuses inf and nan)."""
    if unit.startswith("yuan") and not {"le", "lt"} & set(constraints):
        constraints["le"] = MAX_YUAN
    extra = {"unit": unit} if unit else None
    return Field(default, description=description, json_schema_extra=extra, **constraints)


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
