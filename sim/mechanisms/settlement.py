"""Settlement: the day's orders are paid for, discounted and rewarded in the ledger.

The arithmetic of every payout rule lives in `sim.payout` (one module per rule, and
`sim.payout.settle` for the order of application); this mechanism runs it once a day, after
the orders happened and before sharers judge their earnings.
"""

from __future__ import annotations

from sim.mechanisms.base import Day, Mechanism
from sim.payout import settle_orders


class Settlement(Mechanism):
    name = "settlement"
    phase = "settle"

    def settle(self, day: Day) -> None:
        ledger = day.ledger
        ledger.clear_earnings()  # sharers' monthly earnings count what is paid from here
        day.settlement = settle_orders(
            day.index, day.orders, self.pop, day.new_customers, self.platform.scheme, ledger
        )
