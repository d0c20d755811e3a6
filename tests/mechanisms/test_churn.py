"""Churn: the lapse hazard."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    churn,
)


def test_churn_hazard_rises_with_recency_and_bad_experiences():
    h = churn.churn_hazard(np.array([0, 30, 30, 100_000]), np.array([0, 0, 2, 0]), 0.001, 30.0, 1.0)
    np.testing.assert_allclose(h, [0.001, 0.002, 0.008, 1.0], rtol=1e-4)
    lapsed = churn.lapse(np.array([True, False]), np.array([1.0, 1.0]), np.zeros(2))
    assert lapsed.tolist() == [True, False]
