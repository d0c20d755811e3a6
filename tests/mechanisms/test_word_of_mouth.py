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


def test_no_maintained_signal_exceeds_the_ceiling_rules_bound_by():
    """The signal kept up to date by adding changes stays within 1e-10 of the range
    [-1, SIGNAL_CEILING] (sharers' joining bound reads the ceiling), on a generated
    network and on the Bitcoin OTC network with its distrust ties, day after day."""
    from sim.market import Market
    from sim.scenario import load_scenario
    from tests.conftest import DATA, ROOT

    for path, consumers in [
        (DATA / "scenarios" / "all_mechanisms.toml", 2000),
        (ROOT / "scenarios" / "bitcoin_otc.toml", None),
    ]:
        overrides = {"run.days": 120} | ({"population.consumers": consumers} if consumers else {})
        market = Market(load_scenario(path, overrides))
        signal = market.platform.consumers.wom_signal
        highest = lowest = 0.0
        for _ in range(120):
            market.step()
            highest, lowest = max(highest, signal.max()), min(lowest, signal.min())
        assert highest <= word_of_mouth.SIGNAL_CEILING + 1e-10, path
        assert lowest >= -1.0 - 1e-10, path
        assert highest > 0.5, path  # the signal was tested near its ceiling


def test_the_kept_signal_is_the_ties_times_what_speakers_broadcast_from_day_0():
    """Group leaders appointed before day 0 are sharers: their ties hear it from the first
    day, as from anyone who becomes one later. The signal kept by adding changes is the
    dense product of the row-normalized ties and every speaker's state (active customer
    per category, then sharer), at set-up and day after day."""
    from sim.market import Market
    from sim.scenario import load_scenario
    from tests.conftest import DATA

    spec = load_scenario(
        DATA / "scenarios" / "all_mechanisms.toml", {"population.consumers": 800, "run.days": 30}
    )
    market = Market(spec)
    mechanism, c = market.platform.get("word_of_mouth"), market.platform.consumers
    leaders = np.flatnonzero(c.is_leader)
    assert leaders.size and c.is_sharer[leaders].all()
    for day in range(31):
        dense = mechanism.influence.T @ c.influence_state()
        np.testing.assert_allclose(mechanism.signal, dense, rtol=0, atol=1e-12, err_msg=day)
        if day < 30:
            market.step()
    listeners = mechanism.influence[leaders].indices
    assert (mechanism.sharer_signal[listeners] != 0).any()
