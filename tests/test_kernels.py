"""The compiled kernels equal the numpy / scipy expressions they replace, bit for bit."""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest

from sim import kernels
from sim.mechanisms.base import spread
from sim.network import ties_to_matrix
from sim.threads import by_row_chunks


@pytest.fixture(params=[0, 1, 2])
def matrix(request):
    """A sparse trust matrix with distrust ties and empty rows."""
    rng = np.random.default_rng(request.param)
    n = int(rng.integers(5, 200))
    m = int(rng.integers(0, 6 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    return ties_to_matrix(n, u, v, rng.uniform(-1, 1, m), symmetric=bool(request.param % 2))


def test_spread_is_scipys_transposed_product(matrix, rng):
    n = matrix.shape[0]
    rows = rng.choice(n, size=n // 2, replace=False)
    x = rng.random((rows.size, 3))
    expected = matrix[rows].T @ x
    np.testing.assert_array_equal(spread(matrix, rows, x), expected)
    np.testing.assert_array_equal(spread(matrix, rows, x[:, 0]), expected[:, 0])


def test_spread_reached_gives_the_dense_sums_of_the_listeners_reached(matrix, rng):
    from sim.mechanisms.base import spread_reached

    n = matrix.shape[0]
    rows = rng.choice(n, size=max(1, n // 3), replace=False)
    x = rng.random((rows.size, 4)) - 0.5
    slot = np.full(n, -1, np.int32)
    reached, sums = spread_reached(matrix, rows, x, slot)
    dense = spread(matrix, rows, x)
    np.testing.assert_array_equal(sums, dense[reached])
    assert np.unique(reached).size == reached.size
    others = np.setdiff1d(np.arange(n), reached)
    assert (dense[others] == 0).all()
    assert (slot == -1).all()  # the scratch is left clean
    target = rng.random((n, 4))
    expected = target + dense
    target[reached] += sums
    np.testing.assert_array_equal(target, expected)


def reversed_rows(matrix):
    """The matrix with each row's entries stored in descending column order."""
    import scipy.sparse as sp

    indptr = matrix.indptr
    order = np.concatenate(
        [np.arange(indptr[r + 1] - 1, indptr[r] - 1, -1) for r in range(matrix.shape[0])]
        + [np.empty(0, np.int64)]
    ).astype(np.int64)
    out = sp.csr_matrix((matrix.data[order], matrix.indices[order], indptr), matrix.shape)
    assert out.nnz == matrix.nnz and (out.nnz < 2 or not out.has_sorted_indices)
    return out


@pytest.mark.parametrize("stored", ["ascending", "descending"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_spread_reached_into_keeps_the_dense_sums_over_successive_days(
    matrix, rng, threads, split_passes, stored
):
    """Written into a kept array, clearing the rows reached the day before: after each
    day it holds exactly the dense sums of that day's speakers (0 everywhere else),
    whether a day reaches more, fewer or nobody; summed by one thread or by ranges of
    listeners side by side (each range bisecting a speaker's sorted ties to its own, or
    reading them all when they are not sorted); with a ceiling of each column (the
    purchase kernel's)."""
    from sim.mechanisms.base import spread_reached_into

    split_passes(threads)
    if stored == "descending":
        matrix = reversed_rows(matrix)
    else:
        assert matrix.has_sorted_indices

    n = matrix.shape[0]
    kept = np.zeros((n, 3))
    slot = np.full(n, -1, np.int32)
    reached = np.empty(0, np.int64)
    for size in (n // 2, n // 5, 0, n, 1):
        rows = rng.choice(n, size=size, replace=False)
        for x in (rng.random((rows.size, 3)) - 0.5, rng.random((rows.size, 3))):
            reached, high = spread_reached_into(matrix, rows, x, slot, kept, reached)
            np.testing.assert_array_equal(kept, spread(matrix, rows, x))
            assert np.unique(reached).size == reached.size and (slot == -1).all()
            # the ceiling: at least every value and 0; the largest where none is negative
            assert (high >= kept.max(axis=0)).all() and (high >= 0).all()
            if (x >= 0).all() and (matrix.data >= 0).all():
                np.testing.assert_array_equal(high, np.maximum(kept.max(axis=0), 0.0))
    with pytest.raises(ValueError, match="cannot spread 2 columns"):
        spread_reached_into(matrix, rows, x[:, :2], slot, kept, reached)
    with pytest.raises(IndexError, match="rows to clear"):
        spread_reached_into(matrix, rows, x, slot, kept, np.array([n]))
    with pytest.raises(ValueError, match="speakers but values of shape"):
        spread_reached_into(matrix, np.arange(min(n, 3)), np.ones((7, 3)), slot, kept, reached)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_changed_influence_finds_who_broadcasts_something_new(rng, split_passes, threads):
    split_passes(threads)
    n, k = 1000, 3
    customer_of = rng.random((n, k)) < 0.3
    lapsed, sharer = rng.random(n) < 0.1, rng.random(n) < 0.2
    now = np.column_stack([customer_of & ~lapsed[:, None], sharer]).astype(np.int8)
    broadcast = now.copy()
    flip = rng.choice(n, 50, replace=False)
    broadcast[flip, rng.integers(0, k + 1, 50)] ^= 1
    got = by_row_chunks(
        kernels.changed_influence, customer_of, lapsed, sharer, broadcast, rows=n, columns=k + 1
    )
    np.testing.assert_array_equal(got, np.sort(flip))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_due_cells_are_numpys_nonzero(rng, split_passes, threads):
    split_passes(threads)
    n, k = 2000, 4
    due = rng.integers(0, 20, (n, k)).astype(np.int32)
    free, customer_of = rng.random(n) < 0.8, rng.random((n, k)) < 0.5
    got = by_row_chunks(kernels.due_cells, due, free, customer_of, 10, rows=n, columns=k)
    expected = np.flatnonzero((due <= 10) & free[:, None] & customer_of)
    np.testing.assert_array_equal(got, expected)


def test_row_dots_and_entries_read_the_matrix_as_scipy(matrix, rng):
    n = matrix.shape[0]
    rows = rng.integers(0, n, 300)
    x = (rng.random(n) < 0.4).astype(float)
    parts = (matrix.indptr, matrix.indices, matrix.data)
    everything = np.ones(matrix.nnz, bool)
    np.testing.assert_array_equal(kernels.row_dots(*parts, everything, rows, x), matrix[rows] @ x)
    keep = rng.random(matrix.nnz) < 0.5
    kept = matrix.copy()
    kept.data = np.where(keep, kept.data, 0.0)
    kept.eliminate_zeros()
    np.testing.assert_array_equal(kernels.row_dots(*parts, keep, rows, x), kept[rows] @ x)
    # a bool mask is read as 1.0 and 0.0: the same sums
    np.testing.assert_array_equal(kernels.row_dots(*parts, keep, rows, x > 0), kept[rows] @ x)
    cols = rng.integers(0, n, 300)
    np.testing.assert_array_equal(
        kernels.entries(*parts, rows, cols), np.asarray(matrix[rows, cols]).ravel()
    )


def test_rows_of_kept_entries_are_the_rows_of_the_kept_matrix(matrix, rng):
    from sim.mechanisms.base import csr_rows

    keep = rng.random(matrix.nnz) < 0.5
    kept = matrix.copy()
    kept.data = np.where(keep, kept.data, 0.0)
    kept.eliminate_zeros()
    rows = rng.integers(0, matrix.shape[0], 100)
    got = csr_rows(matrix, rows, keep)
    expected = kept[rows]
    for a, b in zip(got, (expected.indptr, expected.indices, expected.data), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed, before", [(0, 0), (1, 3), (2, 4), (7, 1), (3, 0), (5, 2)])
def test_positional_uniforms_are_the_full_draws_numbers(seed, before):
    """Reading a draw at chosen positions gives numpy's float32 values there, and leaves
    the stream where the full draw would (a buffered half included)."""
    from sim.mechanisms.base import Uniforms

    full_gen = np.random.Generator(np.random.PCG64(seed))
    lazy_gen = np.random.Generator(np.random.PCG64(seed))
    full_gen.random(before, dtype=np.float32)
    lazy_gen.random(before, dtype=np.float32)
    shape = (2, 40_001, 3) if seed % 2 else (2, 301, 3)  # read at positions, or in full
    full = full_gen.random(shape, dtype=np.float32).ravel()
    draw = Uniforms(lazy_gen, full.size)
    assert draw._values is None or full.size <= Uniforms.DRAW_IN_FULL
    positions = np.random.default_rng(seed).integers(0, full.size, 700)  # repeats, unsorted
    np.testing.assert_array_equal(draw.at(positions), full[positions])
    np.testing.assert_array_equal(draw.at(np.arange(full.size)), full)
    grid = np.arange(0, full.size, 7)[:60].reshape(20, 3)  # ascending rows of a table
    np.testing.assert_array_equal(draw.at(grid), full[grid])  # in the positions' shape
    np.testing.assert_array_equal(draw.at(grid[::-1]), full[grid[::-1]])
    assert full_gen.bit_generator.state == lazy_gen.bit_generator.state
    np.testing.assert_array_equal(
        full_gen.random(5, dtype=np.float32), lazy_gen.random(5, dtype=np.float32)
    )
    with pytest.raises(IndexError):
        draw.at(np.array([full.size]))


@pytest.mark.parametrize("size", [300, 40_001])  # made in full, or read at positions
@pytest.mark.parametrize("share", [0.0, 0.02, 0.5, 1.0])  # few or many eligible
def test_the_draw_under_a_bound_where_eligible_is_read_as_at_then_kept(size, share):
    """`Uniforms.under`: the eligible positions drawing under the bound (in float64) and
    their values, as reading them all and keeping those under it, whichever way it reads
    (by position, or the draw made in full and compared in one pass)."""
    from sim.mechanisms.base import Uniforms

    rng = np.random.default_rng(size)
    eligible = rng.random(size) < share
    full = np.random.Generator(np.random.PCG64(4)).random(size, dtype=np.float32)
    bounds = [0.0, 0.03, float(full[0]), 0.5, np.inf]
    if eligible.any():  # just above an eligible number: under it in float64, not in float32
        bounds.append(float(np.nextafter(np.float64(full[eligible].min()), 1.0)))
    for bound in bounds:
        draw = Uniforms(np.random.Generator(np.random.PCG64(4)), size)
        positions, values = draw.under(eligible, bound)
        expected = np.flatnonzero(eligible & (full.astype(np.float64) < bound))
        np.testing.assert_array_equal(positions, expected)
        np.testing.assert_array_equal(values, full[expected])
        assert values.dtype == np.float32
    with pytest.raises(ValueError, match="a mask of shape"):
        draw.under(eligible[:-1], 0.5)


@pytest.mark.parametrize("before", [0, 1])
@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize("read", ["positions", "in full"])
def test_positional_reading_from_a_buffered_half_and_tiny_draws(before, count, read, monkeypatch):
    """The jump path itself (forced), from a buffered half or not, for draws of 0-9, read
    at positions or made in full after the jump (from where the stream was)."""
    from sim.mechanisms.base import Uniforms

    full_gen = np.random.Generator(np.random.PCG64(11))
    lazy_gen = np.random.Generator(np.random.PCG64(11))
    full_gen.random(before, dtype=np.float32)
    lazy_gen.random(before, dtype=np.float32)
    full = full_gen.random(count, dtype=np.float32)
    monkeypatch.setattr(Uniforms, "DRAW_IN_FULL", -1)  # positional even for tiny draws
    share = np.inf if read == "positions" else 0.0
    monkeypatch.setattr(Uniforms, "POSITIONS_PER_FULL_DRAW", share)
    draw = Uniforms(lazy_gen, count)
    assert draw._values is None
    np.testing.assert_array_equal(draw.at(np.arange(count)), full)
    assert (draw._values is None) == (read == "positions" or count == 0)
    assert full_gen.bit_generator.state == lazy_gen.bit_generator.state
    with pytest.raises(IndexError):
        draw.at(np.array([-1]))


def test_spreading_from_nobody_reaches_nobody(matrix):
    from sim.mechanisms.base import spread_reached

    n = matrix.shape[0]
    none = np.empty(0, np.int64)
    assert (spread(matrix, none, np.empty(0)) == 0).all() and spread(matrix, none, []).shape == (n,)
    assert spread(matrix, none, np.empty((0, 3))).shape == (n, 3)
    reached, sums = spread_reached(matrix, none, np.empty((0, 3)), np.full(n, -1, np.int32))
    assert reached.size == 0 and sums.shape == (0, 3)


def test_add_rows_adds_like_numpy_fancy_indexing(rng):
    from sim.kernels import add_rows

    out = rng.random((50, 3))
    rows = rng.choice(50, size=20, replace=False)
    values = rng.random((20, 3)) - 0.5
    expected = out.copy()
    expected[rows] += values
    add_rows(out, rows.astype(np.int32), values)  # the spreading's rows are int32
    np.testing.assert_array_equal(out, expected)
    signal = rng.random(50)  # a 1-D state, written through its column view
    expected = signal.copy()
    expected[rows] += values[:, 0]
    add_rows(signal[:, None], rows, values[:, :1])
    np.testing.assert_array_equal(signal, expected)
    with pytest.raises(ValueError, match=r"shape \(20, 3\) to rows of \(50, 1\)"):
        add_rows(signal[:, None], rows, values)
    with pytest.raises(IndexError, match=r"rows outside 0\.\.49"):
        add_rows(out, np.array([50]), values[:1])


def test_uniform_into_buffer_draws_the_same_numbers_into_one_reused_array():
    from sim.market import Market
    from tests.conftest import small_scenario

    fresh = Market(small_scenario()).platform.get("purchase")
    reused = Market(small_scenario()).platform.get("purchase")
    first = reused.uniform_into_buffer("purchase", (40, 3))
    np.testing.assert_array_equal(first, fresh.uniform("purchase", (40, 3)))
    second = reused.uniform_into_buffer("purchase", (40, 3))
    assert second is first  # the same array, refilled
    np.testing.assert_array_equal(second, fresh.uniform("purchase", (40, 3)))


def test_spread_into_a_reused_array_gives_the_fresh_sums(matrix, rng):
    n = matrix.shape[0]
    out = rng.random((n, 3))  # yesterday's sums: overwritten, not added to
    for _ in range(2):
        rows = rng.choice(n, size=max(1, n // 4), replace=False)
        x = rng.random((rows.size, 3))
        assert spread(matrix, rows, x, out) is out
        np.testing.assert_array_equal(out, spread(matrix, rows, x))
    with pytest.raises(ValueError, match=r"float64 array of shape \(\d+, 3\)"):
        spread(matrix, rows, x, np.zeros((n, 2)))


def test_compiled_sums_and_products_are_not_fused(matrix, rng, monkeypatch):
    """The kernels that multiply and add (spreading, the first-purchase rate) must round
    each product and each sum as numpy and scipy do: a fused multiply-add rounds once and
    changes last bits, which decisions rarely show. numba fuses only under fastmath; this
    reads the compiled code of every signature in use to make sure."""
    from sim import kernels
    from sim.mechanisms import purchase
    from sim.mechanisms.base import (
        ScaledHazard,
        Uniforms,
        spread_reached,
        spread_reached_into,
    )

    n = matrix.shape[0]
    rows = np.arange(0, n, 3)
    spread(matrix, rows, rng.random((rows.size, 2)))
    spread_reached(matrix, rows, rng.random((rows.size, 2)), np.full(n, -1, np.int32))
    spread_reached_into(
        matrix, rows, rng.random((rows.size, 2)), np.full(n, -1, np.int32), np.zeros((n, 2)), rows
    )
    purchase.first_purchases(
        np.ones(n, bool),
        np.zeros((n, 2), bool),
        rng.random((n, 2)).astype(np.float32),
        [0.01, ScaledHazard(0.3, rng.random((n, 3)), 2)],
        np.ones(2),
        [rng.random((n, 1))],
    )
    monkeypatch.setattr(purchase.threads, "MIN_CELLS", 64)  # a draw made in the pass:
    purchase.first_purchases(  # as on a large world (`Uniforms`)
        np.ones(5000, bool),
        np.zeros((5000, 2), bool),
        Uniforms(rng, 10_000),
        [0.01, ScaledHazard(0.03, rng.random((5000, 3)), 2, 1.0)],
        np.ones(2),
        [rng.random((5000, 1))],
    )
    fused = re.compile(r"fmuladd|llvm\.fma|\b(?:fast|contract)\b")  # flags that allow it
    compiled = (
        kernels.spread_rows,
        kernels.spread_sparse,
        kernels.spread_sparse_into,
        kernels.first_purchase_cells,
        kernels.first_purchase_drawn,
    )
    for kernel in compiled:
        assert kernel.signatures, kernel
        # code loaded from numba's disk cache cannot be inspected: compile it afresh, with
        # the kernel's own options, for every signature in use
        options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
        fresh = numba.njit(**options)(kernel.py_func)
        for signature in kernel.signatures:
            fresh.compile(signature)
        assert len(fresh.signatures) == len(kernel.signatures)
        for ir in fresh.inspect_llvm().values():
            assert "define" in ir and not fused.search(ir), kernel
        for asm in fresh.inspect_asm().values():  # and none in the machine code
            assert not re.search(r"\bv?f(?:n)?m(?:add|sub)\d", asm), kernel
