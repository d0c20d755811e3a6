"""Provenance: the scenario hash, manifests, and writes that never lose a result."""

from __future__ import annotations

import os
import stat

import pytest

from sim.errors import OutputExistsError
from sim.provenance import (
    check_out_dir,
    claim_dir,
    manifest,
    scenario_hash,
    write_atomic_dir,
    write_text_atomic,
)
from tests.conftest import small_scenario


def test_the_hash_follows_the_resolved_scenario_not_its_spelling():
    a = small_scenario()
    b = small_scenario(behavior={"churn_base_hazard_per_day": 0.001})  # the default, spelled
    assert scenario_hash(a) == scenario_hash(b)
    assert scenario_hash(a) != scenario_hash(small_scenario(run={"days": 61}))


def test_every_manifest_carries_the_scenario_hash_and_versions():
    from datetime import UTC, datetime

    spec = small_scenario()
    record = manifest(spec, datetime.now(UTC), 1.23456)
    assert record["scenario_hash"] == scenario_hash(spec)
    assert record["wall_seconds"] == 1.235 and "numpy" in record["versions"]
    assert record["threads"] >= 1  # what the wall time was measured on


def test_a_failed_folder_write_leaves_nothing_behind(tmp_path):
    def fail(folder):
        (folder / "half.csv").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic_dir(tmp_path / "out", fail)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_result_is_never_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "kpis.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="already exists"):
        check_out_dir(tmp_path / "out")


def test_atomic_text_write_replaces_whole_files(tmp_path):
    path = tmp_path / "a" / "b.txt"
    write_text_atomic(path, "one")
    write_text_atomic(path, "two")
    assert path.read_text() == "two" and len(list(path.parent.iterdir())) == 1


def test_claimed_folders_are_unique_even_in_the_same_second(tmp_path):
    folders = {claim_dir("run", tmp_path) for _ in range(5)}
    assert len(folders) == 5 and all(f.is_dir() for f in folders)


def test_a_name_cannot_escape_the_results_folder(tmp_path):
    folder = claim_dir("../../../../escaped", tmp_path / "runs")
    assert folder.parent == tmp_path / "runs"


def test_when_the_destination_fills_meanwhile_the_results_go_beside_it(tmp_path):
    out = tmp_path / "out"

    def write(folder):
        (out / "theirs.txt").parent.mkdir(exist_ok=True)
        (out / "theirs.txt").write_text("another process got here first")
        (folder / "mine.txt").write_text("mine")

    final = write_atomic_dir(out, write)
    assert final != out and (final / "mine.txt").read_text() == "mine"
    assert (out / "theirs.txt").exists()


def test_results_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        folder = write_atomic_dir(tmp_path / "out", lambda f: (f / "a.csv").write_text("x"))
        write_text_atomic(tmp_path / "b.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "a.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o644


def test_temporary_folders_of_killed_processes_are_cleaned_up(tmp_path):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".run.tmp-{gone.pid}-abc"
    stale.mkdir()
    stale_file = tmp_path / f".kpis.json.tmp-{gone.pid}-abc"
    stale_file.write_text("half")
    mine = tmp_path / f".other.tmp-{os.getpid()}-xyz"  # a live process's: kept
    mine.mkdir()
    write_atomic_dir(tmp_path / "out", lambda f: (f / "a.csv").write_text("x"))
    assert not stale.exists() and not stale_file.exists() and mine.exists()
