"""One seed decides every draw: same seed, same outputs, in one process or many."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import pytest

from sim.runner import run
from sim.streams import Streams
from tests.conftest import small_scenario
from tests.test_cli import SMALL_TOML, sim_cmd


def test_same_seed_same_outputs_in_separate_processes(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SMALL_TOML)
    outs = []
    for k, hashseed in enumerate(("0", "12345")):
        out = tmp_path / f"out{k}"
        proc = sim_cmd(
            "run", str(scenario), "--out", str(out), "--no-report", env={"PYTHONHASHSEED": hashseed}
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for name in ("kpis.json", "daily.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


A_YEAR_TOML = """
[run]
name = "blas-kernels"
seed = 3
days = 365
replications = 1

[population]
consumers = 3000
neighborhoods = [{count = 10, city_tier = "tier3"}]
"""


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() != "x86_64", reason="OpenBLAS kernel names of x86-64")
def test_same_outputs_whichever_kernels_the_processor_gets(tmp_path):
    """OpenBLAS, numpy and the C library pick their kernels by processor, and the kernels
    differ in the last bit (OpenBLAS's sums add in other orders; numpy's AVX-512 power,
    exp and log round differently; the C library has FMA and SSE2 builds): the model's
    sums of products and its economics' scalars go through sim.exact, or a baseline
    recorded on one machine drifts on another. Forcing the oldest kernels stands in for
    another processor."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(A_YEAR_TOML)  # long enough for the kernels' sums to differ
    oldest = {  # the oldest kernels of OpenBLAS, numpy, the C library and numba
        "OPENBLAS_CORETYPE": "Prescott",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA",
        "NUMBA_CPU_NAME": "generic",
        "NUMBA_CACHE_DIR": str(tmp_path / "numba-generic"),  # not the host-tuned cache
    }
    outs = []
    for k, env in enumerate(({}, oldest)):
        out = tmp_path / f"out{k}"
        proc = sim_cmd("run", str(scenario), "--out", str(out), "--no-report", env=env)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for name in ("kpis.json", "daily.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


def test_different_seeds_give_different_results():
    a = run(small_scenario(), progress=False)
    b = run(small_scenario(run={"seed": 8}), progress=False)
    assert not a.daily.equals(b.daily)


def test_same_seed_same_results_in_process():
    a = run(small_scenario(), progress=False)
    b = run(small_scenario(), progress=False)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert a.kpis == b.kpis


def test_replications_differ_from_each_other():
    daily = run(small_scenario(), progress=False).daily
    r0 = daily[daily.replication == 0].drop(columns="replication").reset_index(drop=True)
    r1 = daily[daily.replication == 1].drop(columns="replication").reset_index(drop=True)
    assert not r0.equals(r1)


def test_named_streams_do_not_depend_on_each_other():
    a, b = Streams(5, 0), Streams(5, 0)
    a["exposure"].random(1000)  # drawing from one stream...
    assert np.array_equal(a["purchase"].random(10), b["purchase"].random(10))  # ...not others


def test_streams_differ_by_name_replication_and_seed():
    draws = {
        (s, r, name): Streams(s, r)[name].random(4).tolist()
        for s in (1, 2)
        for r in (0, 1)
        for name in ("network", "purchase")
    }
    assert len({tuple(v) for v in draws.values()}) == len(draws)


def test_a_payout_change_leaves_the_network_and_population_draws_alone():
    base = small_scenario()
    variant = small_scenario(payout={"direct_commission": {"rate": 0.05}})
    from sim.market import SocialCommerceModel

    m1, m2 = SocialCommerceModel(base), SocialCommerceModel(variant)
    assert (m1.platform.network.trust != m2.platform.network.trust).nnz == 0
    assert np.array_equal(m1.consumers.online_ready, m2.consumers.online_ready)
