"""The ledger: every money movement, kept in integer fen so it balances to the cent.

At scale it keeps per-day totals by entry type and per-consumer running sums; with
`run.ledger = "entries"` it also keeps every entry (day, type, payer, payee, amount, level).
Party -1 is the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.arrays import sum_by_key
from sim.errors import SimError

PLATFORM = -1
EXTERNAL = -2  # a party outside the consumers (KOLs)


@dataclass(frozen=True)
class EntryType:
    name: str
    # "payment": consumer pays the platform for an order; "retail": consumer pays a sharer
    # for an order from the sharer's stock; "discount": taken off an order's list price;
    # "payout": platform pays a consumer; "fee": consumer pays the platform to take part;
    # "transfer": a sharer pays their upline for stock (agent tiers; not the platform's).
    kind: str


ENTRY_TYPES: tuple[EntryType, ...] = (
    EntryType("order_payment", "payment"),
    EntryType("retail_sale", "retail"),
    EntryType("gift_pack", "payment"),  # a gift pack: what its goods are worth to the member
    EntryType("gift_pack_premium", "fee"),  # the rest of its price: what membership costs
    EntryType("self_purchase_discount", "discount"),
    EntryType("group_buy_discount", "discount"),
    EntryType("coupon_discount", "discount"),
    EntryType("bargain_discount", "discount"),
    EntryType("direct_commission", "payout"),
    EntryType("upline_override", "payout"),
    EntryType("referral_bonus_referrer", "payout"),
    EntryType("referral_bonus_referee", "payout"),
    EntryType("sales_bonus", "payout"),
    EntryType("gift", "payout"),
    EntryType("recruit_bonus", "payout"),
    EntryType("leader_commission", "payout"),
    EntryType("kol_fee", "external_payout"),
    EntryType("kol_commission", "external_payout"),
    EntryType("entry_fee", "fee"),
    EntryType("stock_purchase", "fee"),
    EntryType("downline_stock_sale", "transfer"),  # at the upline's own unit price
    EntryType("downline_stock_markup", "transfer"),  # the tier markup the upline keeps
)
TYPE_INDEX = {t.name: i for i, t in enumerate(ENTRY_TYPES)}
PAYOUT_TYPES = tuple(t.name for t in ENTRY_TYPES if t.kind in ("payout", "external_payout"))
CONSUMER_PAYOUT_TYPES = tuple(t.name for t in ENTRY_TYPES if t.kind == "payout")
DISCOUNT_TYPES = tuple(t.name for t in ENTRY_TYPES if t.kind == "discount")
FEE_TYPES = tuple(t.name for t in ENTRY_TYPES if t.kind == "fee")
MAX_LEVELS = 16


class Ledger:
    def __init__(self, consumers: int, days: int, keep_entries: bool = False):
        self.daily_fen = np.zeros((days, len(ENTRY_TYPES)), dtype=np.int64)
        self.paid_fen = np.zeros(consumers, dtype=np.int64)  # for orders, to anyone
        self.received_fen = np.zeros(consumers, dtype=np.int64)  # payouts to the consumer
        self.discount_fen = np.zeros(consumers, dtype=np.int64)
        # sales from own stock, to customers and to downline agents
        self.sales_fen = np.zeros(consumers, dtype=np.int64)
        self.dues_fen = np.zeros(consumers, dtype=np.int64)  # entry fees and stock bought
        self.payout_by_level_fen = np.zeros(MAX_LEVELS + 1, dtype=np.int64)
        self.keep_entries = keep_entries
        # A day's total of one type must leave room for every sum over types, days and
        # consumers in int64 fen.
        self.limit_fen = np.iinfo(np.int64).max // (4 * len(ENTRY_TYPES) * (days + 1))
        self._entries: list[tuple[np.ndarray, ...]] = []
        # (payee, amount) of what entries added to consumers' earnings (received_fen,
        # sales_fen) since `clear_earnings`: `earned_since_clear` sums them per consumer
        self._earnings: list[tuple[np.ndarray, np.ndarray]] = []

    def clear_earnings(self) -> None:
        """Start summing consumers' earnings afresh (`earned_since_clear`)."""
        self._earnings.clear()

    def earned_since_clear(self) -> tuple[np.ndarray, np.ndarray]:
        """The consumers whose earnings (received_fen + sales_fen) grew since
        `clear_earnings` (ascending, distinct) and by how much (fen): what the difference
        of the two sums would show, read without an (N,) pass."""
        if not self._earnings:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        payee = np.concatenate([p for p, _ in self._earnings])
        amount = np.concatenate([a for _, a in self._earnings])
        payee = np.where(payee < 0, payee + self.received_fen.size, payee)  # as numpy indexes
        return sum_by_key(payee, amount)

    def record(
        self,
        day: int,
        entry_type: str,
        payer: np.ndarray,
        payee: np.ndarray,
        amount_fen: np.ndarray,
        level: int | np.ndarray = 0,
    ) -> None:
        """Record entries of one type; zero amounts are dropped."""
        amount_fen = np.asarray(amount_fen, dtype=np.int64)
        if not amount_fen.any():  # nothing to record (most rules, most days of a small world)
            return
        nonzero = amount_fen != 0
        if not nonzero.all():
            payer, payee, amount_fen = payer[nonzero], payee[nonzero], amount_fen[nonzero]
            if not np.isscalar(level):
                level = np.asarray(level)[nonzero]
        if amount_fen.size == 0:
            return
        if np.any(amount_fen < 0):
            raise ValueError(f"negative ledger amount in {entry_type}")
        top = int(amount_fen.max())
        if top * amount_fen.size > self.limit_fen and int(amount_fen.sum(dtype=object)) > (
            self.limit_fen
        ):
            raise SimError(
                f"money overflow: {amount_fen.size:,} {entry_type} entries on day {day} add up "
                f"to more than {self.limit_fen / 100:,.0f} yuan (the largest single one is "
                f"{top / 100:,.2f} yuan); the ledger keeps exact fen and cannot hold such "
                f"sums: lower the amounts in the scenario"
            )
        t = TYPE_INDEX[entry_type]
        kind = ENTRY_TYPES[t].kind
        self.daily_fen[day, t] += int(amount_fen.sum())
        if kind in ("payment", "retail"):
            np.add.at(self.paid_fen, payer, amount_fen)
        if kind in ("retail", "payout", "transfer"):  # adds to received_fen or sales_fen
            payee_index = np.broadcast_to(payee, amount_fen.shape).astype(np.int64)
            self._earnings.append((payee_index, amount_fen.copy()))
        if kind == "retail":
            np.add.at(self.sales_fen, payee, amount_fen)
        elif kind == "external_payout":
            self.payout_by_level_fen[np.minimum(level, MAX_LEVELS)] += int(amount_fen.sum())
        elif kind == "payout":
            np.add.at(self.received_fen, payee, amount_fen)
            levels = np.broadcast_to(np.minimum(level, MAX_LEVELS), amount_fen.shape)
            np.add.at(self.payout_by_level_fen, levels, amount_fen)
        elif kind == "discount":
            np.add.at(self.discount_fen, payee, amount_fen)
        elif kind == "fee":
            np.add.at(self.dues_fen, payer, amount_fen)
        elif kind == "transfer":
            np.add.at(self.dues_fen, payer, amount_fen)
            np.add.at(self.sales_fen, payee, amount_fen)
        if self.keep_entries:
            n = amount_fen.size
            payer = np.asarray(payer)
            payee = np.asarray(payee)
            self._entries.append(
                (
                    np.full(n, day, np.int32),
                    np.full(n, t, np.int8),
                    np.broadcast_to(payer, n).astype(np.int64),
                    np.broadcast_to(payee, n).astype(np.int64),
                    amount_fen,
                    np.broadcast_to(level, n).astype(np.int16),
                )
            )

    def day_total_fen(self, day: int, names: tuple[str, ...]) -> int:
        return int(sum(self.daily_fen[day, TYPE_INDEX[n]] for n in names))

    def entries(self) -> pd.DataFrame:
        """Every entry as a table (only with keep_entries)."""
        if not self.keep_entries:
            raise RuntimeError('entries were not kept; set run.ledger = "entries"')
        cols = ["day", "type", "payer", "payee", "amount_fen", "level"]
        if not self._entries:
            return pd.DataFrame({c: [] for c in cols})
        arrays = [np.concatenate(parts) for parts in zip(*self._entries, strict=True)]
        frame = pd.DataFrame(dict(zip(cols, arrays, strict=True)))
        frame["type"] = pd.Categorical.from_codes(
            frame["type"], categories=[t.name for t in ENTRY_TYPES]
        )
        return frame
