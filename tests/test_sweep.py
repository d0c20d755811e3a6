"""The sweep runner: seeds independent of how runs are executed, failures, resume."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from sim.errors import ScenarioError, SimError
from sim.experiment import load_experiment
from sim.sweep_runner import read_runs, summarize_sweep, sweep
from tests.conftest import ROOT

BASE = {
    "run": {"days": 40, "seed": 3},
    "population": {"consumers": 800, "neighborhoods": [{"count": 4}]},
}
GRID = {
    "payout.direct_commission.rate": [0.05, 0.1],
    "behavior.word_of_mouth_per_day": [0.01, 0.05],
}
KPIS = ["point", "replication", "customers", "gmv", "contribution_margin"]


def run_sweep(tmp_path, name, **kw):
    kw.setdefault("grid", GRID)
    kw.setdefault("replications", 2)
    return sweep(BASE, out=tmp_path / name, progress=False, **kw)


def test_results_do_not_depend_on_the_executor_or_the_workers(tmp_path):
    sequential = run_sweep(tmp_path, "seq", executor="sequential")
    pool = run_sweep(tmp_path, "pool", executor="processes", workers=2)
    with ThreadPoolExecutor(max_workers=3) as threads:
        threaded = run_sweep(tmp_path, "threads", executor=threads)
    assert (sequential["status"] == "ok").all() and len(sequential) == 8
    pd.testing.assert_frame_equal(sequential[KPIS], pool[KPIS])
    pd.testing.assert_frame_equal(sequential[KPIS], threaded[KPIS])


def test_results_do_not_depend_on_how_many_points_the_sweep_has(tmp_path):
    small = run_sweep(
        tmp_path,
        "small",
        executor="sequential",
        grid={"payout.direct_commission.rate": [0.05, 0.1]},
    )
    large = run_sweep(
        tmp_path,
        "large",
        executor="sequential",
        grid={"payout.direct_commission.rate": [0.05, 0.1, 0.15]},
    )
    pd.testing.assert_frame_equal(small[KPIS], large[KPIS].iloc[: len(small)])
    # replications and points differ from each other
    assert small["gmv"].nunique() == len(small)


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path, monkeypatch):
    from sim import market as model

    original = model.SocialCommerceModel.step

    def step(self):
        if self.spec.payout.direct_commission.rate == 0.1 and self.replication == 1:
            raise RuntimeError("boom on purpose")
        original(self)

    monkeypatch.setattr(model.SocialCommerceModel, "step", step)
    table = run_sweep(tmp_path, "fail", executor="sequential")
    failed = table[table["status"] == "failed"]
    assert len(failed) == 2 and (failed["replication"] == 1).all()
    assert failed["error"].str.contains("boom on purpose").all()
    assert (table["status"] == "ok").sum() == 6
    summary = summarize_sweep(table, ["gmv"])
    assert summary.set_index("point")["runs"].to_dict() == {0: 2, 1: 2, 2: 1, 3: 1}


def test_an_existing_sweep_is_never_overwritten(tmp_path):
    run_sweep(tmp_path, "x", executor="sequential")
    with pytest.raises(SimError, match="resume"):
        run_sweep(tmp_path, "x", executor="sequential")
    with pytest.raises(SimError, match="another design"):
        run_sweep(
            tmp_path,
            "x",
            executor="sequential",
            resume=True,
            grid={"payout.direct_commission.rate": [0.15]},
        )


def test_resume_runs_only_what_is_missing(tmp_path):
    first = run_sweep(tmp_path, "r", executor="sequential", batch_size=3)
    parts = sorted((tmp_path / "r" / "parts").glob("runs-*.csv"))
    parts[-1].unlink()  # as if the sweep had died before its last batch
    missing = 8 - len(read_runs(tmp_path / "r"))
    before = {p.name: p.read_bytes() for p in parts[:-1]}
    resumed = run_sweep(tmp_path, "r", executor="sequential", batch_size=3, resume=True)
    pd.testing.assert_frame_equal(first[KPIS], resumed[KPIS])
    assert missing > 0
    for name, content in before.items():  # finished runs were neither lost nor recomputed
        assert (tmp_path / "r" / "parts" / name).read_bytes() == content
    assert not resumed.duplicated(["point", "replication"]).any()


RATES = [0.02, 0.04, 0.06, 0.08, 0.10, 0.12]


def write_experiment(tmp_path, replications: int):
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f"""
[experiment]
name = "killed"
scenario = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"
replications = {replications}
[experiment.overrides]
"run.days" = 60
"population.consumers" = 1000
"population.neighborhoods" = [{{ count = 4 }}]
[[parameters]]
key = "payout.direct_commission.rate"
values = {RATES}
""")
    return experiment


def start_sweep(experiment, out, *options):
    """Start `sim sweep` in its own process group; return it once 2 part files exist."""
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "sweep",
        str(experiment),
        "--out",
        str(out),
        "--batch-size",
        "2",
        *options,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "parts").glob("runs-*.csv"))) < 2:
        time.sleep(0.05)
    return proc, cmd


def part_digests(out):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (out / "parts").glob("runs-*.csv")
    }


def resume_and_check(cmd, out, total, digests):
    """Resume: every run exactly once, and no part file written before was touched."""
    resume = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert resume.returncode == 0, resume.stderr
    runs = read_runs(out)
    assert len(runs) == total and not runs.duplicated(["point", "replication"]).any()
    assert part_digests(out).items() >= digests.items()
    return runs


@pytest.mark.slow
def test_resume_after_killing_the_sweep_mid_run(tmp_path):
    experiment, out = write_experiment(tmp_path, 3), tmp_path / "out"
    proc, cmd = start_sweep(experiment, out, "--sequential")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = read_runs(out)
    assert 0 < len(done_before) < 18, "the kill should land mid-sweep"
    runs = resume_and_check(cmd, out, 18, part_digests(out))
    whole = sweep(
        load_experiment_scenario(experiment),
        grid={"payout.direct_commission.rate": RATES},
        replications=3,
        executor="sequential",
        out=tmp_path / "whole",
        progress=False,
    )
    runs = runs.sort_values(["point", "replication"]).reset_index(drop=True)
    pd.testing.assert_series_equal(runs["gmv"], whole["gmv"], check_names=False)


def load_experiment_scenario(path):
    from sim.scenario import load_scenario

    exp, scenario = load_experiment(path)
    return load_scenario(scenario, exp.experiment.overrides)


def test_experiment_file_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nscenario = "x.toml"\n[[parameters]]\nkey = "run.days"\n')
    with pytest.raises(ScenarioError) as info:
        load_experiment(bad)
    assert "needs `values`" in str(info.value)


def test_smoke_experiment_runs(tmp_path):
    from sim.experiment import run_experiment

    table, folder = run_experiment(
        ROOT / "experiments" / "smoke.toml", out=tmp_path / "s", sequential=True, progress=False
    )
    assert len(table) == 12 and (table["status"] == "ok").all()
    assert {"runs.csv", "summary.csv", "manifest.json", "design.csv"} <= {
        p.name for p in folder.iterdir()
    }


def test_sobol_design_gives_indices(tmp_path):
    from sim.experiment import run_experiment

    exp = tmp_path / "sobol.toml"
    exp.write_text(
        (ROOT / "experiments" / "sobol_commission.toml")
        .read_text()
        .replace(
            '"../scenarios/baseline.toml"', f'"{(ROOT / "scenarios" / "baseline.toml").as_posix()}"'
        )
        .replace("samples = 16", "samples = 4")
        .replace('"run.days" = 120', '"run.days" = 40')
    )
    _, folder = run_experiment(exp, out=tmp_path / "o", workers=2, progress=False)
    indices = pd.read_csv(folder / "sensitivity.csv")
    assert set(indices["method"]) == {"sobol"} and len(indices) == 9
    assert (folder / "sensitivity.png").exists()


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_results(tmp_path, dask_cluster):
    from distributed import Client

    sequential = run_sweep(tmp_path, "seq", executor="sequential")
    with Client(dask_cluster, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
        distributed = run_sweep(tmp_path, "dask", executor=client)
    pd.testing.assert_frame_equal(sequential[KPIS], distributed[KPIS])


@pytest.mark.slow
def test_sim_sweep_on_a_dask_scheduler(tmp_path, dask_cluster):
    from sim.cli import main

    out = tmp_path / "cli"
    assert (
        main(
            [
                "sweep",
                str(ROOT / "experiments" / "smoke.toml"),
                "--scheduler",
                dask_cluster,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 12 and (runs["status"] == "ok").all()


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_resume_finishes(tmp_path):
    import psutil

    experiment, out = write_experiment(tmp_path, 4), tmp_path / "out"
    proc, cmd = start_sweep(experiment, out, "--workers", "2")
    # the pool's workers are forked by the forkserver, a child of the sweep process
    servers = [
        p for p in psutil.Process(proc.pid).children() if "forkserver" in " ".join(p.cmdline())
    ]
    workers = [w for server in servers for w in server.children()]
    assert workers, "the pool should be running"
    workers[-1].kill()  # one worker dies mid-sweep
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2  # the pool breaks; finished runs are kept
    assert "--resume" in stderr and "Traceback" not in stderr
    assert len(read_runs(out)) >= 4
    resume_and_check(cmd, out, 24, part_digests(out))


def test_the_python_api_is_sim_dot_sweep(tmp_path):
    import sim

    table = sim.sweep(
        BASE,
        grid={"payout.direct_commission.rate": [0.05]},
        replications=2,
        executor="sequential",
        out=tmp_path / "api",
        progress=False,
        daily=True,
    )
    assert list(table["spawn_key"]) == ["0/0", "0/1"]
    assert "payout.direct_commission.rate" in table and "gmv" in table
    from sim.sweep_runner import read_daily

    daily = read_daily(tmp_path / "api")
    assert len(daily) == 2 * BASE["run"]["days"] and {"point", "replication"} <= set(daily)
    assert set(sim.summarize_sweep(table, ["gmv"])["runs"]) == {2}


def test_two_sweeps_without_a_folder_never_share_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grid = {"payout.direct_commission.rate": [0.05]}
    a = sweep(BASE, grid=grid, executor="sequential", progress=False)
    b = sweep(BASE, grid=grid, executor="sequential", progress=False)
    assert a.attrs["folder"] != b.attrs["folder"]
    from sim.sweep_runner import SweepLock

    with SweepLock(tmp_path / a.attrs["folder"]):  # released when the sweep ended
        pass


def test_a_folder_another_live_sweep_writes_to_is_refused(tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from sim.sweep_runner import SweepLock\n"
            f"with SweepLock({str(folder)!r}):\n"
            "    print('locked', flush=True); time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SimError, match=f"another sweep \\(process {holder.pid}\\)"):
            sweep(BASE, grid={"run.days": [5]}, out=folder, resume=True, progress=False)
    finally:
        holder.kill()
        holder.wait()
    # the lock of a process that is gone is released by the kernel: the sweep goes on
    table = sweep(
        BASE,
        grid={"run.days": [5]},
        out=folder,
        resume=True,
        progress=False,
        executor="sequential",
    )
    assert len(table) == 1


@pytest.mark.slow
def test_only_one_of_many_racing_sweeps_holds_the_lock(tmp_path):
    from sim.sweep_runner import SweepLock

    release = tmp_path / "release"
    code = (
        "import os, sys, time\n"
        "from sim.errors import SimError\n"
        "from sim.sweep_runner import SweepLock\n"
        "try:\n"
        f"    with SweepLock({str(tmp_path)!r}):\n"
        "        print('held', flush=True)\n"
        "        deadline = time.time() + 60\n"  # hold until every other one has tried
        f"        while not os.path.exists({str(release)!r}) and time.time() < deadline:\n"
        "            time.sleep(0.05)\n"
        "except SimError:\n"
        "    print('refused', flush=True)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    deadline = time.time() + 60
    while sum(p.poll() is not None for p in procs) < 5 and time.time() < deadline:
        time.sleep(0.05)
    release.touch()
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes.count("held") == 1 and outcomes.count("refused") == 5
    with SweepLock(tmp_path):  # free again once they are gone
        pass


def test_a_part_file_of_failed_runs_only_is_not_damaged(tmp_path):
    from sim.sweep_runner import PartWriter, verify_parts

    writer = PartWriter(tmp_path, batch_size=1)
    writer.add(
        {"point": 0, "replication": 0, "spawn_key": "0/0", "status": "failed", "error": "boom"}
    )
    assert verify_parts(tmp_path) == [] and len(read_runs(tmp_path)) == 1


def test_a_part_file_with_text_for_numbers_is_damaged_not_a_crash(tmp_path):
    from sim.sweep_runner import verify_parts

    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "runs-00001.csv").write_text(
        "point,replication,spawn_key,status\nabc,0,x,ok\n"
    )
    (tmp_path / "parts" / "daily-00002.csv").write_text("day\n0\n")  # its runs file is gone
    moved = verify_parts(tmp_path)
    assert len(moved) == 2 and not list((tmp_path / "parts").glob("*.csv"))


@pytest.mark.slow
def test_no_worker_outlives_a_killed_sweep(tmp_path):
    import psutil

    experiment, out = write_experiment(tmp_path, 4), tmp_path / "out"
    proc, _ = start_sweep(experiment, out, "--workers", "2")
    family = psutil.Process(proc.pid).children(recursive=True)
    assert family, "the pool should be running"
    proc.kill()  # the sweep itself, not its process group
    proc.wait()
    _, alive = psutil.wait_procs(family, timeout=15)
    assert alive == [], [p.cmdline() for p in alive]


def test_a_damaged_part_file_is_set_aside_and_its_runs_done_again(tmp_path):
    first = run_sweep(tmp_path, "s", batch_size=2, executor="sequential")
    parts = sorted((tmp_path / "s" / "parts").glob("runs-*.csv"))
    text = parts[1].read_text()
    parts[1].write_text(text[: len(text) // 2])  # a part cut short, as by a full disk
    with pytest.warns(UserWarning, match=f"damaged part file {parts[1].name}"):
        resumed = run_sweep(tmp_path, "s", batch_size=2, executor="sequential", resume=True)
    assert (tmp_path / "s" / "parts" / "damaged" / parts[1].name).exists()
    assert len(resumed) == len(first) and not resumed.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(
        resumed.sort_values(["point", "replication"])[KPIS].reset_index(drop=True),
        first.sort_values(["point", "replication"])[KPIS].reset_index(drop=True),
    )


def test_finished_runs_reach_the_disk_within_seconds_whatever_the_batch(tmp_path):
    from sim.sweep_runner import PartWriter

    writer = PartWriter(tmp_path, batch_size=1000, max_seconds=0.2)
    writer.add({"point": 0, "replication": 0, "spawn_key": "0/0", "status": "ok"})
    assert len(read_runs(tmp_path)) == 0 and 0 < writer.due_in() <= 0.2
    writer.flush_if_due(next_run_seconds=5.0)  # the next run would take it past the limit
    assert len(read_runs(tmp_path)) == 1 and writer.due_in() is None


def test_a_pool_sweep_writes_a_lone_finished_run_while_others_still_run(tmp_path):
    """The executor loop wakes up to write a finished run, without waiting for the next."""
    import threading

    from sim.sweep_runner import PartWriter, RunTask, execute

    release = threading.Event()

    class Pool(ThreadPoolExecutor):
        def submit(self, fn, scenario, task, *rest):
            if task.point == 1:
                return super().submit(lambda: (release.wait(10), fn(scenario, task, *rest))[1])
            return super().submit(fn, scenario, task, *rest)

    writer = PartWriter(tmp_path, batch_size=1000, max_seconds=0.1)
    tasks = [RunTask(0, 0, {"run.days": 5}), RunTask(1, 0, {"run.days": 5})]
    with Pool(2) as pool:
        t = threading.Thread(target=execute, args=(tasks, BASE, pool, writer, False, False, 2))
        t.start()
        deadline = time.time() + 20
        while len(read_runs(tmp_path)) < 1 and time.time() < deadline:
            time.sleep(0.05)
        written_while_running = len(read_runs(tmp_path))
        release.set()
        t.join()
    assert written_while_running == 1
    assert len(read_runs(tmp_path)) == 2


def test_a_bad_worker_count_is_a_clear_error(tmp_path):
    with pytest.raises(SimError, match="--workers -1"):
        run_sweep(tmp_path, "w", workers=-1)


@pytest.mark.slow
def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path):
    script = tmp_path / "my_sweep.py"
    script.write_text(
        "import sim\n"
        f"sim.sweep({BASE!r}, grid={{'run.days': [5, 6]}}, workers=2, progress=False,\n"
        f"          out={str(tmp_path / 'out')!r})\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode != 0
    assert 'if __name__ == "__main__":' in result.stderr
