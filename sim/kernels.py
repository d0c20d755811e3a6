"""Compiled kernels (numba) for the few daily rules numpy cannot express without building
large temporaries. Each is a plain loop that does, in the same order and with the same
floating-point operations, what a numpy version would: results are identical, only faster.

Compiled on first use and cached beside the module (`cache=True`), so worker processes
load them instead of compiling again.
"""

from __future__ import annotations

import numba
import numpy as np


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


@numba.njit(cache=True, nogil=True)
def first_purchase_cells(
    can_buy, customer_of, hazards, scales, demand, factors, u, start, stop
):  # pragma: no cover - compiled
    """Flat indices i x C + c (ascending) of the cells where consumer i, who can buy
    (can_buy[i]) and is not yet a customer of category c, draws u[i, c] below the daily
    probability 1 - exp(-max(rate, 0)), where rate = (scales[j] x hazards[j], summed in
    order) x demand[c] x each factor in order (numpy's order of operations, cell by cell;
    a scale of 1.0 leaves a hazard as it is, exactly). hazards and factors: tuples of
    C-contiguous 2-D float64 arrays of shape (N or 1, C or 1), a dimension of 1
    broadcast (a hazard may have more columns: its first C are read); scales: (len
    (hazards),) float64; u: (N, C) float32, compared as float64 (numpy's promotion). Only
    rows start..stop-1 are decided (a chunk of a pass split among threads)."""
    k = customer_of.shape[1]
    out = np.empty((stop - start) * k, np.int64)
    m = 0
    for i in range(start, stop):
        if not can_buy[i]:
            continue
        for c in range(k):
            if customer_of[i, c]:
                continue
            r = 0.0  # 0 + h == h: the same sum (up to the sign of a zero rate)
            for j in range(len(hazards)):
                h = hazards[j]
                r = r + scales[j] * h[i if h.shape[0] > 1 else 0, c if h.shape[1] > 1 else 0]
            r = r * demand[c]
            for f in factors:
                r = r * f[i if f.shape[0] > 1 else 0, c if f.shape[1] > 1 else 0]
            # 1 - exp(-r) < r for r > 0, and expm1 rounds faithfully, so its value is at
            # most r: a draw of r or more fails without computing it (most cells).
            v = np.float64(u[i, c])
            if r > 0.0 and v < r and v < -np.expm1(-r):
                out[m] = i * k + c
                m += 1
    return out[:m].copy()


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
    touched = _spread_reached_into(indptr, indices, data, rows, x, slot, acc, False, 0, slot.size)
    return touched, acc[: touched.size]  # views: the rows never reached are never paged in


@numba.njit(cache=True, nogil=True)
def spread_sparse_into(
    indptr, indices, data, rows, x, slot, out, cleared, lo, hi
):  # pragma: no cover
    """`spread_sparse` written into the rows of a kept (N, C) array instead of a fresh
    one, for the listeners lo..hi-1: the rows `cleared` (those reached last time) among
    them set to 0 first, then each listener's row zeroed when first reached and its sum
    formed there, in the same order (the same numbers). Returns those listeners reached,
    in the order first reached: out holds their sums and 0 in every row of the range
    reached by neither call (no scatter of rows afterwards). Listeners split into ranges
    may be summed side by side: each range's rows, and its listeners' slots, are its
    own, and each sum is formed speaker by speaker as in one pass."""
    for r in cleared:
        if lo <= r < hi:
            for c in range(out.shape[1]):
                out[r, c] = 0.0
    return _spread_reached_into(indptr, indices, data, rows, x, slot, out, True, lo, hi)


@numba.njit(cache=True, nogil=True, inline="always")
def _reach_bound(indptr, rows, consumers):  # pragma: no cover - compiled
    """Listeners reached, at most: the ties spoken over, and the consumers."""
    bound = 0
    for k in range(rows.size):
        bound += indptr[rows[k] + 1] - indptr[rows[k]]
    return min(bound, consumers)


@numba.njit(cache=True, nogil=True, inline="always")
def _spread_reached_into(
    indptr, indices, data, rows, x, slot, acc, by_listener, lo, hi
):  # pragma: no cover
    """The pass of `spread_sparse`, over the listeners lo..hi-1: each listener's sum
    formed from 0 in acc's row (the listener's own row when by_listener, else its order
    of first reach). Returns the listeners reached; their slots are -1 again on return."""
    touched = np.empty(_reach_bound(indptr, rows, hi - lo), slot.dtype)
    m = 0
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            if j < lo or j >= hi:
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
                acc[row, c] += w * x[k, c]
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


@numba.njit(cache=True, inline="always")
def _mulhi64(x, y):  # pragma: no cover - compiled
    mask = np.uint64(0xFFFFFFFF)
    x0, x1 = x & mask, x >> np.uint64(32)
    y0, y1 = y & mask, y >> np.uint64(32)
    p00, p01, p10, p11 = x0 * y0, x0 * y1, x1 * y0, x1 * y1
    middle = (p00 >> np.uint64(32)) + (p01 & mask) + (p10 & mask)
    return p11 + (p01 >> np.uint64(32)) + (p10 >> np.uint64(32)) + (middle >> np.uint64(32))


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
