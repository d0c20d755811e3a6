"""sim.exact: sums of products in a fixed order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import exact


def test_matmul_is_a_matrix_product_summed_column_by_column():
    rng = np.random.default_rng(0)
    a, v, m = rng.random((50, 6)) < 0.5, rng.random(6), rng.random((6, 4))
    by_hand = sum(a[:, k].astype(float) * v[k] for k in range(6))
    assert np.array_equal(exact.matmul(a, v), by_hand)  # bit for bit: the fixed order
    np.testing.assert_allclose(exact.matmul(a, m), a @ m, rtol=1e-12)
    assert exact.matmul(a, m).shape == (50, 4)


def test_dot_is_the_pairwise_sum_of_the_products():
    rng = np.random.default_rng(1)
    x, y = rng.random(1000), rng.random(1000)
    assert exact.dot(x, y) == float(np.sum(x * y))
    assert exact.dot(x, y) == pytest.approx(float(x @ y), rel=1e-12)


def test_matmul_names_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"cannot multiply shapes \(3, 2\) and \(3,\)"):
        exact.matmul(np.ones((3, 2)), np.ones(3))


def test_scalar_functions_agree_with_the_c_library_to_the_last_bit_or_two():
    for x in (1e-9, 0.003, 0.1, 0.5, 2.0, 37.5):
        assert exact.exp(-x) == pytest.approx(math.exp(-x), rel=4e-16)
        assert exact.ln(x) == pytest.approx(math.log(x), rel=4e-16, abs=1e-300)
        assert exact.log1p(-x / 40) == pytest.approx(math.log1p(-x / 40), rel=4e-16)
        assert exact.power(1.1, -x) == pytest.approx(1.1**-x, rel=4e-16)
    assert exact.log1p(1e-20) == 1e-20  # 1 + x formed in 40 digits, not rounded to 1.0


def test_power_keeps_the_float_rules_at_the_edges():
    assert exact.power(0.0, 0.0) == 1.0 == 0.0**0.0
    assert exact.power(0.0, 3.0) == 0.0
    assert exact.power(-0.5, 3.0) == -0.125  # a whole exponent takes any base


def test_discount_factors_are_cached_and_read_only():
    factors = exact.yearly_discount_factors(0.1, 365)
    assert exact.yearly_discount_factors(0.1, 365) is factors
    assert factors[364] == pytest.approx(1 / 1.1, rel=1e-15)
    with pytest.raises(ValueError, match="read-only"):
        factors[0] = 1.0
