"""Purchase: first purchases, channel credit and the sharer a share credits."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms import (
    purchase,
)
from sim.network import ties_to_matrix
from sim.state import SOURCE_AD, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH


def test_first_purchase_probability_matches_hazard(rng):
    n = 200_000
    rate = np.full((n, 2), 0.1)
    rate[:, 1] = -1.0  # a negative rate is no rate
    can_buy = np.ones(n, bool)
    can_buy[: n // 2] = False
    customer_of = np.zeros((n, 2), bool)
    customer_of[-1000:, 0] = True  # already customers
    u = rng.random((n, 2)).astype(np.float32)
    buyers, categories = purchase.first_purchases(can_buy, customer_of, u, [rate])
    assert (buyers >= n // 2).all() and (buyers < n - 1000).all() and (categories == 0).all()
    assert (np.diff(buyers) > 0).all()  # ordered by consumer
    eligible = n // 2 - 1000
    expected = 1 - np.exp(-0.1)
    se = np.sqrt(expected * (1 - expected) / eligible)
    assert abs(buyers.size / eligible - expected) < 5 * se
    # the same decisions as the rule written with numpy arrays
    numpy_rule = can_buy[:, None] & ~customer_of & (u < purchase.adoption_probability(rate))
    np.testing.assert_array_equal(np.flatnonzero(numpy_rule), buyers * 2 + categories)


def test_first_purchase_rate_is_the_channels_sum_times_demand_and_factors(rng):
    """Hazards of any broadcastable shape are summed, then scaled by demand and by each
    factor in order: the same decisions as writing the rule with numpy arrays."""
    n, k = 50_000, 3
    hazards = [0.02, rng.random((n, k)) * 0.2, rng.random((n, 1)) * 0.1]
    demand = np.array([1.0, 0.5, 0.0])
    factors = [np.where(rng.random((n, 1)) < 0.5, 0.1, 1.0), rng.random(k)]
    can_buy = rng.random(n) < 0.9
    customer_of = rng.random((n, k)) < 0.2
    u = rng.random((n, k)).astype(np.float32)
    buyers, categories = purchase.first_purchases(can_buy, customer_of, u, hazards, demand, factors)
    rate = (hazards[0] + hazards[1] + hazards[2]) * demand
    for f in factors:
        rate = rate * f
    numpy_rule = can_buy[:, None] & ~customer_of & (u < purchase.adoption_probability(rate))
    np.testing.assert_array_equal(np.flatnonzero(numpy_rule), buyers * k + categories)
    assert not (categories == 2).any()  # no demand, no purchase


def test_channels_that_are_off_and_unit_factors_are_left_out_exactly(rng):
    """Zero hazards (0, -0.0, a zero (1, 1) array) and factors of exactly 1 are left out
    of the kernel's rate (a ScaledHazard of zero scale, or a full array, is read as it
    is): the same decisions as the numpy rule with them in, even when nothing is left."""
    from sim.mechanisms.base import ScaledHazard

    n, k = 20_000, 2
    can_buy = rng.random(n) < 0.8
    customer_of = rng.random((n, k)) < 0.1
    u = rng.random((n, k)).astype(np.float32)
    signal = rng.random((n, k + 1))
    zeros = [0.0, -0.0, np.zeros((1, 1)), ScaledHazard(0.0, signal, k)]
    for hazards, factors in [
        ([0.01, *zeros, rng.random((n, k)) * 0.3], [1.0, rng.random((n, 1)), np.ones((1, 1))]),
        (zeros, [1.0]),  # no channel on: nobody buys
        ([0.2], []),
    ]:
        buyers, categories = purchase.first_purchases(
            can_buy, customer_of, u, hazards, np.ones(k), factors
        )
        rate = sum(np.asarray(h, float) for h in hazards)
        for f in factors:
            rate = rate * np.asarray(f, float)
        expected = can_buy[:, None] & ~customer_of & (u < purchase.adoption_probability(rate))
        np.testing.assert_array_equal(np.flatnonzero(expected), buyers * k + categories)


def test_first_purchase_decides_as_numpy_at_the_edges(rng):
    """The kernel skips computing the probability where the draw is at least the rate (the
    probability is below it): the same decisions as numpy's rule for rates from tiny to
    large and draws on either side of the probability and of the rate."""
    rates = np.concatenate([10.0 ** rng.uniform(-320, 2, 4000), [0.0, -1.0, np.inf, np.nan]])
    probability = purchase.adoption_probability(rates)
    near = np.stack(
        [
            np.nextafter(probability.astype(np.float32), np.float32(-1)),
            probability.astype(np.float32),
            np.nextafter(probability.astype(np.float32), np.float32(2)),
            rates.astype(np.float32),
            rng.random(rates.size).astype(np.float32),
        ]
    )
    u = np.clip(np.nan_to_num(near, nan=0.5), 0, np.nextafter(np.float32(1), np.float32(0)))
    n, k = rates.size, u.shape[0]
    rate = np.broadcast_to(rates[:, None], (n, k))
    buyers, categories = purchase.first_purchases(
        np.ones(n, bool), np.zeros((n, k), bool), u.T.copy(), [np.ascontiguousarray(rate)]
    )
    numpy_rule = u.T < purchase.adoption_probability(rate)
    np.testing.assert_array_equal(np.flatnonzero(numpy_rule), buyers * k + categories)


def test_a_scaled_hazard_is_the_product_read_where_it_is_kept(rng):
    """Word of mouth's q x signal, read from the kept (N, C + 1) signal: the same numbers
    as the product written out, as an array, at cells, in sums, and in the purchase
    kernel's decisions."""
    from sim.mechanisms.base import ScaledHazard, hazard_cells

    n, k, q = 20_000, 3, 0.37
    signal = rng.random((n, k + 1))
    hazard = ScaledHazard(q, signal, k)
    product = q * signal[:, :k]
    assert hazard.shape == (n, k)
    np.testing.assert_array_equal(np.asarray(hazard), product)
    np.testing.assert_array_equal(hazard + 0.5, product + 0.5)
    np.testing.assert_array_equal(np.ones(k) + hazard, np.ones(k) + product)
    np.testing.assert_array_equal(2.0 * hazard, 2.0 * product)
    rows, cols = rng.integers(0, n, 500), rng.integers(0, k, 500)
    np.testing.assert_array_equal(hazard_cells(hazard, (n, k), rows, cols), product[rows, cols])
    np.testing.assert_array_equal(hazard_cells(product[0], (n, k), rows, cols), product[0][cols])
    for outside in (k, -1):  # the kept array's other columns are not the hazard's
        with pytest.raises(IndexError, match=r"column outside 0\.\.2"):
            hazard.cells(rows, np.full(500, outside))
    with pytest.raises(ValueError, match=r"cannot take 5 columns of an array of \(20000, 4\)"):
        ScaledHazard(q, signal, 5)
    with pytest.raises(ValueError, match=r"one per column read \(3\), not of shape \(4,\)"):
        ScaledHazard(q, signal, k, np.ones(k + 1))  # a ceiling per kept column: ambiguous
    with pytest.raises(ValueError, match=r"rows must be a bool array of shape \(20000,\)"):
        ScaledHazard(q, signal, k, 1.0, np.ones(n))
    can_buy = rng.random(n) < 0.9
    customer_of = rng.random((n, k)) < 0.2
    u = rng.random((n, k)).astype(np.float32)
    others = [0.01, rng.random((n, k)) * 0.2]
    lazy = purchase.first_purchases(can_buy, customer_of, u, [others[0], hazard, others[1]])
    written = purchase.first_purchases(can_buy, customer_of, u, [others[0], product, others[1]])
    for a, b in zip(lazy, written, strict=True):
        np.testing.assert_array_equal(a, b)
    assert lazy[0].size > 1000


def test_a_factor_stated_to_be_1_everywhere_is_left_out(rng):
    """A factor whose owner states its range as [1, 1] (proxies when everyone is online)
    multiplies nothing: the kernel leaves it out (a range stated falsely shows it)."""
    from sim.mechanisms.base import Factor

    n = 5_000
    u = rng.random((n, 1)).astype(np.float32)
    args = (np.ones(n, bool), np.zeros((n, 1), bool), u, [np.full((n, 1), 0.2)])
    without = purchase.first_purchases(*args)
    halved = np.full((n, 1), 0.5)
    stated_one = purchase.first_purchases(*args, factors=[Factor(halved, 1.0, 1.0)])
    read = purchase.first_purchases(*args, factors=[Factor(halved, 0.5, 0.5)])
    for a, b in zip(stated_one, without, strict=True):
        np.testing.assert_array_equal(a, b)
    assert read[0].size < without[0].size * 0.7


def test_credit_channel_proportional_to_rates(rng):
    k = 100_000
    got = purchase.credit_channel(
        {
            SOURCE_AD: np.full(k, 1.0),
            SOURCE_WORD_OF_MOUTH: np.full(k, 2.0),
            SOURCE_SHARE: np.full(k, 1.0),
        },
        rng.random(k),
    )
    shares = [np.mean(got == s) for s in (SOURCE_AD, SOURCE_WORD_OF_MOUTH, SOURCE_SHARE)]
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25], atol=0.01)


@pytest.mark.parametrize("zeros", [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1)])
def test_credit_channel_the_same_without_the_channels_of_rate_0(rng, zeros):
    # The purchase mechanism leaves out a channel whose hazard is 0 today: the credit
    # must be what it was with it in, u at the running sums' edges included.
    k = 20_000
    codes = (SOURCE_AD, SOURCE_WORD_OF_MOUTH, SOURCE_SHARE)
    rates = {c: rng.choice([0.0, 0.5, 1.0, 3.0], k) for c in codes}
    for z in zeros:
        rates[codes[z]] = np.zeros(k)
    total = sum(rates.values())
    rates = {c: r[total > 0] for c, r in rates.items()}  # a purchase has a rate above 0
    total = total[total > 0]
    u = rng.random(total.size, dtype=np.float32)  # as drawn: float32, under 1
    u[:10] = 0.0
    u[10:20] = np.minimum(rates[codes[0]][10:20] / total[10:20], np.nextafter(np.float32(1), 0))
    full = purchase.credit_channel(rates, u)
    kept = {c: r for i, c in enumerate(codes) if i not in zeros for r in [rates[c]]}
    np.testing.assert_array_equal(purchase.credit_channel(kept, u), full)


def test_credit_channel_of_one_channel_and_of_none(rng):
    one = purchase.credit_channel({SOURCE_SHARE: rng.random(50)}, rng.random(50))
    assert one.dtype == np.int8 and (one == SOURCE_SHARE).all()
    assert purchase.credit_channel({}, np.empty(0)).size == 0
    with pytest.raises(ValueError, match="no channel"):
        purchase.credit_channel({}, np.zeros(3))


def test_pick_sharer_only_picks_ties_who_shared_with_odds_by_trust(rng):
    # Listener 0 trusts 1 (0.2), 2 (0.6), 3 (1.0); 3 did not share today.
    trust = ties_to_matrix(
        4, np.zeros(3, int), np.array([1, 2, 3]), np.array([0.2, 0.6, 1.0]), symmetric=False
    )
    shared = np.array([False, True, True, False])
    k = 40_000
    got = purchase.pick_sharer(trust, np.zeros(k, int), shared, rng.random(k))
    assert set(np.unique(got)) == {1, 2}
    assert abs(np.mean(got == 2) - 0.75) < 0.01
    none = purchase.pick_sharer(trust, np.array([1]), shared, np.array([0.5]))
    assert none[0] == -1  # consumer 1 has no tie that shared


def test_a_repeat_is_an_order_on_a_later_day_in_any_category():
    """A first order in a second category on the same day is not a repeat; any order on a
    later day is (repeat_rate_30d / 90d count it)."""
    from sim.mechanisms.purchase import record_orders
    from sim.metrics import repeat_rate
    from sim.state import Consumers

    c = Consumers.create(np.ones(3, bool), 2)
    record_orders(c, np.array([0, 0, 1]), day=0)  # 0 buys two categories on day 0
    assert c.second_order_day.tolist() == [-1, -1, -1]
    record_orders(c, np.array([1]), day=5)  # 1 comes back on day 5, another category or not
    record_orders(c, np.array([2]), day=6)  # 2's first order
    assert c.second_order_day.tolist() == [-1, 5, -1]
    assert repeat_rate(c.first_order_day, c.second_order_day, 100, 30) == 1 / 3


def test_csr_rows_gathers_what_scipy_row_indexing_holds(rng):
    """Rows of a CSR matrix gathered with numpy: the same indptr, indices and data as
    `matrix[rows]`, with empty, repeated and unsorted rows."""
    import scipy.sparse as sp

    from sim.mechanisms.base import csr_rows

    dense = sp.random(50, 40, density=0.1, random_state=3).toarray()
    dense[7] = 0.0  # an empty row
    matrix = sp.csr_matrix(dense)
    rows = np.array([7, 3, 3, 49, 0, 12])
    indptr, indices, data = csr_rows(matrix, rows)
    expected = matrix[rows].tocsr()
    assert indptr.tolist() == expected.indptr.tolist()
    assert indices.tolist() == expected.indices.tolist()
    assert data.tolist() == expected.data.tolist()
    empty = csr_rows(matrix, np.array([], dtype=np.int64))
    assert empty[0].tolist() == [0] and empty[1].size == 0


def test_spread_equals_scipy_bit_for_bit(rng):
    """What listeners receive from some speakers, summed as scipy sums: identical bits,
    for one vector and for one column per category."""
    import scipy.sparse as sp

    from sim.mechanisms.base import spread

    matrix = sp.random(300, 300, density=0.05, format="csr", random_state=4)
    rows = np.array([5, 17, 17, 250, 3])
    x = rng.random((rows.size, 3))
    expected = np.asarray(matrix[rows].T @ x)
    assert spread(matrix, rows, x).tobytes() == expected.tobytes()
    one = matrix[rows].T @ x[:, 0]
    assert spread(matrix, rows, x[:, 0]).tobytes() == np.asarray(one).tobytes()


def test_recommendation_trust_reads_the_matrix_as_scipy_does(rng):
    """Trust in the sharer, or in the strongest tie who is a customer (0 without one), on
    a network with distrust ties: the compiled lookups equal scipy's slicing."""
    n = 300
    u, v = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    trust = ties_to_matrix(n, u, v, rng.uniform(-1, 1, 3000), symmetric=False)
    buyers = rng.integers(0, n, 500)
    recommender = rng.integers(-1, n, 500)
    channels = rng.choice([SOURCE_AD, SOURCE_SHARE, SOURCE_WORD_OF_MOUTH], 500)
    customer = rng.random(n) < 0.3
    got = purchase.recommendation_trust(
        trust, buyers, channels, recommender, np.full(500, np.nan), customer
    )
    expected = np.ones(500)
    share = (channels == SOURCE_SHARE) & (recommender >= 0)
    expected[share] = np.asarray(trust[buyers[share], recommender[share]]).ravel()
    wom = channels == SOURCE_WORD_OF_MOUTH
    rows = trust[buyers[wom]].multiply(customer[None, :].astype(float)).tocsr()
    expected[wom] = np.asarray(rows.max(axis=1).todense()).ravel()
    np.testing.assert_array_equal(got, np.clip(expected, 0.0, 1.0))
    assert (got[share] != 1).any() and (got[wom] > 0).any() and (got[wom] == 0).any()


def _rate(hazards, demand, factors):
    """Each cell's rate in the kernel's order: scale x hazard summed, x demand, x factors."""
    rate = 0.0
    for values, scale in hazards:
        rate = rate + scale * values
    rate = rate * demand
    for f in factors:
        rate = rate * f
    return rate


def test_a_draw_made_in_the_pass_decides_as_the_draw_made_first(rng, split_passes, monkeypatch):
    """A draw handed over to be made (`Uniforms`) is made by the purchase kernel as it
    reads it, and only the cells drawn under the rates' bound get a rate: the same
    buyers as the same numbers drawn first and every rate computed, on 1 to 3 threads,
    from a stream with a half buffered or not, for weak and strong rates, negative and
    NaN hazards, a negative factor (no bound), hazards 0 outside some rows (not read
    there), factors with their range stated, and sizes odd and even."""
    from sim.mechanisms.base import Factor, ScaledHazard, Uniforms

    made_in_pass, now = set(), {}  # the cases whose draw was made in the pass
    kernel = purchase.first_purchase_drawn

    def drawn(*args):
        made_in_pass.add(now["case"])
        return kernel(*args)

    monkeypatch.setattr(purchase, "first_purchase_drawn", drawn)
    for n, k in [(5001, 3), (4100, 4)]:
        signal = rng.random((n, k + 1))
        reached = rng.random(n) < 0.3
        received = np.where(reached[:, None], rng.random((n, k)) * 4 - 1, 0.0)
        received[~reached & (rng.random(n) < 0.5)] = -0.0  # a zero of either sign
        top = np.maximum(received.max(axis=0), 0.0)
        few = rng.random(n) < 0.05
        near = np.where(few[:, None], rng.random((n, k + 2)), 0.0)
        nan = rng.random((n, k)) * 0.1
        nan[rng.random((n, k)) < 0.01] = np.nan
        cases = [  # (hazards, factors)
            (
                [
                    3e-4,
                    ScaledHazard(0.03, signal, k, 1.0),
                    ScaledHazard(0.02, received, k, top, reached),
                ],
                [rng.random((n, 1)), Factor(np.where(rng.random((n, 1)) < 0.9, 1.0, 0.4), 0.4, 1)],
            ),
            (  # two hazards with rows of their own
                [
                    ScaledHazard(0.02, received, k, top, reached),
                    ScaledHazard(0.05, near, k, 1, few),
                ],
                [rng.random((n, 1))],
            ),
            ([0.5, rng.random((n, k)) * 2], [rng.random(k)]),  # bounds above 1
            ([nan, -0.05], [np.full((n, 1), 2.0), rng.random((n, k))]),
            ([rng.random((n, k)) * 0.2], [rng.random((n, 1)) - 0.1]),  # a factor below 0
        ]
        can_buy = rng.random(n) < 0.7
        customer_of = rng.random((n, k)) < 0.3
        demand = rng.random(k)
        for case, (hazards, factors) in enumerate(cases):
            now["case"] = case
            for threads in (1, 2, 3):
                split_passes(threads)
                for buffered in (False, True):
                    seed = int(rng.integers(2**32))
                    first, later = (np.random.default_rng(seed) for _ in range(2))
                    if buffered:
                        first.random(1, dtype=np.float32), later.random(1, dtype=np.float32)
                    u = first.random((n, k), dtype=np.float32)
                    made = purchase.first_purchases(
                        can_buy, customer_of, Uniforms(later, n * k), hazards, demand, factors
                    )
                    drawn = purchase.first_purchases(
                        can_buy, customer_of, u, hazards, demand, factors
                    )
                    for a, b in zip(made, drawn, strict=True):
                        np.testing.assert_array_equal(a, b)
                    # both streams past the draw, a buffered half included
                    assert first.bit_generator.state == later.bit_generator.state
    assert made_in_pass == {0, 1, 3}  # the others' rates are too high to bound (or no bound)
    with pytest.raises(ValueError, match=r"a draw of 9000 numbers for \(5001, 3\) cells"):
        purchase.first_purchases(
            can_buy[:5001], np.zeros((5001, 3), bool), Uniforms(rng, 9000), [0.1]
        )


def test_the_rate_bound_is_every_rate_s_ceiling_and_reached(rng):
    """The bound on each category's rates, before the factors times a cell's factors and
    with the factors at their highest, is at least every cell's rate as the kernel
    computes it, and equal to the rate of a consumer holding every operand's highest
    value (the bound is not loose, and a bound any lower would be passed: halving it or
    dropping a term fails). Known ceilings and factor ranges are read as given; a
    hazard with rows of its own counts in the rows where it is on; a negative scale,
    demand or factor gives no bound (NaN); a NaN hazard value is no rate, passed over."""
    from sim.mechanisms.base import Factor

    n, k = 3000, 3
    signal = rng.random((n, k + 1))
    shares = rng.random((n, k)) * 3 - 0.5
    ad = np.full((1, 1), 2e-4)
    other = rng.random((n, 1)) * 0.05
    damper = np.exp(-rng.random((n, 1)))
    proxy = np.where(rng.random((n, 1)) < 0.6, 1.0, 0.3)
    top = 7  # one consumer holds every operand's highest value
    signal[top, :k], shares[top] = 1.0, 2.9
    shares[11, 1] = np.nan
    other[top], damper[top], proxy[top] = 0.06, 1.0, 1.0
    demand = np.array([0.9, 0.0, 0.6])
    H, every = purchase.KernelHazard, None  # every row
    hazards = [
        H(ad, 1.0, None, every),
        H(signal, 0.03, 1.0, every),
        H(shares, 0.02, None, every),
        H(other, 1.0, None, every),
    ]
    factors = [purchase._factor(damper), Factor(proxy, 0.3, 1.0)]
    bound = purchase.rate_bound(hazards, demand, factors, k)
    np.testing.assert_array_equal(bound[0], bound[1])  # no hazard with rows of its own
    before, highest = bound[1]
    rate = _rate([(ad, 1.0), (signal[:, :k], 0.03), (shares, 0.02), (other, 1.0)], demand, [])
    rate = rate * damper * proxy
    assert (np.nan_to_num(rate, nan=-1) <= before * damper * proxy).all()
    assert (np.nan_to_num(rate, nan=-1) <= highest).all()
    np.testing.assert_array_equal(before, rate[top])  # reached: the same operations
    np.testing.assert_array_equal(highest, rate[top])
    assert highest[1] == 0.0  # no demand, no rate
    # known ceilings and ranges are read as given: wrong ones would change who buys
    looser = purchase.rate_bound(
        [H(signal, 0.03, 2.0, every)], demand, [Factor(proxy, 0.0, 4.0)], k
    )
    np.testing.assert_array_equal(looser[1, 0], 0.03 * 2.0 * demand)
    np.testing.assert_array_equal(looser[1, 1], 0.03 * 2.0 * demand * 4.0)
    # a hazard 0 outside some rows counts where it is on, at least 0 (its values'
    # ceiling below 0), and not at all in the rows where every such hazard is off
    reached = rng.random(n) < 0.2
    for values, ceiling, on in [(shares, 3.0, 0.02 * 3.0), (np.full((n, k), -0.5), None, 0.0)]:
        bound = purchase.rate_bound([hazards[0], H(values, 0.02, ceiling, reached)], demand, [], k)
        np.testing.assert_array_equal(bound[0, 0], 2e-4 * demand)
        np.testing.assert_array_equal(bound[1, 0], (2e-4 + on) * demand)
    for hazards, demand_, factors in [
        ([H(signal, -0.03, 1.0, every)], demand, []),
        ([H(signal, 0.03, 1.0, every)], np.array([0.9, -1e-9, 0.6]), []),
    ]:
        assert np.isnan(purchase.rate_bound(hazards, demand_, factors, k)).all()
    half_stated = purchase._factor(Factor(proxy, 0.3, None))  # read, both ends
    assert half_stated.low is None and half_stated.high is None
    negative = purchase.rate_bound(hazards[:1], demand, [purchase._factor(proxy - 0.5)], k)
    assert np.isnan(negative[:, 1]).all() and not np.isnan(negative[:, 0]).any()


@pytest.mark.parametrize("scenario", ["all_mechanisms", "bitcoin_otc"])
def test_a_run_with_draws_made_in_the_kernel_is_the_run_computing_every_rate(scenario, monkeypatch):
    """Whole runs, every daily series: draws made in the purchase kernel, rates bounded
    by what the mechanisms state (word of mouth's ceiling, sharing's ceiling and reached
    rows, the factor ranges of proxy purchase, coupons and negative word of mouth),
    against the draw made first and every rate computed; on every mechanism at once, and
    on Bitcoin OTC's distrust ties.
    (The shipped baselines' worlds are too small to take the kernel's path.) Each
    stated factor range holds every day."""
    from sim import threads
    from sim.market import Market
    from sim.mechanisms.base import Factor, Uniforms
    from sim.scenario import load_scenario
    from tests.conftest import DATA, ROOT

    path = (
        DATA / "scenarios" / "all_mechanisms.toml"
        if scenario == "all_mechanisms"
        else ROOT / "scenarios" / "bitcoin_otc.toml"
    )
    overrides = {"run.days": 90} | (
        {"population.consumers": 1500} if scenario == "all_mechanisms" else {}
    )
    spec = load_scenario(path, overrides)
    monkeypatch.setattr(Uniforms, "DRAW_IN_FULL", 0)
    drawn, kernel = [], purchase.first_purchase_drawn
    monkeypatch.setattr(purchase, "first_purchase_drawn", lambda *a: drawn.append(1) or kernel(*a))
    stated, read_factor = [], purchase._factor

    def checked(f):  # every range a mechanism states holds its factor's values
        if isinstance(f, Factor):
            values = np.asarray(f.values)
            assert f.low <= values.min() and values.max() <= f.high
            stated.append(1)
        return read_factor(f)

    monkeypatch.setattr(purchase, "_factor", checked)
    frames = []
    for min_cells in (1 << 40, 64):  # every rate computed; draws made in the kernel
        monkeypatch.setattr(threads, "MIN_CELLS", min_cells)
        market = Market(spec, 0)
        market.run_model()
        frames.append(market.daily_frame())
    assert stated  # proxy purchase's (and, with coupons on, coupons') ranges were checked
    assert len(drawn) > 30  # most days took the kernel's path
    assert frames[0].equals(frames[1])
