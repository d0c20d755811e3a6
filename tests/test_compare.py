"""`sim compare`: paired differences on common random numbers."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.compare import compare
from sim.errors import ScenarioError
from sim.runner import run
from sim.stats import paired_difference
from tests.conftest import SMALL, deep_update

BASE = deep_update(
    SMALL, {"run": {"days": 90, "replications": 6}, "population": {"consumers": 1000}}
)


def with_variants(*variants, **sections) -> dict:
    return deep_update(BASE, {"variants": list(variants), **sections})


def test_common_random_numbers_make_the_paired_interval_much_narrower():
    """Two variants 1 point of commission apart: the paired CI of their difference is
    several times narrower than the CI of the difference of two independent runs."""
    result = compare(
        with_variants(
            {"name": "c10"}, {"name": "c11", "payout": {"direct_commission": {"rate": 0.11}}}
        ),
        progress=False,
    )
    kpi = "gmv"
    paired = paired_difference(result.values("c10", kpi), result.values("c11", kpi))
    paired_width = paired["diff_ci95_high"] - paired["diff_ci95_low"]
    independent = (
        run(
            deep_update(
                BASE, {"run": {"seed": 999}, "payout": {"direct_commission": {"rate": 0.11}}}
            ),
            progress=False,
        )
        .kpi_values[kpi]
        .to_numpy()
    )
    a, b = result.values("c10", kpi), independent
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    independent_width = 2 * stats.t.ppf(0.975, a.size + b.size - 2) * se
    assert independent_width > 3 * paired_width


def test_identical_variants_differ_by_exactly_zero():
    result = compare(with_variants({"name": "a"}, {"name": "b"}), progress=False)
    table = result.table()
    b = table[table.variant == "b"]
    assert (b["diff"].dropna() == 0).all()


def test_a_clearly_better_variant_wins_clearly():
    result = compare(
        with_variants(
            {"name": "base"},
            {"name": "more_ads", "behavior": {"external_influence_per_day": 0.003}},
            {"name": "same"},
        ),
        progress=False,
    )
    verdict = result.verdict()
    assert verdict["winner"] == "more_ads" and verdict["clear"]
    assert "statistically clear" in verdict["sentence"]
    table = result.table()
    assert list(table.columns) == [
        "variant",
        "kpi",
        "mean",
        "ci95_low",
        "ci95_high",
        "diff",
        "diff_ci95_low",
        "diff_ci95_high",
        "p_beats_baseline",
    ]
    row = table[(table.variant == "more_ads") & (table.kpi == "contribution_margin")].iloc[0]
    assert row["diff_ci95_low"] > 0 and row["p_beats_baseline"] > 0.99


def test_objective_can_be_a_lower_is_better_kpi():
    result = compare(
        with_variants(
            {"name": "base"},
            {"name": "pricey_ads", "platform": {"ad_spend_yuan_per_day": 5000}},
            compare={"objective": "cac"},
        ),
        progress=False,
    )
    assert result.verdict()["winner"] == "base"


def test_variant_with_a_preset_replaces_the_scheme():
    result = compare(
        with_variants({"name": "platform"}, {"name": "weishang", "payout": {"preset": "weishang"}}),
        progress=False,
    )
    weishang = result.scenarios["weishang"].payout
    assert weishang.rule("direct_commission") is None and weishang.rule("stock") is not None
    flags = result.compliance()
    assert flags["platform"] == []
    assert "entry_fee" in {f["flag"] for f in flags["weishang"]}  # stock required up front


@pytest.mark.slow
def test_auto_replications_stop_when_precise_or_at_the_cap():
    loose = compare(
        with_variants(
            {"name": "a"},
            {"name": "b"},
            compare={"replications": "auto", "target_relative_half_width": 10.0},
        ),
        progress=False,
    )
    assert loose.replications == 6  # run.replications, already precise enough
    tight = compare(
        with_variants(
            {"name": "a"},
            {"name": "b", "payout": {"direct_commission": {"rate": 0.05}}},
            run={"replications": 3},
            compare={
                "replications": "auto",
                "target_relative_half_width": 1e-9,
                "max_replications": 11,
            },
        ),
        progress=False,
    )
    assert tight.replications == 11
    assert sorted(tight.kpi_values["replication"].unique()) == list(range(11))


def test_replications_are_the_same_in_batches():
    """Replication r has the same result whether it ran in the first batch or a later one."""
    spec = with_variants(
        {"name": "a"}, {"name": "b", "payout": {"direct_commission": {"rate": 0.05}}}
    )
    whole = compare(spec, replications=6, progress=False).kpi_values
    batched = compare(
        deep_update(
            spec,
            {
                "run": {"replications": 3},
                "compare": {
                    "replications": "auto",
                    "target_relative_half_width": 1e-9,
                    "max_replications": 6,
                },
            },
        ),
        progress=False,
    ).kpi_values
    pd.testing.assert_frame_equal(whole.reset_index(drop=True), batched.reset_index(drop=True))


def test_fewer_than_two_variants_is_an_error():
    with pytest.raises(ScenarioError) as info:
        compare(with_variants({"name": "only"}), progress=False)
    assert info.value.problems[0].key == "variants"


def two_variant_file(tmp_path, name: str, replications: int, variant: str, payout: str):
    """A small comparison file: a variant "base" and `variant` with this inline payout."""
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(f"""
[run]
name = "{name}"
seed = 4
days = 40
replications = {replications}
[population]
consumers = 800
neighborhoods = [{{count = 4}}]
[[variants]]
name = "base"
[[variants]]
name = "{variant}"
payout = {payout}
""")
    return scenario


def test_compare_command_writes_every_output(tmp_path, capsys):
    scenario = two_variant_file(
        tmp_path,
        "cmp",
        4,
        "bonus",
        "{ referral_bonus = { referrer_yuan = 5.0, referee_yuan = 5.0 } }",
    )
    out = tmp_path / "out"
    assert main(["compare", str(scenario), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "comparison.csv",
        "comparison.json",
        "daily.csv",
        "kpis_by_replication.csv",
        "report.md",
        "manifest.json",
        "figures",
        "variants",
    } <= names
    table = pd.read_csv(out / "comparison.csv")
    assert set(table.variant) == {"base", "bonus"}
    data = json.loads((out / "comparison.json").read_text())
    assert data["baseline"] == "base" and data["replications"] == 4
    assert data["verdict"]["sentence"] in (out / "report.md").read_text()
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "cash.png",
        "curves.png",
        "differences.png",
        "payouts_by_type.png",
    ]
    assert "results:" in capsys.readouterr().out
    assert main(["compare", str(scenario), "--out", str(out)]) == 2  # never overwrites


def test_each_variants_plausibility_warnings_are_reported(tmp_path, capsys):
    scenario = two_variant_file(
        tmp_path,
        "warn",
        2,
        "unlisted_pairs",
        '{ preset = "group_buy", group_buy = { listed_appeal_per_discount = 0.0 } }',
    )
    out = tmp_path / "out"
    assert main(["compare", str(scenario), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "warnings:" in printed and "unlisted_pairs: group_fill_rate" in printed
    variants = json.loads((out / "comparison.json").read_text())["variants"]
    warnings = {v["name"]: v["warnings"] for v in variants}
    assert any(w.startswith("group_fill_rate") for w in warnings["unlisted_pairs"])
    assert not any(w.startswith("group_fill_rate") for w in warnings["base"])
    report = (out / "report.md").read_text()
    assert "## Warnings" in report and "**unlisted_pairs**: group_fill_rate" in report


def test_compare_whole_files_runs_them_paired(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(
        '[run]\nname = "a"\nseed = 5\ndays = 30\nreplications = 3\n'
        "[population]\nconsumers = 600\nneighborhoods = [{count = 3}]\n"
    )
    b.write_text(
        '[run]\nname = "b"\nseed = 77\ndays = 30\nreplications = 3\n'
        "[population]\nconsumers = 600\nneighborhoods = [{count = 3}]\n"
    )
    result = compare([a, b], progress=False)
    assert result.variants == ["a", "b"]
    assert result.scenarios["b"].run.seed == 5  # paired on the baseline's seed
    table = result.table()
    assert (table[table.variant == "b"]["diff"].dropna() == 0).all()


def test_bad_replications_option(tmp_path, capsys):
    scenario = tmp_path / "x.toml"
    scenario.write_text('[[variants]]\nname = "a"\n[[variants]]\nname = "b"\n')
    assert main(["compare", str(scenario), "--replications", "many"]) == 2
    assert "auto" in capsys.readouterr().err


def test_holm_adjustment():
    from sim.stats import holm_adjust

    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjust([0.5]) == [0.5] and holm_adjust([0.9, 0.9]) == [1.0, 1.0]


def constructed_comparison(means: dict[str, float], presets: dict[str, str], spread=1.0):
    """A comparison with known objective values (replication noise shared across variants,
    plus a little of each variant's own) and known schemes, without running anything."""
    import numpy as np
    import pandas as pd

    from sim.catalog import kpi_names
    from sim.compare import CompareResult
    from tests.conftest import small_scenario

    rng = np.random.default_rng(1)
    common = rng.normal(0, 10, 12)
    rows = []
    for variant, mean in means.items():
        own = rng.normal(0, spread, 12)
        for r in range(12):
            row = {k: 0.0 for k in kpi_names()}
            row.update(
                variant=variant, replication=r, contribution_margin=mean + common[r] + own[r]
            )
            rows.append(row)
    scenarios = {v: small_scenario(run={"name": v}, payout={"preset": presets[v]}) for v in means}
    return CompareResult(
        "constructed", scenarios, {}, "contribution_margin", pd.DataFrame(), pd.DataFrame(rows),
        pd.DataFrame(),
    )  # fmt: skip


def test_ranking_names_the_best_and_the_best_scheme_without_a_flag():
    result = constructed_comparison(
        {"base": 80.0, "team": 100.0, "commission": 90.0},
        {"base": "platform", "team": "two_level", "commission": "platform"},
    )
    rank = result.ranking()
    assert rank["order"] == ["team", "commission", "base"]
    assert rank["best"] == "team" and rank["best_clear"]
    assert rank["best_compliant"] == "commission"  # the flagged best is never the compliant one
    text = result.ranking_sentence()
    assert "'team' raises team_compensation" in text
    assert "the best scheme that raises no flag is 'commission' (-10" in text


def test_ranking_does_not_call_a_close_race_clear():
    result = constructed_comparison(
        {"a": 100.0, "b": 99.9, "c": 80.0},
        {"a": "platform", "b": "platform", "c": "platform"},
        spread=3.0,
    )
    rank = result.ranking()
    assert rank["best"] == "a" and not rank["best_clear"]
    rows = {r["variant"]: r for r in rank["rows"]}
    assert not rows["b"]["clearly_behind_best"] and rows["c"]["clearly_behind_best"]
    assert "cannot be told apart from b" in result.ranking_sentence()


def test_every_variant_has_its_acquisition_cohorts(tmp_path):
    """A comparison keeps each variant's cohorts: per replication they hold every customer
    the variant won, and they are saved and reported per variant."""
    from sim.compare_report import write_compare_report
    from sim.output import save_comparison

    result = compare(
        with_variants(
            {"name": "c10"}, {"name": "c14", "payout": {"direct_commission": {"rate": 0.14}}}
        ),
        replications=2,
        progress=False,
    )
    won = result.cohorts.groupby(["variant", "replication"])["customers"].sum()
    customers = result.kpi_values.set_index(["variant", "replication"])["customers"]
    assert won.sort_index().tolist() == customers.sort_index().tolist()
    folder = save_comparison(result, tmp_path / "out", report=write_compare_report)
    assert set(pd.read_csv(folder / "cohorts.csv")["variant"]) == {"c10", "c14"}
    report = (folder / "report.md").read_text()
    assert "### c10" in report and "### c14" in report
