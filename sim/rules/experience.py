"""Rule 6, experience: some orders are bad experiences (product mismatch).

Each order is a bad experience with probability product_mismatch_probability; a consumer's
count of bad experiences raises their churn hazard (rule 7). Later mechanisms (late
delivery, failed group buys) add to the same count.
"""

from __future__ import annotations

import numpy as np


def bad_orders(order_buyers: np.ndarray, mismatch_probability: float, u: np.ndarray) -> np.ndarray:
    """Buyers (with repeats) of today's orders that went badly; u: (K,) uniforms."""
    return order_buyers[u < mismatch_probability]
