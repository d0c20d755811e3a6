"""Every registered mechanism keeps the protocol (sim/mechanisms/base.py), checked on a
small world with every mechanism switched on; and a mechanism that lives only in the tests
(restock_reminders.py) is added with one line of registration."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.catalog import kpi_names, kpis, series, series_entry
from sim.market import Market
from sim.mechanisms import FACTORS, PHASES, REGISTRY, Mechanism
from sim.runner import run
from sim.scenario import load_scenario
from sim.streams import WORLD_STREAMS, Streams
from tests.conftest import DATA, ROOT, small_scenario
from tests.mechanisms.restock_reminders import RestockReminders

ALL_ON = DATA / "scenarios" / "all_mechanisms.toml"


def all_on(**overrides):
    return load_scenario(ALL_ON, {"population.consumers": 600, "run.days": 20, **overrides})


@pytest.fixture(scope="module")
def market():
    m = Market(all_on())
    m.run_model()
    return m


def test_the_all_on_scenario_switches_every_mechanism_on():
    spec = all_on()
    assert [cls.name for cls in REGISTRY if not cls.enabled(spec)] == []


def test_names_are_unique_and_phases_known():
    names = [cls.name for cls in REGISTRY]
    assert len(set(names)) == len(names)
    for cls in REGISTRY:
        assert cls.phase in PHASES, cls.name
        assert cls.hooks(), f"{cls.name} takes part in no phase"
        assert set(cls.hooks()) <= set(PHASES) | set(FACTORS)


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.name)
def test_declared_states_exist_with_the_right_shapes(cls, market):
    c = market.platform.consumers
    n, k = c.n, len(market.spec.categories)
    for state in cls.states:
        assert c.registry()[state.name] == cls.name
        array = getattr(c, state.name)
        assert array.shape == ((n, k + state.extra_columns) if state.per_category else (n,))
        assert array.dtype == np.dtype(state.dtype)


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.name)
def test_series_and_kpis_are_catalogued_under_this_mechanism(cls, market):
    for name in cls.series_names():
        assert series_entry(name).provider == cls.name
        assert name in market.daily_frame()
    values = market.kpis()
    for name in cls.kpi_names():
        assert next(k for k in kpis() if k.name == name).provider == cls.name
        assert name in values


def test_every_catalogued_mechanism_series_and_kpi_has_its_mechanism():
    declared = {cls.name: set(cls.series_names()) | set(cls.kpi_names()) for cls in REGISTRY}
    for entry in (*series(), *kpis()):
        if entry.provider in declared:
            assert entry.name in declared[entry.provider], (entry.name, entry.provider)


def test_a_day_with_no_customers_works():
    spec = all_on(**{"platform.start_day": 1000, "run.days": 5})
    market = Market(spec)
    market.run_model()
    assert market.kpis()["customers"] == 0
    assert set(market.kpis()) == set(kpi_names())
    assert len(market.daily_frame()) == 5


class SpyStreams(Streams):
    """Streams that remember which names were asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def __getitem__(self, name):
        self.asked.add(name)
        return super().__getitem__(name)


def test_draws_come_only_from_declared_streams(monkeypatch):
    spy = SpyStreams(1, 0)
    monkeypatch.setattr("sim.market.Streams", lambda *a, **k: spy)
    # customer heterogeneity and win-back draw their streams only when switched on
    market = Market(
        all_on(
            **{
                "behavior.purchase_rate_shape": 0.5,
                "behavior.lapse_after_order_probability": 0.1,
                "behavior.lapse_after_order_concentration": 2.0,
                "behavior.win_back_per_day": 0.01,
            }
        )
    )
    market.run_model()
    declared = {s for cls in REGISTRY for s in cls.streams}
    assert spy.asked - set(WORLD_STREAMS) == declared


def test_mechanisms_draw_only_through_their_declared_streams():
    """No mechanism module reaches for the platform's streams behind the protocol."""
    for path in (ROOT / "sim" / "mechanisms").glob("*.py"):
        if path.name != "base.py":
            assert not re.search(r"\.streams\[", path.read_text()), path.name


def test_an_undeclared_stream_is_refused_by_name(market):
    mechanism: Mechanism = market.platform.get("churn")
    with pytest.raises(KeyError, match=r"'churn' draws from stream 'purchase'"):
        mechanism.uniform("purchase", 3)


def test_a_switched_off_mechanism_draws_nothing(monkeypatch):
    spy = SpyStreams(1, 0)
    monkeypatch.setattr("sim.market.Streams", lambda *a, **k: spy)
    Market(small_scenario(run={"days": 10})).run_model()
    for name in (
        "gifts",
        "bargain",
        "bargain_help",
        "group_buy",
        "group_join",
        "community",
        "kols",
    ):
        assert name not in spy.asked


@pytest.fixture
def reminders():
    REGISTRY.append(RestockReminders)  # the one line that adds a mechanism
    yield RestockReminders
    REGISTRY.remove(RestockReminders)


def test_a_mechanism_is_one_file_and_one_line_of_registration(reminders):
    spec = small_scenario(run={"days": 90, "replications": 3})
    result = run(spec, progress=False)
    assert result.daily["reminders_sent"].sum() > 0
    assert result.kpis["reminded_customers"]["mean"] > 0
    market = Market(spec)
    market.run_model()
    assert market.platform.consumers.registry()["reminders_received"] == "restock_reminders"
    assert "reorder_factor" in reminders.hooks()


def test_a_larger_reminder_lift_moves_reorders_on_common_random_numbers(reminders, monkeypatch):
    spec = small_scenario(run={"days": 90})

    def repeat_orders(lift):
        monkeypatch.setattr(RestockReminders, "LIFT", lift)
        market = Market(spec)
        market.run_model()
        return market.recorder.values["repeat_orders"].sum()

    assert repeat_orders(1.0) > repeat_orders(0.0)


SKIPPABLE = [
    ("sharers", "anyone_can_join", "sharers", {"sharer_recruitment_per_day": 0}),
    (
        "churn",
        "anyone_can_lapse",
        "churn",
        {"churn_base_hazard_per_day": 0, "lapse_after_order_probability": 0},
    ),
]


def run_days(spec, force_on: tuple[type, str] | None, monkeypatch):
    """The all-mechanisms market run day by day; (its daily frame, KPIs, the platform)."""
    if force_on is not None:
        monkeypatch.setattr(*force_on, lambda self: True)
    market = Market(spec)
    market.run_model()
    platform = market.platform
    return platform.daily_frame(), platform.kpis(), platform


@pytest.mark.parametrize(("mechanism", "check", "stream", "inert"), SKIPPABLE)
def test_a_rule_skipped_because_nobody_could_act_gives_the_run_it_would_have(
    monkeypatch, mechanism, check, stream, inert
):
    """With every mechanism on and the rule's rate at 0, skipping it gives the same days
    and KPIs, bit for bit, as running it, and leaves its stream where running it does
    (variants stay in lockstep)."""
    spec = all_on(**{f"behavior.{k}": v for k, v in inert.items()})
    daily, kpis_, platform = run_days(spec, None, monkeypatch)
    cls = type(platform.get(mechanism))
    assert getattr(platform.get(mechanism), check)() is False  # the skip was taken
    ran_daily, ran_kpis, ran = run_days(spec, (cls, check), monkeypatch)
    assert daily.equals(ran_daily)
    np.testing.assert_equal(kpis_, ran_kpis)  # NaN where a KPI is undefined, in both
    assert platform.streams[stream].bit_generator.state == ran.streams[stream].bit_generator.state


@pytest.mark.parametrize(("mechanism", "check", "stream", "inert"), SKIPPABLE)
def test_a_rule_any_of_whose_rates_is_positive_is_not_skipped(mechanism, check, stream, inert):
    for key in inert:  # each rate positive on its own, the others 0
        rates = {f"behavior.{k}": (0.01 if k == key else 0) for k in inert}
        platform = Market(all_on(**rates)).platform
        assert getattr(platform.get(mechanism), check)() is True, key


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.name)
def test_a_mechanism_that_gives_awareness_says_so(cls):
    """Word of mouth reads consumers' one-day awareness only when some mechanism on the
    platform declares `raises_awareness`: one that touches it and does not declare it
    would be ignored."""
    import inspect
    import sys

    touches = re.search(r"\.awareness\b", inspect.getsource(sys.modules[cls.__module__]))
    if cls.name != "word_of_mouth":  # the reader, which clears it
        assert bool(touches) == cls.raises_awareness, cls.name


def test_repurchase_stays_on_without_reorders_while_a_reorder_factor_is_lent(reminders):
    """With repurchase_probability 0 nobody reorders, but a reorder factor may count or
    draw (the reminders do both): repurchase stays on and shows it the due customers."""
    spec = small_scenario(
        run={"days": 90},
        behavior={"repurchase_probability": 0.0},
        fulfillment={"enabled": False},  # the shipped factors off: only the reminders'
        payout={"self_purchase_discount": {"enabled": False}},
    )
    market = Market(spec)
    assert market.platform.get("repurchase") is not None
    market.run_model()
    assert market.daily_frame()["reminders_sent"].sum() > 0
    REGISTRY.remove(RestockReminders)
    try:
        assert Market(spec).platform.get("repurchase") is None
    finally:
        REGISTRY.append(RestockReminders)
