"""`sim calibrate`: the file and its data are checked before any work; a small fit writes
every output, is reproducible and resumes to the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import calibrate, load_calibration
from sim.calibration.synthetic import synthetic_log, write_log
from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.sweep_runner import Execution
from sim.uncertainty import read_posterior
from tests.calibration.recovery import SCENARIO, START

SMALL = {"population.consumers": 300, "run.days": 140}


def small_file(tmp_path: Path, **changes) -> Path:
    """A calibration of two keys to a synthetic log of 300 consumers over 20 weeks."""
    log = tmp_path / "orders.csv"
    if not log.exists():
        write_log(synthetic_log(load_scenario(SCENARIO, SMALL), START), log)
    c = {
        "name": '"small"',
        "scenario": f'"{SCENARIO.as_posix()}"',
        "orders": '"orders.csv"',
        "start": f'"{START}"',
        "acquisition_end": '"2024-02-25"',
        "calibration_end": '"2024-03-31"',
        "end": '"2024-05-12"',
        "seed": "5",
        "particles": "20",
        "max_simulations": "120",
        "predictive_runs": "4",
        "yardstick": "false",
        "overrides": '{ "population.consumers" = 300 }',
    } | changes
    params = changes.pop("_parameters", None) or (
        '[[parameters]]\nkey = "behavior.purchase_rate_shape"\nlow = 0.1\nhigh = 5.0\n'
        'scale = "log"\ntrue = 0.5\n\n'
        '[[parameters]]\nkey = "behavior.lapse_after_order_probability"\nlow = 0.02\n'
        "high = 0.8\ntrue = 0.3\n"
    )
    text = "[calibration]\n" + "".join(
        f"{k} = {v}\n" for k, v in c.items() if not k.startswith("_")
    )
    path = tmp_path / "small.calibrate.toml"
    path.write_text(text + "\n" + params)
    return path


def fit(path: Path, out: Path, **kw):
    return calibrate(path, execution=Execution(sequential=True, progress=False), out=out, **kw)


@pytest.mark.slow  # two small fits
def test_a_small_fit_writes_every_output_and_repeats_exactly(tmp_path):
    result, folder = fit(small_file(tmp_path), tmp_path / "a")
    for name in (
        "posterior.csv",
        "particles.csv",
        "calibrated.toml",
        "generations.csv",
        "predictive.csv",
        "fit.json",
        "report.md",
        "cumulative_repeats.png",
        "holdout_by_frequency.png",
        "repeats_histogram.png",
        "posterior.png",
        "manifest.json",
    ):
        assert (folder / name).stat().st_size > 0, name
    assert result.simulations <= 120 and len(result.predictive) == 4
    # the posterior file is what an uncertainty file takes in
    posterior = read_posterior(folder / "posterior.csv", 50, 1, "test")
    assert list(posterior.columns) == [
        "behavior.purchase_rate_shape",
        "behavior.lapse_after_order_probability",
    ]
    assert posterior["behavior.lapse_after_order_probability"].between(0.02, 0.8).all()
    # the calibrated scenario is a scenario, at the medians
    calibrated = load_scenario(folder / "calibrated.toml")
    median = result.estimates.set_index("key")["median"]
    assert calibrated.behavior.purchase_rate_shape == pytest.approx(
        median["behavior.purchase_rate_shape"]
    )
    report = (folder / "report.md").read_text()
    assert "Holdout repeat transactions: observed" in report
    assert "| key | median | 90% interval | prior | true |" in report
    _, folder_b = fit(small_file(tmp_path), tmp_path / "b")
    assert (folder / "posterior.csv").read_bytes() == (folder_b / "posterior.csv").read_bytes()
    assert (folder / "predictive.csv").read_bytes() == (folder_b / "predictive.csv").read_bytes()


@pytest.mark.slow  # two small fits
def test_an_interrupted_fit_resumes_to_the_same_result(tmp_path):
    path = small_file(tmp_path)
    _, folder = fit(path, tmp_path / "a")
    expected = (folder / "posterior.csv").read_bytes()
    # as if killed during the second generation: its runs and every later file are gone
    shutil.rmtree(folder / "simulations" / "generation-001")
    shutil.rmtree(folder / "simulations" / "predictive")
    for name in ("posterior.csv", "report.md", "fit.json"):
        (folder / name).unlink()
    _, again = fit(path, folder, resume=True)
    assert (again / "posterior.csv").read_bytes() == expected
    # a changed file is refused on resume
    changed = small_file(tmp_path, seed="6")
    with pytest.raises(Exception, match="other inputs"):
        fit(changed, folder, resume=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"calibration_end": '"2024-06-30"'}, "dates in this order"),
        ({"acquisition_end": '"2024-04-30"'}, "dates in this order"),
        ({"calibration_end": '"soon"'}, "is not a day"),
        ({"end": '"2024-05-12T00:00+08:00"'}, "is not a day"),
        ({"end": '"2030-01-01"'}, "after the log's last order"),
        ({"overrides": '{ "behavior.no_such_key" = 1 }'}, "calibration.overrides"),
        ({"max_simulations": "100", "particles": "100"}, "cannot run two generations"),
        (
            {
                "_parameters": '[[parameters]]\nkey = "population.consumers"\nlow = 200\nhigh = 400\n'
            },
            "parameters\\[0\\] population.consumers",
        ),
        ({"orders": '"missing.csv"'}, "missing.csv"),
        ({"particles": "3"}, "calibration.particles"),
        (
            {
                "_parameters": '[[parameters]]\nkey = "payout.direct_commission.rate"\nlow = 0\nhigh = 1\n'
            },
            "not the market",
        ),
        (
            {
                "_parameters": '[[parameters]]\nkey = "behavior.lapse_after_order_probability"\nlow = 0.1\nhigh = 2\n'
            },
            "parameters\\[0\\] behavior.lapse_after_order_probability = 2",
        ),
        (
            {
                "_parameters": '[[parameters]]\nkey = "behavior.purchase_rate_shape"\nlow = 0\nhigh = 2\nscale = "log"\n'
            },
            "log scale needs low > 0",
        ),
    ],
)
def test_bad_files_are_refused_with_the_key_before_any_work(tmp_path, changes, message):
    path = small_file(tmp_path, **changes)
    with pytest.raises(ScenarioError, match=message):
        load_calibration(path)


def test_the_cli_refuses_a_bad_log_with_status_2_and_writes_nothing(tmp_path, capsys):
    path = small_file(tmp_path)
    (tmp_path / "orders.csv").write_text("customer_id,date,amount_yuan\na,2024-01-01,-5\n")
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "amount_yuan" in err
    assert not out.exists()


def test_the_cli_validates_a_calibration_file(tmp_path, capsys):
    assert main(["validate", str(small_file(tmp_path))]) == 0
    assert "ok (calibrate behavior.purchase_rate_shape" in capsys.readouterr().out


def test_a_log_and_a_run_give_the_same_statistics_by_one_code_path(tmp_path):
    """The synthetic log of a run, read back as a platform's log and summarised, gives the
    statistics the fit computes from the same run in the worker."""
    from sim.calibration.fit import run_statistics
    from sim.calibration.summaries import orders_from_entries
    from sim.runner import run_replication

    cal = load_calibration(small_file(tmp_path))
    spec = load_scenario(SCENARIO, {**SMALL, "run.ledger": "entries"})
    model = run_replication(spec, 3)
    log = write_log(orders_from_entries(model.ledger.entries(), START), tmp_path / "run.csv")
    from sim.calibration.data import read_orders

    observed = cal.periods.summarize(read_orders(log)).vector()
    simulated = run_statistics(cal.periods, model)
    for k, v in observed.items():
        assert simulated[f"stat.{k}"] == pytest.approx(v), k


@pytest.mark.slow  # a Dask cluster and two small fits
def test_a_fit_on_a_dask_cluster_equals_one_in_this_process(tmp_path, dask_cluster):
    path = small_file(tmp_path)
    _, here = fit(path, tmp_path / "a")
    _, there = calibrate(
        path, execution=Execution(scheduler=dask_cluster, progress=False), out=tmp_path / "b"
    )
    for name in ("posterior.csv", "particles.csv", "predictive.csv"):
        assert (here / name).read_bytes() == (there / name).read_bytes(), name


def test_referral_edges_add_the_referral_share_to_the_compared_statistics(tmp_path):
    """With referral edges the observed summary has a referral share, and a simulated run's
    statistics have one too (customers whose first order came through a share or group)."""
    from functools import partial

    from sim.calibration.fit import run_statistics
    from sim.runner import run_replication

    path = small_file(tmp_path, referrals='"referrals.csv"')
    orders = pd.read_csv(tmp_path / "orders.csv")
    first = orders.groupby(orders["customer_id"].astype(str))["date"].min().sort_values()
    a, b, c, d = first.index[:4]
    (tmp_path / "referrals.csv").write_text(  # b and c came through a referral; d was bound
        f"referrer,referee,date\n{a},{b},{first[b]}\n{a},{c},{first[c]}\n{a},{d},2024-04-30\n"
    )
    cal = load_calibration(path)
    assert cal.observed.vector()["referral_share"] == pytest.approx(2 / cal.observed.customers)
    assert set(f"stat.{k}" for k in cal.observed.vector().index) <= set(
        partial(run_statistics, cal.periods)(
            run_replication(load_scenario(SCENARIO, {**SMALL, "run.days": 91}), 0)
        )
    )
    # a platform with sharers: the share of the cohort a share or group brought
    from sim.state import SOURCE_GROUP, SOURCE_SHARE
    from tests.conftest import small_scenario

    model = run_replication(small_scenario(run={"days": 91, "ledger": "entries"}), 0)
    stats = run_statistics(cal.periods, model)
    c = model.consumers
    acq_day = (cal.periods.acquisition_end - cal.periods.start).days
    cohort = (c.first_order_day >= 0) & (c.first_order_day <= acq_day)
    brought = np.isin(c.acquired_by, (SOURCE_SHARE, SOURCE_GROUP)) & cohort
    assert stats["stat.referral_share"] == pytest.approx(brought.sum() / cohort.sum())
    assert stats["stat.referral_share"] > 0
