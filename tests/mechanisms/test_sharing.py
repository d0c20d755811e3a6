"""Sharing: who shares, and the trust-weighted shares each consumer receives."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import (
    sharing,
)
from sim.network import ties_to_matrix


def test_share_exposure_sums_trust_of_sharers():
    # 0 trusts 1 with 0.5 and 2 with 1.0; 1 and 2 share category 0, only 2 shares category 1.
    trust = ties_to_matrix(
        3, np.array([0, 0]), np.array([1, 2]), np.array([0.5, 1.0]), symmetric=False
    )
    shared = np.array([[True, False], [True, True]])
    got = sharing.share_exposure(trust.T.tocsr(), np.array([1, 2]), shared)
    np.testing.assert_allclose(got, [[1.5, 1.0], [0, 0], [0, 0]])


def test_share_products_respects_probability(rng):
    u = rng.random((100_000, 2))
    shared = sharing.share_products(np.arange(100_000), np.array([0.2, 0.0]), np.ones(100_000), u)
    assert abs(shared[:, 0].mean() - 0.2) < 0.005  # 5 standard errors
    assert not shared[:, 1].any()
    harder = sharing.share_products(
        np.arange(100_000), np.array([0.2, 0.5]), np.full(100_000, 3.0), u
    )
    assert abs(harder[:, 0].mean() - 0.6) < 0.008 and harder[:, 1].all()  # clipped at 1


def test_share_effort_responds_to_the_expected_reward():
    reward = np.array([0.0, 5.0, 20.0, 1000.0])
    np.testing.assert_allclose(sharing.share_effort(reward, 5.0, 0.5, 3.0), [0, 1, 2, 3])
    np.testing.assert_allclose(sharing.share_effort(reward, 5.0, 0.0, 3.0), [0, 1, 1, 1])


def test_the_share_hazard_is_conversion_times_shares_and_shared_today_is_todays():
    """Read where it is kept (conversion x the shares received, not a second array), 0
    on a day nobody shares; the kept shares received, of which only the rows reached
    are cleared and rewritten, equal to the dense sums every day; shared_today holds
    today's sharers' rows only, whoever shared yesterday (only the sharing mechanism
    writes it)."""
    from sim.market import Market
    from tests.conftest import small_scenario

    spec = small_scenario(
        population={"consumers": 400},
        run={"days": 40},
        behavior={"sharer_recruitment_per_day": 0.05, "share_rate_per_day": 0.3},
    )
    platform = Market(spec, 0).platform
    mechanism = platform.get("sharing")
    conversion = spec.behavior.share_conversion_per_share
    c, k = platform.consumers, len(spec.categories)
    days_shared = days_silent = 0
    while (day := platform.step_day()) is not None:
        hazard = np.broadcast_to(np.asarray(day.hazard["share"]), (c.n, k))
        if day.shared.any():
            days_shared += 1
            received = sharing.share_exposure(
                platform.network.by_speaker, mechanism.rows_set, day.shared
            )
            np.testing.assert_array_equal(hazard, received * conversion)
            # the ceiling the purchase kernel bounds rates by: the largest shares received;
            # and the rows it stated: none received a share outside them, silent days or not
            np.testing.assert_array_equal(
                day.hazard["share"].ceiling, np.maximum(received.max(axis=0), 0.0)
            )
            rows = day.hazard["share"].rows
            assert rows.any() and not received[~rows].any()
            np.testing.assert_array_equal(rows, received.any(axis=1))
        else:
            days_silent += 1
            assert not hazard.any()
        expected = np.zeros((c.n, k), bool)
        expected[mechanism.rows_set] = day.shared
        np.testing.assert_array_equal(c.shared_today, expected)
        assert np.count_nonzero(c.shared_today) == platform.recorder.values["shares"][day.index]
    assert days_shared and days_silent


def test_the_share_ceiling_holds_over_distrust_ties():
    """On Bitcoin OTC, whose distrust ties make some shares received negative, the share
    hazard's ceiling (the largest partial sum) is never below a value or 0."""
    from sim.market import Market
    from sim.mechanisms.base import ScaledHazard
    from sim.scenario import load_scenario
    from tests.conftest import ROOT

    market = Market(load_scenario(ROOT / "scenarios" / "bitcoin_otc.toml", {"run.days": 60}))
    platform, negative = market.platform, 0
    while (day := platform.step_day()) is not None:
        hazard = day.hazard["share"]
        if isinstance(hazard, ScaledHazard):
            values = hazard.values[:, : hazard.columns]
            top = np.maximum(values.max(axis=0), 0.0)
            assert (hazard.ceiling >= top).all()
            negative += int((values < 0).any())
    assert negative  # distrust ties were spoken over
