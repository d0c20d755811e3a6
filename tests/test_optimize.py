"""The payout optimizer (`sim optimize`): known answers, constraints, resume."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import tomli_w

from sim.cli import main
from sim.errors import ScenarioError
from sim.optimizer import load_optimization, optimize
from sim.scenario import validate_scenario
from sim.sweep_runner import Execution, sweep
from tests.conftest import SMALL, deep_update

RATE = "payout.direct_commission.rate"
TEAM = "payout.upline_override.rates"
GRID = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16]
SCENARIO = deep_update(SMALL, {"run": {"days": 90}, "population": {"consumers": 1000}})


def write_files(tmp_path, optimize_section: dict, parameters: list, constraints=()) -> str:
    (tmp_path / "s.toml").write_text(tomli_w.dumps(SCENARIO))
    doc = {
        "optimize": {"scenario": "s.toml", **optimize_section},
        "parameters": parameters,
        "constraints": list(constraints),
    }
    path = tmp_path / "o.toml"
    path.write_text(tomli_w.dumps(doc))
    return str(path)


@pytest.mark.slow
def test_the_optimizer_finds_the_optimum_a_grid_finds(tmp_path):
    """Contribution margin over nine commission rates, on common random numbers. A grid on
    replications 0-2 (the search's draws) names the best rate: the search, over the same
    nine values, must rank it first. The verdict re-runs the finalists on fresh
    replications 3-5, so it must name the finalist the grid ranks first on those."""
    grid = sweep(
        validate_scenario(SCENARIO),
        grid={RATE: GRID},
        replications=6,
        out=tmp_path / "grid",
        common_random_numbers=True,
        progress=False,
    )
    search = grid[grid["replication"] < 3].groupby(RATE)["contribution_margin"].mean()
    fresh = grid[grid["replication"] >= 3].groupby(RATE)["contribution_margin"].mean()
    best_rate = float(search.idxmax())
    assert 0 < best_rate < max(GRID)  # an interior optimum: neither end of the range
    path = write_files(
        tmp_path,
        {
            "objectives": ["contribution_margin"],
            "trials": 18,
            "batch": 3,
            "startup_trials": 6,
            "replications": 3,
            "finalists": 3,
            "final_replications": 3,
        },
        [{"key": RATE, "choices": GRID}],
    )
    result, _ = optimize(path, execution=Execution(progress=False), out=tmp_path / "opt")
    trials = result.trials
    screened = trials.groupby(RATE)["contribution_margin"].mean()
    screened.index = screened.index.astype(float)
    assert np.allclose(screened.to_numpy(), search.loc[screened.index].to_numpy(), rtol=1e-12)
    assert float(screened.idxmax()) == best_rate  # the search found the grid's optimum
    rates = {n: keys[RATE] for n, keys in result.finalists.items() if keys}
    assert best_rate in rates.values()
    best = result.best()
    assert rates[best] == max(rates.values(), key=lambda r: fresh[r])
    assert result.final.values(best, "contribution_margin").mean() == pytest.approx(
        fresh[rates[best]], rel=1e-12
    )


@pytest.mark.slow
def test_a_flagged_scheme_is_never_the_best_compliant_and_its_nearest_fix_is_priced(
    tmp_path, capsys
):
    """A team reward raises active sharers but raises the team-compensation flag: the best
    trial overall is flagged, the verdict is a scheme without a flag, and the nearest
    compliant scheme is reported with its cost. Then: an interrupted run resumes to the
    same results."""
    path = write_files(
        tmp_path,
        {
            "objectives": ["active_sharers"],
            "trials": 8,
            "batch": 4,
            "startup_trials": 4,
            "replications": 2,
            "finalists": 2,
            "final_replications": 4,
        },
        [{"key": RATE, "choices": [0.06, 0.12]}, {"key": TEAM, "choices": [[0.0], [0.05]]}],
    )
    out = tmp_path / "opt"
    assert main(["optimize", path, "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    data = json.loads((out / "optimization.json").read_text())
    trials = pd.read_csv(out / "trials.csv")
    top = trials.sort_values(["active_sharers", "trial"], ascending=[False, True]).iloc[0]
    assert "team_compensation" in top["flags"] and not top["feasible"]
    best = data["best"]
    assert data["compliance"][best] == [] and data["best_keys"][TEAM] == [0.0]
    nearest = data["nearest_feasible"]
    assert nearest["scheme"] == f"trial_{top['trial']}"
    assert data["finalists"][nearest["fix"]][TEAM] == [0.0]
    assert data["finalists"][nearest["fix"]][RATE] == pytest.approx(top[RATE])
    assert nearest["cost"] < 0 and "breaks the compliance rules" in text  # fix - flagged
    assert (out / "search.png").stat().st_size > 0
    # an interrupted search: the last batch's runs and the verdict lost
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    for p in [copy / "final", copy / "trials" / "batch-00001" / "parts"]:
        shutil.rmtree(p)
    (copy / "trials" / "batch-00001" / "proposed.json").unlink()  # killed before proposing
    for p in ["optimization.json", "trials.csv", "report.md"]:
        (copy / p).unlink()
    assert main(["optimize", path, "--out", str(copy), "--resume", "--sequential"]) == 0
    assert (copy / "trials.csv").read_text() == (out / "trials.csv").read_text()
    assert json.loads((copy / "optimization.json").read_text()) == data
    assert main(["optimize", path, "--out", str(out)]) == 2  # never over earlier results


def test_optimization_file_errors_name_the_key(tmp_path):
    path = write_files(
        tmp_path, {}, [{"key": "behavior.word_of_mouth_per_day", "low": 0, "high": 1}]
    )
    with pytest.raises(ScenarioError, match="not a lever of the scheme"):
        load_optimization(path)
    path = write_files(tmp_path, {"objectives": ["gmvv"]}, [{"key": RATE, "low": 0, "high": 0.1}])
    with pytest.raises(ScenarioError, match="unknown objective 'gmvv'"):
        load_optimization(path)
    path = write_files(tmp_path, {}, [{"key": RATE, "low": 0, "high": 0.5}])
    with pytest.raises(ScenarioError, match=r"parameters\[0\] payout.direct_commission.rate = 0.5"):
        load_optimization(path)
    path = write_files(tmp_path, {}, [{"key": RATE, "low": 0.1, "high": 0.1}])
    with pytest.raises(ScenarioError, match="give low < high"):
        load_optimization(path)
    path = write_files(
        tmp_path, {}, [{"key": RATE, "low": 0, "high": 0.1}], [{"kpi": "payout_ratio"}]
    )
    with pytest.raises(ScenarioError, match="give min, max or both"):
        load_optimization(path)
    opt, spec = load_optimization(write_files(tmp_path, {}, [{"key": RATE, "low": 0, "high": 0.1}]))
    assert opt.optimize.objectives == [spec.compare.objective]


def test_pareto_front_and_nearest_feasible_scheme():
    from sim.optimizer import OptimizeFile, front_mask, pick_finalists

    trials = pd.DataFrame(
        {
            "trial": range(5),
            "state": "complete",
            RATE: [0.02, 0.05, 0.08, 0.11, 0.14],
            "gmv": [10.0, 20.0, 30.0, 25.0, 40.0],
            "customers": [50.0, 45.0, 30.0, 20.0, 60.0],
            "feasible": [True, True, True, True, False],
            "flags": ["", "", "", "", "team_compensation"],
        }
    )
    assert front_mask(trials, ["gmv", "customers"]).tolist() == [False, False, False, False, True]
    assert front_mask(trials.iloc[:4], ["gmv", "customers"]).tolist() == [True, True, True, False]
    opt = OptimizeFile.model_validate(
        {
            "optimize": {"scenario": "x", "objectives": ["gmv"], "finalists": 2},
            "parameters": [{"key": RATE, "low": 0.0, "high": 0.2}],
        }
    )
    finalists, nearest = pick_finalists(trials, opt, {p.key: p for p in opt.parameters})
    # the best two feasible (30 and 25), the incumbent, and the infeasible best (trial 4)
    # with its nearest feasible neighbour on the scaled rate (trial 3, 0.11 vs 0.14)
    assert list(finalists) == ["incumbent", "trial_2", "trial_3", "trial_4"]
    assert nearest == ("trial_4", "trial_3")


@pytest.mark.slow
def test_two_objectives_give_a_pareto_front_and_dask_gives_the_same_search(tmp_path, dask_cluster):
    """NPV against customers: the feasible Pareto front is non-dominated, the finalists are
    drawn from it, and a search on a Dask cluster equals one in this process."""
    path = write_files(
        tmp_path,
        {
            "objectives": ["npv", "customers"],
            "trials": 6,
            "batch": 3,
            "startup_trials": 3,
            "replications": 2,
            "finalists": 3,
            "final_replications": 2,
        },
        [{"key": RATE, "low": 0.0, "high": 0.16}],
    )
    local, _ = optimize(
        path, execution=Execution(sequential=True, progress=False), out=tmp_path / "a"
    )
    on_dask, _ = optimize(
        path, execution=Execution(scheduler=dask_cluster, progress=False), out=tmp_path / "b"
    )
    pd.testing.assert_frame_equal(local.trials, on_dask.trials)
    front = local.pareto()
    assert len(front) >= 1
    ok = local.trials[local.trials["feasible"]]
    for _, row in front.iterrows():  # nothing feasible is better on both
        assert not ((ok["npv"] > row["npv"]) & (ok["customers"] > row["customers"])).any()
    chosen = {int(n.split("_")[1]) for n in local.finalists if n != "incumbent"}
    assert chosen <= set(front["trial"])
    data = json.loads((tmp_path / "a" / "optimization.json").read_text())
    assert len(data["pareto_front"]) == len(front)


def test_choices_of_any_type_travel_as_labels():
    """Strings, lists and tables as choices: trials hold their JSON labels, finalists the
    values themselves."""
    from sim.optimizer import OptimizeFile, label, pick_finalists

    opt = OptimizeFile.model_validate(
        {
            "optimize": {"scenario": "x", "objectives": ["gmv"], "finalists": 2},
            "parameters": [
                {"key": "payout.preset", "choices": ["platform", "group_buy"]},
                {"key": TEAM, "choices": [[0.0], [0.03]]},
            ],
        }
    )
    trials = pd.DataFrame(
        {
            "trial": range(2),
            "state": "complete",
            "payout.preset": [label("platform"), label("group_buy")],
            TEAM: [label([0.0]), label([0.03])],
            "gmv": [1.0, 2.0],
            "feasible": [True, True],
            "flags": ["", ""],
        }
    )
    finalists, _ = pick_finalists(trials, opt, {p.key: p for p in opt.parameters})
    assert finalists["trial_1"] == {"payout.preset": "group_buy", TEAM: [0.03]}
    with pytest.raises(ValueError, match=r"no whole number lies in 3\.2\.\.3\.8"):
        OptimizeFile.model_validate(
            {
                "optimize": {"scenario": "x"},
                "parameters": [
                    {"key": "platform.start_day", "low": 3.2, "high": 3.8, "integer": True}
                ],
            }
        )
