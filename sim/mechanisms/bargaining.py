"""Bargaining (砍价): a buyer asks friends to cut the price.

A first order in a category starts a bargain with probability `ask_probability`. Every tie
of the buyer is asked; a tie of trust w helps with probability `help_probability` x w. The
order gets min(helpers, helpers_needed) / helpers_needed x `max_cut_rate` off its list
price, and every helper becomes aware of the category: their adoption hazard for it rises
by `awareness_per_help` the next day. WeChat's 2019 rules ban bargain-cut inducements in
external links; the compliance notes name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.arrays import add_at
from sim.mechanisms.base import Day, Mechanism

if TYPE_CHECKING:
    from sim.scenario import Scenario


def ask_helpers(
    bargainers: np.ndarray, trust_by_speaker: sp.csr_matrix, help_probability: float, u_source
):
    """(bargain index, helper) pairs: which ties of each bargainer help.

    bargainers: (B,) consumers who bargain (one bargain each); u_source(k) gives k uniforms.
    """
    sub = trust_by_speaker[bargainers]
    counts = np.diff(sub.indptr)
    owner = np.repeat(np.arange(bargainers.size), counts)
    helps = u_source(sub.indices.size) < help_probability * np.clip(sub.data, 0.0, 1.0)
    return owner[helps], sub.indices[helps].astype(np.int64)


def cut_rate(
    helpers_per_bargain: np.ndarray, helpers_needed: int, max_cut_rate: float
) -> np.ndarray:
    """Share of list price cut, from each bargain's number of helpers."""
    return np.minimum(helpers_per_bargain, helpers_needed) / helpers_needed * max_cut_rate


class Bargaining(Mechanism):
    name = "bargaining"
    phase = "order"
    raises_awareness = True
    streams = ("bargain", "bargain_help")
    series = ("bargains", "bargain_helpers")

    @classmethod
    def enabled(cls, spec: Scenario) -> bool:
        return spec.payout.rule("bargain") is not None

    def order(self, day: Day) -> None:
        """First orders may start a bargain: helpers cut the price and become aware."""
        rule, orders = self.spec.payout.bargain, day.orders
        k = day.categories
        u_ask = self.uniform_later("bargain", (day.consumers, k)).at(
            orders.buyer * k + orders.category
        )
        idx = np.flatnonzero(orders.first_in_category & (u_ask < rule.ask_probability))
        _, first = np.unique(orders.buyer[idx], return_index=True)
        idx = idx[first]  # one bargain per buyer a day
        owner, helper = ask_helpers(
            orders.buyer[idx],
            self.platform.network.by_speaker,
            rule.help_probability,
            self.rng("bargain_help").random,
        )
        helpers = np.bincount(owner, minlength=idx.size)
        orders.bargain_cut[idx] = cut_rate(helpers, rule.helpers_needed, rule.max_cut_rate)
        add_at(self.pop.awareness, (helper, orders.category[idx[owner]]), rule.awareness_per_help)
        day.count("bargains", idx.size)
        day.count("bargain_helpers", helper.size)
