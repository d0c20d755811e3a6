"""The statistical yardstick: BG/NBD (Fader, Hardie and Lee 2005) fitted to the same log
with pymc-marketing's `BetaGeoModel`, by maximum a posteriori under flat priors (that is,
maximum likelihood, as in the paper), in weeks.

From each calibration customer's frequency (calibration repeats), recency (weeks from the
first to the last calibration transaction) and age T (weeks from the first transaction to
the calibration end), the model predicts each customer's expected repeats over the next t
weeks; summed over customers this is the holdout forecast the simulator is judged against.
pymc-marketing is an optional extra (`pip install -e ".[calibration]"`).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.summaries import MAX_REPEATS, LogSummary
from sim.errors import SimError


def rfm(summary: LogSummary) -> pd.DataFrame:
    """Per calibration customer: frequency, recency and T in weeks (BG/NBD's inputs)."""
    c = summary.per_customer
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(c)),
            "frequency": c["frequency"].to_numpy(dtype=float),
            "recency": c["recency_days"].to_numpy(dtype=float) / 7.0,
            "T": c["age_days"].to_numpy(dtype=float) / 7.0,
        }
    )


def fit_bgnbd(summary: LogSummary) -> dict[str, Any]:
    """Fit BG/NBD to the calibration period; its parameters, the holdout forecast (total,
    cumulative by holdout week, and by calibration repeats)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ announces its refactor on import
        try:
            from pymc_marketing.clv import BetaGeoModel
            from pymc_marketing.prior import Prior
        except ImportError:
            raise SimError(
                "the BG/NBD yardstick needs pymc-marketing: pip install -e '.[calibration]', "
                "or set calibration.yardstick = false"
            ) from None
    data = rfm(summary)
    for name in ("pymc", "pytensor", "pymc_marketing"):
        logging.getLogger(name).setLevel(logging.ERROR)
    model = BetaGeoModel(model_config={k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, fit_method="map", progressbar=False)
    params = {k: float(model.fit_result[k].values.squeeze()) for k in ("r", "alpha", "a", "b")}
    holdout_days = (summary.end - summary.calibration_end).days
    weeks_ahead = np.arange(1, int(np.ceil(holdout_days / 7.0)) + 1, dtype=float)
    weeks_ahead[-1] = holdout_days / 7.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_customer = model.expected_purchases(data, future_t=holdout_days / 7.0)
        per_customer = np.asarray(per_customer).reshape(-1)
        cumulative = [
            float(np.asarray(model.expected_purchases(data, future_t=t)).sum()) for t in weeks_ahead
        ]
    frequency = data["frequency"].clip(upper=MAX_REPEATS)
    by_frequency = pd.Series(per_customer).groupby(frequency.to_numpy()).mean()
    return {
        "library": "pymc-marketing BetaGeoModel (MAP, flat priors)",
        "parameters": params,
        "holdout_repeats": float(per_customer.sum()),
        "holdout_weeks": weeks_ahead.tolist(),
        "holdout_cumulative": cumulative,
        "holdout_by_frequency": {int(k): float(v) for k, v in by_frequency.items()},
    }
