"""Group buying on hand-built networks: groups that fill, groups that fail."""

from __future__ import annotations

import numpy as np

from sim.mechanisms import group_buying as gb
from sim.network import ties_to_matrix
from sim.runner import run
from sim.state import SOURCE_AD, SOURCE_GROUP
from tests.conftest import small_scenario, star_by_speaker


def uniforms(values):
    gen = np.random.Generator(np.random.PCG64(values))
    return gen.random


def test_a_group_that_fills():
    book = gb.GroupBook.create(6)
    gb.open_groups(book, np.array([0]), np.array([1]), np.array([SOURCE_AD], np.int8), day=3)
    joined = gb.join_groups(
        book, star_by_speaker(5), np.ones(6, bool), 50.0, np.ones(2), 3, uniforms(1), SOURCE_GROUP
    )
    assert joined.size == 2  # the group needs 3: the opener and two of the five leaves
    assert book.size[0] == 3
    filled, filled_cat, failed, _, _ = gb.close_groups(book, day=3, group_size=3, window_days=2)
    assert sorted(filled.tolist()) == sorted([0, *joined.tolist()])
    assert filled_cat.tolist() == [1, 1, 1] and failed.size == 0
    assert book.status[0] == gb.FILLED and (book.member_group == -1).all()
    assert book.member_channel[joined].tolist() == [SOURCE_GROUP, SOURCE_GROUP]


def test_a_group_that_fails_when_its_window_ends():
    book = gb.GroupBook.create(6)
    gb.open_groups(book, np.array([0]), np.array([0]), np.array([SOURCE_AD], np.int8), day=3)
    joined = gb.join_groups(
        book, star_by_speaker(5), np.ones(6, bool), 0.0, np.ones(1), 3, uniforms(2), SOURCE_GROUP
    )
    assert joined.size == 0
    # window of 2 days: open on days 3 and 4, fails at the end of day 4
    assert gb.close_groups(book, 3, 3, 2)[2].size == 0
    filled, _, failed, failed_cat, _ = gb.close_groups(book, 4, 3, 2)
    assert filled.size == 0 and failed.tolist() == [0] and failed_cat.tolist() == [0]
    assert book.status[0] == gb.FAILED and book.member_group[0] == -1


def test_join_odds_follow_trust_and_candidates():
    book = gb.GroupBook.create(4)
    gb.open_groups(book, np.array([0]), np.array([0]), np.array([SOURCE_AD], np.int8), day=0)
    candidates = np.array([True, True, False, True])
    joined = gb.join_groups(
        book, star_by_speaker(3), candidates, 50.0, np.ones(1), 10, uniforms(3), SOURCE_GROUP
    )
    assert sorted(joined.tolist()) == [1, 3]  # 2 may not join (offline, say)


def test_join_probability_matches_the_hazard():
    book = gb.GroupBook.create(20_001)
    gb.open_groups(book, np.array([0]), np.array([0]), np.array([SOURCE_AD], np.int8), day=0)
    joined = gb.join_groups(
        book,
        star_by_speaker(20_000),
        np.ones(20_001, bool),
        0.1,
        np.array([0.5]),
        100_000,
        uniforms(4),
        SOURCE_GROUP,
    )
    expected = 1 - np.exp(-0.1 * 0.5)
    assert abs(joined.size / 20_000 - expected) < 5 * np.sqrt(expected / 20_000)


def test_a_consumer_waits_in_one_group_only():
    book = gb.GroupBook.create(3)
    # consumers 0 and 2 each open a group; 1 is tied to both and can join only one
    trust = ties_to_matrix(3, np.array([1, 1]), np.array([0, 2]), np.ones(2), symmetric=True)
    gb.open_groups(
        book, np.array([0, 2]), np.array([0, 0]), np.array([SOURCE_AD, SOURCE_AD], np.int8), day=0
    )
    joined = gb.join_groups(
        book, trust.T.tocsr(), np.ones(3, bool), 50.0, np.ones(1), 5, uniforms(5), SOURCE_GROUP
    )
    assert joined.tolist() == [1] and book.member_group[1] == 0
    assert book.size.tolist() == [2, 1]


def group_run(**group):
    rule = {"group_size": 3, "window_days": 2, "open_probability": 1.0, **group}
    one_category = [
        {"name": "fruit", "price_yuan": 40.0, "margin": 0.3, "repurchase_interval_days": 10}
    ]
    scenario = small_scenario(
        run={"days": 60, "replications": 2},
        categories=one_category,
        payout={"preset": "group_buy", "group_buy": rule},
    )
    return run(scenario, progress=False)


def test_when_nobody_joins_every_group_fails_and_nobody_buys():
    result = group_run(join_rate_per_share=0.0)
    d = result.daily
    assert d["orders"].sum() == 0 and d["groups_filled"].sum() == 0
    assert d["groups_failed"].sum() > 50
    # each failed group had only its opener, who had a bad experience (no orders: no others)
    assert d["bad_experiences"].sum() == d["groups_failed"].sum()
    assert result.kpis["group_fill_rate"]["mean"] == 0.0


def test_filled_groups_order_at_the_group_price():
    result = group_run(join_rate_per_share=5.0, discount_rate=0.25)
    d = result.daily
    assert d["groups_filled"].sum() > 20
    assert d["group_orders"].sum() == 3 * d["groups_filled"].sum()
    assert d["acquired_by_group_buy"].sum() > 0
    # every order is a group order here: discounts are exactly 25% of GMV (to the fen)
    assert abs(d["discounts"].sum() - 0.25 * d["gmv"].sum()) < 0.01 * d["orders"].sum()


def test_a_stranger_completes_a_listed_group():
    """Open groups are listed on the category's page: solo buyers with no tie to any member
    take the free places, closest-to-filling group first, one group each."""
    book = gb.GroupBook.create(10)
    ad = np.array([SOURCE_AD], np.int8)
    gb.open_groups(book, np.array([0]), np.array([0]), ad, day=0)  # group 0: 1 of 3
    gb.open_groups(book, np.array([1]), np.array([0]), ad, day=0)  # group 1: 1 of 3
    gb.open_groups(book, np.array([2]), np.array([1]), ad, day=0)  # group 2, category 1
    book.member_group[3], book.size[1] = 1, 2  # group 1 has 2 of 3: listed first
    buyers = np.array([5, 6, 6, 7, 8, 9])
    categories = np.array([0, 0, 0, 0, 1, 0])
    willing = np.array([True, True, True, True, False, True])
    joined = gb.join_listed_groups(book, buyers, categories, willing, group_size=3)
    # 5 completes group 1; 6 (once) and 7 fill group 0; 9 finds no free place; 8 buys alone
    assert joined.tolist() == [1, 0, -1, 0, -1, -1]
    assert book.size.tolist() == [3, 3, 1]
    filled, _, failed, _, _ = gb.close_groups(book, day=0, group_size=3, window_days=1)
    assert sorted(filled.tolist()) == [0, 1, 3, 5, 6, 7] and failed.tolist() == [2]


def test_listed_groups_fill_two_person_groups_and_a_discount_of_zero_lists_none():
    listed = group_run(group_size=2, window_days=1, open_probability=0.5, join_rate_per_share=0.1)
    unlisted = group_run(
        group_size=2,
        window_days=1,
        open_probability=0.5,
        join_rate_per_share=0.1,
        listed_appeal_per_discount=0.0,
    )
    assert listed.daily["group_listing_joins"].sum() > 50
    assert unlisted.daily["group_listing_joins"].sum() == 0
    assert listed.kpis["group_fill_rate"]["mean"] > unlisted.kpis["group_fill_rate"]["mean"] + 0.2
    free = group_run(group_size=2, open_probability=0.5, discount_rate=0.0)
    assert free.daily["group_listing_joins"].sum() == 0  # nothing to gain: nobody takes one


def test_a_stranger_keeps_their_own_credit_and_tie_members_are_the_openers():
    filled = np.array([0, 1, 2, 3])  # 0 opened; 1 and 2 came by ties; 3 took the listing
    opener = np.zeros(4, np.int64)
    credit = np.full(6, gb.NOT_LISTED, np.int64)
    credit[3] = 5  # their own order was won by sharer 5's share
    got = gb.credited_sharers(filled, opener, np.ones(4, bool), credit)
    assert got.tolist() == [-1, 0, 0, 5]
    credit[3] = -1  # no share won it: nobody is credited, not the opener
    assert gb.credited_sharers(filled, opener, np.ones(4, bool), credit).tolist() == [-1, 0, 0, -1]
    # an opener who is not a sharer credits nobody
    assert gb.credited_sharers(filled, opener, np.zeros(4, bool), credit).tolist() == [-1] * 4
