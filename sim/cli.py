"""The `sim` command line: run, validate, schema, docs."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from sim.errors import Problem, ScenarioError, SimError

app = typer.Typer(
    name="sim",
    help="Social-commerce simulator: compare payout schemes on a trust network "
    "before they go into production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: [[variants]] must show as written
)

STATE = {"debug": False}


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    STATE["debug"] = debug


def parse_sets(sets: list[str] | None) -> dict:
    from sim.scenario import parse_override

    return dict(parse_override(s) for s in sets or [])


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY.PATH=VALUE",
        help="Override a scenario value, e.g. --set payout.direct_commission.rate=0.08 "
        "(repeatable; values are read as TOML).",
    ),
]


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Output folder (must not hold earlier results). "
        "Default: a new folder under results/runs/.",
    ),
]
SeedOption = Annotated[int | None, typer.Option(help="Override run.seed.")]
DaysOption = Annotated[int | None, typer.Option(help="Override run.days.")]
ReportOption = Annotated[bool, typer.Option(help="Write report.md and figures.")]
ProgressOption = Annotated[
    bool | None, typer.Option(help="Show a progress bar (default: when attached to a terminal).")
]


WorkersOption = Annotated[
    int | None,
    typer.Option(
        help="Worker processes of the local pool (default: every core this process may use, within any CPU quota)."
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (needs the dask extra)."),
]
SequentialOption = Annotated[bool, typer.Option(help="Run in this process, one at a time.")]


def overrides_from(sets: list[str] | None, **run_keys) -> dict:
    """--set values plus the run.* shortcut options that were given."""
    overrides = parse_sets(sets)
    overrides.update({f"run.{k}": v for k, v in run_keys.items() if v is not None})
    return overrides


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    out: OutOption = None,
    seed: SeedOption = None,
    replications: Annotated[int | None, typer.Option(help="Override run.replications.")] = None,
    days: DaysOption = None,
    set_: SetOption = None,
    report: ReportOption = True,
    progress: ProgressOption = None,
) -> None:
    """Run a scenario and write daily series, KPIs with CIs, a manifest and a report."""
    from sim.output import ReplicationSink, save_run
    from sim.preflight import preflight
    from sim.provenance import claim_dir
    from sim.runner import run as run_scenario
    from sim.scenario import load_scenario

    overrides = overrides_from(set_, seed=seed, replications=replications, days=days)
    spec = load_scenario(scenario, overrides)  # validate before any work
    edges = preflight(spec, out, str(scenario))
    if spec.variants:
        typer.echo(
            f"note: {scenario} has {len(spec.variants)} [[variants]]; `sim run` runs the base "
            f"scenario only (compare them with `sim compare {scenario}`)",
            err=True,
        )
    claimed = out is None
    if claimed:
        out = claim_dir(spec.run.name)  # claimed now, filled atomically at the end
    sink = ReplicationSink(out, spec.run.name)
    try:
        result = run_scenario(spec, progress=progress, on_replication=sink, edge_list=edges)
    except BaseException:
        if claimed:
            out.rmdir()  # still empty: nothing was saved there
        typer.echo(
            f"the {sink.count} finished replication(s) of {spec.run.replications} are in "
            f"{sink.folder}",
            err=True,
        )
        raise
    if report:
        from sim.report import write_report
    folder = save_run(result, out, report=write_report if report else None)
    sink.close()
    from sim.report import terminal_summary

    typer.echo(terminal_summary(result))
    typer.echo(f"\nresults: {folder}")
    if report:
        typer.echo(f"report:  {folder / 'report.md'}")


@app.command()
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="One scenario with [[variants]], or several scenario files (first = baseline)."
        ),
    ],
    out: OutOption = None,
    replications: Annotated[
        str | None,
        typer.Option(help="Replications per variant: a number or 'auto' (default: the file's)."),
    ] = None,
    seed: SeedOption = None,
    days: DaysOption = None,
    set_: SetOption = None,
    report: ReportOption = True,
    progress: ProgressOption = None,
    uncertainty: Annotated[
        Path | None,
        typer.Option(
            help="Uncertainty file (TOML): run the comparison in every sampled world and "
            "report win shares, regret and where the ranking flips."
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    sequential: SequentialOption = False,
    resume: Annotated[
        bool,
        typer.Option(help="With --uncertainty: finish an interrupted robust comparison in --out."),
    ] = False,
) -> None:
    """Compare payout schemes (variants) on common random numbers, paired by replication."""
    from sim.compare import compare as run_compare
    from sim.compare import comparison_scenarios
    from sim.output import save_comparison
    from sim.preflight import check_destination, preflight

    overrides = overrides_from(set_, seed=seed, days=days)
    if uncertainty is not None:
        if replications is not None:
            raise SimError(
                "--replications: with --uncertainty the replications per world come from the "
                "uncertainty file ([uncertainty] replications)"
            )
        robust_compare(
            scenarios, uncertainty, overrides, out, workers, scheduler, sequential, resume, progress
        )
        return
    if resume:
        raise SimError("--resume finishes a robust comparison: use it with --uncertainty")
    reps: int | str | None = None
    if replications is not None:
        if replications != "auto" and not replications.isdigit():
            raise ScenarioError(
                "--replications",
                [Problem("--replications", f"{replications!r}", "a positive number or 'auto'")],
            )
        reps = replications if replications == "auto" else int(replications)
    _, _, variants, _ = comparison_scenarios(scenarios, overrides)  # validate before any work
    for name, variant in variants.items():
        preflight(variant, source=f"variant {name}", write=False)
    check_destination(out, 2**20 * len(variants))
    result = run_compare(scenarios, replications=reps, overrides=overrides, progress=progress)
    if report:
        from sim.compare_report import write_compare_report
    folder = save_comparison(result, out, report=write_compare_report if report else None)
    table = result.table()
    obj = table[table["kpi"] == result.objective].drop(columns="kpi")
    typer.echo(obj.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    typer.echo(f"\n{result.verdict()['sentence']}")
    typer.echo(f"\n{result.ranking_sentence()}")
    typer.echo("\ncompliance flags:")
    for variant, flags in result.compliance().items():
        names = ", ".join(f"{f['flag']} ({f['rule']})" for f in flags) or "none"
        typer.echo(f"  {variant}: {names}")
    warnings = {v: w for v, w in result.warnings().items() if w}
    if warnings:
        typer.echo("\nwarnings:")
        for variant, lines in warnings.items():
            for line in lines:
                typer.echo(f"  {variant}: {line}")
    typer.echo(f"\nresults: {folder}")


def robust_compare(
    scenarios, uncertainty, overrides, out, workers, scheduler, sequential, resume, progress
) -> None:
    from sim.compare import comparison_scenarios
    from sim.preflight import preflight
    from sim.robust import compare_robust, verdict_lines
    from sim.sweep_runner import Execution

    _, _, variants, _ = comparison_scenarios(scenarios, overrides)  # validate before any work
    for name, variant in variants.items():
        preflight(variant, source=f"variant {name}", write=False)
    execution = Execution(workers, scheduler, sequential, progress)
    result, folder = compare_robust(
        scenarios, uncertainty, overrides=overrides, execution=execution, out=out, resume=resume
    )
    typer.echo("\n".join(verdict_lines(result)))
    typer.echo(f"\n{result.sentence()}")
    typer.echo(f"\nresults: {folder}")
    typer.echo(f"report:  {folder / 'report.md'}")


@app.command()
def optimize(
    file: Annotated[
        Path, typer.Argument(help="Optimization file (TOML): [optimize], keys, constraints.")
    ],
    out: OutOption = None,
    set_: SetOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    sequential: SequentialOption = False,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted optimization in --out.")
    ] = False,
    progress: ProgressOption = None,
) -> None:
    """Search payout keys for the best scheme under constraints (no compliance flag, KPI
    bounds), then re-run the leading schemes and rank them."""
    from sim.optimizer import load_optimization
    from sim.optimizer import optimize as run_optimize
    from sim.preflight import preflight
    from sim.sweep_runner import Execution

    overrides = parse_sets(set_)
    _, spec = load_optimization(file, overrides)  # validate before any work
    preflight(spec, source=str(file), write=False)
    result, folder = run_optimize(
        file,
        overrides=overrides,
        execution=Execution(workers, scheduler, sequential, progress),
        out=out,
        resume=resume,
    )
    ranking = result.final.ranking()
    flags = result.final.compliance()
    feasible = set(result.feasible_finalists())
    obj = result.objectives[0]
    from sim.catalog import fmt

    for r in ranking["rows"]:
        name = r["variant"]
        typer.echo(
            f"{r['rank']:>2}. {name:<12} {fmt(r['mean'], obj):>14}  "
            f"{'feasible' if name in feasible else 'infeasible':<10}  "
            f"{', '.join(f['flag'] for f in flags[name]) or '-':<24} {result.describe(name)}"
        )
    typer.echo(f"\n{result.sentence()}")
    typer.echo(f"\nresults: {folder}")
    typer.echo(f"report:  {folder / 'report.md'}")


@app.command()
def calibrate(
    file: Annotated[
        Path, typer.Argument(help="Calibration file (TOML): [calibration] and the keys to fit.")
    ],
    out: OutOption = None,
    set_: SetOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    sequential: SequentialOption = False,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted calibration in --out.")
    ] = False,
    progress: ProgressOption = None,
) -> None:
    """Fit scenario keys to a platform's orders log (simulation-based inference), predict
    the holdout period, and write posterior samples, a calibrated scenario and a fit report."""
    from sim.calibration.fit import calibrate as run_calibration
    from sim.calibration.fit import load_calibration
    from sim.preflight import preflight
    from sim.sweep_runner import Execution

    overrides = parse_sets(set_)
    cal = load_calibration(file, overrides)  # validate the file, the log and the keys first
    preflight(cal.spec, source=str(file), write=False)

    def on_generation(g) -> None:
        if progress is not False:
            typer.echo(
                f"generation {g.index}: {g.simulated} simulations, "
                f"{g.acceptance:.0%} accepted, tolerance {g.epsilon:.3g}",
                err=True,
            )

    result, folder = run_calibration(
        file,
        overrides=overrides,
        execution=Execution(workers, scheduler, sequential, progress),
        out=out,
        resume=resume,
        on_generation=on_generation,
    )
    for r in result.estimates.itertuples():
        typer.echo(f"{r.key:<48} {r.median:>10.4g}  (90%: {r.q05:.4g} .. {r.q95:.4g})")
    typer.echo(f"\n{result.sentence()}")
    typer.echo(f"\nresults: {folder}")
    typer.echo(f"report:  {folder / 'report.md'}")


@app.command()
def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (TOML).")],
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    sequential: SequentialOption = False,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted sweep in --out: run only what is missing.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(help="Runs per part file written (smaller: less lost on a crash).", min=1)
    ] = 20,
    progress: ProgressOption = None,
) -> None:
    """Run a parameter sweep (grid, Latin hypercube, Sobol or Morris design)."""
    from sim.experiment import run_experiment

    table, folder = run_experiment(
        experiment,
        workers=workers,
        scheduler=scheduler,
        sequential=sequential,
        out=out,
        resume=resume,
        progress=progress,
        batch_size=batch_size,
    )
    counts = table["status"].value_counts().to_dict()
    typer.echo(f"{len(table)} runs: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    typer.echo(f"results: {folder}")


@app.command()
def baseline(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files (TOML).")],
    replications: Annotated[int | None, typer.Option(help="Override run.replications.")] = None,
    set_: SetOption = None,
    force: Annotated[bool, typer.Option(help="Replace an existing baseline.")] = False,
    variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="One baseline per [[variants]] entry (files without variants: one for the file).",
        ),
    ] = False,
    folder: Annotated[Path, typer.Option(help="Folder for the baseline files.")] = Path("results")
    / "baselines",
    progress: ProgressOption = None,
) -> None:
    """Record regression baselines in results/baselines/ (one file per scenario or variant)."""
    from sim.check import baseline_path, baseline_scenario, record_baseline
    from sim.preflight import check_destination, preflight
    from sim.scenario import load_scenario

    overrides = parse_sets(set_)
    if replications is not None:
        overrides["run.replications"] = replications
    jobs: list[tuple[Path, str | None]] = []
    for path in scenarios:  # validate them all, and where they go, before any work
        spec = load_scenario(path, overrides)
        names = [v.name for v in spec.variants] if variants else []
        if spec.variants and not variants:
            typer.echo(
                f"note: {path} has {len(spec.variants)} [[variants]]; this records the base "
                f"scenario only (add --variants for one baseline per variant)",
                err=True,
            )
        for name in names or [None]:
            job = baseline_scenario(path, overrides, name)
            preflight(job, source=str(path), write=False)
            target = baseline_path(job, name, folder)
            if target.exists() and not force:
                raise SimError(f"{target}: a baseline exists; use --force to replace it")
            jobs.append((path, name))
    check_destination(folder, 2**20, fresh=False)
    for path, name in jobs:
        out = record_baseline(
            path,
            overrides=overrides,
            variant=name,
            folder=folder,
            force=force,
            progress=progress,
        )
        typer.echo(f"recorded {out}")


@app.command()
def check(
    baselines: Annotated[
        list[Path] | None,
        typer.Argument(help="Baseline files (default: every file in results/baselines/)."),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            help="auto (exact where versions match, else statistical), exact or statistical."
        ),
    ] = "auto",
    seed: Annotated[
        int | None, typer.Option(help="Rerun with another seed (implies statistical mode).")
    ] = None,
    set_: SetOption = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    update: Annotated[
        bool, typer.Option(help="Re-record the baselines that drifted or whose scenario changed.")
    ] = False,
    progress: ProgressOption = None,
) -> None:
    """Rerun baselined scenarios and compare: exit 0 if all hold, 1 on drift, 2 on errors."""
    from sim.check import baseline_files, check_baseline, junit_xml, record_baseline
    from sim.provenance import write_text_atomic

    if mode not in ("auto", "exact", "statistical"):
        raise SimError(f"--mode {mode!r}: use auto, exact or statistical")
    overrides = parse_sets(set_)
    results = []
    for path in baseline_files(baselines):
        result = check_baseline(path, mode=mode, seed=seed, overrides=overrides, progress=progress)
        results.append(result)
        typer.echo(result.table() + "\n")
        if update and not result.holds:
            import json

            data = json.loads(path.read_text())
            record_baseline(
                data["scenario_file"],
                overrides=data["overrides"],
                variant=data.get("variant"),
                path=path,
                force=True,
                progress=progress,
            )
            typer.echo(f"updated {path}")
    if junit is not None:
        write_text_atomic(junit, junit_xml(results))
    failed = [r for r in results if not r.holds]
    typer.echo(f"{len(results) - len(failed)} of {len(results)} baselines hold")
    if failed and not update:
        raise typer.Exit(1)


@app.command()
def validate(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario, experiment, uncertainty, optimize or calibration files."),
    ],
    set_: SetOption = None,
) -> None:
    """Check scenario, experiment, uncertainty, optimization and calibration files (with
    their logs) without running them;
    report every problem at once."""
    from sim.files import validate_file

    overrides = parse_sets(set_)
    failed: list[ScenarioError] = []
    for path in scenarios:
        try:
            typer.echo(validate_file(path, overrides))
        except ScenarioError as exc:
            failed.append(exc)
    if failed:
        for exc in failed:
            typer.echo(exc.render(), err=True)
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from sim.scenario import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def docs(
    out: Annotated[Path, typer.Option(help="Folder for the generated reference pages.")] = Path(
        "docs"
    ),
) -> None:
    """Regenerate docs/scenario-reference.md and docs/kpis.md from the schema."""
    from sim.docs import write_docs

    for path in write_docs(out):
        typer.echo(f"wrote {path}")


INTERRUPTED = (
    "interrupted: nothing half-written was kept (a run keeps its finished replications in "
    "<out>.incomplete/; a sweep keeps its finished runs: rerun it with --resume)"
)


@app.command()
def dashboard(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenarios to offer (default: every file under scenarios/)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but 127.0.0.1 exposes it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 8765,
    results: Annotated[
        Path, typer.Option(help="Where runs started from the dashboard are saved.")
    ] = Path("results/runs"),
) -> None:
    """Start the strategist's dashboard in the browser (needs the `dashboard` extra)."""
    import importlib.util
    import os
    import subprocess

    if importlib.util.find_spec("solara") is None:
        raise SimError(
            "the dashboard needs the optional `dashboard` extra: "
            "pip install 'social-commerce-sim[dashboard]'"
        )
    from sim.scenario import load_scenario

    for path in scenarios or []:
        load_scenario(path)  # a bad file is reported here, before the server starts
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {host}: anyone who can reach it can run jobs", err=True)
    env = dict(os.environ)
    env["SIM_DASHBOARD_SCENARIOS"] = os.pathsep.join(str(p.resolve()) for p in scenarios or [])
    env["SIM_DASHBOARD_RESULTS"] = str(results.resolve())
    env.setdefault("MPLBACKEND", "Agg")
    command = [
        sys.executable, "-m", "solara", "run", "sim.dashboard.app:Page",
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip
    typer.echo(f"dashboard: http://{host}:{port}/ (Ctrl-C to stop)")
    raise typer.Exit(subprocess.call(command, env=env))


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors exit 2 with a message and no traceback (unless --debug)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="sim", standalone_mode=False)
    except SimError as exc:
        if debug:
            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except typer.Exit as exc:
        if exc.exit_code == 130:  # typer turns Ctrl-C into Exit(130)
            typer.echo(INTERRUPTED, err=True)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(INTERRUPTED, err=True)
        return 130
    except Exception as exc:
        # click's usage errors (typer may vendor click, so match by behaviour, not by class)
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    if code == 130:  # Ctrl-C: typer and click turn it into this exit status
        typer.echo(INTERRUPTED, err=True)
    return code if isinstance(code, int) else 0
