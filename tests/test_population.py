"""Population: households, neighborhoods, age and online readiness."""

from __future__ import annotations

import numpy as np
import pytest


def test_age_mix_keeps_the_tier_average_readiness():
    from sim.population import age_readiness

    elderly = np.zeros(100_000, bool)
    elderly[:20_000] = True
    r = age_readiness(np.full(100_000, 0.4), elderly, np.full(100_000, 0.2), 0.25)
    assert r[~elderly][0] == pytest.approx(0.4 / 0.85)
    assert r[elderly][0] == pytest.approx(0.25 * 0.4 / 0.85)
    assert r.mean() == pytest.approx(0.4)
