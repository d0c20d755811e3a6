"""Compiled kernels (numba) for the few daily rules numpy cannot express without building
large temporaries. Each is a plain loop that does, in the same order and with the same
floating-point operations, what a numpy version would: results are identical, only faster.

Compiled on first use and cached beside the module (`cache=True`), so worker processes
load them instead of compiling again.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic


@numba.njit(cache=True, nogil=True)
def spread_rows(indptr, indices, data, rows, x, out):  # pragma: no cover - compiled
    """out[j, c] += sum over speakers k of rows, entries e of row rows[k] with indices[e]
    = j, of data[e] x x[k, c], summed speaker by speaker, entries in stored order (the
    order `np.bincount` sums in) onto out as given (zeros: the sums). x: (K, C) float64;
    out: (n, C) float64."""
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            w = data[e]
            for c in range(x.shape[1]):
                out[j, c] += w * x[k, c]


@numba.njit(cache=True, nogil=True)
def changed_influence(customer_of, lapsed, is_sharer, broadcast, start, stop):  # pragma: no cover
    """Consumers whose influence state (active customer per category, then sharer) differs
    from what they last broadcast. customer_of: (N, C) bool; lapsed, is_sharer: (N,) bool;
    broadcast: (N, C + 1). Returns the indices in ascending order, of rows
    start..stop-1 (a chunk of a pass split among threads)."""
    k = customer_of.shape[1]
    out = np.empty(stop - start, np.int64)
    m = 0
    for i in range(start, stop):
        active = not lapsed[i]
        differs = broadcast[i, k] != (1.0 if is_sharer[i] else 0.0)
        c = 0
        while not differs and c < k:
            differs = broadcast[i, c] != (1.0 if (customer_of[i, c] and active) else 0.0)
            c += 1
        if differs:
            out[m] = i
            m += 1
    return out[:m]


@numba.njit(cache=True, nogil=True, inline="always")
def _first_purchase_rate(hazards, scales, demand, factors, i, c):  # pragma: no cover
    """Cell (i, c)'s rate: (scales[j] x hazards[j], summed in order) x demand[c] x each
    factor in order (numpy's order of operations; a scale of 1.0 leaves a hazard as it
    is, exactly), a dimension of 1 broadcast. (Reading a second tuple by index here, cell
    by cell, cost twenty times the pass: numba no longer unrolls the loop.)"""
    r = 0.0  # 0 + h == h: the same sum (up to the sign of a zero rate); never -0
    for j in range(len(hazards)):
        h = hazards[j]
        r = r + scales[j] * h[i if h.shape[0] > 1 else 0, c if h.shape[1] > 1 else 0]
    r = r * demand[c]
    for f in factors:
        r = r * f[i if f.shape[0] > 1 else 0, c if f.shape[1] > 1 else 0]
    return r


@numba.njit(cache=True, nogil=True, inline="always")
def _buys(r, v):  # pragma: no cover - compiled
    """Whether a draw v buys at rate r: v < 1 - exp(-r). As 1 - exp(-r) < r for r > 0
    and expm1 rounds faithfully, its value is at most r: a draw of r or more fails
    without computing it (most cells)."""
    return r > 0.0 and v < r and v < -np.expm1(-r)


@numba.njit(cache=True, nogil=True)
def first_purchase_cells(
    can_buy, customer_of, hazards, scales, demand, factors, u, start, stop
):  # pragma: no cover - compiled
    """Flat indices i x C + c (ascending) of the cells where consumer i, who can buy
    (can_buy[i]) and is not yet a customer of category c, draws u[i, c] below the daily
    probability 1 - exp(-max(rate, 0)), where rate = (scales[j] x hazards[j], summed in
    order) x demand[c] x each factor in order (`_first_purchase_rate`). hazards and
    factors: tuples of C-contiguous 2-D float64 arrays of shape (N or 1, C or 1), a
    dimension of 1 broadcast (a hazard may have more columns: its first C are read);
    scales: (len(hazards),) float64; u: (N, C) float32, compared as float64 (numpy's
    promotion). Only rows start..stop-1 are decided (a chunk of a pass split among
    threads). Every cell's rate is computed: see `first_purchase_drawn` for when most
    draws are above a bound on them."""
    k = customer_of.shape[1]
    out = np.empty((stop - start) * k, np.int64)
    m = 0
    for i in range(start, stop):
        if not can_buy[i]:
            continue
        for c in range(k):
            if customer_of[i, c]:
                continue
            r = _first_purchase_rate(hazards, scales, demand, factors, i, c)
            if _buys(r, np.float64(u[i, c])):
                out[m] = i * k + c
                m += 1
    return out[:m].copy()


@numba.njit(cache=True, nogil=True)
def column_max(values, columns):  # pragma: no cover - compiled
    """(columns,) the largest value of each of the first `columns` columns of a 2-D
    float64 array; NaN ignored (-inf where a column has no other value)."""
    high = np.full(columns, -np.inf)
    for i in range(values.shape[0]):
        for c in range(columns):
            if values[i, c] > high[c]:
                high[c] = values[i, c]
    return high


@numba.njit(cache=True, nogil=True)
def row_dots(indptr, indices, data, keep, rows, x):  # pragma: no cover - compiled
    """(matrix[rows] @ x) for the CSR matrix of the entries kept (keep: (nnz,) bool): per
    row, the sum of data[e] x x[indices[e]] over its kept entries in stored order (scipy's
    csr_matvec order), without building either matrix. x: (N,) float64, or bool read as
    1.0 and 0.0 (the same products: no float copy of a mask to make)."""
    out = np.zeros(rows.size)
    for k in range(rows.size):
        r = rows[k]
        total = 0.0
        for e in range(indptr[r], indptr[r + 1]):
            if keep[e]:
                total += data[e] * x[indices[e]]
        out[k] = total
    return out


@numba.njit(cache=True, nogil=True)
def due_cells(next_due_day, free, customer_of, today, start, stop):  # pragma: no cover
    """Flat indices i x C + c (ascending) of the (customer, category) pairs whose next
    repurchase is due (next_due_day[i, c] <= today), for customers free to buy (free[i])
    of categories they are customers of (customer_of[i, c]); of rows start..stop-1 (a
    chunk of a pass split among threads)."""
    k = customer_of.shape[1]
    out = np.empty((stop - start) * k, np.int64)
    m = 0
    for i in range(start, stop):
        if not free[i]:
            continue
        for c in range(k):
            if customer_of[i, c] and next_due_day[i, c] <= today:
                out[m] = i * k + c
                m += 1
    return out[:m].copy()


@numba.njit(cache=True, nogil=True)
def entries(indptr, indices, data, rows, cols):  # pragma: no cover - compiled
    """matrix[rows[k], cols[k]] of a CSR matrix without duplicate entries (0 where the
    entry is absent): each row's entries scanned."""
    out = np.zeros(rows.size)
    for k in range(rows.size):
        for e in range(indptr[rows[k]], indptr[rows[k] + 1]):
            if indices[e] == cols[k]:
                out[k] = data[e]
                break
    return out


@numba.njit(cache=True, nogil=True)
def strongest_marked_tie(indptr, indices, data, rows, marked):  # pragma: no cover
    """Per row of a CSR matrix without self-loops: the largest data[e] x marked[j] over its
    entries, or 0 (the row's absent entries): what `matrix[rows].multiply(marked).max(axis
    =1)` gives. marked: (N,) bool."""
    out = np.zeros(rows.size)
    for k in range(rows.size):
        best = 0.0
        for e in range(indptr[rows[k]], indptr[rows[k] + 1]):
            v = data[e] * (1.0 if marked[indices[e]] else 0.0)
            if v > best:
                best = v
        out[k] = best
    return out


@numba.njit(cache=True, nogil=True)
def spread_sparse(indptr, indices, data, rows, x, slot):  # pragma: no cover - compiled
    """`spread_rows` for the listeners reached only: (touched, sums), touched the listeners
    in the order first reached, sums (len(touched), C) each formed from 0 in
    `spread_rows`'s order (so equal to its rows there; every other row of it is 0). One
    pass over the ties: a listener's row of sums is zeroed when first reached.
    slot: (N,) int32 scratch, all -1 on entry and on return (4 bytes a consumer: the
    lookups are scattered, so the smaller it is, the more of it stays in cache)."""
    acc = np.empty((_reach_bound(indptr, rows, slot.size), x.shape[1]))  # paged in as used
    high = np.zeros(x.shape[1])  # unread
    touched = _spread_reached_into(
        indptr, indices, data, rows, x, slot, acc, False, high, 0, slot.size, False
    )
    return touched, acc[: touched.size]  # views: the rows never reached are never paged in


@numba.njit(cache=True, nogil=True)
def spread_sparse_into(
    indptr, indices, data, rows, x, slot, out, cleared, high, lo, hi, sorted_ties
):  # pragma: no cover
    """`spread_sparse` written into the rows of a kept (N, C) array instead of a fresh
    one, for the listeners lo..hi-1: the rows `cleared` (those reached last time) among
    them set to 0 first, then each listener's row zeroed when first reached and its sum
    formed there, in the same order (the same numbers). Returns those listeners reached,
    in the order first reached: out holds their sums and 0 in every row of the range
    reached by neither call (no scatter of rows afterwards). Listeners split into ranges
    may be summed side by side: each range's rows, and its listeners' slots, are its
    own, and each sum is formed speaker by speaker as in one pass. high: (C,) raised to
    every partial sum formed, so at least every sum (equal to the largest where no
    weight is negative). sorted_ties: each speaker's listeners are ascending (a CSR
    matrix with sorted indices), so only its ties into lo..hi-1 are read (found by
    bisection), in the same order."""
    for r in cleared:
        if lo <= r < hi:
            for c in range(out.shape[1]):
                out[r, c] = 0.0
    return _spread_reached_into(
        indptr, indices, data, rows, x, slot, out, True, high, lo, hi, sorted_ties
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _reach_bound(indptr, rows, consumers):  # pragma: no cover - compiled
    """Listeners reached, at most: the ties spoken over, and the consumers."""
    bound = 0
    for k in range(rows.size):
        bound += indptr[rows[k] + 1] - indptr[rows[k]]
    return min(bound, consumers)


@numba.njit(cache=True, nogil=True, inline="always")
def _spread_reached_into(
    indptr, indices, data, rows, x, slot, acc, by_listener, high, lo, hi, sorted_ties
):  # pragma: no cover
    """The pass of `spread_sparse`, over the listeners lo..hi-1: each listener's sum
    formed from 0 in acc's row (the listener's own row when by_listener, else its order
    of first reach), high[c] raised to each partial sum of column c. Returns the
    listeners reached; their slots are -1 again on return. sorted_ties: each row's
    indices ascend, so a row's ties into lo..hi-1 are a run found by bisection."""
    touched = np.empty(_reach_bound(indptr, rows, hi - lo), slot.dtype)
    m = 0
    for k in range(rows.size):
        r = rows[k]
        first_tie, end = indptr[r], indptr[r + 1]
        if sorted_ties:  # the row's first tie to a listener at or after lo
            first_tie += np.searchsorted(indices[first_tie:end], lo)
        for e in range(first_tie, end):
            j = indices[e]
            if j < lo or j >= hi:
                if sorted_ties:
                    break  # ascending: every later tie is at or after hi
                continue
            s = slot[j]
            first = s < 0
            if first:
                s = m
                slot[j] = s
                touched[m] = j
                m += 1
            row = j if by_listener else s
            if first:
                for c in range(x.shape[1]):
                    acc[row, c] = 0.0
            w = data[e]
            for c in range(x.shape[1]):
                total = acc[row, c] + w * x[k, c]
                acc[row, c] = total
                if total > high[c]:
                    high[c] = total
    for s in range(m):
        slot[touched[s]] = -1
    return touched[:m]


def add_rows(out: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """out[rows] += values for rows without repeats: one addition per element, as numpy's,
    in one pass (numpy gathers, adds and scatters, each a pass over scattered rows). out:
    (N, C) float64 (a view is written through); rows: (K,) integers in 0..N-1; values:
    (K, C) float64. The shapes and rows are checked here: the compiled loop checks
    nothing."""
    if out.ndim != 2 or values.shape != (rows.size, out.shape[1]):
        raise ValueError(f"cannot add values of shape {values.shape} to rows of {out.shape}")
    if rows.size and (rows.min() < 0 or rows.max() >= out.shape[0]):
        raise IndexError(f"rows outside 0..{out.shape[0] - 1}")
    _add_rows(out, rows, values)


@numba.njit(cache=True, nogil=True)
def _add_rows(out, rows, values):  # pragma: no cover - compiled
    for s in range(rows.size):
        r = rows[s]
        for c in range(values.shape[1]):
            out[r, c] += values[s, c]


# ---------------------------------------------------------------- PCG64 at chosen positions
# numpy's PCG64: a 128-bit LCG, state <- state x MULT + inc, each step's output the XSL-RR
# of the new state; a float32 is the next 32 bits (the low half of an output, then its
# high half, buffered) >> 8, x 2^-24. These kernels give the float32 values a full draw
# would hold at chosen positions, stepping the LCG by jumps (O(log distance)), so a rule
# that needs a few numbers of a large draw gets exactly those numbers.

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MULT_HI = np.uint64(0x2360ED051FC65DA4)
_MULT_LO = np.uint64(0x4385DF649FCCF645)


@intrinsic
def _mulhi64(typingctx, x, y):  # pragma: no cover - compiled
    """The high 64 bits of the 128-bit product of two uint64: one machine multiply (LLVM's
    i128 product; numba has no 128-bit integers), as PCG64's C code does."""
    if x != types.uint64 or y != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


@numba.njit(cache=True, inline="always")
def _mul128(a_hi, a_lo, b_hi, b_lo):  # pragma: no cover - compiled
    return _mulhi64(a_lo, b_lo) + a_hi * b_lo + a_lo * b_hi, a_lo * b_lo


@numba.njit(cache=True, inline="always")
def _add128(a_hi, a_lo, b_hi, b_lo):  # pragma: no cover - compiled
    lo = a_lo + b_lo
    return a_hi + b_hi + (np.uint64(1) if lo < a_lo else np.uint64(0)), lo


@numba.njit(cache=True)
def _advance(s_hi, s_lo, inc_hi, inc_lo, delta):  # pragma: no cover - compiled
    """The LCG state `delta` steps on (Brown 1994's jump: O(log delta))."""
    acc_m_hi, acc_m_lo = np.uint64(0), np.uint64(1)
    acc_p_hi, acc_p_lo = np.uint64(0), np.uint64(0)
    cur_m_hi, cur_m_lo = _MULT_HI, _MULT_LO
    cur_p_hi, cur_p_lo = inc_hi, inc_lo
    d = np.uint64(delta)
    while d > np.uint64(0):
        if d & np.uint64(1):
            acc_m_hi, acc_m_lo = _mul128(acc_m_hi, acc_m_lo, cur_m_hi, cur_m_lo)
            t_hi, t_lo = _mul128(acc_p_hi, acc_p_lo, cur_m_hi, cur_m_lo)
            acc_p_hi, acc_p_lo = _add128(t_hi, t_lo, cur_p_hi, cur_p_lo)
        m1_hi, m1_lo = _add128(cur_m_hi, cur_m_lo, np.uint64(0), np.uint64(1))
        cur_p_hi, cur_p_lo = _mul128(m1_hi, m1_lo, cur_p_hi, cur_p_lo)
        cur_m_hi, cur_m_lo = _mul128(cur_m_hi, cur_m_lo, cur_m_hi, cur_m_lo)
        d = d >> np.uint64(1)
    t_hi, t_lo = _mul128(acc_m_hi, acc_m_lo, s_hi, s_lo)
    return _add128(t_hi, t_lo, acc_p_hi, acc_p_lo)


@numba.njit(cache=True, inline="always")
def _output(s_hi, s_lo):  # pragma: no cover - compiled
    """XSL-RR: (high ^ low) rotated right by the top 6 bits of the state."""
    x = s_hi ^ s_lo
    rot = s_hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@numba.njit(cache=True, nogil=True)
def pcg64_floats_at(
    s_hi, s_lo, inc_hi, inc_lo, buffered, buffer, positions, count
):  # pragma: no cover
    """float32 values at ascending, distinct `positions` of a draw of `count` starting
    from this PCG64 state (buffered: a high half waits in `buffer`). Returns (values, 0);
    reading nothing, (empty, -1) if a position is outside 0..count-1, else (empty, 1) if
    the positions are not ascending and distinct (the caller sorts them)."""
    for k in range(positions.size):
        if positions[k] < 0 or positions[k] >= count:
            return np.empty(0, np.float32), -1
    for k in range(1, positions.size):
        if positions[k] <= positions[k - 1]:
            return np.empty(0, np.float32), 1
    out = np.empty(positions.size, np.float32)
    step = np.int64(0)  # outputs taken so far from the state (s_hi, s_lo)
    scale = np.float32(1.0 / 16777216.0)
    for k in range(positions.size):
        p = positions[k]
        if buffered:
            if p == 0:
                out[k] = np.float32(np.uint32(buffer) >> np.uint32(8)) * scale
                continue
            p -= 1
        m = p // 2 + 1  # the output holding this position: the m-th step from the start
        if m - step > 8:
            s_hi, s_lo = _advance(s_hi, s_lo, inc_hi, inc_lo, m - step)
            step = m
        while step < m:  # near positions: plain steps are cheaper than a jump
            t_hi, t_lo = _mul128(s_hi, s_lo, _MULT_HI, _MULT_LO)
            s_hi, s_lo = _add128(t_hi, t_lo, inc_hi, inc_lo)
            step += 1
        word = _output(s_hi, s_lo)
        half = (word >> np.uint64(32)) if p % 2 else (word & np.uint64(0xFFFFFFFF))
        out[k] = np.float32(half >> np.uint64(8)) * scale
    return out, 0


@numba.njit(cache=True, nogil=True, inline="always")
def _seek(draw, first):  # pragma: no cover - compiled
    """A reader of a float32 draw from a PCG64 stream, at its number `first` (draw: the
    state's high and low 64 bits, the increment's, whether a high half is buffered, and
    that half: where the draw starts). Returns (state high, low, word, pending): `word`'s
    high half is the next number when `pending` (`_next`)."""
    s_hi, s_lo, inc_hi, inc_lo, buffered, buffer = draw
    if buffered and first == 0:  # the buffered half is read as an output's high half
        return s_hi, s_lo, np.uint64(buffer) << np.uint64(32), True
    q = first - (1 if buffered else 0)  # numbers of the 64-bit outputs before it
    if q >= 2:
        s_hi, s_lo = _advance(s_hi, s_lo, inc_hi, inc_lo, q // 2)
    if q % 2:  # it is an output's high half: take that output
        t_hi, t_lo = _mul128(s_hi, s_lo, _MULT_HI, _MULT_LO)
        s_hi, s_lo = _add128(t_hi, t_lo, inc_hi, inc_lo)
        return s_hi, s_lo, _output(s_hi, s_lo), True
    return s_hi, s_lo, np.uint64(0), False


@numba.njit(cache=True, nogil=True, inline="always")
def _next(s_hi, s_lo, inc_hi, inc_lo, word, pending):  # pragma: no cover - compiled
    """The reader's next number, as numpy makes a float32: the next 32 bits (an output's
    low half, then its high half) >> 8, x 2^-24. Returns (value, s_hi, s_lo, word,
    pending)."""
    if pending:
        half = word >> np.uint64(32)
    else:
        t_hi, t_lo = _mul128(s_hi, s_lo, _MULT_HI, _MULT_LO)
        s_hi, s_lo = _add128(t_hi, t_lo, inc_hi, inc_lo)
        word = _output(s_hi, s_lo)
        half = word & np.uint64(0xFFFFFFFF)
    value = np.float32(half >> np.uint64(8)) * np.float32(1.0 / 16777216.0)
    return value, s_hi, s_lo, word, not pending


@numba.njit(cache=True, nogil=True)
def pcg64_floats_into(draw, out, start, stop):  # pragma: no cover - compiled
    """out[start:stop] = the numbers start..stop-1 of a float32 draw from a PCG64 stream
    (draw: where it starts, as `_seek` takes it): numpy's numbers, a chunk of a draw made
    side by side (each chunk jumps to its first number)."""
    inc_hi, inc_lo = draw[2], draw[3]
    s_hi, s_lo, word, pending = _seek(draw, start)
    for p in range(start, stop):
        out[p], s_hi, s_lo, word, pending = _next(s_hi, s_lo, inc_hi, inc_lo, word, pending)


@numba.njit(cache=True, nogil=True)
def first_purchase_drawn(
    can_buy, customer_of, hazards, scales, demand, factors, draw, bound, level, start, stop
):  # pragma: no cover - compiled
    """`first_purchase_cells`, the same cells, with u[i, c] the number i x C + c of a
    float32 draw from a PCG64 stream, made here as it is read instead of written out
    and read back (draw: where it starts, as `_seek` takes it; numpy's numbers); and
    given bound: (2, 2, C) float64, bound[0] at least every rate of its category in the
    rows where every hazard with rows of its own (0 outside them) is 0, bound[1] in any
    row, each before the factors ([:, 0]) and with the factors at their highest
    ([:, 1]); level: (N,) bool, the rows where one of those hazards is on ((1,) False:
    none). A draw of a cell's bound or more cannot buy (1 - exp(-r) <= r <= bound), so a
    first pass makes the draws and, for the few under their row's bound, computes the
    cell's own: its row's bound before the factors x its factors, in the rate's order (a
    product by what is not negative keeps the order of what it multiplies, in rounding
    too; a negative or NaN factor: no bound, inf). It keeps the cells drawn under their
    own bound of consumers who can buy and are not yet customers; a second pass
    computes the rates of those alone, reading the hazards only there. A NaN bound
    skips nothing. Rows start..stop-1: the pass starts with a jump to the chunk's first
    number."""
    k = customer_of.shape[1]
    inc_hi, inc_lo = draw[2], draw[3]
    s_hi, s_lo, word, pending = _seek(draw, start * k)  # the chunk's first number
    candidates = np.empty((stop - start) * k + 1, np.int64)
    drawn = np.empty((stop - start) * k + 1, np.float32)
    m = 0
    for i in range(start, stop):
        buys = can_buy[i]
        row = 1 if level[i if level.shape[0] > 1 else 0] else 0  # bound[1]: one is on
        for c in range(k):
            v, s_hi, s_lo, word, pending = _next(s_hi, s_lo, inc_hi, inc_lo, word, pending)
            if np.float64(v) >= bound[row, 1, c]:  # most draws: nothing else read
                continue
            b = bound[row, 0, c]
            for f in factors:
                x = f[i if f.shape[0] > 1 else 0, c if f.shape[1] > 1 else 0]
                b = b * x if x >= 0.0 else np.inf
            candidates[m] = i * k + c  # kept when the count moves past it
            drawn[m] = v
            m += buys & (not np.float64(v) >= b) & (not customer_of[i, c])
    out = np.empty(m, np.int64)
    n = 0
    for t in range(m):
        cell = candidates[t]
        i = cell // k
        c = cell - i * k
        r = _first_purchase_rate(hazards, scales, demand, factors, i, c)
        if _buys(r, np.float64(drawn[t])):
            out[n] = cell
            n += 1
    return out[:n].copy()
