"""Arithmetic with the same bits on every processor, for the numbers that feed results.

NumPy hands a float `a @ b` to OpenBLAS, which picks its kernel by processor (Haswell,
SkylakeX, ...): the kernels add in different orders. NumPy's own `exp`, `log` and `power`
have AVX-512 loops that round differently from their AVX2 ones, and the C library picks
FMA or SSE2 builds of the same functions at run time, which differ in rare last bits.
So a run's numbers could depend on the machine it ran on. Model code that feeds reported
values uses these instead: sums of products as elementwise products (exact per element)
summed by NumPy's own reduction, whose order is fixed; exp, ln and powers of scalars in
`decimal` (integer arithmetic, 40 digits), rounded once to a float.
"""

from __future__ import annotations

import decimal
from functools import lru_cache

import numpy as np

_DIGITS = decimal.Context(prec=40)


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


def exp(x: float) -> float:
    """e ** x."""
    return float(_DIGITS.exp(decimal.Decimal(x)))


def ln(x: float) -> float:
    """The natural logarithm of x > 0."""
    return float(_DIGITS.ln(decimal.Decimal(x)))


def log1p(x: float) -> float:
    """ln(1 + x) for x > -1, with 1 + x formed in 40 digits (no float rounding)."""
    return float(_DIGITS.ln(_DIGITS.add(1, decimal.Decimal(x))))


def power(base: float, exponent: float) -> float:
    """base ** exponent: base > 0, or any base with a whole exponent (x ** 0 is 1, as
    for floats)."""
    if exponent == 0:
        return 1.0
    return float(_DIGITS.power(decimal.Decimal(base), decimal.Decimal(exponent)))


@lru_cache(maxsize=64)
def yearly_discount_factors(rate_per_year: float, days: int) -> np.ndarray:
    """(days,) (1 + rate) ** -((d + 1) / 365) for d = 0 .. days - 1: a day's cash
    discounted to the start."""
    factors = np.array([power(1.0 + rate_per_year, -(d + 1) / 365.0) for d in range(days)])
    factors.flags.writeable = False  # cached: shared by every caller
    return factors
