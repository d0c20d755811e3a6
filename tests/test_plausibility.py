"""Plausibility warnings: outputs outside documented ranges are named, with the range."""

from __future__ import annotations

import pytest

from sim.plausibility import RANGES, plausibility_warnings
from sim.runner import run
from tests.conftest import small_scenario


def test_a_payout_ratio_outside_the_range_warns_only_where_sharers_are_paid():
    spec = small_scenario()
    assert plausibility_warnings(spec, {"payout_ratio": 0.02}) == []
    (low,) = plausibility_warnings(spec, {"payout_ratio": 0.005})
    assert low.startswith("payout_ratio = 0.50% is below the plausible range 1.00% .. 30.00%")
    (high,) = plausibility_warnings(spec, {"payout_ratio": 0.4})
    assert "is above the plausible range" in high
    unpaid = small_scenario(payout={"direct_commission": {"rate": 0.0}})
    assert plausibility_warnings(unpaid, {"payout_ratio": 0.0}) == []
    assert plausibility_warnings(spec, {"payout_ratio": None}) == []  # undefined: no check
    (near,) = plausibility_warnings(spec, {"payout_ratio": 0.009996})
    assert near.startswith("payout_ratio = 0.009996 is below")  # not "1.00% is below 1.00%"
    by_category = small_scenario(
        payout={"direct_commission": {"rate": 0.0, "by_category": {"fresh_produce": 0.1}}}
    )
    assert plausibility_warnings(by_category, {"payout_ratio": 0.001})


def test_every_range_has_a_source_and_a_known_kpi():
    from sim.catalog import kpi_names

    for r in RANGES:
        assert r.kpi in kpi_names() and r.source and r.meaning
        assert r.low is not None or r.high is not None
        assert (r.applies.__doc__ or "").strip()  # the docs say when it is checked


@pytest.mark.slow
def test_two_person_groups_that_rarely_fill_are_flagged_in_the_run_and_its_report(tmp_path):
    """Groups of 2 that must fill within a day among trust ties (not listed for strangers)
    fill far less than open groups on a real platform: the run says so, in the terminal
    summary and report.md."""
    from sim.output import save_run
    from sim.report import terminal_summary, write_report

    spec = small_scenario(
        run={"replications": 2, "days": 90},
        payout={
            "group_buy": {
                "group_size": 2,
                "window_days": 1,
                "discount_rate": 0.2,
                "listed_appeal_per_discount": 0.0,
            }
        },
    )
    result = run(spec, progress=False)
    fill = result.kpis["group_fill_rate"]["mean"]
    assert fill < 0.8
    assert any(w.startswith("group_fill_rate = ") for w in result.warnings())
    assert "warning: group_fill_rate" in terminal_summary(result)
    folder = save_run(result, tmp_path / "out", report=write_report)
    assert "- group_fill_rate = " in (folder / "report.md").read_text()
