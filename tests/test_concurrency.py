"""Concurrent runs never lose each other's results (processes started together)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SMALL = [
    "--days",
    "5",
    "--replications",
    "1",
    "--set",
    "population.consumers=300",
    "--set",
    "population.neighborhoods=[{count=3}]",
    "--no-progress",
    "--no-report",
]


def start(args, cwd, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.mark.parametrize("command", ["run", "compare"])
def test_two_runs_in_the_same_second_keep_both_results(tmp_path, command):
    scenario = str(
        ROOT / "scenarios" / ("baseline.toml" if command == "run" else "referral_bonus.toml")
    )
    procs = [start([command, scenario, *SMALL], tmp_path) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    folders = [f for f in (tmp_path / "results" / "runs").iterdir() if not f.name.startswith(".")]
    assert len(folders) == 3
    for folder in folders:
        assert (folder / "manifest.json").exists()
    hidden = [f for f in (tmp_path / "results" / "runs").iterdir() if f.name.startswith(".")]
    assert hidden == []  # no temporary folder left behind


def test_ctrl_c_exits_130_with_a_message_and_leaves_nothing(tmp_path):
    import signal
    import time

    # as from a terminal: Ctrl-C's default action, whatever this process inherited (a
    # child inherits an ignored SIGINT, and Python then never raises KeyboardInterrupt;
    # a test worker whose SIGINT was ignored made the run finish with 0 in CI)
    proc = start(
        ["run", str(ROOT / "scenarios" / "baseline.toml"), "--no-progress", "--out", "interrupted"],
        tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # into the computation: the run has set up its folder of finished replications (a
    # fixed wait is not enough on a loaded machine, where the imports alone can take it)
    started, deadline = tmp_path / "interrupted.incomplete" / "README.txt", time.time() + 300
    while not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "the run did not start within 5 minutes"
        time.sleep(0.1)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    # nothing half-written; the replications that finished are kept, one file set each
    (kept,) = list(tmp_path.iterdir())
    assert kept.name == "interrupted.incomplete"
    assert {p.name for p in kept.iterdir()} >= {"README.txt"}
    assert "finished replication(s) of 10 are in" in err


def test_a_run_that_dies_keeps_its_finished_replications(tmp_path, monkeypatch):
    import pandas as pd

    from sim import runner
    from sim.cli import main

    original = runner.run_replication

    def dying(spec, replication, *args, **kwargs):
        if replication == 2:
            raise MemoryError("out of memory in replication 2")
        return original(spec, replication, *args, **kwargs)

    monkeypatch.setattr(runner, "run_replication", dying)
    monkeypatch.chdir(tmp_path)
    args = [
        "run",
        str(ROOT / "scenarios" / "baseline.toml"),
        *SMALL[:2],
        "--replications",
        "5",
        *SMALL[4:],
    ]
    with pytest.raises(MemoryError):
        main(args)
    (kept,) = list((tmp_path / "results" / "runs").iterdir())  # the claimed folder is gone
    assert kept.name.endswith(".incomplete")
    kpis = pd.concat(pd.read_csv(p) for p in sorted(kept.glob("*-kpis.csv")))
    assert kpis["replication"].tolist() == [0, 1]
    assert len(list(kept.glob("*-daily.csv"))) == 2
