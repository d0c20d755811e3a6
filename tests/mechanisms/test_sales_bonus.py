"""Sales-threshold bonuses: tiers and monthly payment."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import Ledger
from sim.payout import pay_sales_bonuses
from sim.payout.sales_bonus import SalesBonus, tier_bonus_fen
from sim.state import Consumers
from tests.test_payouts import scheme


def test_tier_bonus_uses_the_highest_tier_reached():
    bonus = tier_bonus_fen(
        np.array([50_000, 100_000, 700_000]), np.array([100_000, 500_000]), np.array([0.02, 0.05])
    )
    assert bonus.tolist() == [0, 2_000, 35_000]


def test_sales_bonus_paid_at_period_end_and_reset():
    c = Consumers.create(np.ones(3, bool), 2)
    c.is_sharer[:] = [True, True, False]
    c.period_sales_fen[:] = [600_000, 20_000, 900_000]  # 2 is no longer a sharer
    ledger = Ledger(3, 30, keep_entries=True)
    sch = scheme(
        sales_thresholds_fen=np.array([100_000, 500_000]), sales_bonus_rates=np.array([0.02, 0.05])
    )
    pay_sales_bonuses(29, c, sch, ledger)
    e = ledger.entries()
    assert e[["payee", "amount_fen"]].values.tolist() == [[0, 30_000]]
    assert (c.period_sales_fen == 0).all()


def test_tiers_must_increase():
    with pytest.raises(ValueError, match="increasing"):
        SalesBonus(
            tiers=[
                {"monthly_sales_yuan": 500, "rate": 0.05},
                {"monthly_sales_yuan": 100, "rate": 0.02},
            ]
        )
