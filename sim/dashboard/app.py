"""The strategist's dashboard: a Solara page (`sim dashboard` serves it on 127.0.0.1).

Pick a shipped scenario or upload one, edit the payout scheme and key behaviour parameters
in forms generated from the schema (invalid values get the CLI's messages, inline), run a
run or a comparison in a worker process with a progress bar (and cancel it), see the
curves with bands, the KPI table, the verdict and the compliance flags, download the result
folder, watch one replication unfold on a sample of the network, and open earlier results.

Every browser tab is its own session: its state lives in its components, its jobs in its
own worker processes. Uploaded files are parsed as TOML and validated like CLI input;
nothing in them is executed.
"""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path
from typing import Any

import solara

from sim.dashboard import forms
from sim.dashboard.jobs import CANCELLED, DONE, FAILED, RUNNING, Job
from sim.dashboard.results import curves_figure, earlier_results, load_result, zip_folder
from sim.errors import ScenarioError
from sim.scenario import read_toml, validate_scenario

SCENARIOS_ENV = "SIM_DASHBOARD_SCENARIOS"
RESULTS_ENV = "SIM_DASHBOARD_RESULTS"
MAX_UPLOAD_BYTES = 1_000_000


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios offered in the picker: those given to `sim dashboard`, else scenarios/."""
    given = [Path(p) for p in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if p]
    paths = given or sorted(Path("scenarios").rglob("*.toml"))
    return {str(p): p for p in paths}


def results_root() -> Path:
    return Path(os.environ.get(RESULTS_ENV, "results/runs"))


def parse_upload(name: str, content: bytes) -> tuple[dict[str, Any] | None, str]:
    """An uploaded scenario as data (validated), or the CLI's message. Never executed."""
    if len(content) > MAX_UPLOAD_BYTES:
        return None, f"{name}: {len(content):,} bytes; allowed: a scenario file under 1 MB"
    try:
        data = tomllib.loads(content.decode("utf-8"))
        validate_scenario(data, source=name)
    except UnicodeDecodeError:
        return None, f"{name}: not UTF-8 text; allowed: a UTF-8 TOML file"
    except tomllib.TOMLDecodeError as exc:
        return None, f"{name}: TOML syntax error: {exc}; allowed: valid TOML"
    except ScenarioError as exc:
        return None, str(exc)
    return data, ""


@solara.component
def FieldInput(field: forms.Field, text: str, error: str, on_text):
    """One schema field: its value, range and doc as help, its problem inline."""
    css = "field-" + field.key.replace(".", "-")
    with solara.Column(gap="0px", classes=[css]):
        solara.InputText(
            f"{field.label} ({field.unit})" if field.unit else field.label,
            value=text,
            on_value=on_text,
            continuous_update=False,
        )
        solara.Text(f"{field.help} Allowed: {field.allowed}.", style={"font-size": "11px"})
        if error:
            solara.Error(error, classes=["field-error"])


@solara.component
def ResultPanel(folder: Path):
    view = load_result(folder)
    solara.Markdown(f"### {view.title}")
    if view.verdict:
        solara.Success(view.verdict, classes=["verdict"])
    if view.ranking:
        solara.Info(view.ranking, classes=["ranking"])
    if len(view.flags):
        solara.Markdown("**Compliance flags**")
        with solara.Column(classes=["flags"]):
            for row in view.flags.itertuples():
                solara.Warning(f"{row.variant}: {row.flag}: {row.reason} ({row.rule})")
    else:
        solara.Info("No compliance flags.", classes=["flags"])
    if len(view.daily):
        solara.FigureMatplotlib(curves_figure(view.daily, view.economics), format="png")
    solara.DataFrame(view.kpis, items_per_page=50)
    solara.FileDownload(
        lambda: zip_folder(view.folder),
        filename=f"{view.folder.name}.zip",
        label="Download the result folder",
    )


@solara.component
def WatchPanel(data: dict[str, Any]):
    from sim.dashboard.watch import Watch

    watch = solara.use_memo(lambda: Watch(validate_scenario(data, source="dashboard")), [])
    tick, set_tick = solara.use_state(0)

    def advance(days: int):
        watch.step(days)
        set_tick(tick + 1)

    with solara.Row():
        solara.Button("Step 1 day", on_click=lambda: advance(1), classes=["step-1"])
        solara.Button("Step 30 days", on_click=lambda: advance(30), classes=["step-30"])
    status = watch.status()
    solara.Text(
        "day {day}: {customers} customers, {sharers} sharers, {lapsed} lapsed".format(**status),
        classes=["watch-status"],
    )
    solara.Text(
        "grey: not yet a customer; blue: customer; orange: sharer; purple: group leader; "
        "red: lapsed",
        style={"font-size": "11px"},
    )
    solara.FigureMatplotlib(watch.figure(), format="png", dependencies=[tick])


@solara.component
def Page():
    solara.Title("Social-commerce simulator")
    choices = shipped_scenarios()
    picked, set_picked = solara.use_state(next(iter(choices), ""))
    uploaded, set_uploaded = solara.use_state(None)  # (name, data)
    upload_error, set_upload_error = solara.use_state("")
    texts, set_texts = solara.use_state({})  # key -> text typed
    switches, set_switches = solara.use_state({})  # rule -> on
    job, set_job = solara.use_state(None)
    progress, set_progress = solara.use_state(0.0)
    status, set_status = solara.use_state("")
    state, set_state = solara.use_state("")  # the job's RUNNING / DONE / FAILED / CANCELLED
    shown, set_shown = solara.use_state(None)  # result folder on screen
    watching, set_watching = solara.use_state(False)

    source = uploaded[0] if uploaded else picked
    try:
        base = uploaded[1] if uploaded else read_toml(choices[picked]) if picked else {}
        load_error = ""
    except ScenarioError as exc:
        base, load_error = {}, str(exc)

    def choose(name: str):
        set_picked(name)
        set_uploaded(None)
        set_texts({})
        set_switches({})
        set_watching(False)

    def on_file(info):
        data, error = parse_upload(info["name"], info["file_obj"].read())
        set_upload_error(error)
        if data is not None:
            set_uploaded((info["name"], data))
            set_texts({})
            set_switches({})
            set_watching(False)

    # Validate the scenario with the edits, exactly as the CLI would.
    original = validate_scenario(base, source=source) if base and not load_error else None
    fields = forms.editable_fields(original) if original is not None else []
    edits, field_errors = {}, {}
    for f in fields:
        if f.key in texts:
            value, error = forms.parse_number(texts[f.key], f)
            if error:
                field_errors[f.key] = error
            else:
                edits[f.key] = value
    scenario, problems = (
        forms.apply_edits(base, edits, switches) if original is not None else (None, [])
    )
    for p in problems:
        key = p.key if p.key in {f.key for f in fields} else None
        if key and key not in field_errors:
            field_errors[key] = forms.problem_text(p)
    shown_fields = forms.editable_fields(scenario) if scenario is not None else fields
    valid = scenario is not None and not field_errors

    def edited_data() -> dict[str, Any]:
        return scenario.model_dump(mode="json", exclude_none=True)

    def start(kind: str):
        new = Job(kind, edited_data(), results_root()).start()
        set_progress(0.0)
        set_status(f"{kind} started")
        set_state(RUNNING)
        set_job(new)

    def watch_job(cancelled):
        while job is not None and not cancelled.is_set():
            now = job.poll()
            set_progress(job.fraction * 100)
            set_state(now)
            if now == RUNNING:
                set_status(f"running: day {job.done:,} of {job.total:,}")
            elif now == DONE:
                set_status(f"done: {job.folder}")
                set_shown(job.folder)
                return
            elif now == FAILED:
                set_status("failed: " + job.error)
                return
            else:  # cancelled: the last word, whatever this loop wrote before
                set_status("cancelled: nothing was saved")
                return
            time.sleep(0.3)

    solara.use_thread(watch_job, dependencies=[job])

    def cancel():
        if job is not None:
            job.cancel()
            if job.status == CANCELLED:  # it may have finished first
                set_state(CANCELLED)
                set_status("cancelled: nothing was saved")

    with solara.Column(style={"padding": "16px", "max-width": "1200px"}):
        solara.Markdown("# Social-commerce simulator")
        with solara.Card("Scenario"):
            solara.Select("Shipped scenario", values=list(choices), value=picked, on_value=choose)
            solara.FileDrop(
                label="Or drop a scenario file (TOML) here", on_file=on_file, lazy=False
            )
            if uploaded:
                solara.Info(f"Using the uploaded file {uploaded[0]}.")
            for error in (upload_error, load_error):
                if error:
                    solara.Error(error, classes=["upload-error"])
        if original is not None:
            with solara.Card("Payout rules"):
                rules = forms.rule_switches(scenario or original)
                with solara.Row(style={"flex-wrap": "wrap"}):
                    for rule, on in rules.items():
                        solara.Checkbox(
                            label=rule,
                            value=switches.get(rule, on),
                            on_value=lambda v, r=rule: set_switches({**switches, r: v}),
                        )
            groups: dict[str, list[forms.Field]] = {}
            for f in shown_fields:
                groups.setdefault(f.group, []).append(f)
            for group, members in groups.items():
                with solara.Card(group.capitalize()):
                    with solara.ColumnsResponsive(6):
                        for f in members:
                            FieldInput(
                                f,
                                texts.get(f.key, str(f.value)),
                                field_errors.get(f.key, ""),
                                lambda t, k=f.key: set_texts({**texts, k: t}),
                            )
            if problems and not field_errors:
                for p in problems:
                    solara.Error(forms.problem_text(p), classes=["field-error"])
            with solara.Card("Run or compare"):
                running = state == RUNNING
                with solara.Row():
                    solara.Button(
                        "Run",
                        on_click=lambda: start("run"),
                        disabled=not valid or running,
                        classes=["run-button"],
                    )
                    solara.Button(
                        "Compare variants",
                        on_click=lambda: start("compare"),
                        disabled=not valid or running or not (scenario and scenario.variants),
                        classes=["compare-button"],
                    )
                    solara.Button(
                        "Cancel", on_click=cancel, disabled=not running, classes=["cancel-button"]
                    )
                    solara.Button(
                        "Watch a replication",
                        on_click=lambda: set_watching(True),
                        disabled=not valid,
                        classes=["watch-button"],
                    )
                solara.ProgressLinear(progress if running else False)
                solara.Text(status, classes=["job-status"])
            if watching and valid:
                with solara.Card("One replication, day by day (a sample of 150 consumers)"):
                    WatchPanel(edited_data())
        with solara.Card("Results"):
            earlier = earlier_results(results_root())
            if earlier:
                solara.Select(
                    "Open earlier results",
                    values=[str(p) for p in earlier],
                    value=str(shown) if shown else None,
                    on_value=lambda v: set_shown(Path(v)),
                )
            if shown is not None and Path(shown).exists():
                ResultPanel(Path(shown))
            elif state == CANCELLED:
                solara.Info("Cancelled: nothing was saved.")
