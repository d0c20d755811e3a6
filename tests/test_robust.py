"""Robust comparison (`sim compare --uncertainty`): win shares, regret, scenario discovery."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.catalog import kpi_names
from sim.cli import main
from sim.errors import ScenarioError
from sim.robust import analyse
from sim.uncertainty import load_uncertainty, sample_worlds
from tests.conftest import SMALL, deep_update, small_scenario

X, Y = "behavior.word_of_mouth_per_day", "behavior.share_effort_elasticity"
WORLDS = 20


def constructed(a, b, c, flag_c: bool = True):
    """Runs of a constructed case: per world w (x = (w + 0.5) / 20,  the
    objective of variants A, B, C is a(x), b(x), c(x) exactly on average, with noise that
    cancels over the two replications; y is x permuted (7w mod 20), which decides nothing."""
    x = (np.arange(WORLDS) + 0.5) / WORLDS
    worlds = pd.DataFrame({"world": range(WORLDS), X: x, Y: x[np.arange(WORLDS) * 7 % WORLDS]})
    rows = []
    for w in range(WORLDS):
        for name, f, noise in (("A", a, 1.0), ("B", b, -0.5), ("C", c, 0.25)):
            for r, sign in ((0, 1), (1, -1)):
                row = dict.fromkeys(kpi_names(), np.nan)
                row.update(world=w, variant=name, replication=r)
                row["contribution_margin"] = f(x[w]) + sign * noise
                rows.append(row)
    spec = small_scenario()
    flagged = small_scenario(payout={"upline_override": {"rates": [0.03]}}) if flag_c else spec
    scenarios = {"A": spec, "B": spec, "C": flagged}
    return analyse("constructed", scenarios, "contribution_margin", worlds, pd.DataFrame(rows))


def test_win_shares_regret_and_the_region_where_the_ranking_flips():
    """A earns 100 everywhere; B earns 52 + 80x, more than A exactly when x > 0.6 (8 of 20
    worlds); the flagged C earns 0. Known answers: win shares 0.6 / 0.4 / 0; A's regret is
    80x - 48 where B wins (2, 6, ..., 30: mean 6.4, worst 30); B's is 48 - 80x where A wins
    (46, 42, ..., 2: mean 14.4, worst 46); the tree splits x at 0.6."""
    result = constructed(lambda x: 100.0, lambda x: 52 + 80 * x, lambda x: 0.0)
    s = result.summary.set_index("variant")
    assert s.loc["A", "win_share"] == pytest.approx(0.6)
    assert s.loc["B", "win_share"] == pytest.approx(0.4)
    assert s.loc["C", "win_share"] == 0
    assert s.loc["A", "mean_regret"] == pytest.approx(6.4)
    assert s.loc["A", "worst_regret"] == pytest.approx(30)
    assert s.loc["B", "mean_regret"] == pytest.approx(14.4)
    assert s.loc["B", "worst_regret"] == pytest.approx(46)
    assert s.loc["C", "flagged_worlds"] == WORLDS and s.loc["A", "flagged_worlds"] == 0
    assert s.loc["A", "compliant_win_share"] == pytest.approx(0.6)
    assert result.favourite == "A"
    flips = [r for r in result.rules if r["winner"] == "B"]
    assert len(flips) == 1 and flips[0]["worlds"] == 8 and flips[0]["won"] == 8
    (condition,) = flips[0]["conditions"]
    assert condition["key"] == X and condition["above"] == pytest.approx(0.6, abs=0.03)
    sentence = result.sentence()
    assert "'A' 60%, 'B' 40%" in sentence
    assert f"'A' loses when {X} > 0.6" in sentence
    assert "minimax-regret" in sentence


def test_a_flagged_winner_is_named_and_the_best_compliant_scheme_given():
    """C wins every world but raises a flag: the verdict says so and names A, which wins
    every world among the schemes that raise none."""
    result = constructed(lambda x: 100.0, lambda x: 50.0, lambda x: 1000.0)
    s = result.summary.set_index("variant")
    assert s.loc["C", "win_share"] == 1 and s.loc["C", "compliant_win_share"] == 0
    assert s.loc["A", "compliant_win_share"] == 1
    assert (result.winners["best_compliant"] == "A").all()
    assert "'C' raises a compliance flag in 20 of 20 worlds" in result.sentence()
    assert "among the schemes flagged in no world, 'A' is best in 100% of worlds" in (
        result.sentence()
    )


def test_a_tie_to_the_last_fen_shares_the_win_and_is_never_a_clear_win():
    """Identical results (e.g. a bonus that is never paid) share each win; a world without
    a single winner has no clear winner."""
    result = constructed(lambda x: 100.0, lambda x: 100.0, lambda x: 0.0, flag_c=False)
    s = result.summary.set_index("variant")
    assert s.loc["A", "win_share"] == pytest.approx(0.5) == s.loc["B", "win_share"]
    assert (result.winners["winner"] == "A+B").all() and not result.winners["clear"].any()
    assert s["clear_win_share"].sum() == 0 and s.loc["A", "worst_regret"] == 0
    assert "'A' wins or ties in every sampled world" in result.sentence()


def test_failed_runs_pair_by_replication_and_undefined_worlds_are_left_out():
    """A failed run leaves its replication out of that pair only (the others still pair by
    replication number); a world where some variant's objective is undefined is left out
    and said to be."""
    full = constructed(lambda x: 100.0, lambda x: 52 + 80 * x, lambda x: 0.0)
    runs = full.runs[
        ~(
            (full.runs["world"] == 3)
            & (full.runs["variant"] == "B")
            & (full.runs["replication"] == 0)
        )
    ]
    runs = runs.copy()
    runs.loc[(runs["world"] == 5) & (runs["variant"] == "C"), "contribution_margin"] = np.nan
    scenarios = {v: small_scenario() for v in "AB"} | {
        "C": small_scenario(payout={"upline_override": {"rates": [0.03]}})
    }
    result = analyse("dropped", scenarios, "contribution_margin", full.worlds, runs)
    assert result.skipped_worlds == [5] and len(result.winners) == WORLDS - 1
    b3 = result.per_world.query("world == 3 and variant == 'B'")["mean"].item()
    assert b3 == pytest.approx(52 + 80 * 3.5 / 20 + 0.5)  # only replication 1 (noise +0.5)
    assert "1 more worlds were left out" in result.sentence()


def test_uncertainty_file_errors_name_the_key(tmp_path):
    bad = tmp_path / "u.toml"
    bad.write_text('[[parameters]]\nkey = "payout.direct_commission.rate"\nlow = 0.0\nhigh = 0.2\n')
    with pytest.raises(ScenarioError, match=r"payout\.\* keys are not uncertain market facts"):
        load_uncertainty(bad)
    bad.write_text("[uncertainty]\nsamples = 4\n")
    with pytest.raises(ScenarioError, match="declare \\[\\[parameters\\]\\] ranges"):
        load_uncertainty(bad)
    bad.write_text(f'[[parameters]]\nkey = "{X}"\nlow = 0.5\nhigh = 0.1\n')
    with pytest.raises(ScenarioError, match="needs low < high"):
        load_uncertainty(bad)


def test_posterior_samples_make_the_worlds(tmp_path):
    post = tmp_path / "posterior.csv"
    pd.DataFrame({"sample": range(50), X: np.linspace(0.01, 0.05, 50)}).to_csv(post, index=False)
    u = tmp_path / "u.toml"
    u.write_text(
        f'[uncertainty]\nsamples = 8\nposterior = "posterior.csv"\n'
        f'[[parameters]]\nkey = "{Y}"\nlow = 0.2\nhigh = 0.8\n'
    )
    worlds = sample_worlds(load_uncertainty(u), 3, u)
    assert list(worlds.columns) == [X, Y] and len(worlds) == 8
    assert worlds[X].isin(np.linspace(0.01, 0.05, 50)).all() and worlds[X].is_monotonic_increasing
    assert worlds.equals(sample_worlds(load_uncertainty(u), 3, u))  # seeded
    post.write_text(f"{X}\nnot-a-number\n")
    with pytest.raises(ScenarioError, match="holding numbers only"):
        sample_worlds(load_uncertainty(u), 3, u)


@pytest.mark.slow
def test_cli_robust_comparison_resumes_and_keeps_common_random_numbers(tmp_path, capsys):
    """Three worlds of a small comparison: a control variant identical to the baseline
    matches it in every world and run; a resumed comparison gives the same results."""
    import tomli_w

    scenario = deep_update(
        SMALL,
        {
            "run": {"days": 40},
            "population": {"consumers": 800},
            "variants": [
                {"name": "base"},
                {"name": "same"},
                {"name": "c15", "payout": {"direct_commission": {"rate": 0.15}}},
            ],
        },
    )
    path = tmp_path / "s.toml"
    path.write_text(tomli_w.dumps(scenario))
    u = tmp_path / "u.toml"
    u.write_text(
        f'[uncertainty]\nsamples = 3\nreplications = 2\n[[parameters]]\nkey = "{X}"\n'
        f"low = 0.01\nhigh = 0.06\n"
    )
    out = tmp_path / "out"
    args = ["compare", str(path), "--uncertainty", str(u), "--out", str(out), "--workers", "2"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Across 3 sampled worlds" in text
    runs = pd.read_csv(out / "runs.csv")
    base = runs[runs.variant == "base"].set_index(["world", "replication"])
    same = runs[runs.variant == "same"].set_index(["world", "replication"])
    assert len(base) == 6 and (base["gmv"] == same["gmv"]).all()
    assert base["gmv"].nunique() == 6  # worlds and replications differ
    first = json.loads((out / "robustness.json").read_text())
    # an interrupted comparison: one variant's runs and the analysis lost
    import shutil

    shutil.rmtree(out / "runs" / "c15")
    for name in ("robustness.json", "report.md", "runs.csv"):
        (out / name).unlink()
    assert main([*args, "--resume", "--sequential"]) == 0
    assert json.loads((out / "robustness.json").read_text()) == first
    changed = tmp_path / "changed.toml"
    changed.write_text(path.read_text().replace("rate = 0.15", "rate = 0.14"))
    assert main(["compare", str(changed), *args[2:], "--resume"]) == 2
    assert "cannot be resumed" in capsys.readouterr().err
    assert (out / "robustness.png").stat().st_size > 0 and (out / "report.md").exists()
    assert main(args) == 2  # never over earlier results
    assert "already holds results" in capsys.readouterr().err
