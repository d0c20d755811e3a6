"""Checks before any work: size, inputs and destinations are refused up front, exit 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.errors import ScenarioError, SimError
from sim.preflight import available_bytes, check_destination, estimate_bytes
from tests.conftest import ROOT, small_scenario

BASELINE = str(ROOT / "scenarios" / "baseline.toml")


def test_an_oversize_scenario_is_refused_before_any_work(tmp_path, capsys):
    started = time.perf_counter()
    code = main(
        ["run", BASELINE, "--out", str(tmp_path / "o"), "--set", "population.consumers=50000000"]
    )
    assert code == 2 and time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "population.consumers" in err and "GiB of memory" in err and "allowed:" in err
    assert not (tmp_path / "o").exists()


def test_the_python_api_refuses_it_too():
    with pytest.raises(ScenarioError, match="GiB of memory"):
        sim.run(small_scenario(population={"consumers": 50_000_000}))


def test_the_estimate_grows_with_what_the_run_holds():
    small = estimate_bytes(small_scenario())
    assert estimate_bytes(small_scenario(population={"consumers": 4000})) > small
    assert estimate_bytes(small_scenario(community_groups={"count": 500})) > small
    assert estimate_bytes(small_scenario(rivals=[{"name": "r"}])) > small
    assert small < available_bytes()


def test_an_unwritable_destination_is_refused_before_any_work(capsys):
    code = main(["run", BASELINE, "--out", "/proc/sim-results", "--days", "5"])
    assert code == 2 and "cannot write in /proc" in capsys.readouterr().err


def test_a_full_disk_is_refused_before_any_work(tmp_path, monkeypatch):
    import shutil

    class Usage:
        free = 1024

    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage())
    with pytest.raises(SimError, match="MiB free"):
        check_destination(tmp_path / "out", 10 * 2**20)


def test_a_missing_destination_is_created_under_a_writable_parent(tmp_path):
    check_destination(tmp_path / "a" / "b" / "c", 1)  # no error: the parent is writable
    assert not (tmp_path / "a").exists()  # and nothing is created before the run


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SimError):
        check_destination(tmp_path / "f" / "out")
    with pytest.raises(SimError, match="already exists"):
        check_destination(Path(tmp_path / "f"))


@pytest.mark.slow
def test_the_estimate_covers_a_measured_peak_without_refusing_twice_that(tmp_path):
    """Measured in a fresh process: the estimate is at least the peak, and not so far
    above it that runs which fit would be refused."""
    import subprocess
    import sys

    from sim.scenario import load_scenario

    overrides = {
        "population.consumers": 200_000,
        "population.neighborhoods": [{"count": 400}],
        "run.days": 20,
        "run.replications": 1,
    }
    code = (  # VmHWM: this process's own peak (ru_maxrss may carry the parent's over exec)
        "import re, sim\n"
        f"sim.run({BASELINE!r}, overrides={overrides!r}, progress=False)\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) * 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    peak = int(out.stdout.split()[-1])
    estimate = estimate_bytes(load_scenario(BASELINE, overrides))
    assert peak <= estimate <= 2.5 * peak, (peak, estimate)
