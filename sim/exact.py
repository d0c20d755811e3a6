"""Sums of products with the same bits on every processor.

NumPy hands a float `a @ b` to OpenBLAS, which picks its kernel by processor (Haswell,
SkylakeX, ...): the kernels add in different orders, so a run's numbers would depend on
the machine it ran on. Model code that feeds results uses these instead: an elementwise
product (exact per element) summed in an order fixed by NumPy's own reduction.
"""

from __future__ import annotations

import numpy as np


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b for two vectors of one length."""
    return float(np.sum(np.multiply(a, b, dtype=np.float64)))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for a (K, C) matrix and a (C,) vector or a (C, D) matrix, summed term by term
    over the C columns of `a` (few: categories), so no (K, C, D) temporary is built."""
    a = np.asarray(a)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != b.shape[0] or b.ndim not in (1, 2):
        raise ValueError(f"cannot multiply shapes {a.shape} and {b.shape}")
    out = np.zeros((a.shape[0], *b.shape[1:]))
    for k in range(a.shape[1]):
        column = a[:, k].astype(np.float64)
        out += column[:, None] * b[k] if b.ndim == 2 else column * b[k]
    return out
