"""Experience: product mismatches are bad experiences."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    experience,
)


def test_bad_orders(rng):
    buyers = np.arange(100_000)
    bad = experience.bad_orders(buyers, 0.03, rng.random(buyers.size))
    assert abs(bad.size / buyers.size - 0.03) < 0.003
