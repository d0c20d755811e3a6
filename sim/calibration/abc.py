"""Adaptive population Monte Carlo ABC (APMC; Lenormand, Jabot and Deffuant 2013), the
estimation behind `sim calibrate`: simulation-based inference for a model whose
likelihood cannot be written down.

Parameters live in the unit cube (each fitted key's range mapped to [0, 1], linearly or on
a log scale), where the prior is uniform. With `kept` particles and a keep fraction alpha:

1. Draw kept / alpha points from the prior, simulate each, and keep the `kept` closest
   (distance between simulated and observed statistics, below); their weights are equal.
2. Each later generation draws kept x (1 / alpha - 1) new points: a kept particle picked by
   weight, moved by a Gaussian step with twice the kept particles' weighted covariance
   (redrawn until it lies in the cube). A new point's weight is prior / proposal density,
   1 / sum_j w_j N(theta; theta_j, Sigma). The acceptance rate is the share of new points
   closer than the previous tolerance; the new tolerance is the distance of the
   `kept`-th closest of old and new points together, which are kept.
3. Stop when the acceptance rate falls to `min_acceptance` (the posterior no longer
   tightens) or the simulations budget is spent.

The distance is the root mean square of the statistics' differences, each divided by its
spread among the first generation's simulations (the median absolute deviation, or the
standard deviation where most runs tie), so no statistic dominates by its units; a
statistic that never varied there is left out. A simulation whose statistics are missing is
infinitely far. Every draw comes from generators the caller passes, one per generation:
the same seed gives the same particles, and a generation's proposals do not depend on how
its simulations were run.

Why APMC, and why written here: it needs no tolerance schedule (each generation keeps a
fixed share), runs a fixed number of simulations per generation (so a generation is one
sweep, on a process pool or a Dask cluster, and an interrupted fit resumes), and stops by
itself. The well-kept libraries did not fit this project: ELFI pins matplotlib below 3.9,
pyabc draws from numpy's global random state (one seed must decide every draw here), and
sbi needs PyTorch. The algorithm is a hundred lines of numpy, checked against a model with
a known posterior (tests/calibration/test_abc.py). Its posterior is conservative when the
budget stops it early: intervals wider than the exact posterior's, which the recovery
check (docs/validation.md) measures.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAD_FLOOR = 1e-9


@dataclass
class Generation:
    """One generation: its new points, their distances, and the kept particles after it."""

    index: int
    simulated: int
    acceptance: float  # share of the new points closer than the previous tolerance
    epsilon: float  # the tolerance after this generation
    kept_theta: np.ndarray  # (kept, d) unit-cube points
    kept_distance: np.ndarray
    kept_weight: np.ndarray  # prior / proposal density (normalise before use)
    kept_stats: np.ndarray  # (kept, statistics)


@dataclass
class AbcResult:
    generations: list[Generation] = field(default_factory=list)
    scale: np.ndarray | None = None  # per statistic: the first generation's spread
    stopped_by: str = ""

    @property
    def final(self) -> Generation:
        return self.generations[-1]

    @property
    def simulations(self) -> int:
        return sum(g.simulated for g in self.generations)


def spread(stats: np.ndarray) -> np.ndarray:
    """Per statistic (column), its spread over the finite rows: the median absolute
    deviation, or where that is 0 (most runs tie, e.g. a share that is usually 0) the
    standard deviation; a statistic that never varied gets an infinite spread, so it does
    not count (it cannot tell particles apart)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mad = np.nanmedian(np.abs(stats - np.nanmedian(stats, axis=0)), axis=0)
        sd = np.nanstd(stats, axis=0)
    scale = np.where(np.isfinite(mad) & (mad > MAD_FLOOR), mad, sd)
    return np.where(np.isfinite(scale) & (scale > MAD_FLOOR), scale, np.inf)


def distances(stats: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Root mean square of (simulated - observed) / scale over the statistics that vary
    (finite scale); rows with a missing statistic are infinitely far."""
    counted = np.isfinite(scale)
    z = (stats[:, counted] - observed[counted]) / scale[counted]
    d = np.sqrt(np.mean(np.square(z), axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def weighted_covariance(theta: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted covariance of particles (rows), made positive definite."""
    mean = weight @ theta
    dev = theta - mean
    cov = (weight[:, None] * dev).T @ dev / max(1.0 - np.sum(weight**2), 1e-12)
    return cov + np.eye(theta.shape[1]) * 1e-10


def propose(
    rng: np.random.Generator, theta: np.ndarray, weight: np.ndarray, cov: np.ndarray, count: int
) -> np.ndarray:
    """`count` points in the unit cube: parents picked by weight, moved by N(0, cov);
    points outside the cube are redrawn (parent and step) until inside."""
    d = theta.shape[1]
    out = np.empty((count, d))
    todo = np.arange(count)
    chol = np.linalg.cholesky(cov)
    for _ in range(10_000):
        parents = rng.choice(len(theta), size=todo.size, p=weight)
        cand = theta[parents] + rng.standard_normal((todo.size, d)) @ chol.T
        inside = np.all((cand >= 0.0) & (cand <= 1.0), axis=1)
        out[todo[inside]] = cand[inside]
        todo = todo[~inside]
        if todo.size == 0:
            return out
    out[todo] = np.clip(theta[rng.choice(len(theta), size=todo.size, p=weight)], 0.0, 1.0)
    return out


def importance_weights(
    new: np.ndarray, theta: np.ndarray, weight: np.ndarray, cov: np.ndarray
) -> np.ndarray:
    """Uniform prior over proposal density: 1 / sum_j w_j N(new; theta_j, cov)."""
    inverse = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(2.0 * np.pi * cov)
    diff = new[:, None, :] - theta[None, :, :]  # (new, kept, d)
    mahalanobis = np.einsum("ijk,kl,ijl->ij", diff, inverse, diff)
    density = np.exp(-0.5 * mahalanobis - 0.5 * logdet) @ weight
    return 1.0 / np.maximum(density, 1e-300)


def keep_closest(
    theta: np.ndarray, dist: np.ndarray, weight: np.ndarray, stats: np.ndarray, kept: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The `kept` closest points (ties by position: stable), their distances, weights and
    statistics, and the tolerance (the largest kept distance)."""
    order = np.argsort(dist, kind="stable")[:kept]
    return theta[order], dist[order], weight[order], stats[order], float(dist[order][-1])


def apmc(
    simulate: Callable[[np.ndarray, int], np.ndarray],
    observed: np.ndarray,
    dimensions: int,
    rng_for: Callable[[int], np.random.Generator],
    kept: int = 200,
    keep_fraction: float = 0.5,
    min_acceptance: float = 0.05,
    max_simulations: int = 5_000,
    on_generation: Callable[[Generation], None] | None = None,
) -> AbcResult:
    """Run APMC (module docstring). `simulate(points, generation)` returns the statistics
    (one row per unit-cube point); `rng_for(g)` the generator of generation g."""
    result = AbcResult()
    first = int(np.ceil(kept / keep_fraction))
    theta = rng_for(0).random((first, dimensions))
    stats = simulate(theta, 0)
    result.scale = spread(stats)
    dist = distances(stats, observed, result.scale)
    k_theta, k_dist, k_w, k_stats, eps = keep_closest(theta, dist, np.ones(first), stats, kept)
    result.generations.append(Generation(0, first, 1.0, eps, k_theta, k_dist, k_w, k_stats))
    if on_generation:
        on_generation(result.final)
    per_generation = max(1, first - kept)
    g = 0
    while True:
        if result.simulations + per_generation > max_simulations:
            result.stopped_by = f"the simulations budget ({max_simulations})"
            break
        g += 1
        rng = rng_for(g)
        w = k_w / k_w.sum()
        cov = 2.0 * weighted_covariance(k_theta, w)
        new = propose(rng, k_theta, w, cov, per_generation)
        new_w = importance_weights(new, k_theta, w, cov)
        new_stats = simulate(new, g)
        new_dist = distances(new_stats, observed, result.scale)
        acceptance = float(np.mean(new_dist < eps))
        # Both old and new weights are prior / proposal densities (the first generation's
        # proposal is the prior: weight 1), so they compare as they are.
        k_theta, k_dist, k_w, k_stats, eps = keep_closest(
            np.vstack([k_theta, new]),
            np.concatenate([k_dist, new_dist]),
            np.concatenate([k_w, new_w]),
            np.vstack([k_stats, new_stats]),
            kept,
        )
        result.generations.append(
            Generation(g, per_generation, acceptance, eps, k_theta, k_dist, k_w, k_stats)
        )
        if on_generation:
            on_generation(result.final)
        if acceptance <= min_acceptance:
            result.stopped_by = f"the acceptance rate ({acceptance:.1%} <= {min_acceptance:.0%})"
            break
    return result


def weighted_quantile(values: np.ndarray, weight: np.ndarray, q: float) -> float:
    """The q-quantile of values under weights (the inverse of the weighted CDF, midpoints)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weight[order] / weight.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return float(np.interp(q, cdf, v))


def resample(rng: np.random.Generator, weight: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` draws by weight (systematic resampling: low variance)."""
    positions = (rng.random() + np.arange(count)) / count
    return np.minimum(np.searchsorted(np.cumsum(weight / weight.sum()), positions), len(weight) - 1)
