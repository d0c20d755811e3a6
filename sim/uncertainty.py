"""Uncertainty files: the plausible worlds a comparison's verdict must hold in.

An uncertainty file declares what is not known about the market (behavioural parameters,
not the scheme being decided): ranges sampled by Latin hypercube, and/or a file of
posterior samples from a calibration, one column per scenario key. `sim compare FILE
--uncertainty U` runs the comparison in each sampled world (see `sim.robust`).

    [uncertainty]
    samples = 32          # worlds
    replications = 4      # per world and variant, paired across variants
    seed = 7              # of the sampling (default: the scenario's run.seed)
    posterior = "posterior.csv"   # optional: calibration samples, one column per key

    [[parameters]]
    key = "behavior.word_of_mouth_per_day"
    low = 0.015
    high = 0.06
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError, model_validator

from sim.errors import Problem, ScenarioError, problems_from_validation_error
from sim.experiment import sampled_points
from sim.scenario import read_toml, resolve_path
from sim.schema_base import Section, param
from sim.streams import design_generator

# The scheme is what a comparison decides between; the rest fixes the experiment itself.
NOT_UNCERTAIN = ("payout", "run", "variants", "rivals", "compare", "check")


class UncertainParameter(Section):
    """An uncertain market key and the range its plausible values span."""

    key: str = param(..., "Scenario key path, e.g. behavior.word_of_mouth_per_day.")
    low: float = param(..., "Lower end of the plausible range.")
    high: float = param(..., "Upper end of the plausible range.")
    integer: bool = param(False, "Round sampled values to integers.")


class UncertaintySection(Section):
    """How many worlds, how many replications in each, and where posterior samples are."""

    name: str = param("uncertainty", "Name of the uncertainty set (shown in the report).")
    samples: int = param(
        32, "Worlds: Latin-hypercube points, or posterior samples drawn.", ge=2, le=10_000
    )
    replications: int = param(
        4,
        "Replications per world and variant (paired across variants; at least 2, to tell "
        "whether a world's winner is clear).",
        ge=2,
        le=1_000,
    )
    seed: int | None = param(None, "Seed of the sampling of worlds (default: run.seed).")
    posterior: str | None = param(
        None,
        "CSV or Parquet of posterior samples (e.g. from `sim calibrate`), one column per "
        "scenario key; `samples` rows are drawn from it without replacement.",
    )


class UncertaintyFile(Section):
    uncertainty: UncertaintySection = param(UncertaintySection(), "The uncertainty set.")
    parameters: list[UncertainParameter] = param(
        [], "Uncertain parameters: a key and a low..high range."
    )

    @model_validator(mode="after")
    def _usable(self) -> UncertaintyFile:
        if not self.parameters and self.uncertainty.posterior is None:
            raise ValueError(
                "declare [[parameters]] ranges, or posterior = a file of posterior samples"
            )
        keys = [p.key for p in self.parameters]
        for p in self.parameters:
            if not p.low < p.high:
                raise ValueError(f"parameter {p.key!r}: needs low < high")
            if p.key.split(".")[0] in NOT_UNCERTAIN:
                raise ValueError(
                    f"parameter {p.key!r}: {p.key.split('.')[0]}.* keys are not uncertain "
                    f"market facts (the scheme is what the comparison decides); use "
                    f"behavior.*, population.*, platform.*, network.* or other market keys"
                )
            if keys.count(p.key) > 1:
                raise ValueError(f"parameter {p.key!r} is declared twice")
        return self


def load_uncertainty(path: str | Path) -> UncertaintyFile:
    path = Path(path)
    data = read_toml(path)
    try:
        return UncertaintyFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            str(path), problems_from_validation_error(exc, UncertaintyFile)
        ) from None


def read_posterior(path: Path, samples: int, seed: int, source: str) -> pd.DataFrame:
    """`samples` rows of a posterior file (all rows if it has fewer), drawn without
    replacement by a generator seeded with `seed`, in file order."""
    if not path.exists():
        raise ScenarioError(
            source,
            [Problem("uncertainty.posterior", f"{path}: file not found", "a CSV or Parquet file")],
        )
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:
        raise ScenarioError(
            source,
            [
                Problem(
                    "uncertainty.posterior",
                    f"{path}: cannot be read ({type(exc).__name__}: {exc!s:.120})",
                    "a CSV or Parquet file, one column per scenario key, one row per sample",
                )
            ],
        ) from None
    frame = frame.drop(columns=[c for c in frame.columns if c in ("sample", "draw", "chain")])
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = [c for c in frame.columns if numeric[c].isna().any() or "." not in str(c)]
    if len(frame) < 2 or bad:
        raise ScenarioError(
            source,
            [
                Problem(
                    "uncertainty.posterior",
                    f"{path}: "
                    + (
                        f"{len(frame)} row(s)"
                        if len(frame) < 2
                        else f"column(s) {', '.join(map(str, bad))}"
                    ),
                    "at least 2 rows, one per sample; columns named by scenario keys "
                    "(e.g. behavior.word_of_mouth_per_day) holding numbers only",
                )
            ],
        )
    if len(numeric) > samples:
        draw = design_generator(seed, "posterior_samples")
        rows = np.sort(draw.choice(len(numeric), samples, replace=False))
        numeric = numeric.iloc[rows]
    return numeric.reset_index(drop=True)


def sample_worlds(unc: UncertaintyFile, seed: int, path: str | Path) -> pd.DataFrame:
    """The worlds: one row per world, one column per uncertain scenario key. Posterior
    rows (if any) side by side with a Latin hypercube over the declared ranges."""
    u = unc.uncertainty
    parts = []
    if u.posterior is not None:
        post = read_posterior(
            resolve_path(u.posterior, Path(path).parent), u.samples, seed, str(path)
        )
        parts.append(post)
    n = len(parts[0]) if parts else u.samples
    if unc.parameters:
        clash = [p.key for p in unc.parameters if parts and p.key in parts[0]]
        if clash:
            raise ScenarioError(
                str(path),
                [
                    Problem(
                        "parameters",
                        f"{', '.join(clash)} both sampled from a range and in the posterior",
                        "each key in one place",
                    )
                ],
            )
        parts.append(sampled_points(unc.parameters, "latin_hypercube", n, seed))
    return pd.concat(parts, axis=1)


def describe(unc: UncertaintyFile) -> dict[str, Any]:
    return unc.model_dump(mode="json")
