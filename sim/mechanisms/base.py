"""The mechanism protocol and the `Day` context every mechanism reads and adds to.

A mechanism is one module of `sim.mechanisms`: pure rule functions over arrays (each with
its rule in its docstring) and one `Mechanism` subclass that declares

* `name`, and the `phase` of the day its main step belongs to;
* `params`: its behaviour parameters, a `Section` declared in its module (units, ranges,
  docs); they are keys of the scenario's `[behavior]` table;
* `enabled(spec)`: whether a scenario switches it on (a mechanism that is off costs nothing
  and draws nothing);
* `states`: the per-consumer arrays it owns, registered on the platform's population;
* `streams`: the named random streams it draws from (and no others);
* `series` and `kpis`: the daily series and end-of-run KPIs it provides: names of entries
  of `sim.catalog`, or new `Series` / `KPI` entries the mechanism brings with it;
* `setup_network()` (ties of its own, before anyone reads the network), `setup()`, and
  one method per phase it takes part in (`expose`, `reach`, `purchase`,
  `attribute`, `reorder`, `route`, `order`, `settle`, `roles`, `experience`, `churn`,
  `update`), called with the day's `Day`;
* optionally factors other mechanisms apply: `adoption_factor(day)` (first purchases),
  `reorder_factor(day, buyers, categories)` (reorders), `churn_factor(day, who)` (lapses,
  of the consumers `who` who may lapse today); an adoption factor is a number or an
  array that broadcasts to (N, C), or a `Factor` (an array with the range its owner
  knows); a reorder or churn factor is a number or one value per consumer asked about.

The platform runs the phases in the fixed order of `PHASES`; inside a phase, mechanisms run
in the order of `sim.mechanisms.REGISTRY`. Rules stay pure functions; a mechanism's methods
are the wiring between the day's context, the population and its rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
from numpy.random import PCG64

from sim.arrays import add_at, sum_by_key
from sim.kernels import (
    pcg64_floats_at,
    pcg64_floats_into,
    spread_rows,
    spread_sparse,
    spread_sparse_into,
)
from sim.threads import in_chunks, ranges_per_thread, row_chunks

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.payout import Settlement
    from sim.platform import Platform
    from sim.scenario import Scenario
    from sim.state import Consumers, Orders

# The phases of a day, in order. Each is a method name a mechanism may implement.
PHASES: tuple[str, ...] = (
    "expose",  # what each consumer hears today: adoption hazards by channel
    "reach",  # who can buy today (reachable, can_buy)
    "purchase",  # first purchases and the channel credited
    "attribute",  # who gets the credit of a first purchase (KOLs)
    "reorder",  # reorders of customers whose interval is up
    "route",  # how orders are placed: through proxies, into group buys
    "order",  # orders happen: customers, bindings, bargains
    "settle",  # money: settlement, commissions, fulfillment costs, bonuses
    "roles",  # customers become sharers; sharers quit
    "experience",  # bad experiences and the news of them
    "churn",  # customers lapse
    "update",  # state the next day starts from (word-of-mouth signal)
)
FACTORS: tuple[str, ...] = (
    "adoption_factor",
    "reorder_factor",
    "churn_factor",
    "win_back_factor",
)

# Adoption channels, in the order their hazards are summed (and credit is drawn).
CHANNELS: tuple[str, ...] = ("ad", "word_of_mouth", "share", "kol", "recommendation")


@dataclass(frozen=True)
class State:
    """A per-consumer array a mechanism owns: shape (N,) or (N, C) with C categories."""

    name: str
    dtype: Any
    fill: Any = 0
    per_category: bool = False
    doc: str = ""
    extra_columns: int = 0  # per category, plus this many columns (e.g. one for sharers)

    def shape(self, consumers: int, categories: int) -> tuple[int, ...]:
        if self.per_category:
            return (consumers, categories + self.extra_columns)
        return (consumers,)

    def allocate(self, consumers: int, categories: int) -> np.ndarray:
        return np.full(self.shape(consumers, categories), self.fill, dtype=self.dtype)


class Mechanism:
    """Base class of every mechanism (see the module docstring)."""

    name: ClassVar[str] = ""
    phase: ClassVar[str] = ""
    params: ClassVar[type | None] = None  # its `[behavior]` keys: a `Section` of its own
    states: ClassVar[tuple[State, ...]] = ()
    streams: ClassVar[tuple[str, ...]] = ()
    series: ClassVar[tuple[Any, ...]] = ()  # catalog names, or new `sim.catalog.Series`
    kpis: ClassVar[tuple[Any, ...]] = ()  # catalog names, or new `sim.catalog.KPI`
    # True for a mechanism that adds to consumers' one-day `awareness` (word of mouth
    # reads it only when some mechanism on the platform does)
    raises_awareness: ClassVar[bool] = False

    def __init__(self, platform: Platform):
        self.platform = platform
        self.spec: Scenario = platform.spec
        self.pop: Consumers = platform.consumers

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return True

    def setup_network(self) -> None:
        """Add this platform's own ties to its trust network (group leaders), before any
        mechanism's `setup` reads the network."""

    def setup(self) -> None:
        """Build what the mechanism needs before day 0 (after every state is registered)."""

    def kpi_values(self) -> dict[str, float]:
        """End-of-run values of the KPIs this mechanism provides."""
        return {}

    def other_platforms(self) -> list:
        """The market's other platforms (none for a platform run on its own)."""
        return [p for p in getattr(self.platform.model, "platforms", ()) if p is not self.platform]

    def uniform(self, stream: str, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniforms of a fixed shape from one of this mechanism's named streams.

        Each rule draws the same shape every day (per consumer, or per consumer and
        category) whatever the state, so two variants of a scenario consume their streams
        in lockstep: common random numbers for paired comparisons.
        """
        return self.rng(stream).random(shape, dtype=np.float32)

    def kept_array(
        self, name: str, shape: int | tuple[int, ...], dtype: Any = np.float64
    ) -> np.ndarray:
        """An array this mechanism keeps under `name` and reuses every day, its contents
        left from the last use (a large fresh array costs its page faults every day):
        valid until the mechanism asks for it again."""
        kept = self.__dict__.setdefault("_kept_arrays", {})
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if name not in kept or kept[name].shape != shape or kept[name].dtype != dtype:
            kept[name] = np.empty(shape, dtype)
        return kept[name]

    def uniform_into_buffer(self, stream: str, shape: int | tuple[int, ...]) -> np.ndarray:
        """`uniform(stream, shape)`, the same numbers, written into a kept array
        (`kept_array`): valid until the mechanism draws from the stream again. A large
        draw is made in chunks side by side (`draw_float32_into`)."""
        out = self.kept_array(f"uniform:{stream}", shape, np.float32)
        return draw_float32_into(self.rng(stream), out)

    def uniform_later(self, stream: str, shape: int | tuple[int, ...]) -> Uniforms:
        """The draw `uniform(stream, shape)` would make, read only where a rule needs it:
        `.at(flat positions)` gives exactly those numbers, and the stream steps past the
        whole draw now, so it stays in lockstep across variants without building the
        array (most rules need a few of an (N, C) draw)."""
        count = math.prod(shape) if isinstance(shape, (tuple, list)) else shape  # np.prod: 2 us
        return Uniforms(self.rng(stream), int(count))

    def rng(self, stream: str) -> np.random.Generator:
        """A named stream this mechanism declared."""
        if stream not in self.streams:
            raise KeyError(
                f"mechanism {self.name!r} draws from stream {stream!r}, which it does not "
                f"declare (declared: {', '.join(self.streams) or 'none'})"
            )
        return self.platform.streams[stream]

    @classmethod
    def series_names(cls) -> tuple[str, ...]:
        return tuple(s if isinstance(s, str) else s.name for s in cls.series)

    @classmethod
    def kpi_names(cls) -> tuple[str, ...]:
        return tuple(k if isinstance(k, str) else k.name for k in cls.kpis)

    @classmethod
    def hooks(cls) -> tuple[str, ...]:
        """The phases and factors this mechanism implements."""
        return tuple(name for name in (*PHASES, *FACTORS) if getattr(cls, name, None) is not None)


_LOW64 = (1 << 64) - 1


def draw_float32_into(generator: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """`generator.random(out=out, dtype=np.float32)`: the same numbers, and the stream left
    in the same state. From a PCG64 stream a large draw is made by a compiled loop
    (`sim.kernels.pcg64_floats_into`, faster than numpy's), a draw of
    `sim.threads.MIN_CELLS` numbers or more in chunks side by side, each jumping from
    where the draw starts to its first number; the stream is then stepped past the draw
    (`skip_float32_draws`). out: a writeable, C-contiguous float32 array."""
    if out.dtype != np.float32 or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("draw_float32_into needs a writeable, C-contiguous float32 array")
    flat = out.reshape(-1)  # a view (C-contiguous)
    if flat.size <= Uniforms.DRAW_IN_FULL or not isinstance(generator.bit_generator, PCG64):
        return generator.random(out=out, dtype=np.float32)  # a small draw: as fast
    Uniforms(generator, flat.size, made_later=True).make_into(flat)  # steps the stream past it
    return out


def skip_float32_draws(generator: np.random.Generator, count: int, buffered: bool) -> None:
    """Step a PCG64 generator past `count` float32 draws without making them, leaving its
    state exactly as `generator.random(count, dtype=np.float32)` would (the buffered high
    half included). A float32 takes 32 bits: the buffered half first if there is one
    (`buffered`), then the low and high halves of each 64-bit output. The outputs in
    between are jumped over (`advance`, which clears the buffer); the last is drawn, so
    numpy leaves its high half as the full draw does."""
    if count and buffered:
        generator.random(1, dtype=np.float32)  # the buffered half
        count -= 1
    if count:
        generator.bit_generator.advance((count + 1) // 2 - 1)
        generator.random(2 - count % 2, dtype=np.float32)  # the last output's halves


class Uniforms:
    """One float32 draw of `count` uniforms from a PCG64 stream, read at chosen positions;
    creating it steps the stream past the draw. A small draw is made in full (cheaper
    than jumping); a large one is read where asked (`sim.kernels.pcg64_floats_at`): the
    same numbers either way. Read at more than a tenth of its positions, a large draw is
    made in full after all, from where the stream was (reading a position costs some ten
    times drawing one uniform), and kept: its memory, 4 bytes a uniform, until the draw
    is dropped. made_later: the caller makes the draw (`draw_float32_into`, the purchase
    kernel), so it is not made here even when small."""

    DRAW_IN_FULL = 1 << 13  # draws up to this size are made in full
    POSITIONS_PER_FULL_DRAW = 0.1  # reading more than this share: the draw made in full
    POSITION_COST = 8  # a position read costs about this many cells of a pass (threads)

    def __init__(self, generator: np.random.Generator, count: int, made_later: bool = False):
        self.count = count
        self._values = self._state = self._start = None
        if count <= self.DRAW_IN_FULL and not made_later:
            self._values = generator.random(count, dtype=np.float32)
            return
        bit_generator = generator.bit_generator
        state = bit_generator.state  # as it was: where positions are read from
        if state["bit_generator"] != "PCG64":
            raise TypeError(f"positional draws need PCG64, not {state['bit_generator']}")
        self._state, self._start = state, None
        skip_float32_draws(generator, count, bool(state["has_uint32"]))

    def at(self, positions: np.ndarray) -> np.ndarray:
        """The draw's values at these flat positions (any order, repeats allowed), in the
        positions' shape."""
        positions = np.asarray(positions, np.int64)
        flat = positions.ravel()
        if self._values is None and flat.size > self.POSITIONS_PER_FULL_DRAW * self.count:
            if flat.size and (flat.min() < 0 or flat.max() >= self.count):
                raise IndexError(f"a position outside 0..{self.count - 1} of a draw")
            self._values = self.make_into(np.empty(self.count, np.float32))
        if self._values is not None:
            if flat.size and flat.min() < 0:
                raise IndexError(f"a position outside 0..{self.count - 1} of a draw")
            return self._values[positions]  # numpy checks the upper bound
        values = self._read(flat)
        if values is None:  # not ascending and distinct: read each position once, in order
            unique, back = np.unique(flat, return_inverse=True)
            values = self._read(unique)[back]
        return values.reshape(positions.shape)

    def under(self, eligible: np.ndarray, bound: float) -> tuple[np.ndarray, np.ndarray]:
        """The positions (ascending) where `eligible` ((count,) bool) holds and the draw
        is under `bound` (compared in float64), and the draw's values there: what
        `at(np.flatnonzero(eligible))` gives, kept where under the bound. With more than
        a tenth eligible, the draw is made in full (`made`) and compared in one pass
        with the mask, instead of gathering the eligible's values first."""
        if eligible.shape != (self.count,):
            raise ValueError(f"a mask of shape {eligible.shape} for a draw of {self.count}")
        bound = np.float64(bound)
        if self._values is None and (
            np.count_nonzero(eligible) <= self.POSITIONS_PER_FULL_DRAW * self.count
        ):
            positions = np.flatnonzero(eligible)
            values = self.at(positions)
            keep = values < bound
            return positions[keep], values[keep]
        values = self.made()
        positions = np.flatnonzero(eligible & (values < bound))
        return positions, values[positions]

    def make_into(self, out: np.ndarray) -> np.ndarray:
        """The whole draw written into out ((count,) float32), in chunks side by side,
        from where the draw starts (a draw made in full when created has its `values`)."""
        start = self.start()
        in_chunks(lambda a, b: pcg64_floats_into(start, out, a, b), row_chunks(out.size))
        return out

    @property
    def values(self) -> np.ndarray | None:
        """The whole draw when it was made in full (a small one, or one read at many
        positions), else None."""
        return self._values

    def made(self) -> np.ndarray:
        """The whole draw, made now if it was not yet (and kept): (count,) float32."""
        if self._values is None:
            self._values = self.make_into(np.empty(self.count, np.float32))
        return self._values

    def start(self) -> tuple:
        """Where the draw starts, as the compiled readers take it (`sim.kernels`): the
        PCG64 state's high and low 64 bits, the increment's, whether a high half is
        buffered, and that half. None for a draw made in full when created (`values`)."""
        if self._start is None and self._state is not None:
            s, inc = self._state["state"]["state"], self._state["state"]["inc"]
            self._start = (
                np.uint64(s >> 64),
                np.uint64(s & _LOW64),
                np.uint64(inc >> 64),
                np.uint64(inc & _LOW64),
                bool(self._state["has_uint32"]),
                np.uint64(self._state["uinteger"]),
            )
        return self._start

    def _read(self, flat: np.ndarray) -> np.ndarray | None:
        """The values at these flat positions, or None if a chunk's positions are not
        ascending and distinct; read in chunks of positions side by side when there are
        many (each chunk jumps from the draw's start to its first position: the same
        numbers)."""
        chunks = row_chunks(flat.size, self.POSITION_COST)
        start = self.start()
        parts = in_chunks(lambda a, b: pcg64_floats_at(*start, flat[a:b], self.count), chunks)
        if min(order for _, order in parts) < 0:
            raise IndexError(f"a position outside 0..{self.count - 1} of a draw")
        if max(order for _, order in parts) > 0:
            return None
        # each chunk reads from the draw's start: only order within a chunk matters
        return parts[0][0] if len(parts) == 1 else np.concatenate([v for v, _ in parts])


class Factor(NamedTuple):
    """An adoption factor with the range its owner knows: no value of `values` (an array
    that broadcasts to (N, C)) is below `low` or above `high`. The purchase kernel
    bounds rates with them (`purchase.first_purchases`) instead of reading the array
    for its range: a range too narrow would change who buys."""

    values: np.ndarray
    low: float | None
    high: float | None


class ScaledHazard:
    """A daily hazard that is a number times the first `columns` columns of an array a
    mechanism keeps (word of mouth's q x signal; sharing's conversion x the shares
    received), read where it is needed instead of written out as an (N, C) array every
    day. It reads the kept array as it is when read: valid until its owner changes that
    array (word of mouth's signal in the day's last phase, `update`; sharing's exposure
    in the next day's `expose`), as a kept buffer is valid until it is filled again.

    `np.asarray` gives the product, the same numbers as multiplying; `cells` reads it at
    (row, column) cells; `+` and `*` give arrays; the purchase kernel multiplies as it
    reads. Nothing else of an array's (indexing, `-`, methods) is offered: take
    `np.asarray` first.

    ceiling: optionally, what the owner knows of the kept array: no value of its first
    `columns` columns is above it (a number, or one per column read), while it is valid. The
    purchase kernel bounds rates with it (`purchase.rate_bound`) instead of reading the
    array for its largest value; a ceiling too low would change who buys. rows:
    optionally, (N,) bool, the rows outside which every value is 0 (the kernel bounds
    the other rows' rates without this hazard)."""

    def __init__(
        self,
        scale: float,
        values: np.ndarray,
        columns: int,
        ceiling: float | np.ndarray | None = None,
        rows: np.ndarray | None = None,
    ):
        if values.ndim != 2 or not 1 <= columns <= values.shape[1]:
            raise ValueError(f"cannot take {columns} columns of an array of {values.shape}")
        if rows is not None and (rows.dtype != bool or rows.shape != values.shape[:1]):
            raise ValueError(f"rows must be a bool array of shape {values.shape[:1]}")
        if ceiling is not None and np.shape(ceiling) not in ((), (columns,)):
            raise ValueError(
                f"a ceiling is a number or one per column read ({columns}), "
                f"not of shape {np.shape(ceiling)}"
            )
        self.scale, self.values, self.columns = float(scale), values, columns
        self.ceiling = None if ceiling is None else np.asarray(ceiling, np.float64)
        self.rows = rows

    @property
    def shape(self) -> tuple[int, int]:
        return (self.values.shape[0], self.columns)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.multiply(self.scale, self.values[:, : self.columns])
        return out if dtype is None else out.astype(dtype, copy=False)

    def cells(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The hazard at cells (rows[k], cols[k])."""
        cols = np.asarray(cols)
        if cols.size and (cols.min() < 0 or cols.max() >= self.columns):
            raise IndexError(f"column outside 0..{self.columns - 1}")
        return np.multiply(self.scale, self.values[rows, cols])

    def __add__(self, other):
        return np.asarray(self) + other

    def __radd__(self, other):
        return other + np.asarray(self)

    def __mul__(self, other):
        return np.asarray(self) * other

    def __rmul__(self, other):
        return other * np.asarray(self)


def hazard_cells(hazard: Any, shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray):
    """A channel's hazard (an (N, C) array, anything that broadcasts to it, or a
    `ScaledHazard`) at cells (rows[k], cols[k])."""
    if isinstance(hazard, ScaledHazard):
        return hazard.cells(rows, cols)
    return np.broadcast_to(hazard, shape)[rows, cols]


@dataclass
class Day:
    """What one platform's day has produced so far; mechanisms read it and add to it.

    Created by the platform at the start of its day; phases fill it in order.
    """

    index: int
    consumers: int
    categories: int
    ledger: Ledger
    held_elsewhere: np.ndarray  # (N,) bool: customers of another platform today
    hype: np.ndarray | None = None  # (C,) demand multiplier from hype half-lives
    hazard: dict[str, Any] = field(default_factory=dict)  # channel -> (N, C), a scalar,
    # anything that broadcasts to (N, C), or a ScaledHazard (`hazard_cells` reads any)
    demand: np.ndarray | None = None  # (C,) price and hype factor of each category
    reachable: np.ndarray | None = None  # (N,) bool: may buy today
    can_buy: np.ndarray | None = None  # (N,) bool: online, or with a proxy
    first_buyer: np.ndarray | None = None  # (K,) first purchases today ...
    first_category: np.ndarray | None = None  # ... their category
    first_channel: np.ndarray | None = None  # ... the channel credited (SOURCE_*)
    orders: Orders | None = None
    channels: np.ndarray | None = None  # (orders,) SOURCE_* of each order (NONE: reorder)
    new_customers: np.ndarray | None = None  # (N,) bool: first order ever today
    settlement: Settlement | None = None
    joined: np.ndarray | None = None  # (N,) bool: became sharers today
    quit: np.ndarray | None = None  # (N,) bool: stopped sharing today
    lapsed: np.ndarray | None = None  # (N,) bool: lapsed today
    won_back: np.ndarray | None = None  # (N,) bool: lapsed customers won back today
    shared: np.ndarray | None = None  # (S, C) bool: which sharer shared which category
    counts: dict[str, int] = field(default_factory=dict)  # the day's declared counters
    bad_today: list[np.ndarray] = field(default_factory=list)
    # draws the next due day of (buyers, categories) that ordered or skipped a reorder;
    # nothing to draw without the repurchase mechanism (nobody reorders)
    schedule_next_due: Callable[[np.ndarray, np.ndarray], None] = lambda buyers, categories: None

    def __post_init__(self) -> None:
        for channel in CHANNELS:
            self.hazard.setdefault(channel, 0.0)

    def count(self, name: str, value: int) -> None:
        """Set one of the day's counters (a daily series declared by a mechanism)."""
        self.counts[name] = int(value)

    def bad_experiences(self, who: np.ndarray, bad_experiences: np.ndarray) -> None:
        """Record bad experiences (one per entry of `who`, repeats allowed)."""
        add_at(bad_experiences, who, 1)
        self.bad_today.append(np.asarray(who, np.int64))

    def bad_experiences_today(self) -> tuple[np.ndarray, np.ndarray]:
        """The consumers who had bad experiences today (ascending, distinct) and how many
        each had (int64), without an (N,) array."""
        who = np.concatenate([np.empty(0, np.int64), *self.bad_today])
        return sum_by_key(who, np.ones(who.size, np.int64))

    @property
    def bad_experience_total(self) -> int:
        return int(sum(w.size for w in self.bad_today))


def csr_rows(
    matrix: Any, rows: np.ndarray, keep: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The given rows of a CSR matrix as (indptr, indices, data), entries in stored order:
    what `matrix[rows]` holds, gathered with numpy alone (no sparse-matrix construction,
    which dominates when called many times a day on a few rows). keep: an optional (nnz,)
    bool mask of the matrix's entries; the rows then hold only the kept entries (what the
    rows of the matrix of kept entries would hold)."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    if keep is not None:
        kept = keep[take]
        row_of = np.repeat(np.arange(rows.size), lengths)
        np.cumsum(np.bincount(row_of[kept], minlength=rows.size), out=indptr[1:])
        take = take[kept]
    return indptr, matrix.indices[take], matrix.data[take]


def spread_reached(
    matrix: Any, rows: np.ndarray, x: np.ndarray, slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`spread` for the listeners reached only: (listeners, their sums as rows of x's
    width), the sums equal to `spread`'s rows there (it is 0 everywhere else). slot: (N,)
    int32 scratch filled with -1, kept by the caller between days."""
    if len(rows) == 0:
        x = np.asarray(x)
        return np.empty(0, np.int64), np.zeros((0, x.shape[1] if x.ndim == 2 else 1))
    return spread_sparse(
        matrix.indptr,
        matrix.indices,
        matrix.data,
        np.asarray(rows, np.int64),
        np.ascontiguousarray(np.asarray(x, np.float64).reshape(len(rows), -1)),
        slot,
    )


def spread_reached_into(
    matrix: Any,
    rows: np.ndarray,
    x: np.ndarray,
    slot: np.ndarray,
    out: np.ndarray,
    cleared: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`spread_reached`'s sums written into the listeners' rows of a kept (N, C) float64
    array, after the rows `cleared` (those reached last time) are set to 0: out then holds
    what `spread` gives, the same numbers, touching only the rows reached either time.
    Returns the listeners reached (pass them as `cleared` next time), and (C,) a ceiling
    of out's columns: the largest partial sum formed, or 0 (the rows not reached); the
    largest value where no weight is negative."""
    rows = np.asarray(rows, np.int64)
    x = np.asarray(x, np.float64)
    x = np.ascontiguousarray(x[:, None] if x.ndim == 1 else x)
    if x.ndim != 2 or x.shape[0] != rows.size:
        raise ValueError(f"{rows.size} speakers but values of shape {x.shape}")
    if out.ndim != 2 or out.dtype != np.float64 or out.shape != (slot.size, x.shape[1]):
        raise ValueError(f"cannot spread {x.shape[1]} columns into an array of {out.shape}")
    cleared = np.asarray(cleared, np.int64)
    if cleared.size and (cleared.min() < 0 or cleared.max() >= out.shape[0]):
        raise IndexError(f"rows to clear outside 0..{out.shape[0] - 1}")
    ties = int(np.sum(matrix.indptr[rows + 1] - matrix.indptr[rows]))

    ranges = ranges_per_thread(slot.size, ties * x.shape[1])
    # with ascending listeners in each row, a range reads only its own ties (bisection)
    sorted_ties = len(ranges) > 1 and bool(matrix.has_sorted_indices)

    def listeners(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        args = (matrix.indptr, matrix.indices, matrix.data, rows, x, slot, out, cleared)
        high = np.zeros(x.shape[1])  # the rows not reached hold 0
        return spread_sparse_into(*args, high, lo, hi, sorted_ties), high

    # every range writes only its own listeners' rows (and reads every speaker's ties
    # when they are not sorted)
    parts = in_chunks(listeners, ranges)
    high = np.max([high for _, high in parts], axis=0)
    return (parts[0][0] if len(parts) == 1 else np.concatenate([r for r, _ in parts])), high


def spread(
    matrix: Any, rows: np.ndarray, x: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """matrix[rows].T @ x for a CSR matrix (row i: speaker i's listeners and weights) and x
    of shape (len(rows),) or (len(rows), C): what each listener receives from the given
    speakers. Summed in the order scipy sums (speakers in the given order, entries in
    stored order), so results are identical, without building a transposed sparse matrix
    on every call (a compiled loop, `sim.kernels.spread_rows`). out: an optional (n, C)
    float64 array to write the sums into (a caller's buffer reused every day: a fresh
    array faults its pages every day); returned."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.ndim == 1
    shape = (matrix.shape[1], 1 if flat else x.shape[1])
    if out is None:
        out = np.zeros(shape)
    elif out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"spread writes into a C-contiguous float64 array of shape {shape}")
    else:
        out.fill(0.0)
    if len(rows):
        spread_rows(
            matrix.indptr,
            matrix.indices,
            matrix.data,
            np.asarray(rows, np.int64),
            np.ascontiguousarray(x.reshape(len(rows), -1)),
            out,
        )
    return out[:, 0] if flat else out
