"""A pytest fixture for users' own suites::

    def test_model_has_not_drifted(sim_check):
        sim_check("results/baselines/my_scenario.json")

`sim_check(path, mode="auto", ...)` reruns the baseline and fails the test with the
comparison table when the model drifted or the scenario changed.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def sim_check():
    from sim.check import check_baseline

    def check(path, **options):
        result = check_baseline(path, progress=False, **options)
        if not result.holds:
            pytest.fail(result.table(), pytrace=False)
        return result

    return check
