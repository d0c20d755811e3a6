"""The daily recorder of one platform: one value per day of every series in the catalog.

Money is kept in fen and reported in yuan. The platform's own bookkeeping (customers,
orders, money by ledger type) is read from the day's context, the population and the
ledger; every other series is a counter a mechanism set on the day (`Day.count`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.catalog import series
from sim.ledger import DISCOUNT_TYPES, PAYOUT_TYPES, TYPE_INDEX
from sim.state import SOURCE_GROUP, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH

if TYPE_CHECKING:
    from sim.mechanisms.base import Day
    from sim.platform import Platform

# Series the recorder computes itself from the day, the population and the ledger; every
# other series of a platform is a counter a mechanism set on the day.
COMPUTED_BY = ("platform", "churn", "sharers")


class Recorder:
    """Preallocated daily series of one platform."""

    def __init__(self, days: int):
        entries = [s for s in series() if s.provider != "market"]
        self.values = {s.name: np.zeros(days, dtype=np.int64) for s in entries}
        self.counted = tuple(s.name for s in entries if s.provider not in COMPUTED_BY)
        self.in_fen = frozenset(s.name for s in entries if s.in_fen)
        self.first_order_commission_fen = 0
        self.first_order_discount_fen = 0

    def record(self, day: Day, platform: Platform) -> None:
        t, c, v, ledger = day.index, platform.consumers, self.values, day.ledger
        orders, settlement, new_customers = day.orders, day.settlement, day.new_customers
        cost_fen = settlement.cost_of_goods_fen
        payouts = ledger.day_total_fen(t, PAYOUT_TYPES)
        v["new_customers"][t] = np.count_nonzero(new_customers)
        v["customers"][t] = (v["customers"][t - 1] if t else 0) + v["new_customers"][t]
        v["active_customers"][t] = np.count_nonzero(c.active_customer)
        # ordered in the last 30 days: last order day >= 0 and > t - 30, one comparison
        v["active_customers_30d"][t] = np.count_nonzero(c.last_order_day > max(t - 30, -1))
        v["lapsed_today"][t] = np.count_nonzero(day.lapsed)
        v["lapsed"][t] = np.count_nonzero(c.lapsed)  # without win-back: every lapse so far
        v["won_back"][t] = day.counts.get("won_back", 0)
        v["orders"][t] = orders.size
        v["first_orders"][t] = orders.first_in_category.sum()
        v["repeat_orders"][t] = orders.size - v["first_orders"][t]
        v["gmv"][t] = settlement.list_fen.sum()
        v["paid"][t] = settlement.paid_fen.sum()
        v["discounts"][t] = ledger.day_total_fen(t, DISCOUNT_TYPES)
        for name in DISCOUNT_TYPES:
            v[f"discount_{name.removesuffix('_discount')}"][t] = ledger.day_total_fen(t, (name,))
        for name in PAYOUT_TYPES:
            v[f"payout_{name}"][t] = ledger.day_total_fen(t, (name,))
        v["payouts_total"][t] = payouts
        v["cost_of_goods"][t] = cost_fen
        v["retail_sales"][t] = ledger.daily_fen[t, TYPE_INDEX["retail_sale"]]
        v["entry_fees"][t] = ledger.daily_fen[t, TYPE_INDEX["entry_fee"]]
        v["gift_packs"][t] = (
            ledger.daily_fen[t, TYPE_INDEX["gift_pack"]]
            + ledger.daily_fen[t, TYPE_INDEX["gift_pack_premium"]]
        )
        v["stock_purchases"][t] = ledger.daily_fen[t, TYPE_INDEX["stock_purchase"]]
        v["downline_stock_sales"][t] = ledger.daily_fen[t, TYPE_INDEX["downline_stock_sale"]]
        v["downline_stock_markups"][t] = ledger.daily_fen[t, TYPE_INDEX["downline_stock_markup"]]
        platform_revenue = (
            v["paid"][t]
            - v["retail_sales"][t]
            + v["entry_fees"][t]
            + v["stock_purchases"][t]
            + v["gift_packs"][t]
        )
        v["contribution_margin"][t] = (
            platform_revenue - cost_fen - settlement.fulfillment_cost_fen - payouts
        )
        v["new_sharers"][t] = np.count_nonzero(day.joined)
        v["quit_sharers"][t] = np.count_nonzero(day.quit)
        v["active_sharers"][t] = np.count_nonzero(c.is_sharer)
        v["bad_experiences"][t] = day.bad_experience_total
        for name in self.counted:
            v[name][t] = day.counts.get(name, 0)
        v["group_orders"][t] = orders.group_order.sum()
        newcomers = np.flatnonzero(new_customers)
        acquired = c.acquired_by[newcomers]
        v["acquired_by_group_buy"][t] = np.count_nonzero(acquired == SOURCE_GROUP)
        v["acquired_by_share"][t] = np.count_nonzero(acquired == SOURCE_SHARE)
        v["acquired_by_word_of_mouth"][t] = np.count_nonzero(acquired == SOURCE_WORD_OF_MOUTH)
        first = orders.first_in_category & new_customers[orders.buyer]
        self.first_order_commission_fen += int(settlement.commission_fen[first].sum())
        self.first_order_discount_fen += int(settlement.discount_fen[first].sum())

    def frame(self, days: int) -> pd.DataFrame:
        """The first `days` days as a table, money in yuan."""
        data: dict[str, np.ndarray] = {"day": np.arange(days)}
        for name, column in self.values.items():
            col = column[:days]
            data[name] = col / 100.0 if name in self.in_fen else col
        return pd.DataFrame(data)
