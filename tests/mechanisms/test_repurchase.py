"""Repurchase: gamma intervals and due reorders."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    repurchase,
)


def test_intervals_have_the_category_mean(rng):
    u = rng.random(200_000)
    days = repurchase.draw_intervals(np.full(u.size, 21.0), 4.0, u)
    assert days.min() >= 1
    assert abs(days.mean() - 21.0) < 0.1
    # shape 4: sd = mean / 2
    assert abs(days.std() - 10.5) < 0.2


def test_due_reorders_by_probability(rng):
    due = np.repeat([0, 1], 50_000)
    got = repurchase.due_reorders(np.array([0.9, 0.3])[due], rng.random(due.size))
    assert abs(got[due == 0].mean() - 0.9) < 0.01
    assert abs(got[due == 1].mean() - 0.3) < 0.01
