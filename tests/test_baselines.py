"""The project's own regression baselines (results/baselines/) still hold: `sim check` as
part of the test suite. After an intended model change, re-record with
`sim check --update`."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

BASELINES = sorted((ROOT / "results" / "baselines").glob("*.json"))


def test_there_are_baselines():
    assert BASELINES


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.stem)
def test_baseline_holds(path, sim_check):
    sim_check(path, root=ROOT)
