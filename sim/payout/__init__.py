"""Payout schemes: one module per rule (its schema table and its arithmetic).

- `direct_commission`, `upline_override`, `referral_bonus`, `self_purchase_discount`,
  `entry_fee`, `stock`, `group_buy`: the rules and their scenario tables;
- `scheme`: the `[payout]` table, presets, and the scheme compiled to arrays;
- `settle`: the daily settlement of orders in the ledger;
- `compliance`: the flags a strategist must see before production.
"""

from sim.payout.scheme import PRESETS, PayoutScheme, PayoutSection, expand_preset
from sim.payout.settle import (
    Settlement,
    onboard_sharers,
    pay_gifts,
    pay_sales_bonuses,
    settle_orders,
)

__all__ = [
    "PRESETS",
    "PayoutScheme",
    "PayoutSection",
    "Settlement",
    "expand_preset",
    "onboard_sharers",
    "pay_gifts",
    "pay_sales_bonuses",
    "settle_orders",
]
