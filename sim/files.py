"""The kinds of TOML file a user writes, told apart by their top-level tables: a scenario,
an experiment (`[experiment]`, for `sim sweep`), an uncertainty file (`[uncertainty]` or
only `[[parameters]]`, for `sim compare --uncertainty`), an optimization file
(`[optimize]`, for `sim optimize`) and a calibration file (`[calibration]`, for
`sim calibrate`). `sim validate` checks each by its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario import read_toml

KINDS = ("scenario", "experiment", "uncertainty", "optimize", "calibration")


def kind_of(data: dict[str, Any]) -> str:
    for kind in ("experiment", "optimize", "calibration", "uncertainty"):
        if kind in data:
            return kind
    return "uncertainty" if set(data) == {"parameters"} else "scenario"


def file_kind(path: str | Path) -> str:
    return kind_of(read_toml(path))


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files under a folder (recursively), without the other kinds."""
    return [p for p in sorted(Path(folder).rglob("*.toml")) if file_kind(p) == "scenario"]


def validate_file(path: str | Path, overrides: dict[str, Any] | None = None) -> str:
    """Check a file of any kind without running anything; a line saying what it holds.
    Raises ScenarioError with every problem found."""
    from sim.preflight import preflight
    from sim.scenario import load_scenario

    kind = file_kind(path)
    if kind == "uncertainty":
        from sim.uncertainty import load_uncertainty, sample_worlds

        unc = load_uncertainty(path)
        u = unc.uncertainty
        sample_worlds(unc, u.seed or 0, path)  # the posterior file too, if any
        return (
            f"{path}: ok (uncertainty: {u.samples} worlds x {u.replications} replications over "
            + ", ".join([p.key for p in unc.parameters] + ([u.posterior] if u.posterior else []))
            + ")"
        )
    if kind == "calibration":
        from sim.calibration.fit import load_calibration

        cal = load_calibration(path, overrides)
        c = cal.file.calibration
        return (
            f"{path}: ok (calibrate {', '.join(cal.keys)} to {c.orders}: "
            f"{cal.observed.customers:,} customers, calibration to {c.calibration_end})"
        )
    if kind == "optimize":
        from sim.optimizer import load_optimization

        opt, spec = load_optimization(path, overrides)
        o = opt.optimize
        return (
            f"{path}: ok (optimize {', '.join(o.objectives)} over "
            f"{', '.join(p.key for p in opt.parameters)}: {o.trials} trials on {spec.run.name})"
        )
    if kind == "experiment":
        from sim.experiment import load_experiment

        exp, scenario_path = load_experiment(path)
        load_scenario(scenario_path, exp.experiment.overrides)
        return f"{path}: ok (experiment {exp.experiment.name}: {exp.experiment.design} design)"
    spec = load_scenario(path, overrides)
    preflight(spec, source=str(path), write=False)
    return (
        f"{path}: ok ({spec.run.name}: {spec.population.consumers:,} consumers, "
        f"{spec.run.days} days, {spec.run.replications} replications)"
    )
