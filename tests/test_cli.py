"""The `sim` command: outputs, refusal to overwrite, and clear errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.catalog import kpi_names
from sim.cli import main
from sim.docs import (
    compliance_reference,
    incentives_reference,
    kpi_reference,
    mechanism_reference,
    scenario_reference,
)
from tests.conftest import ROOT

SMALL_TOML = """
[run]
name = "cli-small"
seed = 11
days = 45
replications = 3

[population]
consumers = 1500
neighborhoods = [{count = 5, city_tier = "tier3"}]
"""


def sim_cmd(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture
def small_file(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    return path


def test_run_writes_every_output(small_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small_file), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "scenario.resolved.toml",
        "daily.csv",
        "kpis.json",
        "manifest.json",
        "report.md",
        "figures",
    } <= names
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["scenario"] == "cli-small" and kpis["replications"] == 3
    assert set(kpi_names()) <= set(kpis["kpis"])
    # KPIs that have no meaning in this scenario (no groups, KOLs, rivals, leaders; a 45-day run)
    undefined = {
        "repeat_rate_90d",
        "group_fill_rate",
        "kol_repeat_rate_90d",
        "kol_roi",
        "group_liveness",
        "market_share",
        "market_share_orders",
        "market_share_gmv",
        "multi_homing_share",
        "leader_income_yuan_per_month",
    }
    for name, summary in kpis["kpis"].items():
        assert len(summary["values"]) == 3
        if name in undefined:
            assert summary["mean"] is None and summary["values"] == [None] * 3
            continue
        assert summary["ci95_low"] <= summary["mean"] <= summary["ci95_high"], name
    daily = pd.read_csv(out / "daily.csv")
    assert len(daily) == 3 * 45
    assert {
        "replication",
        "day",
        "new_customers",
        "orders",
        "gmv",
        "active_sharers",
        "payouts_total",
        "discounts",
    } <= set(daily.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed_entropy"] == 11 and "mesa" in manifest["versions"]
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "active.png",
        "adoption.png",
        "cash.png",
        "gmv_payouts.png",
    ]
    report = (out / "report.md").read_text()
    assert "figures/adoption.png" in report and "contribution_margin" in report
    assert "results:" in capsys.readouterr().out


def test_resolved_scenario_reruns_identically(small_file, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(small_file), "--out", str(first), "--no-report"]) == 0
    assert (
        main(["run", str(first / "scenario.resolved.toml"), "--out", str(second), "--no-report"])
        == 0
    )
    assert (first / "daily.csv").read_bytes() == (second / "daily.csv").read_bytes()


def test_never_overwrites_an_earlier_run(small_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small_file), "--out", str(out), "--no-report"]) == 0
    before = (out / "daily.csv").read_bytes()
    assert main(["run", str(small_file), "--out", str(out), "--seed", "99"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "daily.csv").read_bytes() == before


def test_default_output_folder_is_new_each_time(small_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["run", str(small_file), "--days", "5", "--no-report", "--no-progress"]) == 0
    runs = list((tmp_path / "results" / "runs").iterdir())
    assert len(runs) == 2 and all(r.name.startswith("cli-small-") for r in runs)


def test_overrides_from_the_command_line(small_file, tmp_path):
    out = tmp_path / "o"
    assert (
        main(
            [
                "run",
                str(small_file),
                "--out",
                str(out),
                "--no-report",
                "--days",
                "7",
                "--replications",
                "2",
                "--set",
                "run.name=renamed",
                "--set",
                "payout.direct_commission.rate=0.05",
            ]
        )
        == 0
    )
    resolved = (out / "scenario.resolved.toml").read_text()
    assert 'name = "renamed"' in resolved and "rate = 0.05" in resolved
    assert len(pd.read_csv(out / "daily.csv")) == 14


def test_bad_scenario_exits_2_with_a_clear_message_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\ndayz = 3\n[behavior]\nchurn_base_hazard_per_day = 1.5\n")
    proc = sim_cmd("run", str(bad))
    assert proc.returncode == 2
    assert "bad.toml" in proc.stderr and "run.dayz" in proc.stderr
    assert "did you mean 'days'" in proc.stderr
    assert "behavior.churn_base_hazard_per_day" in proc.stderr and "<= 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()
    debug = sim_cmd("--debug", "run", str(bad))
    assert debug.returncode == 2 and "Traceback" in debug.stderr


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "file not found"),
        ("[run\n", "line 1"),
        ("[run]\nreplications = 'x'\n", "run.replications"),
        (
            "[[categories]]\nname='a'\nprice_yuan=-1\nmargin=0.2\nrepurchase_interval_days=3\n",
            "categories[0].price_yuan",
        ),
        ("[payout.direct_commission]\nrate = 0.9\n", "above the margin"),
        ("[population]\nconsumers = 5\nneighborhoods = [{count = 9}]\n", "9 neighborhoods"),
    ],
)
def test_each_error_class_exits_2(tmp_path, content, expected):
    path = tmp_path / "s.toml"
    if content is not None:
        path.write_text(content)
    proc = sim_cmd("validate", str(path))
    assert proc.returncode == 2
    assert expected in proc.stderr and "s.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_set_override_exits_2(small_file, capsys):
    assert main(["run", str(small_file), "--set", "run.dayz=3"]) == 2
    assert "run.dayz" in capsys.readouterr().err


def test_validate_accepts_the_shipped_scenarios(capsys):
    files = sorted(str(p) for p in (ROOT / "scenarios").rglob("*.toml"))
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok") == len(files)


def test_schema_prints_json(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "population" in schema["properties"]


@pytest.mark.parametrize("command", ["run", "validate", "schema", "docs"])
def test_every_command_has_help(command):
    proc = sim_cmd(command, "--help")
    assert proc.returncode == 0 and "Usage" in proc.stdout


def test_generated_docs_are_up_to_date():
    """docs/ is generated from the schema: run `sim docs` after changing parameters."""
    assert (ROOT / "docs" / "scenario-reference.md").read_text() == scenario_reference()
    assert (ROOT / "docs" / "kpis.md").read_text() == kpi_reference()
    assert (ROOT / "docs" / "compliance.md").read_text() == compliance_reference()
    assert (ROOT / "docs" / "mechanisms.md").read_text() == mechanism_reference()
    assert (ROOT / "docs" / "incentives.md").read_text() == incentives_reference()


def test_the_terminal_summary_has_units_flags_and_warnings(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        SMALL_TOML
        + "\n[payout.sales_bonus]\ntiers = [{ monthly_sales_yuan = 90000000, rate = 0.1 }]\n"
    )
    assert main(["run", str(scenario), "--out", str(tmp_path / "o"), "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "yuan per customer" in out and "e+" not in out and " nan " not in out
    assert "compliance flags:" in out
    assert "warning: payout.sales_bonus is on but paid nothing" in out
    kpis = json.loads((tmp_path / "o" / "kpis.json").read_text())
    assert any("sales_bonus" in w for w in kpis["warnings"])


def test_help_shows_double_brackets_as_written():
    result = subprocess.run(
        [sys.executable, "-m", "sim", "compare", "--help"], capture_output=True, text=True
    )
    assert "[[variants]]" in result.stdout
