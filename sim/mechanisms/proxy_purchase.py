"""Proxy purchase: consumers who cannot buy online buy through someone who can.

A consumer who cannot buy online has a proxy if their neighborhood has a group leader (who
takes orders for neighbors) or, with `behavior.proxy_via_ties`, if one of their ties in the
same neighborhood (household or neighbor) can buy online and is an active customer. With a proxy, they buy and reorder like everyone
else, at `behavior.proxy_purchase_propensity` times the hazard (asking someone is a step).
The proxy is the neighborhood's leader if there is one, else one of those ties, chosen with
odds by trust; a proxy who is a sharer earns the order's commission.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.arrays import unique
from sim.kernels import row_dots
from sim.mechanisms.base import Day, Factor, Mechanism, csr_rows
from sim.mechanisms.purchase import pick_sharer
from sim.metrics import ratio
from sim.schema_base import Probability, Section, param


def has_online_tie(
    trust: sp.csr_matrix, local: np.ndarray, who: np.ndarray, online_customer: np.ndarray
):
    """For consumers `who`, do they trust at least one online, active customer among their
    local ties (local: (nnz,) mask of the trust matrix's entries)?"""
    if who.size == 0:
        return np.zeros(0, bool)
    rows = np.asarray(who, np.int64)
    marked = np.asarray(online_customer, bool)  # read as 1.0 and 0.0 by the kernel
    return row_dots(trust.indptr, trust.indices, trust.data, local, rows, marked) > 0


class ProxyPurchaseBehavior(Section):
    """How consumers who cannot buy online buy through a proxy. (`[behavior]` keys.)"""

    proxy_purchase_propensity: Probability = param(
        0.1,
        "A consumer who cannot buy online but has a proxy buys at this fraction of the "
        "online hazard.",
        "fraction",
    )
    proxy_via_ties: bool = param(
        True, "Ties who buy online can act as proxies (not only group leaders)."
    )


class ProxyPurchase(Mechanism):
    name = "proxy_purchase"
    params = ProxyPurchaseBehavior
    phase = "route"
    streams = ("proxy",)
    series = ("proxy_orders",)
    kpis = ("proxy_purchase_share",)

    def reach(self, day: Day) -> None:
        """Who cannot buy online but has a proxy: a group leader or an online customer tie."""
        c, spec = self.pop, self.spec
        if self.idle():  # nobody needs a proxy (and route finds no offline buyer)
            day.can_buy = c.online_ready.copy()
            return
        offline = ~c.online_ready & day.reachable
        has_proxy = np.zeros(c.n, bool)
        leaders = self.platform.get("group_leaders")
        if leaders is not None and spec.group_leaders.proxy_purchase:
            has_proxy |= offline & (leaders.leader_of(slice(None)) >= 0)
        online_customer = c.online_ready & c.active_customer
        if spec.behavior.proxy_via_ties:  # those without a leader ask a tie
            has_proxy |= offline & self.online_tie(online_customer)
        self.online_customer = online_customer
        day.can_buy = c.online_ready | has_proxy

    def idle(self) -> bool:
        """Nothing to do today: everyone can buy online. Who can is a trait of the world,
        fixed for the run (`online_tie` keeps its sums on that footing); `online_tie`
        keeps the state it last computed from, so a day skipped changes nothing it finds
        later."""
        return bool(self.pop.online_ready.all())

    def online_tie(self, online_customer: np.ndarray) -> np.ndarray:
        """(N,) bool: has an online, active customer among their local ties (`has_online_tie`),
        kept for the consumers who cannot buy online and recomputed only for the listeners
        of consumers whose status changed since the last call (the rest have the same ties
        in the same state, hence the same sum)."""
        net, c = self.platform.network, self.pop
        if getattr(self, "_online_tie", None) is None:  # first call: every offline consumer
            self._online_tie = np.zeros(c.n, bool)
            redo = np.flatnonzero(~c.online_ready)
        else:
            changed = np.flatnonzero(online_customer != self._online_tie_basis)
            _, listeners, _ = csr_rows(net.by_speaker, changed)
            redo = unique(listeners[~c.online_ready[listeners]])  # offline ones only
        self._online_tie[redo] = has_online_tie(net.trust, net.local, redo, online_customer)
        self._online_tie_basis = online_customer
        return self._online_tie

    def setup(self) -> None:
        propensity = self.spec.behavior.proxy_purchase_propensity
        adoption = np.where(self.pop.online_ready, 1.0, propensity)[:, None]  # fixed
        self._adoption = Factor(adoption, float(adoption.min()), float(adoption.max()))

    def adoption_factor(self, day: Day) -> Factor:
        """Asking someone is a step: offline consumers buy at a fraction of the hazard
        (everyone online: 1 at both ends of its range, which the purchase kernel leaves
        out)."""
        return self._adoption

    def route(self, day: Day) -> None:
        """Offline buyers' orders go through a proxy; a proxy who is a sharer is credited."""
        c, orders = self.pop, day.orders
        idx = np.flatnonzero(~c.online_ready[orders.buyer])
        if idx.size == 0:
            return  # no draw today (the stream is not in lockstep across variants)
        u = self.uniform_later("proxy", c.n)
        buyers = orders.buyer[idx]
        leaders = self.platform.get("group_leaders")
        proxy = np.full(buyers.size, -1, np.int64)
        if leaders is not None and self.spec.group_leaders.proxy_purchase:
            proxy = leaders.leader_of(buyers)
        ask = proxy < 0
        net = self.platform.network
        proxy[ask] = pick_sharer(
            net.trust, buyers[ask], self.online_customer, u.at(buyers[ask]), keep=net.local
        )
        orders.proxy[idx] = True
        sharer = proxy >= 0
        sharer[sharer] = c.is_sharer[proxy[sharer]]
        orders.shared_by[idx[sharer]] = proxy[sharer]

    def order(self, day: Day) -> None:
        day.count("proxy_orders", day.orders.proxy.sum())

    def kpi_values(self) -> dict[str, float]:
        v = self.platform.recorder.values
        return {"proxy_purchase_share": ratio(v["proxy_orders"].sum(), v["orders"].sum())}
