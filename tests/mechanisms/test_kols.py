"""KOLs: schedules, followers, fees and commissions."""

from __future__ import annotations

import numpy as np

from sim.mechanisms.kols import KOLSection, draw_followers, kol_rates
from sim.runner import run
from tests.conftest import small_scenario


class FakeKOL:
    def __init__(self, index, spec, followers, category):
        self.index, self.spec, self.followers, self.category = index, spec, followers, category

    from sim.mechanisms.kols import KOL

    posts_on = KOL.posts_on


def test_kol_posts_on_schedule_and_reaches_followers():
    spec = KOLSection(
        name="a", trust=0.2, conversion_per_post=2.0, first_post_day=3, post_interval_days=7
    )
    kol = FakeKOL(0, spec, np.array([1, 3]), 1)
    assert [d for d in range(20) if kol.posts_on(d)] == [3, 10, 17]
    rate, who = kol_rates([kol], 10, (5, 2))
    np.testing.assert_allclose(rate[:, 1], [0, 0.4, 0, 0.4, 0])
    assert who.tolist() == [-1, 0, -1, 0, -1]
    assert kol_rates([kol], 11, (5, 2))[0].sum() == 0


def test_followers_are_distinct_consumers():
    f = draw_followers(100, 60, np.random.Generator(np.random.PCG64(1)))
    assert f.size == 60 and np.unique(f).size == 60 and f.max() < 100


def test_kol_fees_and_commissions_are_booked():
    kol = {
        "name": "k",
        "followers": 1500,
        "fee_per_post_yuan": 300.0,
        "commission_rate": 0.05,
        "first_post_day": 0,
        "post_interval_days": 10,
    }
    result = run(small_scenario(run={"days": 40, "replications": 1}, kols=[kol]), progress=False)
    d = result.daily
    assert d["kol_posts"].sum() == 4  # days 0, 10, 20, 30
    assert d["payout_kol_fee"].sum() == 4 * 300.0
    commission = d["payout_kol_commission"].sum()
    assert commission > 0
    # CPS is 5% of the KOL customers' order value, up to rounding each order to the fen
    assert abs(commission - 0.05 * d["kol_customer_gmv"].sum()) < 0.01 * d["orders"].sum()
    assert result.kpis["kol_customers"]["mean"] > 0
