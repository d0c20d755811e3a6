"""The world of one replication: who lives where and who trusts whom, built once.

Every platform of a market shares the world: its consumers (`Layout`), its neighborhoods
(Mesa agents) and its trust network. `TrustNetwork` keeps the trust matrix and derives,
once and only when a mechanism asks, the views the daily rules use.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import mesa
import numpy as np
import scipy.sparse as sp

from sim.network import (
    EdgeList,
    edge_list_network,
    generate_network,
    listener_scale,
    read_edge_list,
    row_normalized,
    ties_to_matrix,
)
from sim.population import Layout, build_layout

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.streams import Streams


class TrustNetwork:
    """The trust matrix (CSR; row i lists whom consumer i listens to, with their trust)."""

    def __init__(self, trust: sp.csr_matrix, neighborhood: np.ndarray, symmetric: bool = False):
        self.trust = trust
        self.neighborhood = neighborhood
        self.symmetric = symmetric  # trust[j, i] == trust[i, j]: by_speaker is trust itself

    @property
    def consumers(self) -> int:
        return int(self.trust.shape[0])

    @cached_property
    def by_speaker(self) -> sp.csr_matrix:
        """Transpose: row i lists the listeners of speaker i with their trust (the trust
        matrix itself when it is symmetric: no second copy)."""
        return self.trust if self.symmetric else self.trust.T.tocsr()

    @cached_property
    def influence_by_speaker(self) -> sp.csr_matrix:
        """Row-normalized trust (each listener's ties sum to 1), by speaker.

        For a symmetric network with sorted rows this is the trust matrix's own layout
        with each tie i -> j scaled by listener j's normalization: it shares the trust
        matrix's index arrays (no copy, no transpose), the same numbers in the same order
        as transposing the row-normalized matrix."""
        trust = self.trust
        if not (self.symmetric and trust.has_canonical_format):
            return row_normalized(trust).T.tocsr()
        scale = listener_scale(trust)
        return sp.csr_matrix(
            (trust.data * scale[trust.indices], trust.indices, trust.indptr),
            shape=trust.shape,
            copy=False,
        )

    @cached_property
    def local(self) -> np.ndarray:
        """(nnz,) bool mask of the trust matrix's entries: the ties inside a neighborhood
        (household and neighbors), who can order for whom. A mask, not a second matrix."""
        trust = self.trust
        listener_home = np.repeat(self.neighborhood, np.diff(trust.indptr))
        return listener_home == self.neighborhood[trust.indices]

    def with_ties(self, u: np.ndarray, v: np.ndarray, weight: np.ndarray) -> TrustNetwork:
        """A new network with directed ties u -> v of the given trust added."""
        old = self.trust.tocoo()
        trust = ties_to_matrix(
            self.consumers,
            np.concatenate([old.row, u]),
            np.concatenate([old.col, v]),
            np.concatenate([old.data, weight]),
            symmetric=False,
        )
        return TrustNetwork(trust, self.neighborhood)


class Neighborhood(mesa.Agent):
    """A neighborhood: a contiguous block of consumers with a city tier."""

    def __init__(self, model: mesa.Model, index: int, city_tier: str, start: int, size: int):
        super().__init__(model)
        self.index = index
        self.city_tier = city_tier
        self.members = slice(start, start + size)

    def customers(self) -> int:
        """Customers of the market's (first) platform living here."""
        return int(self.model.consumers.is_customer[self.members].sum())

    def elderly_share(self) -> float:
        members = self.model.layout.elderly[self.members]
        return float(members.mean()) if members.size else 0.0


class World:
    """Population, neighborhoods and trust network of one replication."""

    def __init__(self, layout: Layout, network: TrustNetwork):
        self.layout = layout
        self.network = network
        self.neighborhoods: list[Neighborhood] = []

    @property
    def consumers(self) -> int:
        return self.layout.consumers

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        streams: Streams,
        edge_list: EdgeList | None = None,
        source: str = "<scenario>",
    ) -> World:
        """Draw the population and the network (or load the scenario's edge list)."""
        layout = build_layout(scenario.population, streams["population"])
        net = scenario.network
        if net.edge_list is not None:
            edges = edge_list if edge_list is not None else read_edge_list(net.edge_list)
            trust = edge_list_network(edges, scenario.population.consumers, net, source)
            symmetric = False  # ties of equal strength and opposite sign may differ by direction
        else:
            trust = generate_network(
                layout, net, scenario.behavior.trust_weights, streams["network"]
            )
            symmetric = True  # every tie both ways with one weight >= 0
        return cls(layout, TrustNetwork(trust, layout.neighborhood, symmetric))

    def add_neighborhood_agents(self, model: mesa.Model) -> None:
        """The neighborhoods as Mesa agents of the market."""
        layout = self.layout
        self.neighborhoods = [
            Neighborhood(model, k, str(tier), int(start), int(size))
            for k, (tier, start, size) in enumerate(
                zip(
                    layout.neighborhood_tier,
                    layout.neighborhood_start,
                    layout.neighborhood_size,
                    strict=True,
                )
            )
        ]
