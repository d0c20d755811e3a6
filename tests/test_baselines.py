"""The project's own regression baselines (results/baselines/) still hold: `sim check` as
part of the test suite. After an intended model change, re-record with
`sim check --update`.

`results/baselines/shipped/` holds exact baselines of every shipped scenario and of each
`[[variants]]` entry of the comparison and fact files, plus a scenario with every mechanism
on (`tests/data/scenarios/all_mechanisms.toml`), at small sizes: the safety net for
refactors, which must leave every number, and every daily series, unchanged.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

BASELINES = sorted((ROOT / "results" / "baselines").glob("*.json"))
SHIPPED = sorted((ROOT / "results" / "baselines" / "shipped").glob("*.json"))


def test_there_are_baselines():
    assert BASELINES
    assert len(SHIPPED) >= 30


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.stem)
def test_baseline_holds(path, sim_check):
    sim_check(path, root=ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_baseline_holds(path, sim_check):
    sim_check(path, root=ROOT)
