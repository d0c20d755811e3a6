"""Word of mouth: the Bass signal, uniform mixing and the independent cascade."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    purchase,
    word_of_mouth,
)
from sim.network import row_normalized, ties_to_matrix


def test_word_of_mouth_uniform_mixing_is_population_share():
    broadcasting = np.array([[1.0], [0.0], [0.0], [1.0]])
    got = word_of_mouth.word_of_mouth_signal("uniform", np.zeros((4, 1)), broadcasting)
    np.testing.assert_allclose(got, 0.5)


def test_normalized_signal_is_trust_weighted_share_of_ties():
    # Listener 0 trusts 1 (1.0) and 2 (0.25); only 1 is a customer: share 1/1.25 = 0.8.
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([1.0, 0.25]), symmetric=False
    )
    signal = row_normalized(trust) @ np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(signal, [0.8, 0.0, 0.0])


def test_cascade_rate_is_independent_conversion_probability():
    # Leaf 1..3 trust the centre 0 with 1.0, 0.5, 0.0; the centre first bought yesterday.
    trust = ties_to_matrix(
        4, np.array([1, 2, 3]), np.zeros(3, int), np.array([1.0, 0.5, 0.0]), symmetric=False
    )
    by_speaker = trust.T.tocsr()
    pc = 0.4
    by_speaker.data = -np.log1p(-pc * by_speaker.data)
    new = np.array([[True], [False], [False], [False]])
    p = purchase.adoption_probability(word_of_mouth.cascade_rate(by_speaker, new))
    np.testing.assert_allclose(p[:, 0], [0.0, 0.4, 0.2, 0.0])


def test_cascade_rate_combines_two_speakers():
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([1.0, 1.0]), symmetric=False
    )
    by_speaker = trust.T.tocsr()
    by_speaker.data = -np.log1p(-0.5 * by_speaker.data)
    new = np.array([[False], [True], [True]])
    p = purchase.adoption_probability(word_of_mouth.cascade_rate(by_speaker, new))
    np.testing.assert_allclose(p[0, 0], 1 - 0.5 * 0.5)
