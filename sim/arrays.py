"""Array helpers: numpy's own operations, steered onto their fast paths.

Each gives exactly what the numpy call it names gives; only the time differs.
"""

from __future__ import annotations

import numpy as np


def add_at(out: np.ndarray, index, values) -> None:
    """`np.add.at(out, index, values)`: values[k] added to out[index[k]] one at a time, in
    order (repeats accumulate). numpy's add.at takes a path some 20 times slower when the
    values' dtype differs from the array's (adding `1` to int32 counts, integer fen to
    float64 sums). Where casting the values first gives the same sums, they are cast:
    signed integers onto signed integers (the sum wraps the same either way) and integers
    onto float64 (numpy's loop casts them to float64 too). Every other pair (a float32
    array, unsigned or boolean values onto integers, floats onto integers) goes to numpy
    as it is."""
    values = np.asarray(values)
    if values.dtype != out.dtype and (
        (out.dtype.kind == "i" and values.dtype.kind == "i")
        or (out.dtype == np.float64 and values.dtype.kind in "iu")
    ):
        values = values.astype(out.dtype)
    np.add.at(out, index, values)


def unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` of a 1-D array: its distinct values, ascending. An already
    sorted array (the day's buyers usually are) is deduplicated in one pass; numpy's
    hash table costs some 50 times more."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"unique takes a 1-D array, not one of shape {values.shape}")
    if values.size and not (values[1:] >= values[:-1]).all():
        values = np.sort(values)
    if values.size == 0 or values.dtype.kind == "f":
        return np.unique(values)  # floats: numpy's handling of nan and -0.0
    keep = np.empty(values.size, bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys of a 1-D integer array (ascending) and the sum of the values at
    each: `np.bincount(keys, values)`'s nonzero entries for integer values, exact, without
    an array as long as the largest key."""
    keys, values = np.asarray(keys, np.int64), np.asarray(values)
    if keys.size == 0:
        return keys, np.zeros(0, values.dtype)
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    start = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[start], np.add.reduceat(values, start)


class GrowingSet:
    """A set of consumers that only grows (who ever earned, who ever heard bad news), kept
    as a mask for adding and as an ascending index for reading."""

    def __init__(self, n: int):
        self.mask = np.zeros(n, bool)
        self.members = np.empty(0, np.int64)

    def add(self, who: np.ndarray) -> None:
        new = who[~self.mask[who]]
        if new.size:
            self.mask[new] = True
            self.members = np.flatnonzero(self.mask)
