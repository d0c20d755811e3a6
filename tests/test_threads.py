"""Passes split among threads give the numbers of one pass, whatever the number of threads."""

from __future__ import annotations

import itertools
import os
import re

import numpy as np
import pytest

from sim import threads
from sim.errors import SimError


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_row_chunks_cover_the_rows_in_order(split_passes, count):
    split_passes(count)
    for rows, columns in [(1000, 1), (250, 4), (9, 8), (3, 1), (0, 5)]:
        chunks = threads.row_chunks(rows, columns)
        assert chunks[0][0] == 0 and chunks[-1][1] == rows
        assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
        assert len(chunks) <= count * threads.CHUNKS_PER_THREAD
        assert rows * columns >= 64 or len(chunks) == 1
        assert count > 1 or len(chunks) == 1  # one thread: one chunk, inline
        assert sum(stop - start for start, stop in chunks) == rows


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_ranges_per_thread_cover_the_rows_one_per_thread(split_passes, count):
    """A pass each of whose chunks reads all its input gets one range per thread (more
    would read more), one for a small pass."""
    split_passes(count)
    for rows, cells in [(1000, 64), (1000, 63), (5, 10_000), (1, 10_000), (0, 10_000)]:
        ranges = threads.ranges_per_thread(rows, cells)
        assert ranges[0][0] == 0 and ranges[-1][1] == rows
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(ranges))
        expected = 1 if cells < 64 or count == 1 or rows < 2 else min(count, rows)
        assert len(ranges) == expected


@pytest.mark.parametrize("count", [1, 2, 3])
def test_an_elementwise_function_in_chunks_is_one_call(split_passes, count):
    """Repurchase intervals (scipy's gammaincinv) computed in a range per thread are
    those of one call, in order, at every size (none, fewer than the threads, odd)."""
    from sim.mechanisms.repurchase import draw_intervals

    split_passes(count)
    rng = np.random.default_rng(3)
    for size in [0, 1, 2, 3, 5, 101]:
        mean = rng.uniform(5, 60, size)
        u = rng.random(size, dtype=np.float32)
        calls: list[int] = []

        def intervals(m, v, calls=calls):
            calls.append(m.size)
            return draw_intervals(m, 4.0, v)

        got = threads.elementwise(intervals, mean, u)
        np.testing.assert_array_equal(got, draw_intervals(mean, 4.0, u))
        assert got.dtype == np.int32
        assert len(calls) == (1 if size < threads.MIN_ELEMENTS or count == 1 else min(count, size))
    # operands that are not 1-D arrays of one length are passed whole, not split
    mean = rng.uniform(5, 60, 101)
    for other in (np.float32(0.5), rng.random((101, 1))):
        got = threads.elementwise(np.add, mean, other)
        np.testing.assert_array_equal(got, np.add(mean, other))


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("before", [0, 1, 2])
@pytest.mark.parametrize("size", [(1001, 3), (640,), (97, 5)])
def test_a_draw_in_chunks_is_the_full_draw(split_passes, count, before, size):
    """The same float32 numbers as one draw, and the stream left in the same state (the
    buffered half included), from a buffered half or not."""
    from sim.mechanisms.base import draw_float32_into

    split_passes(count)
    whole, chunked = (np.random.Generator(np.random.PCG64(5)) for _ in range(2))
    whole.random(before, dtype=np.float32)
    chunked.random(before, dtype=np.float32)
    expected = whole.random(size, dtype=np.float32)
    out = np.empty(size, np.float32)
    assert draw_float32_into(chunked, out) is out
    np.testing.assert_array_equal(out, expected)
    assert chunked.bit_generator.state == whole.bit_generator.state
    np.testing.assert_array_equal(
        chunked.random(3, dtype=np.float32), whole.random(3, dtype=np.float32)
    )


def test_first_purchases_in_chunks_are_those_of_one_pass(split_passes, rng):
    from sim.mechanisms.base import ScaledHazard
    from sim.mechanisms.purchase import first_purchases

    n, k = 500, 3
    args = (
        rng.random(n) < 0.8,
        rng.random((n, k)) < 0.3,
        rng.random((n, k)).astype(np.float32),
        [0.05, ScaledHazard(0.4, rng.random((n, k + 1)), k), rng.random((n, 1)) * 0.2],
        rng.random(k),
        [rng.random((n, 1)) + 0.5],
    )
    one = first_purchases(*args)
    assert one[0].size > 20
    for count in (2, 3, 5):
        split_passes(count)
        assert len(threads.row_chunks(n, k)) == min(count * threads.CHUNKS_PER_THREAD, n * k // 8)
        chunked = first_purchases(*args)
        for a, b in zip(one, chunked, strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_cpu_quota_caps_the_cores(monkeypatch):
    """A container's CPU quota (cgroup) below the CPUs the process may run on caps the
    default thread count: more threads than the quota allows would only queue."""
    from joblib.externals.loky.backend import context

    monkeypatch.delenv(threads.ENVIRONMENT, raising=False)
    monkeypatch.delenv("LOKY_MAX_CPU_COUNT", raising=False)
    monkeypatch.setattr(threads, "_cores", None)
    monkeypatch.setattr(context, "_cpu_count_cgroup", lambda os_cpu_count: 1)
    monkeypatch.setattr(context, "_cpu_count_affinity", lambda os_cpu_count: 8)
    assert threads.available_cores() == 1
    assert threads.threads() == 1
    monkeypatch.setattr(threads, "_cores", None)
    monkeypatch.setattr(context, "_cpu_count_cgroup", lambda os_cpu_count: os_cpu_count)
    monkeypatch.setattr(context, "_cpu_count_affinity", lambda os_cpu_count: 1)
    assert threads.available_cores() == 1  # and the affinity caps it too
    monkeypatch.setattr(threads, "_cores", None)


def test_the_cores_do_not_drop_to_one_where_joblib_cannot_use_processes():
    """joblib's own cpu_count answers 1 where it cannot use multiprocessing
    (JOBLIB_MULTIPROCESSING=0, no working semaphores): the cores a run may use are
    still the CPUs and quota it has."""
    import subprocess
    import sys

    code = "from sim.threads import available_cores; print(available_cores())"
    env = {**os.environ, "JOBLIB_MULTIPROCESSING": "0"}
    env.pop(threads.ENVIRONMENT, None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == threads.available_cores()


def test_the_number_of_threads_is_checked(monkeypatch):
    monkeypatch.setenv(threads.ENVIRONMENT, "3")
    assert threads.threads() == 3
    monkeypatch.setenv(threads.ENVIRONMENT, "")
    assert threads.threads() == threads.available_cores()
    for bad in ("0", "two", "-1", "1.5", "4_0", "\u0663"):
        monkeypatch.setenv(threads.ENVIRONMENT, bad)
        with pytest.raises(SimError, match=re.escape(f"SIM_THREADS={bad!r}: use a whole number")):
            threads.threads()
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(SimError, match="not a whole number of threads"):
            threads.set_threads(bad)
    threads.set_threads(2)
    try:
        assert threads.threads() == 2  # over the environment
    finally:
        threads.set_threads(None)


def test_an_error_in_a_chunk_is_raised(split_passes):
    """The first chunk's error in the chunks' order, whichever thread ran it."""
    split_passes(2)

    def work(start, stop):
        if start >= 500:
            raise ValueError(f"chunk {start}..{stop}")
        return start

    chunks = threads.row_chunks(1000)
    assert len(chunks) == 8
    with pytest.raises(ValueError, match=r"chunk 500\.\.625"):
        threads.in_chunks(work, chunks)


def test_a_run_split_among_threads_is_the_run_on_one(split_passes, monkeypatch):
    """Every daily series and KPI of a run whose passes are split among three threads
    (the draws, first purchases, due reorders, changed influence, positional reads) is
    the one-thread run's, bit for bit."""
    import pandas as pd

    from sim.market import Market
    from tests.conftest import small_scenario

    spec = small_scenario(run={"days": 90})  # split_passes: positional reads, in chunks
    split_passes(1)
    one = Market(spec, 0)
    one.run_model()
    split_passes(3)
    assert len(threads.row_chunks(spec.population.consumers, 3)) > 1
    split = Market(spec, 0)
    split.run_model()
    pd.testing.assert_frame_equal(one.daily_frame(), split.daily_frame())
    np.testing.assert_array_equal(list(one.kpis().values()), list(split.kpis().values()))
    assert one.daily_frame()["orders"].sum() > 0


@pytest.mark.parametrize("before", [0, 1])
@pytest.mark.parametrize("share", [np.inf, 0.0])  # read at positions, or made in full
def test_positional_reads_in_chunks_are_the_full_draws_numbers(
    split_passes, monkeypatch, before, share
):
    """A draw read at many positions in chunks side by side (or made in full in chunks,
    after all) gives the full draw's numbers: ascending positions, unsorted ones with
    repeats, and positions ascending within chunks but not across them."""
    from sim.mechanisms.base import Uniforms

    split_passes(3)
    monkeypatch.setattr(Uniforms, "DRAW_IN_FULL", -1)
    monkeypatch.setattr(Uniforms, "POSITIONS_PER_FULL_DRAW", share)
    full_gen, lazy_gen = (np.random.Generator(np.random.PCG64(9)) for _ in range(2))
    full_gen.random(before, dtype=np.float32)
    lazy_gen.random(before, dtype=np.float32)
    full = full_gen.random(3001, dtype=np.float32)
    rng = np.random.default_rng(1)
    ascending = np.sort(rng.choice(full.size, 400, replace=False))
    for positions in (
        ascending,
        rng.integers(0, full.size, 500),
        np.concatenate([ascending[200:], ascending[:200]]),
    ):
        draw = Uniforms(lazy_gen, full.size)
        assert len(threads.row_chunks(positions.size, Uniforms.POSITION_COST)) > 1
        np.testing.assert_array_equal(draw.at(positions), full[positions])
        with pytest.raises(IndexError, match=r"outside 0\.\.3000"):
            Uniforms(np.random.Generator(np.random.PCG64(9)), full.size).at(
                np.append(ascending, full.size)
            )
        lazy_gen = np.random.Generator(np.random.PCG64(9))
        lazy_gen.random(before, dtype=np.float32)


def test_the_kernels_run_on_threads_release_the_gil():
    """A compiled pass split among threads runs side by side only without the GIL."""
    from sim import kernels

    for kernel in (
        kernels.first_purchase_cells,
        kernels.due_cells,
        kernels.changed_influence,
        kernels.pcg64_floats_at,
    ):
        assert kernel.targetoptions.get("nogil") is True, kernel.py_func.__name__


def test_chunks_run_on_as_many_threads_as_chosen_and_nothing_runs_after_a_failure(
    split_passes,
):
    import threading
    import time

    running, most, ended = [0], [0], []
    lock = threading.Lock()

    def work(start, stop):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for the failure to be seen before the last chunks
        with lock:
            running[0] -= 1
            ended.append(start)
        if start == 125:
            raise RuntimeError("second chunk")
        return start

    split_passes(6)
    threads.in_chunks(lambda a, b: a, threads.row_chunks(1000))  # a pool of 6 exists
    split_passes(2)
    chunks = threads.row_chunks(1000)
    with pytest.raises(RuntimeError, match="second chunk"):
        threads.in_chunks(work, chunks)
    assert most[0] <= 2  # the pool of the threads chosen, not the larger one
    count = len(ended)
    time.sleep(0.05)
    assert len(ended) == count and running[0] == 0  # no chunk still running
    assert count < len(chunks)  # the chunks not begun were dropped


def test_a_draw_whose_last_chunk_would_be_empty_and_bad_outputs(monkeypatch):
    from sim.mechanisms.base import Uniforms, draw_float32_into

    monkeypatch.setattr(Uniforms, "DRAW_IN_FULL", 0)  # made as large draws are
    monkeypatch.setattr(threads, "MIN_CELLS", 1)
    monkeypatch.setattr(threads, "MIN_CHUNK_CELLS", 1)
    threads.set_threads(2)
    try:
        for size in range(1, 12):
            for before in (0, 1):
                whole, chunked = (np.random.Generator(np.random.PCG64(size)) for _ in range(2))
                whole.random(before, dtype=np.float32)
                chunked.random(before, dtype=np.float32)
                expected = whole.random(size, dtype=np.float32)
                out = np.empty(size, np.float32)
                np.testing.assert_array_equal(draw_float32_into(chunked, out), expected)
                assert chunked.bit_generator.state == whole.bit_generator.state, (size, before)
        generator = np.random.Generator(np.random.PCG64(1))
        for bad in (
            np.empty((40, 3), np.float32, order="F"),
            np.empty(80, np.float32)[::2],
            np.empty(40, np.float64),
        ):
            with pytest.raises(ValueError, match="C-contiguous float32"):
                draw_float32_into(generator, bad)
    finally:
        threads.set_threads(None)


def test_a_market_reports_a_bad_thread_count_before_any_work(monkeypatch):
    from sim.market import Market
    from tests.conftest import small_scenario

    monkeypatch.setenv(threads.ENVIRONMENT, "4_0")
    with pytest.raises(SimError, match="SIM_THREADS='4_0'"):
        Market(small_scenario(), 0)


def test_a_sweeps_workers_share_the_cores():
    from sim.sweep_runner import make_executor

    threads.set_threads(4)
    try:
        executor, owned = make_executor(None, 2)
        try:
            assert owned and executor._initargs[1] == 2  # 4 threads for 2 workers
        finally:
            executor.shutdown()
    finally:
        threads.set_threads(None)
    assert threads.threads() == threads.available_cores() or threads.ENVIRONMENT in os.environ
