"""Threads for the few large passes of a day: a run uses every core it may.

The largest daily passes (the first-purchase draw and decision over every consumer and
category, the due-reorder and changed-influence scans, reads of many positions of a
draw, the sums of the shares received) split their rows into contiguous chunks run side
by side in a pool of threads: the compiled kernels and numpy's draws release the GIL.
Each row's result depends on that row alone, and the chunks' results are joined in row
order, so the numbers are the same whatever the number of threads (tests compare them;
only the order of the listeners a spreading pass reached, which the next day's pass
clears, follows the ranges).

Small worlds (fewer than `MIN_CELLS` cells) are not split: a chunk's hand-over costs more
than it saves. The number of threads is every core this process may use (its CPU
affinity, within any CPU quota: `available_cores`), or the `SIM_THREADS` environment
variable, or `set_threads(n)`; a sweep's worker processes share the cores among them
(`sim.sweep_runner`).
"""

from __future__ import annotations

import itertools
import numbers
import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

import numpy as np

from sim.errors import SimError

T = TypeVar("T")

MIN_CELLS = 1 << 18  # cells (rows x columns) below which a pass is not split
MIN_CHUNK_CELLS = 1 << 16  # and no chunk smaller than this, however many threads
CHUNKS_PER_THREAD = 4  # rows differ in work (neighborhoods differ): threads take the next
ENVIRONMENT = "SIM_THREADS"

_lock = threading.Lock()
_chosen: int | None = None
_cores: tuple[int, int] | None = None  # (pid, cores)
_pools: tuple[int, dict[int, ThreadPoolExecutor]] | None = None  # (pid, {threads: pool})


def available_cores() -> int:
    """Cores this process may use: the CPUs it may run on (its affinity), fewer where a
    CPU quota allows less time than that (a container's cgroup limit, as on CI machines
    and Kubernetes pods: more threads than the quota only queue). loky's `cpu_count`
    (joblib's process-pool library) reads both, and `LOKY_MAX_CPU_COUNT` if set; asked
    once a process."""
    global _cores
    if _cores is None or _cores[0] != os.getpid():
        # loky's, not joblib's: joblib answers 1 where it cannot use multiprocessing
        from joblib.externals.loky import cpu_count  # imported on first use: some 0.1 s

        _cores = (os.getpid(), max(1, int(cpu_count())))
    return _cores[1]


def threads() -> int:
    """Threads a pass may use: `set_threads`'s, else SIM_THREADS, else every core."""
    if _chosen is not None:
        return _chosen
    raw = os.environ.get(ENVIRONMENT, "").strip()
    if not raw:
        return available_cores()
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
        raise SimError(
            f"environment variable {ENVIRONMENT}={raw!r}: use a whole number of threads, 1 or more"
        )
    return int(raw)


def set_threads(count: int | None) -> None:
    """Use `count` threads from now on in this process (None: back to SIM_THREADS or
    every core)."""
    global _chosen
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1
    ):
        raise SimError(f"threads: {count!r} is not a whole number of threads, 1 or more")
    _chosen = None if count is None else int(count)


def row_chunks(rows: int, columns: int = 1) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges covering rows 0..rows-1: CHUNKS_PER_THREAD per
    thread for a pass over at least MIN_CELLS cells with more than one thread (none under
    MIN_CHUNK_CELLS cells), else one. Consumers are laid out by neighborhood, whose work
    differs (who can buy online), so a thread done early takes the next chunk."""
    cells = rows * max(columns, 1)
    if cells < MIN_CELLS or threads() == 1:  # most passes of small worlds: one chunk
        return [(0, rows)]
    return _even_ranges(rows, min(threads() * CHUNKS_PER_THREAD, cells // MIN_CHUNK_CELLS))


def ranges_per_thread(rows: int, cells: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges covering rows 0..rows-1, one per thread for a pass
    of at least MIN_CELLS cells with more than one thread, else one: for a pass each of
    whose chunks reads all of its input (spreading over ties, split by the listeners it
    writes), where more chunks would mean more reading."""
    if cells < MIN_CELLS or threads() == 1:
        return [(0, rows)]
    return _even_ranges(rows, threads())


def _even_ranges(rows: int, parts: int) -> list[tuple[int, int]]:
    """Rows 0..rows-1 in `parts` contiguous ranges of near-equal size (at least one
    range, none empty unless there are no rows)."""
    parts = max(1, min(parts, rows))
    return list(itertools.pairwise([rows * p // parts for p in range(parts + 1)]))


def in_chunks(work: Callable[[int, int], T], chunks: Sequence[tuple[int, int]]) -> list[T]:
    """work(start, stop) for each chunk, side by side on `threads()` threads (inline for
    one chunk); the results in the chunks' order. If a chunk fails, the chunks not begun
    are dropped, those running are waited for (nothing writes after this returns), and
    the first failure in the chunks' order is raised."""
    if len(chunks) == 1:
        return [work(*chunks[0])]
    futures = [_thread_pool(threads()).submit(work, start, stop) for start, stop in chunks]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)
        raise


def by_row_chunks(kernel: Callable[..., np.ndarray], *args: Any, rows: int, columns: int = 1):
    """kernel(*args, start, stop) for each of `row_chunks(rows, columns)`, side by side,
    its arrays joined in row order: a compiled pass whose rows are independent."""
    parts = in_chunks(lambda start, stop: kernel(*args, start, stop), row_chunks(rows, columns))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


MIN_ELEMENTS = 1 << 11  # elements from which an elementwise function is split (`elementwise`)


def elementwise(function: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """function(*arrays) for a function of 1-D arrays of one length whose every output
    element depends on the inputs' elements at its position alone (scipy.special's
    functions, which release the GIL, and arithmetic on them): computed in one contiguous
    range per thread side by side from MIN_ELEMENTS elements, joined in order. The same
    numbers: each element is computed by the same code either way."""
    size = arrays[0].size
    one_length = all(np.ndim(a) == 1 and np.shape(a) == (size,) for a in arrays)
    if size < MIN_ELEMENTS or threads() == 1 or not one_length:  # else: not split
        return function(*arrays)
    parts = in_chunks(
        lambda start, stop: function(*(a[start:stop] for a in arrays)),
        _even_ranges(size, threads()),
    )
    return np.concatenate(parts)


def _thread_pool(size: int) -> ThreadPoolExecutor:
    """This process's pool of `size` threads, made on first use (a forked child makes its
    own). A pool is never shut down: another thread may be using it, and an idle one
    costs only its waiting threads."""
    global _pools
    with _lock:
        if _pools is None or _pools[0] != os.getpid():
            _pools = (os.getpid(), {})
        if size not in _pools[1]:
            _pools[1][size] = ThreadPoolExecutor(size, thread_name_prefix="sim-pass")
        return _pools[1][size]
