"""Validation cases of `sim calibrate` (slow): recovery of known keys from synthetic logs,
and the CDNOW holdout next to BG/NBD's."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration.bgnbd import fit_bgnbd
from sim.calibration.fit import load_calibration
from tests.calibration.recovery import TOLERANCE, recover

CDNOW = Path(__file__).resolve().parents[2] / "scenarios" / "calibration" / "cdnow.calibrate.toml"


@pytest.mark.slow
def test_ten_synthetic_logs_recover_their_known_keys(tmp_path):
    """The 90% intervals cover the true value in at least 8 of 10 logs for every key, and
    the posterior median is within the documented tolerance in at least 8 of 10."""
    table = recover(tmp_path, logs=10, workers=2)
    by_key = table.groupby("key")[["covered", "within_tolerance"]].sum()
    assert set(by_key.index) == set(TOLERANCE)
    assert (by_key["covered"] >= 8).all(), by_key
    assert (by_key["within_tolerance"] >= 8).all(), by_key


@pytest.mark.slow
def test_bgnbd_reproduces_the_published_cdnow_estimates():
    """Fader, Hardie and Lee (2005), Table 1: r = 0.243, alpha = 4.414, a = 0.793,
    b = 2.426 on the 39-week calibration period."""
    cal = load_calibration(CDNOW)
    fit = fit_bgnbd(cal.observed)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in published.items():
        assert fit["parameters"][k] == pytest.approx(v, rel=0.01), k
    assert fit["holdout_repeats"] == pytest.approx(1653, rel=0.01)


@pytest.mark.slow  # the shipped CDNOW calibration: about 8 minutes on 2 cores
def test_the_cdnow_holdout_is_within_10_percent_and_of_bgnbds_error(tmp_path):
    """Calibrated on the first 39 weeks, the simulator's holdout repeat transactions (the
    mean of the posterior predictive runs) are within 10% of the observed 1,882, and its
    error is at most 1.5 times BG/NBD's on the same split."""
    from sim.calibration.fit import calibrate
    from sim.sweep_runner import Execution

    result, folder = calibrate(
        CDNOW, execution=Execution(workers=2, progress=False), out=tmp_path / "cdnow"
    )
    h = result.holdout()
    assert h["observed"] == 1882
    assert abs(h["simulated_error"]) <= 0.10, h
    assert abs(h["simulated_error"]) <= 1.5 * abs(h["bgnbd_error"]), h
    assert result.simulations <= 3000
    assert "error" in (folder / "report.md").read_text()
