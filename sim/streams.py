"""Named random streams: one seed decides every draw, one stream per concern.

A replication's stream for a concern is spawned from the scenario's root seed by the
replication index and a fixed number per concern name. Adding a draw to one mechanism
therefore never reshuffles the draws of another, and replication r of two variants of a
scenario sees the same network and the same consumer draws (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

# Streams of the world (population, network) and of Mesa; every mechanism declares its own
# (`Mechanism.streams`), so the known names are these plus the registry's.
WORLD_STREAMS = ("network", "population", "mesa")


def stream_names() -> tuple[str, ...]:
    """Every known stream name: the world's and those the registered mechanisms declare."""
    from sim.mechanisms import REGISTRY

    declared = [s for m in REGISTRY for s in m.streams]
    return tuple(dict.fromkeys((*WORLD_STREAMS, *declared)))


def stream_key(name: str) -> int:
    """A fixed number for a stream name (stable across Python processes and versions)."""
    return zlib.crc32(name.encode("utf-8"))


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of one replication, spawned from the root seed by its index."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication,))


class Streams:
    """Lazily created named `numpy.random.Generator`s of one replication."""

    def __init__(self, seed: int, replication: int = 0, prefix: tuple[int, ...] = ()):
        self.seed = seed
        self.replication = replication
        self.prefix = tuple(prefix)  # e.g. (point,) for a sweep's design point
        self._generators: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        known = stream_names()
        if name not in known:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(known)}")
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(*self.prefix, self.replication, stream_key(name))
        )

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._generators:
            self._generators[name] = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
        return self._generators[name]


def design_generator(seed: int, purpose: str) -> np.random.Generator:
    """A generator for a draw of an experiment's design rather than of a run (which
    posterior samples make the worlds, an optimizer's sampler seed), spawned from the seed
    by the purpose's name: independent of every run's streams."""
    key = stream_key(f"design:{purpose}")
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(key,)))
    )
