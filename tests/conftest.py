"""Shared helpers: small scenarios and hand-built networks."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.network import ties_to_matrix
from sim.scenario import Scenario, validate_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BITCOIN = DATA / "soc-sign-bitcoinotc.csv"


def deep_update(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = value
    return out


SMALL = {
    "run": {"name": "small", "seed": 7, "days": 60, "replications": 2},
    "population": {"consumers": 2000, "neighborhoods": [{"count": 8, "city_tier": "tier2"}]},
}


def small_scenario(**sections) -> Scenario:
    """A small valid scenario; keyword arguments are sections merged over SMALL."""
    return validate_scenario(deep_update(SMALL, sections))


# Everyone online, no price effect, no churn, no sharers: only the rule under test acts.
QUIET_BEHAVIOR = {
    "external_influence_per_day": 0.0,
    "word_of_mouth_per_day": 0.0,
    "share_conversion_per_share": 0.0,
    "price_sensitivity_per_100_yuan": 0.0,
    "product_mismatch_probability": 0.0,
    "churn_base_hazard_per_day": 0.0,
    "sharer_recruitment_per_day": 0.0,
}
ALL_ONLINE = {t: 1.0 for t in ("tier1", "tier2", "tier3", "county", "town", "village")}
ALL_ONLINE["elderly_factor"] = 1.0


def write_edges(path: Path, edges: list[tuple[int, int, float]]) -> Path:
    path.write_text("source,target,weight\n" + "".join(f"{u},{v},{w}\n" for u, v, w in edges))
    return path


def edge_list_scenario(tmp_path: Path, edges, nodes: int, **sections) -> Scenario:
    """A scenario on a hand-built network (undirected unless sections say otherwise)."""
    path = write_edges(tmp_path / "edges.csv", edges)
    base = {
        "run": {"name": "hand", "seed": 3, "days": 30, "replications": 1},
        "population": {
            "consumers": nodes,
            "neighborhoods": [{"count": 1}],
            "online_readiness": ALL_ONLINE,
        },
        "network": {"edge_list": str(path)},
        "categories": [
            {"name": "goods", "price_yuan": 100.0, "margin": 0.3, "repurchase_interval_days": 10}
        ],
        "behavior": dict(QUIET_BEHAVIOR),
    }
    return validate_scenario(deep_update(base, sections))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def star_by_speaker(leaves: int, weight: float = 1.0):
    """A star: consumer 0 tied to `leaves` others (mutual ties), by speaker."""
    trust = ties_to_matrix(
        leaves + 1,
        np.zeros(leaves, int),
        np.arange(1, leaves + 1),
        np.full(leaves, weight),
        symmetric=True,
    )
    return trust.T.tocsr()


def _scheduler_address(scheduler_file, scheduler, deadline: float) -> str:
    """The address in the scheduler's file, once the file is whole.

    The scheduler creates the file before it writes it, so the file can exist and
    still be empty or half written: read it until it parses (seen in CI)."""
    import json

    while time.time() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"the Dask scheduler exited with code {scheduler.returncode}")
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)
    raise RuntimeError(f"the Dask scheduler wrote no whole {scheduler_file} within 60 s")


@pytest.fixture
def dask_cluster(tmp_path):
    """A real Dask scheduler and two workers, as separate processes on 127.0.0.1."""
    import distributed  # noqa: F401  (the dask extra is part of the dev install)

    scheduler_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    procs = [scheduler]
    try:
        address = _scheduler_address(scheduler_file, scheduler, deadline=time.time() + 60)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,
            )
        )
        yield address
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def split_passes(monkeypatch):
    """split(count): split passes of a few hundred cells among `count` threads
    (`sim.threads`), as large worlds' passes are, and make draws as large ones are
    made (`Uniforms.DRAW_IN_FULL`); undone after the test."""
    from sim import threads
    from sim.mechanisms.base import Uniforms

    def split(count: int) -> None:
        monkeypatch.setattr(Uniforms, "DRAW_IN_FULL", 0)
        monkeypatch.setattr(threads, "MIN_CELLS", 64)
        monkeypatch.setattr(threads, "MIN_CHUNK_CELLS", 8)
        monkeypatch.setattr(threads, "MIN_ELEMENTS", 4)
        threads.set_threads(count)

    yield split
    threads.set_threads(None)
