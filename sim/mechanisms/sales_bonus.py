"""Sales-threshold bonuses: every 30 days, active sharers are paid their tier's rate on the
sales they brought that month, and a new month starts (`sim.payout.sales_bonus`)."""

from __future__ import annotations

from sim.mechanisms.base import Day, Mechanism
from sim.payout import pay_sales_bonuses
from sim.payout.sales_bonus import BONUS_PERIOD_DAYS


class SalesBonus(Mechanism):
    name = "sales_bonus"
    phase = "settle"

    def settle(self, day: Day) -> None:
        if (day.index + 1) % BONUS_PERIOD_DAYS == 0:
            pay_sales_bonuses(day.index, self.pop, self.platform.scheme, day.ledger)
