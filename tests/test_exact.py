"""sim.exact: sums of products in a fixed order."""

from __future__ import annotations

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
