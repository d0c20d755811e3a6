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
# Series that copy one ledger type's day total (besides a discount_* or payout_* one each).
LEDGER_COPIES = {
    "retail_sales": "retail_sale",
    "entry_fees": "entry_fee",
    "stock_purchases": "stock_purchase",
    "downline_stock_sales": "downline_stock_sale",
    "downline_stock_markups": "downline_stock_markup",
}
GIFT_PACK_TYPES = ("gift_pack", "gift_pack_premium")  # the gift_packs series: their sum


class Recorder:
    """Preallocated daily series of one platform."""

    def __init__(self, days: int):
        entries = [s for s in series() if s.provider != "market"]
        self.values = {s.name: np.zeros(days, dtype=np.int64) for s in entries}
        # The series that copy one ledger type's day total: columns of one table, filled
        # a day at a time by one gather from the ledger's row of the day.
        by_type = {
            **{f"discount_{n.removesuffix('_discount')}": n for n in DISCOUNT_TYPES},
            **{f"payout_{n}": n for n in PAYOUT_TYPES},
            **LEDGER_COPIES,
        }
        self._types = np.array([TYPE_INDEX[n] for n in by_type.values()], np.intp)
        self._by_type = np.zeros((days, len(by_type)), np.int64, order="F")
        for j, name in enumerate(by_type):
            self.values[name] = self._by_type[:, j]  # a view: written by the gather
        self._payouts = np.array([TYPE_INDEX[n] for n in PAYOUT_TYPES], np.intp)
        self._discounts = np.array([TYPE_INDEX[n] for n in DISCOUNT_TYPES], np.intp)
        self._gift_packs = np.array([TYPE_INDEX[n] for n in GIFT_PACK_TYPES], np.intp)
        self.counted = frozenset(s.name for s in entries if s.provider not in COMPUTED_BY)
        self.in_fen = frozenset(s.name for s in entries if s.in_fen)
        self.first_order_commission_fen = 0
        self.first_order_discount_fen = 0

    def record(self, day: Day, platform: Platform) -> None:
        t, c, v, ledger = day.index, platform.consumers, self.values, day.ledger
        orders, settlement, new_customers = day.orders, day.settlement, day.new_customers
        cost_fen = settlement.cost_of_goods_fen
        row = ledger.daily_fen[t]  # the day's total of each entry type
        self._by_type[t] = row[self._types]
        payouts = int(row[self._payouts].sum())
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
        v["discounts"][t] = row[self._discounts].sum()
        v["payouts_total"][t] = payouts
        v["cost_of_goods"][t] = cost_fen
        v["gift_packs"][t] = row[self._gift_packs].sum()
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
        for name, count in day.counts.items():  # the others stay 0
            if name in self.counted:
                v[name][t] = count
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
