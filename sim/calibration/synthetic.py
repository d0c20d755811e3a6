"""Synthetic logs: the orders log a scenario with known keys would have produced, for
checking that a calibration recovers what it should (a known-answer case, as SALib ships
known-answer models). The log comes from one replication of the scenario, on streams no
calibration run uses (replication numbers from `SYNTHETIC_REPLICATIONS` up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.summaries import orders_from_entries
from sim.scenario import Scenario, apply_overrides, load_scenario, validate_scenario

SYNTHETIC_REPLICATIONS = 1_000_000  # far above any replication a fit or a comparison runs


def synthetic_log(
    scenario: Scenario | str | Path,
    start: str | pd.Timestamp,
    overrides: dict[str, Any] | None = None,
    log_number: int = 0,
) -> pd.DataFrame:
    """The orders log (customer_id, date, amount_yuan) of one run of the scenario with
    `overrides` (the true values), day 0 on `start`; `log_number` picks independent logs."""
    from sim.runner import run_replication

    spec = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    data = apply_overrides(
        spec.model_dump(mode="python", exclude={"variants"}),
        {**(overrides or {}), "run.ledger": "entries"},
    )
    model = run_replication(validate_scenario(data), SYNTHETIC_REPLICATIONS + log_number)
    orders = orders_from_entries(model.ledger.entries(), start)
    model.release()
    return orders


def write_log(orders: pd.DataFrame, path: str | Path) -> Path:
    """Write a log as a platform would hand it over (CSV, ISO dates)."""
    path = Path(path)
    out = orders.assign(date=orders["date"].dt.strftime("%Y-%m-%d"))
    out.to_csv(path, index=False, float_format="%.2f")
    return path
