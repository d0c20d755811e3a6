"""Rule 3, repurchase: customers reorder when a category's interval is up.

After every order in category c (and after every skipped reorder) the next due day is drawn
from a gamma distribution with mean repurchase_interval_days_c and shape k (k = 1 is
memoryless; larger k is more regular). On the due day an active customer reorders with
probability

    repurchase_probability x f_c x exp(-s x L) x (1 - e + e x t) x m

with f_c the category's price and hype factor, L the lead time of the customer's last
delivery in days, s the fulfillment's lead_time_sensitivity_per_day, t the strength of the
recommendation that won the customer (1 for ads), e the
recommendation_repurchase_effect, and m the audience match of the KOL who brought them
(1 if none); members of community groups also reorder by their groups' match to the
category (sim.rules.community_groups.repurchase_factor).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv


def draw_intervals(mean_days: np.ndarray, shape: float, u: np.ndarray) -> np.ndarray:
    """Gamma(shape, mean/shape) intervals by inversion of uniforms u, at least 1 day."""
    days = gammaincinv(shape, u) * (mean_days / shape)
    return np.maximum(np.rint(days), 1).astype(np.int32)


def due_reorders(reorder_probability: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which due (consumer, category) pairs reorder: (K,) probabilities and uniforms."""
    return u < reorder_probability


def lead_time_factor(lead_hours: np.ndarray, sensitivity_per_day: float) -> np.ndarray:
    """Repurchase multiplier exp(-sensitivity x lead days) of the last delivery."""
    return np.exp(-sensitivity_per_day * lead_hours / 24.0)
