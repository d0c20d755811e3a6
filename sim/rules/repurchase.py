"""Rule 3, repurchase: customers reorder when a category's interval is up.

After every order in category c (and after every skipped reorder) the next due day is drawn
from a gamma distribution with mean repurchase_interval_days_c and shape k (k = 1 is
memoryless; larger k is more regular). On the due day an active customer reorders with
probability repurchase_probability x f_c, with f_c the category's price and hype factor.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv


def draw_intervals(mean_days: np.ndarray, shape: float, u: np.ndarray) -> np.ndarray:
    """Gamma(shape, mean/shape) intervals by inversion of uniforms u, at least 1 day."""
    days = gammaincinv(shape, u) * (mean_days / shape)
    return np.maximum(np.rint(days), 1).astype(np.int32)


def due_reorders(due: np.ndarray, reorder_probability: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which due (consumer, category) pairs reorder.

    due: (K,) category index of each due pair; reorder_probability: (C,); u: (K,) uniforms.
    Returns (K,) bool.
    """
    return u < reorder_probability[due]
