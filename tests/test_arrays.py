"""Array helpers give exactly what the numpy calls they stand for give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.arrays import GrowingSet, add_at, sum_by_key, unique

ints = hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(-5, 40))


@given(ints)
def test_unique_is_numpys_unique(values):
    np.testing.assert_array_equal(unique(values), np.unique(values))
    ordered = np.sort(values)
    got = unique(ordered)
    np.testing.assert_array_equal(got, np.unique(values))
    assert got.dtype == values.dtype


def test_unique_of_floats_and_shapes():
    values = np.array([2.0, np.nan, -0.0, 0.0, 2.0, np.nan])
    np.testing.assert_array_equal(unique(values), np.unique(values))
    assert unique(np.empty(0, np.int32)).dtype == np.int32
    with pytest.raises(ValueError, match=r"1-D array, not one of shape \(2, 2\)"):
        unique(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("out_dtype", "values"),
    [
        (np.int32, 1),  # a Python int onto int32 counts (cast first)
        (np.int32, np.arange(50) % 7),  # int64 values onto int32 (cast first)
        (np.int32, np.arange(50) * 2**40 + 3),  # beyond int32: wraps as numpy wraps
        (np.float64, np.arange(50) * 1001 - 7),  # integer fen onto float sums (cast first)
        (np.float64, np.arange(50, dtype=np.uint64) * 2**60),  # unsigned, rounded once
        (np.float64, np.linspace(0.1, 3.3, 50)),  # floats in order
        (np.int64, np.arange(50, dtype=np.int64)),
        (np.int32, np.linspace(0.5, 9.5, 50)),  # floats onto integers: numpy's own way
        (np.float32, np.arange(50) + 2**24 + 1),  # float32: numpy rounds once, not twice
        (np.float32, np.full(50, 2.0**-24 + 2.0**-50)),
        (np.int64, np.arange(50, dtype=np.uint64) + 2**63),  # unsigned onto signed
        (np.int32, np.ones(50, bool)),
    ],
)
def test_add_at_is_numpys_add_at(rng, out_dtype, values):
    index = rng.integers(0, 10, 50)  # many repeats: order of the sums matters for floats
    mine = np.full(10, 1.0 if np.dtype(out_dtype).kind == "f" else 2).astype(out_dtype)
    numpys = mine.copy()
    with np.errstate(invalid="ignore"):  # unsigned onto signed goes through float64
        add_at(mine, index, values)
        np.add.at(numpys, index, values)
    np.testing.assert_array_equal(mine, numpys)
    assert mine.dtype == out_dtype


def test_add_at_with_a_tuple_index(rng):
    out, expected = np.zeros((3, 4)), np.zeros((3, 4))
    rows, cols = rng.integers(0, 3, 40), rng.integers(0, 4, 40)
    add_at(out, (rows, cols), np.arange(40))
    np.add.at(expected, (rows, cols), np.arange(40))
    np.testing.assert_array_equal(out, expected)


def test_sum_by_key_is_bincounts_nonzero_entries(rng):
    keys = rng.integers(0, 40, 300)
    values = rng.integers(1, 1000, 300)
    got_keys, sums = sum_by_key(keys, values)
    expected = np.bincount(keys, values, minlength=40).astype(np.int64)
    np.testing.assert_array_equal(got_keys, np.flatnonzero(expected))
    np.testing.assert_array_equal(sums, expected[got_keys])
    assert sums.dtype == np.int64
    empty_keys, empty_sums = sum_by_key(np.empty(0, np.int64), np.empty(0, np.int64))
    assert empty_keys.size == empty_sums.size == 0


def test_a_growing_set_keeps_its_members_ascending_once_each():
    members = GrowingSet(10)
    members.add(np.array([7, 2, 7]))
    members.add(np.array([2, 0]))
    members.add(np.empty(0, np.int64))
    assert members.members.tolist() == [0, 2, 7]
