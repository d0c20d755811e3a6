"""`sim baseline` and `sim check`: catch real drift, not noise."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest

from sim.check import check_baseline, record_baseline
from sim.cli import main
from tests.conftest import ROOT

SMALL = {
    "population.consumers": 1200,
    "run.days": 90,
    "population.neighborhoods": [{"count": 4, "city_tier": "county"}],
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a scenario and its baseline (10 replications)."""
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.toml", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    path = record_baseline(
        "scenarios/baseline.toml", replications=10, overrides=SMALL, progress=False
    )
    return tmp_path, path


def test_nothing_changed_exact_mode_holds(project, capsys):
    _, path = project
    result = check_baseline(path, progress=False)
    assert result.mode == "exact" and result.holds
    assert main(["check"]) == 0
    assert "exact mode" in capsys.readouterr().out


def test_only_the_seed_changed_statistical_mode_holds(project):
    _, path = project
    result = check_baseline(path, seed=99, progress=False)
    assert result.mode == "statistical" and result.holds, result.table()


def test_a_meaningful_behavior_change_is_drift_naming_the_kpi(project, capsys):
    _, path = project
    result = check_baseline(
        path, overrides={"behavior.repurchase_probability": 0.6}, progress=False
    )
    drifted = {r.kpi for r in result.drifted}
    assert "orders" in drifted and "gmv" in drifted
    assert main(["check", "--set", "behavior.repurchase_probability=0.6"]) == 1
    out = capsys.readouterr().out
    assert "DRIFT in" in out and "orders" in out


def test_a_changed_scenario_is_reported_as_changed_not_drift(project, capsys):
    tmp, path = project
    scenario = tmp / "scenarios" / "baseline.toml"
    scenario.write_text(
        scenario.read_text().replace(
            "repurchase_probability = 0.75", "repurchase_probability = 0.7"
        )
    )
    result = check_baseline(path, progress=False)
    assert result.mode == "changed" and not result.holds and not result.rows
    assert main(["check"]) == 1
    assert "scenario changed" in capsys.readouterr().out
    # --update records it on purpose; then it holds
    assert main(["check", "--update"]) == 0
    assert check_baseline(path, progress=False).holds


def test_junit_report(project):
    tmp, _ = project
    junit = tmp / "check.xml"
    assert (
        main(["check", "--junit", str(junit), "--set", "behavior.repurchase_probability=0.6"]) == 1
    )
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert int(suite.get("failures")) >= 2 and int(suite.get("tests")) > 20
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "orders" in failed


def test_baselines_are_never_overwritten_silently(project, capsys):
    assert main(["baseline", "scenarios/baseline.toml"]) == 2
    assert "exists" in capsys.readouterr().err


def test_bad_input_exits_2(project, capsys):
    assert main(["check", "missing.json"]) == 2
    assert main(["check", "--mode", "fuzzy"]) == 2


def test_the_pytest_fixture(project, sim_check):
    _, path = project
    assert sim_check(path).holds
    with pytest.raises(pytest.fail.Exception, match="DRIFT"):
        sim_check(path, overrides={"behavior.repurchase_probability": 0.6})


def test_baseline_file_records_what_a_rerun_needs(project):
    _, path = project
    data = json.loads(path.read_text())
    assert data["replications"] == 10 and len(data["kpis"]["gmv"]) == 10
    assert {"scenario_hash", "seed", "environment", "overrides", "resolved_scenario"} <= set(data)


def test_kpis_added_since_the_baseline_are_new_not_drift(project):
    _, path = project
    data = json.loads(path.read_text())
    del data["kpis"]["active_customers"]  # as if recorded before the KPI existed
    data["kpis"]["retired_kpi"] = [1.0] * 10
    path.write_text(json.dumps(data))
    result = check_baseline(path, progress=False)
    verdicts = {r.kpi: r.verdict for r in result.rows}
    assert verdicts["active_customers"] == "new" and verdicts["retired_kpi"] == "missing"
    assert [r.kpi for r in result.drifted] == ["retired_kpi"]


MALFORMED = {
    "not json": "{",
    "a list": "[]",
    "no kpis": '{"scenario": "s", "scenario_file": "s.toml", "overrides": {}, '
    '"scenario_hash": "x", "environment": {}}',
    "kpis of text": '{"scenario": "s", "scenario_file": "s.toml", "overrides": {}, '
    '"scenario_hash": "x", "environment": {}, "kpis": {"gmv": "many"}}',
    "overrides a list": '{"scenario": "s", "scenario_file": "s.toml", "overrides": [], '
    '"scenario_hash": "x", "environment": {}, "kpis": {}}',
    "binary": "\udcff",
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_baseline_is_a_clear_error(tmp_path, capsys, case):
    from sim.cli import main

    path = tmp_path / "b.json"
    path.write_bytes(MALFORMED[case].encode("utf-8", "surrogateescape"))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
