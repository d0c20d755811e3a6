"""Parameter sweeps: many points of a design, replications each, on any executor.

A sweep is a list of runs, one per (design point, replication). Each run's random streams
are spawned from the experiment's root seed by its (point, replication) index, so results
depend neither on the executor, nor on the number of workers, nor on the order runs finish
in, nor on how many points the sweep has.

Runs are handed to any `concurrent.futures.Executor` (or a `dask.distributed.Client`), at
most a window of them at a time; their results are written as they finish, in part files
of a batch of runs each (atomically), so the parent holds no more than a batch and a
finished run is never lost. A run that raises is recorded as failed with its error, and
the sweep goes on. `resume=True` reads the part files and runs only what is missing.
"""

from __future__ import annotations

import itertools
import os
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, ProcessPoolExecutor
from concurrent.futures import wait as cf_wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.catalog import kpi_names
from sim.errors import Problem, ScenarioError, SimError
from sim.provenance import (
    claim_dir,
    follow_umask,
    fsync_path,
    manifest,
    process_alive,
    to_json,
    write_text_atomic,
)
from sim.runner import make_progress
from sim.scenario import Scenario, apply_overrides, coerce_scenario, validate_scenario
from sim.stats import summarize
from sim.threads import available_cores, set_threads, threads


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: a design point's overrides and a replication index."""

    point: int
    replication: int
    overrides: dict[str, Any]
    common_streams: bool = False  # every point on the plain replication's streams


def grid_points(grid: dict[str, Iterable[Any]]) -> pd.DataFrame:
    """Every combination of the grid's values, one row per point."""
    keys = list(grid)
    rows = list(itertools.product(*(list(grid[k]) for k in keys)))
    return pd.DataFrame(rows, columns=keys)


def run_task(
    scenario_data: dict[str, Any],
    task: RunTask,
    want_daily: bool,
    measure: Callable[[Any], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Worker side: run one task; never raises (a failure is a result too). `measure`, if
    given, maps the finished model to more columns of the run's row (e.g. a calibration's
    summary statistics)."""
    from sim.runner import run_replication

    started = time.perf_counter()
    out: dict[str, Any] = {
        "point": task.point,
        "replication": task.replication,
        "spawn_key": str(task.replication)
        if task.common_streams
        else f"{task.point}/{task.replication}",
    }
    try:
        spec = validate_scenario(apply_overrides(scenario_data, task.overrides))
        prefix = () if task.common_streams else (task.point,)
        model = run_replication(spec, task.replication, spawn_prefix=prefix)
        out.update(status="ok", error="", **model.kpis())
        if measure is not None:
            out.update(measure(model))
        if want_daily:
            daily = model.daily_frame()
            daily.insert(0, "replication", task.replication)
            daily.insert(0, "point", task.point)
            out["daily"] = daily
        model.release()
    except Exception as exc:  # recorded, and the sweep goes on
        out.update(
            status="failed", error="".join(traceback.format_exception_only(type(exc), exc)).strip()
        )
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


class SweepLock:
    """One sweep at a time in a folder: an exclusive `flock` on `.sweep.lock`, which the
    kernel releases when the holder ends, however it ends (a killed sweep leaves no stale
    lock). The file names the holder's process id for the message. Local file systems
    only: on a network file system two machines may not see each other's lock."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / ".sweep.lock"
        self.fd: int | None = None

    def __enter__(self) -> SweepLock:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            holder = self.holder()
            raise SimError(
                f"{self.path.parent}: another sweep"
                + (f" (process {holder})" if holder else "")
                + " is writing there; wait for it or choose another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def holder(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock; the file stays (no unlink race)
            self.fd = None


class PartWriter:
    """Writes finished runs to numbered part files, atomically, a batch at a time, and
    never keeps a finished run off the disk much longer than `max_seconds`: the executor
    loop wakes up for it (`due_in`, `flush_if_due`), and in a sequential sweep a batch is
    written when the next run would take it past the limit."""

    def __init__(self, folder: Path, batch_size: int, max_seconds: float = 10.0):
        self.parts = folder / "parts"
        self.parts.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.max_seconds = max_seconds  # a finished run waits at most this long on disk
        self.oldest: float | None = None
        self.rows: list[dict[str, Any]] = []
        self.daily: list[pd.DataFrame] = []
        self.next = 1 + max(
            (int(p.stem.split("-")[1]) for p in self.parts.glob("runs-*.csv")), default=0
        )

    def add(self, result: dict[str, Any]) -> None:
        daily = result.pop("daily", None)
        if daily is not None:
            self.daily.append(daily)
        self.rows.append(result)
        self.oldest = self.oldest or time.monotonic()
        if len(self.rows) >= self.batch_size:
            self.flush()

    def due_in(self) -> float | None:
        """Seconds until the oldest unwritten run must be on disk (None: nothing waits)."""
        if self.oldest is None:
            return None
        return max(0.0, self.max_seconds - (time.monotonic() - self.oldest))

    def flush_if_due(self, next_run_seconds: float = 0.0) -> None:
        """Write now if the oldest run would otherwise wait past the limit."""
        due = self.due_in()
        if due is not None and due <= next_run_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        stem = f"{self.next:05d}"
        if self.daily:
            write_part(self.parts / f"daily-{stem}.csv", pd.concat(self.daily, ignore_index=True))
        # the runs file goes last: a run counts as done only once everything is written
        write_part(self.parts / f"runs-{stem}.csv", pd.DataFrame(self.rows))
        self.rows, self.daily, self.oldest = [], [], None
        self.next += 1


def write_part(path: Path, frame: pd.DataFrame) -> None:
    """A part file, whole or not at all: written to a temporary name, fsynced, renamed."""
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False, float_format="%.15g")
    follow_umask(tmp)
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(path.parent)


RUN_COLUMNS = ("point", "replication", "spawn_key", "status")


def part_problem(path: Path) -> str | None:
    """What is wrong with a runs part file, or None if it reads as one."""
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        return f"unreadable ({type(exc).__name__})"
    missing = [c for c in RUN_COLUMNS if c not in frame]
    if missing or frame.empty:
        return f"no {', '.join(missing)} column" if missing else "no rows"
    keys = frame[["point", "replication"]].apply(pd.to_numeric, errors="coerce")
    if keys.isna().any().any() or not (keys % 1 == 0).all().all():
        return "a run without its point and replication"
    if not frame["status"].isin(["ok", "failed"]).all():
        return "a run with an unknown status"
    ok = frame[frame["status"] == "ok"]
    if len(ok):  # finished runs carry every KPI (failed ones carry their error instead)
        kpis = [k for k in kpi_names() if k in frame]
        if len(kpis) < len(kpi_names()) or ok[["customers", "gmv"]].isna().any().any():
            return "finished runs without their KPIs"
    return None


def verify_parts(folder: Path) -> list[str]:
    """Move damaged runs part files (and their daily files) aside, to parts/damaged/, so
    that their runs are done again; return what was moved and why."""
    moved = []
    parts = Path(folder) / "parts"
    damaged = parts / "damaged"

    def set_aside(p: Path) -> None:
        damaged.mkdir(exist_ok=True)
        target, k = damaged / p.name, 2
        while target.exists():  # never over an earlier damaged file
            target, k = damaged / f"{p.stem}.{k}{p.suffix}", k + 1
        os.replace(p, target)

    for path in sorted(parts.glob("runs-*.csv")):
        problem = part_problem(path)
        if problem is None:
            continue
        daily = path.with_name(path.name.replace("runs-", "daily-"))
        for p in (path, daily):
            if p.exists():
                set_aside(p)
        moved.append(f"{path.name}: {problem}")
    for daily in sorted(parts.glob("daily-*.csv")):  # its runs file never made it
        if not daily.with_name(daily.name.replace("daily-", "runs-")).exists():
            set_aside(daily)
            moved.append(f"{daily.name}: daily series without their runs file")
    return moved


def read_runs(folder: Path) -> pd.DataFrame:
    """Every finished run recorded under `folder` (empty if none)."""
    files = sorted((Path(folder) / "parts").glob("runs-*.csv"))
    if not files:
        return pd.DataFrame(columns=["point", "replication", "status"])
    runs = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    return runs.drop_duplicates(["point", "replication"], keep="first").reset_index(drop=True)


def read_daily(folder: Path) -> pd.DataFrame:
    """The daily series of a sweep run with daily=True."""
    files = sorted((Path(folder) / "parts").glob("daily-*.csv"))
    return (
        pd.concat([pd.read_csv(f) for f in files], ignore_index=True) if files else pd.DataFrame()
    )


def pool_context():
    """Worker processes start clean: forkserver where there is one (forking a parent that
    runs threads can deadlock), spawn elsewhere; the forkserver preloads the model."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.market"])
        return context
    return multiprocessing.get_context("spawn")


def start_worker(parent_pid: int, threads_each: int) -> None:
    """Worker initializer: die with the sweep (`die_with`), and split large passes among
    this worker's share of the cores (`sim.threads`: the workers run side by side)."""
    die_with(parent_pid)
    set_threads(threads_each)


def die_with(parent_pid: int) -> None:
    """Worker initializer: the worker ends when the sweep that started it ends, even if it
    is killed (no orphans). Linux delivers SIGKILL when the worker's parent (the
    forkserver, which exits with the sweep) dies; everywhere a watcher thread checks."""
    import signal
    import threading

    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while process_alive(parent_pid):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def script_without_main_guard() -> bool:
    """Whether this process runs a Python script (not the CLI, a notebook or a REPL) that
    calls sweep at import time, which worker processes would run again."""
    import __main__

    path = getattr(__main__, "__file__", None)
    if path is None or Path(path).name in ("sim", "__main__.py", "cli.py"):
        return False
    try:
        return "__name__" not in Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def make_executor(executor: Executor | str | None, workers: int | None):
    """(executor, whether we own it). None and "processes" give a process pool whose
    workers die with this process."""
    if executor is None or executor == "processes":
        if workers is not None and workers < 1:
            raise SimError(f"--workers {workers}: use a positive number of worker processes")
        workers = workers or available_cores()
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=pool_context(),
            initializer=start_worker,
            initargs=(os.getpid(), max(1, threads() // workers)),
        ), True
    if executor == "sequential":
        return None, False
    if isinstance(executor, str):
        raise SimError(
            f"unknown executor {executor!r}: use 'processes', 'sequential', a "
            f"concurrent.futures.Executor or a dask.distributed.Client"
        )
    return executor, False


def connect(scheduler: str | None):
    """A dask.distributed Client for a scheduler address, or None."""
    if scheduler is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        raise SimError("--scheduler needs Dask: pip install 'social-commerce-sim[dask]'") from None
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as exc:
        raise SimError(
            f"--scheduler {scheduler!r}: cannot reach a Dask scheduler there ({exc!s:.200}); "
            f"allowed: the address a running scheduler prints, e.g. tcp://127.0.0.1:8786"
        ) from None


@dataclass(frozen=True)
class Execution:
    """Where runs execute: a local process pool of `workers` (default: all cores), a Dask
    cluster at `scheduler`, or this process one run at a time (`sequential`); and whether a
    progress bar shows."""

    workers: int | None = None
    scheduler: str | None = None
    sequential: bool = False
    progress: bool | None = None

    @contextmanager
    def open(self):
        """An executor for one or several sweeps (a Dask client, a process pool whose
        workers die with this process, or "sequential"), closed at the end."""
        client = connect(self.scheduler)
        if client is not None:
            try:
                yield client
            finally:
                client.close()
            return
        if self.sequential:
            yield "sequential"
            return
        pool, _ = make_executor(None, self.workers)
        try:
            yield pool
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _wait_first(futures: set, executor, timeout: float | None = None) -> tuple[set, set]:
    if type(executor).__module__.startswith("distributed"):
        from distributed import wait as dask_wait
        from distributed.client import TimeoutError as DaskTimeout

        try:
            done = dask_wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED").done
        except (DaskTimeout, TimeoutError):
            return set(), futures
        return set(done), futures - set(done)
    return cf_wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)


def execute(
    tasks: list[RunTask],
    scenario_data: dict,
    executor,
    writer: PartWriter,
    want_daily: bool,
    progress: bool | None,
    window: int,
    measure: Callable | None = None,
) -> None:
    """Run tasks on the executor (None: in this process), streaming results to the writer."""
    bar = make_progress(len(tasks), progress, "sweep")
    if bar is not None:
        bar.unit = "run"
    try:
        if executor is None:
            for task in tasks:
                result = run_task(scenario_data, task, want_daily, measure)
                writer.add(result)
                writer.flush_if_due(next_run_seconds=result["seconds"])
                if bar is not None:
                    bar.update(1)
            return
        pending = iter(tasks)
        running: set = set()
        for task in itertools.islice(pending, window):
            running.add(executor.submit(run_task, scenario_data, task, want_daily, measure))
        while running:
            done, running = _wait_first(running, executor, writer.due_in())
            writer.flush_if_due()
            for future in done:
                writer.add(future.result())
                if bar is not None:
                    bar.update(1)
                task = next(pending, None)
                if task is not None:
                    running.add(executor.submit(run_task, scenario_data, task, want_daily, measure))
    finally:
        writer.flush()
        if bar is not None:
            bar.close()


def validate_points(spec: Scenario, points: pd.DataFrame) -> None:
    """Every design point must make a valid scenario (checked before any work)."""
    base = spec.model_dump(mode="python", exclude={"variants"})
    problems: list[Problem] = []
    for i, row in enumerate(points.to_dict("records")):
        try:
            validate_scenario(apply_overrides(base, clean(row)))
        except ScenarioError as exc:
            for p in exc.problems:
                p.key = f"point {i}: {p.key}"
                problems.append(p)
        if len(problems) >= 20:
            break
    if problems:
        raise ScenarioError("sweep design", problems)


def clean(row: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars to Python values (for TOML-like overrides and JSON)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}


def sweep(
    scenario: Scenario | dict | str | Path,
    *,
    grid: dict[str, Iterable] | None = None,
    samples: pd.DataFrame | None = None,
    replications: int = 1,
    executor: Executor | str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    daily: bool = False,
    progress: bool | None = None,
    resume: bool = False,
    batch_size: int = 20,
    overrides: dict[str, Any] | None = None,
    experiment: dict[str, Any] | None = None,
    common_random_numbers: bool = False,
    first_replication: int = 0,
    measure: Callable[[Any], dict[str, float]] | None = None,
) -> pd.DataFrame:
    """Run every (point, replication) of a design and return one tidy row per run.

    grid: {"key.path": [values]} for a full factorial design, or samples: a DataFrame with
    one column per key.path and one row per point. executor: None or "processes" (a local
    process pool with `workers`, default all cores), "sequential", any
    `concurrent.futures.Executor`, or a `dask.distributed.Client`. Results stream to `out`
    (default: a new folder under results/runs/); daily=True also keeps daily series (read
    them with `read_daily(out)`). resume=True runs only what `out` does not hold yet.

    By default each point has its own random streams (spawned by its index), as a
    sensitivity analysis wants. common_random_numbers=True runs replication r of every point
    on the streams of replication r of a plain run of the scenario, so points differ only by
    their overrides (paired comparisons: optimization, variants). first_replication shifts
    the replication indices (fresh streams for a second look at the same points).
    measure: a picklable function of a finished model returning more columns for its row.
    """
    if (grid is None) == (samples is None):
        raise SimError("give either grid= or samples=, not both or neither")
    points = grid_points(grid) if grid is not None else samples.reset_index(drop=True)
    spec = coerce_scenario(scenario, overrides)
    validate_points(spec, points)
    folder = Path(out) if out is not None else claim_dir(f"sweep-{spec.run.name}")
    if folder.exists() and any(folder.iterdir()) and not resume:
        raise SimError(
            f"{folder}: already holds a sweep; pass resume=True (--resume) to "
            f"finish it, or choose another folder"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(
            f"{folder}: cannot create it ({exc.strerror}); choose another --out"
        ) from None
    with SweepLock(folder):
        base = spec.model_dump(mode="python", exclude={"variants"})
        design_csv = points.to_csv(index_label="point")
        design_file = folder / "design.csv"
        if design_file.exists() and design_file.read_text() != design_csv:
            raise SimError(
                f"{folder}: the sweep there has another design; it cannot be resumed with this one"
            )
        write_text_atomic(design_file, design_csv)
        damaged = verify_parts(folder)
        for what in damaged:
            warnings.warn(
                f"{folder}: damaged part file {what}; moved to parts/damaged/, its runs are "
                f"done again",
                stacklevel=2,
            )
        done = read_runs(folder)
        finished = set(zip(done["point"].astype(int), done["replication"].astype(int), strict=True))
        tasks = [
            RunTask(p, r, clean(points.iloc[p].to_dict()), common_random_numbers)
            for p in range(len(points))
            for r in range(first_replication, first_replication + replications)
            if (p, r) not in finished
        ]
        record = manifest(spec, datetime.now(UTC)) | {
            "kind": "sweep",
            "points": len(points),
            "replications": replications,
            "experiment": experiment or {},
            "common_random_numbers": common_random_numbers,
            "resumed_with_done_runs": len(finished),
        }
        write_text_atomic(folder / "manifest.json", to_json(record))
        pool, owned = make_executor(executor, workers)
        window = 4 * (workers or available_cores())
        try:
            execute(
                tasks, base, pool, PartWriter(folder, batch_size), daily, progress, window, measure
            )
        except BrokenExecutor as exc:
            saved = len(read_runs(folder))
            hint = ""
            if saved == len(finished) and script_without_main_guard():
                hint = (
                    "; no run finished: worker processes import your script again, so call "
                    'sim.sweep under `if __name__ == "__main__":` (or use '
                    'executor="sequential")'
                )
            raise SimError(
                f"{folder}: a worker process died ({exc}); the {saved} finished runs "
                f"are saved; rerun with --resume (resume=True) to finish{hint}"
            ) from None
        finally:
            if owned:
                pool.shutdown(wait=False, cancel_futures=True)
        runs = read_runs(folder).sort_values(["point", "replication"]).reset_index(drop=True)
        record["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["status"] = runs["status"].value_counts().to_dict()
        record["failed_runs"] = runs.loc[runs["status"] != "ok", ["spawn_key", "error"]].to_dict(
            "records"
        )
        write_text_atomic(folder / "manifest.json", to_json(record))
        table = points.reset_index(names="point").merge(runs, on="point", how="right")
        table.attrs["folder"] = str(folder)
        return table


def summarize_sweep(table: pd.DataFrame, kpis: Iterable[str] | None = None) -> pd.DataFrame:
    """Per design point and KPI: mean, 95% CI and the number of successful runs."""
    params = [c for c in table.columns if "." in c]
    ok = table[table["status"] == "ok"]
    rows = []
    for point, group in ok.groupby("point"):
        first = group.iloc[0]
        for kpi in kpis if kpis is not None else kpi_names():
            if kpi not in group:
                continue
            s = summarize(group[kpi].to_numpy(dtype=float))
            rows.append(
                {
                    "point": point,
                    **{p: first[p] for p in params},
                    "kpi": kpi,
                    "mean": s["mean"],
                    "ci95_low": s["ci95_low"],
                    "ci95_high": s["ci95_high"],
                    "runs": len(group),
                }
            )
    return pd.DataFrame(rows)


def point_means(table: pd.DataFrame, kpi: str, points: int) -> np.ndarray:
    """Mean of a KPI per point over successful runs (NaN where none)."""
    ok = table[table["status"] == "ok"]
    means = ok.groupby("point")[kpi].mean()
    return means.reindex(range(points)).to_numpy(dtype=float)
