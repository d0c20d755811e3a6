"""The SimPy fulfillment pipeline on cases where every lead time is known."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.fulfillment import Fulfillment, FulfillmentSection


def pipeline(**spec) -> Fulfillment:
    ff = Fulfillment(FulfillmentSection(**spec), 3, np.random.Generator(np.random.PCG64(0)))
    ff.travel_hours[:] = spec.get("travel_hours", 0.0)  # a known geography
    return ff


def test_next_day_delivery_lead_time():
    ff = pipeline(mode="next_day", travel_hours=1.0, orders_per_picker_hour=120.0)
    ff.submit(0, np.array([5, 6]), np.array([0, 0]))
    assert ff.advance(0).buyers.size == 0  # released at 20:00, trucks leave at 06:00
    delivered = ff.advance(1)
    # ordered 12:00 day 0; truck 06:00 day 1; 1 h travel; 4 h last mile: 22 + 1 = 23 h
    assert sorted(delivered.buyers.tolist()) == [5, 6]
    np.testing.assert_allclose(delivered.lead_hours, 23.0)


def test_scarce_pickers_queue_batches_and_make_them_late():
    ff = pipeline(mode="flash", pickers=1, orders_per_picker_hour=10.0)
    # two neighborhoods, 10 orders each: one picker takes an hour per batch
    buyers = np.arange(20)
    ff.submit(0, buyers, np.repeat([0, 1], 10))
    delivered = ff.advance(0)
    leads = dict(zip(delivered.buyers.tolist(), delivered.lead_hours.tolist(), strict=True))
    # released 12:00; picked by 13:00 and 14:00; 0.5 h last mile
    assert leads[0] == pytest.approx(1.5) and leads[10] == pytest.approx(2.5)
    late = delivered.lead_hours > ff.promise_hours
    assert late.sum() == 10  # the second batch missed the 2-hour promise


def test_a_backlog_carries_over_to_later_days():
    ff = pipeline(mode="flash", pickers=1, orders_per_picker_hour=1.0)
    ff.submit(0, np.arange(30), np.zeros(30, int))  # 30 hours of picking
    assert ff.advance(0).buyers.size == 0
    assert ff.advance(1).buyers.size == 30
    assert ff.in_flight == 0


def test_extra_delay_and_costs():
    ff = pipeline(mode="same_day", extra_lead_hours=24.0, cost_per_order_yuan=6.5)
    ff.submit(0, np.array([1]), np.array([2]))
    delivered = ff.advance(0).lead_hours.tolist() + ff.advance(1).lead_hours.tolist()
    # 12:00 release, 13:00 truck, 0 travel, 2 h last mile, +24 h: 27 h
    assert delivered == pytest.approx([27.0])
    assert ff.cost_per_order_fen == 650


def test_pickup_and_default_costs():
    assert pipeline(mode="pickup").cost_per_order_fen == 100
    assert pipeline(mode="flash").promise_hours == 2.0
