"""The fuzz campaign (tests/fuzz.py): mutants of the shipped scenarios never give a
traceback in `sim validate`, every error says what is allowed, and every mutant that
validates runs (briefly) without a crash."""

from __future__ import annotations

import pytest

from tests.fuzz import campaign


def check(found):
    assert found.tracebacks == []
    assert found.without_allowed == []
    assert found.crashes == []
    assert found.validated > 0 and found.ran == found.validated


def test_a_short_campaign(tmp_path):
    found = campaign(150, seed=11, folder=tmp_path)
    assert found.mutants > 100
    check(found)


@pytest.mark.slow
def test_the_full_campaign(tmp_path):
    found = campaign(2400, seed=5, folder=tmp_path)
    assert found.mutants >= 2000
    check(found)
