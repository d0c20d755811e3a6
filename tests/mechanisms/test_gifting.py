"""Gifting: gifts to ties, claims, bindings and their cost."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import gifting
from tests.conftest import small_scenario, star_by_speaker


def test_gifts_go_to_a_tie_and_only_some_are_claimed():
    by_speaker = star_by_speaker(3)
    sender, receiver = gifting.send_gifts(
        np.array([0, 1]), 0.5, by_speaker, np.array([0.1, 0.9]), np.array([0.99, 0.0])
    )
    assert sender.tolist() == [0] and receiver.tolist() == [3]  # 1 sent nothing
    can_claim = np.array([True, True, True, False])
    claimed = gifting.claim_gifts(np.array([1, 3]), can_claim, 1.0, np.array([0.5, 0.5]))
    assert claimed.tolist() == [True, False]  # consumer 3 cannot buy online: unclaimed


def test_claimed_gifts_bind_the_receiver_and_are_paid_for(tmp_path):
    from tests.conftest import edge_list_scenario

    n = 31
    edges = [(0, i, 1.0) for i in range(1, n)]

    def gift_run(claim):
        s = edge_list_scenario(
            tmp_path,
            edges,
            n,
            run={"days": 40, "ledger": "entries"},
            payout={
                "gift": {
                    "gifts_per_sharer_per_month": 30.0,
                    "claim_probability": claim,
                    "gift_cost_yuan": 4.0,
                }
            },
        )
        from sim.market import SocialCommerceModel

        model = SocialCommerceModel(s)
        model.consumers.is_sharer[0] = True
        model.consumers.first_order_day[0] = 0
        model.consumers.customer_of[0] = True
        model.run_model()
        return model

    claimed = gift_run(1.0)
    v = claimed.recorder.values
    assert v["gifts_sent"].sum() == 40 and v["gifts_claimed"].sum() == 40
    assert v["payout_gift"].sum() == 40 * 400
    bound = np.flatnonzero(claimed.consumers.referrer == 0)
    assert bound.size > 10 and bound.min() >= 1
    unclaimed = gift_run(0.0)
    assert unclaimed.recorder.values["gifts_claimed"].sum() == 0
    assert unclaimed.recorder.values["payout_gift"].sum() == 0
    assert (unclaimed.consumers.referrer == -1).all()


def test_unknown_gift_category_is_reported():
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        small_scenario(payout={"gift": {"category": "fruits"}})
    assert info.value.problems[0].key == "payout.gift.category"
