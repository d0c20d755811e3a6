"""Provenance: the scenario hash, manifests, and writes that never lose a result."""

from __future__ import annotations

import pytest

from sim.errors import OutputExistsError
from sim.provenance import (
    check_out_dir,
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
