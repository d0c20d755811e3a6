"""Dashboard jobs (worker processes) and result folders."""

from __future__ import annotations

import time

import pytest

from sim.dashboard.jobs import CANCELLED, DONE, FAILED, Job
from sim.dashboard.results import (
    compare_table,
    curves_figure,
    earlier_results,
    load_result,
    zip_folder,
)
from sim.scenario import read_toml


def small(days=30, replications=2, consumers=1500):
    data = read_toml("scenarios/referral_bonus.toml")
    data["run"].update(days=days, replications=replications)
    data["population"]["consumers"] = consumers
    return data


def wait(job: Job, timeout=120.0) -> str:
    deadline = time.monotonic() + timeout
    while job.poll() == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    return job.status


@pytest.mark.slow  # worker processes
def test_a_comparison_runs_in_a_worker_and_reads_back(tmp_path):
    job = Job("compare", small(), tmp_path).start()
    assert wait(job) == DONE, job.error
    assert job.done == job.total > 0
    view = load_result(job.folder)
    assert view.kind == "compare" and "contribution margin" in view.verdict
    assert set(view.kpis["variant"]) == {"no_bonus", "bonus_5", "bonus_15"}
    assert "wechat_inducement" in set(view.flags["flag"])
    assert earlier_results(tmp_path) == [job.folder]
    assert zip_folder(job.folder)[:2] == b"PK"


@pytest.mark.slow  # worker processes
def test_a_cancelled_run_leaves_nothing(tmp_path):
    job = Job("run", small(days=3650, replications=20, consumers=20000), tmp_path).start()
    time.sleep(2.0)
    job.cancel()
    assert job.status == CANCELLED and not job._process.is_alive()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # worker processes
def test_a_bad_scenario_fails_with_the_cli_message(tmp_path):
    data = small()
    data["run"]["days"] = 0
    job = Job("run", data, tmp_path).start()
    assert wait(job) == FAILED
    assert "run.days" in job.error and "Traceback" not in job.error


def test_compare_table_formats_differences():
    import pandas as pd

    table = pd.DataFrame(
        [
            ["a", "payout_ratio", 0.02, 0.01, 0.03, 0.0, None, None, None],
            ["b", "payout_ratio", 0.03, 0.02, 0.04, 0.01, 0.005, 0.015, 0.99],
        ],
        columns=["variant", "kpi", "mean", "ci95_low", "ci95_high", "diff", "diff_ci95_low",
                 "diff_ci95_high", "p_beats_baseline"],
    )  # fmt: skip
    out = compare_table(table)
    assert out["mean"].tolist() == ["2.00%", "3.00%"]
    assert out["difference to baseline (95% CI)"].tolist() == ["", "1.00% (0.50% .. 1.50%)"]


def test_a_run_folder_reads_back(tmp_path):
    from sim.output import save_run
    from sim.runner import run
    from tests.conftest import small_scenario

    result = run(small_scenario(run={"days": 20, "replications": 2}), progress=False)
    folder = save_run(result, tmp_path / "run")
    view = load_result(folder)
    assert view.kind == "run" and view.verdict == "" and view.ranking == ""
    assert len(view.daily) == 40 and "customers" in set(view.kpis["kpi"])
    assert curves_figure(view.daily, view.economics) is not None
    assert view.economics[""].payout_settlement_lag_days == 15
