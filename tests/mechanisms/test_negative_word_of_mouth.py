"""Negative word of mouth: bad news reaches ties and fades."""

from __future__ import annotations

import numpy as np

from sim.network import ties_to_matrix


def test_bad_news_reaches_ties_by_trust_and_fades():
    from sim.mechanisms import negative_word_of_mouth as nwom

    # 1 and 2 trust 0 with 1.0 and 0.5; 0 had two bad experiences today
    trust = ties_to_matrix(
        3, np.array([1, 2]), np.zeros(2, int), np.array([1.0, 0.5]), symmetric=False
    )
    signal = np.zeros(3)
    heard = nwom.spread_bad_news(signal, trust.T.tocsr(), np.array([2, 0, 0]), 7.0)
    assert heard == 2
    np.testing.assert_allclose(signal, [0.0, 2.0, 1.0])
    for _ in range(7):
        nwom.spread_bad_news(signal, trust.T.tocsr(), np.zeros(3, int), 7.0)
    np.testing.assert_allclose(signal, [0.0, 1.0, 0.5])  # one half-life later
    np.testing.assert_allclose(nwom.adoption_damper(np.array([0.0, 2.0]), 0.5), [1.0, np.exp(-1.0)])
    np.testing.assert_allclose(nwom.churn_amplifier(np.array([0.0, 2.0]), 0.5), [1.0, 2.0])
