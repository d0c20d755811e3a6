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
def spread_rows(indptr, indices, data, rows, x, n):  # pragma: no cover - compiled
    """out[j, c] = sum over speakers k of rows, entries e of row rows[k] with indices[e] =
    j, of data[e] x x[k, c], summed speaker by speaker, entries in stored order (the order
    `np.bincount` sums in). x: (K, C) float64; returns (n, C) float64."""
    out = np.zeros((n, x.shape[1]))
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            w = data[e]
            for c in range(x.shape[1]):
                out[j, c] += w * x[k, c]
    return out


@numba.njit(cache=True, nogil=True)
def changed_influence(customer_of, lapsed, is_sharer, broadcast):  # pragma: no cover
    """Consumers whose influence state (active customer per category, then sharer) differs
    from what they last broadcast. customer_of: (N, C) bool; lapsed, is_sharer: (N,) bool;
    broadcast: (N, C + 1). Returns the indices in ascending order."""
    n, k = customer_of.shape
    out = np.empty(n, np.int64)
    m = 0
    for i in range(n):
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
def first_purchase_cells(can_buy, customer_of, hazards, demand, factors, u):  # pragma: no cover
    """Flat indices i x C + c (ascending) of the cells where consumer i, who can buy
    (can_buy[i]) and is not yet a customer of category c, draws u[i, c] below the daily
    probability 1 - exp(-max(rate, 0)), where rate = (hazards summed in order) x demand[c]
    x each factor in order (numpy's order of operations, cell by cell). hazards and
    factors: tuples of C-contiguous 2-D float64 arrays of shape (N or 1, C or 1), a
    dimension of 1 broadcast; u: (N, C) float32, compared as float64 (numpy's
    promotion)."""
    n, k = customer_of.shape
    out = np.empty(n * k, np.int64)
    m = 0
    for i in range(n):
        if not can_buy[i]:
            continue
        for c in range(k):
            if customer_of[i, c]:
                continue
            r = 0.0  # 0 + h == h: the same sum (up to the sign of a zero rate)
            for h in hazards:
                r = r + h[i if h.shape[0] > 1 else 0, c if h.shape[1] > 1 else 0]
            r = r * demand[c]
            for f in factors:
                r = r * f[i if f.shape[0] > 1 else 0, c if f.shape[1] > 1 else 0]
            if r > 0.0 and np.float64(u[i, c]) < -np.expm1(-r):
                out[m] = i * k + c
                m += 1
    return out[:m].copy()


@numba.njit(cache=True, nogil=True)
def row_dots(indptr, indices, data, keep, rows, x):  # pragma: no cover - compiled
    """(matrix[rows] @ x) for the CSR matrix of the entries kept (keep: (nnz,) bool): per
    row, the sum of data[e] x x[indices[e]] over its kept entries in stored order (scipy's
    csr_matvec order), without building either matrix. x: (N,) float64."""
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
def due_cells(next_due_day, free, customer_of, today):  # pragma: no cover - compiled
    """Flat indices i x C + c (ascending) of the (customer, category) pairs whose next
    repurchase is due (next_due_day[i, c] <= today), for customers free to buy (free[i])
    of categories they are customers of (customer_of[i, c])."""
    n, k = customer_of.shape
    out = np.empty(n * k, np.int64)
    m = 0
    for i in range(n):
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
def spread_add(indptr, indices, data, rows, x, target, slot):  # pragma: no cover - compiled
    """target += `spread_rows(...)`, touching only the listeners reached: each reached
    row's sum is formed from 0 in `spread_rows`'s order, then added once, so target ends
    exactly as with the dense sum (rows not reached gain nothing). slot: (N,) int64
    scratch, all -1 on entry and on return."""
    touched = np.empty(indices.size, np.int64)
    m = 0
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            if slot[j] < 0:
                slot[j] = m
                touched[m] = j
                m += 1
    acc = np.zeros((m, x.shape[1]))
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            s = slot[indices[e]]
            w = data[e]
            for c in range(x.shape[1]):
                acc[s, c] += w * x[k, c]
    for s in range(m):
        j = touched[s]
        for c in range(x.shape[1]):
            target[j, c] += acc[s, c]
        slot[j] = -1
