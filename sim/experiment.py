"""Experiment files (`experiments/*.toml`): a base scenario plus a design, run by `sim sweep`.

Designs: a full `grid` of listed values, or `latin_hypercube`, `sobol` and `morris` samples
over declared ranges (drawn with SALib). Sobol and Morris designs are followed by global
sensitivity analysis (SALib): Sobol first-order and total indices, or Morris mu* and sigma,
per KPI, with a table and a plot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError, model_validator

from sim.errors import Problem, ScenarioError, SimError, problems_from_validation_error
from sim.scenario import apply_overrides, load_scenario, read_toml, resolve_path
from sim.schema_base import Section, param
from sim.sweep_runner import Execution, point_means, summarize_sweep, sweep

Design = Literal["grid", "latin_hypercube", "sobol", "morris"]


class Parameter(Section):
    """A swept scenario key: listed values (grid) or a range (sampled designs)."""

    key: str = param(..., "Scenario key path, e.g. payout.direct_commission.rate.")
    values: list[Any] | None = param(None, "Values for a grid design.")
    low: float | None = param(None, "Lower bound for sampled designs.")
    high: float | None = param(None, "Upper bound for sampled designs.")
    integer: bool = param(False, "Round sampled values to integers.")


class ExperimentSection(Section):
    """What to sweep and how."""

    name: str = param("experiment", "Experiment name (output folder name).", min_length=1)
    scenario: str = param(..., "Base scenario file, relative to the experiment file.")
    design: Design = param("grid", "grid, latin_hypercube, sobol or morris.")
    samples: int = param(
        8,
        "Sampled designs: points (latin_hypercube), base sample N (sobol: N x (2k+2) "
        "points) or trajectories (morris: N x (k+1) points).",
        ge=1,
        le=100_000,
    )
    replications: int = param(2, "Replications per design point.", ge=1, le=10_000)
    seed: int | None = param(None, "Seed of the design's sampling (default: run.seed).")
    daily: bool = param(False, "Keep every run's daily series.")
    overrides: dict[str, Any] = param({}, "Fixed overrides of the base scenario.")
    kpis: list[str] = param(
        ["contribution_margin", "gmv", "customers"], "KPIs for the sensitivity analysis."
    )


class ExperimentFile(Section):
    experiment: ExperimentSection = param(..., "The experiment.")
    parameters: list[Parameter] = param(..., "The swept parameters.", min_length=1)

    @model_validator(mode="after")
    def _design_fits(self) -> ExperimentFile:
        for p in self.parameters:
            if self.experiment.design == "grid" and not p.values:
                raise ValueError(f"parameter {p.key!r}: a grid design needs `values`")
            if self.experiment.design != "grid" and (
                p.low is None or p.high is None or not p.low < p.high
            ):
                raise ValueError(f"parameter {p.key!r}: a sampled design needs low < high")
        return self


def load_experiment(path: str | Path) -> tuple[ExperimentFile, Path]:
    path = Path(path)
    data = read_toml(path)
    try:
        exp = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            str(path), problems_from_validation_error(exc, ExperimentFile)
        ) from None
    scenario_path = resolve_path(exp.experiment.scenario, path.parent)
    return exp, scenario_path


def salib_problem(parameters: list[Parameter]) -> dict[str, Any]:
    return {
        "num_vars": len(parameters),
        "names": [p.key for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }


def sampled_points(parameters: list[Parameter], design: Design, samples: int, seed: int):
    """Points of a sampled design over the parameters' ranges (SALib), one row per point,
    one column per key; integer parameters rounded."""
    from SALib.sample import latin, morris, sobol

    problem = salib_problem(parameters)
    if design == "latin_hypercube":
        x = latin.sample(problem, samples, seed=seed)
    elif design == "sobol":
        x = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        x = morris.sample(problem, samples, seed=seed)
    points = pd.DataFrame(x, columns=problem["names"])
    for p in parameters:
        if p.integer:
            points[p.key] = points[p.key].round().astype(int)
    return points


def design_points(exp: ExperimentFile, seed: int) -> pd.DataFrame:
    """The design's points: one row per point, one column per parameter key."""
    e = exp.experiment
    if e.design == "grid":
        from sim.sweep_runner import grid_points

        return grid_points({p.key: p.values for p in exp.parameters})
    return sampled_points(exp.parameters, e.design, e.samples, seed)


def sensitivity(
    exp: ExperimentFile, points: pd.DataFrame, table: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices per KPI and parameter, with CIs."""
    from SALib.analyze import morris, sobol

    problem = salib_problem(exp.parameters)
    rows = []
    for kpi in exp.experiment.kpis:
        y = point_means(table, kpi, len(points))
        if not np.isfinite(y).all():
            raise SimError(f"sensitivity of {kpi}: some design points have no successful run")
        if exp.experiment.design == "sobol":
            s = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "kpi": kpi,
                        "parameter": name,
                        "method": "sobol",
                        "S1": s["S1"][i],
                        "S1_conf": s["S1_conf"][i],
                        "ST": s["ST"][i],
                        "ST_conf": s["ST_conf"][i],
                    }
                )
        else:
            s = morris.analyze(problem, points.to_numpy(dtype=float), y, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "kpi": kpi,
                        "parameter": name,
                        "method": "morris",
                        "mu_star": s["mu_star"][i],
                        "mu_star_conf": s["mu_star_conf"][i],
                        "sigma": s["sigma"][i],
                    }
                )
    return pd.DataFrame(rows)


def plot_sensitivity(indices: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kpis = list(dict.fromkeys(indices["kpi"]))
    fig, axes = plt.subplots(1, len(kpis), figsize=(4.5 * len(kpis), 3.6), dpi=110, squeeze=False)
    for ax, kpi in zip(axes[0], kpis, strict=True):
        part = indices[indices["kpi"] == kpi]
        y = np.arange(len(part))
        if part["method"].iloc[0] == "sobol":
            ax.barh(y - 0.2, part["S1"], 0.4, xerr=part["S1_conf"], label="first order")
            ax.barh(y + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], label="total")
            ax.set_xlabel("Sobol index")
        else:
            ax.barh(y, part["mu_star"], 0.6, xerr=part["mu_star_conf"], label="mu*")
            ax.set_xlabel("Morris mu*")
        ax.set_yticks(y, part["parameter"])
        ax.set_title(kpi)
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run_experiment(
    path: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    sequential: bool = False,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    batch_size: int = 20,
) -> tuple[pd.DataFrame, Path]:
    """Run an experiment file; write runs, summary and (Sobol/Morris) sensitivity."""
    exp, scenario_path = load_experiment(path)
    e = exp.experiment
    spec = load_scenario(scenario_path, e.overrides)
    for p in exp.parameters:  # every key must be a scenario key: check with a sample value
        probe = p.values[0] if p.values else (p.low + p.high) / 2
        try:
            from sim.scenario import validate_scenario

            validate_scenario(
                apply_overrides(
                    spec.model_dump(mode="python", exclude={"variants"}), {p.key: probe}
                )
            )
        except ScenarioError as exc:
            raise ScenarioError(
                str(path),
                [Problem(f"parameters: {p.key}", q.message, q.allowed) for q in exc.problems],
            ) from None
    seed = e.seed if e.seed is not None else spec.run.seed
    points = design_points(exp, seed)
    from sim.provenance import claim_dir

    folder = Path(out) if out is not None else claim_dir(f"sweep-{e.name}")
    execution = Execution(workers, scheduler, sequential, progress)
    with execution.open() as executor:
        table = sweep(
            spec,
            samples=points,
            replications=e.replications,
            executor=executor,
            workers=workers,
            out=folder,
            daily=e.daily,
            progress=progress,
            resume=resume,
            batch_size=batch_size,
            experiment={
                "file": str(path),
                "file_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
                "design": e.design,
                "samples": e.samples,
                "design_seed": seed,
            },
        )
    table.to_csv(folder / "runs.csv", index=False, float_format="%.15g")
    summarize_sweep(table).to_csv(folder / "summary.csv", index=False, float_format="%.15g")
    if e.design in ("sobol", "morris"):
        indices = sensitivity(exp, points, table, seed)
        indices.to_csv(folder / "sensitivity.csv", index=False, float_format="%.6g")
        plot_sensitivity(indices, folder / "sensitivity.png")
    return table, folder
