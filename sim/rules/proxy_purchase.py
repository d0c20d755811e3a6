"""Rule 2b, proxy purchase: consumers who cannot buy online buy through someone who can.

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


def choose_leaders(
    neighborhood: np.ndarray, online_ready: np.ndarray, per_neighborhood: int, u: np.ndarray
) -> np.ndarray:
    """Up to `per_neighborhood` leaders per neighborhood, online-ready consumers first."""
    if per_neighborhood == 0:
        return np.empty(0, np.int64)
    key = u + np.where(online_ready, 0.0, 10.0)
    order = np.lexsort((key, neighborhood))
    nb = neighborhood[order]
    starts = np.r_[True, nb[1:] != nb[:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(nb.size), 0))
    rank = np.arange(nb.size) - run_start
    return np.sort(order[rank < per_neighborhood])


def leader_ties(
    leaders: np.ndarray,
    leader_neighborhood: np.ndarray,
    neighborhood_start: np.ndarray,
    neighborhood_size: np.ndarray,
):
    """(leader, member) pairs tying each leader to everyone in their neighborhood
    (a neighborhood's consumers are consecutive)."""
    counts = neighborhood_size[leader_neighborhood]
    leader_rep = np.repeat(leaders, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    members = np.repeat(neighborhood_start[leader_neighborhood], counts) + offsets
    keep = leader_rep != members
    return leader_rep[keep], members[keep]


def same_neighborhood(trust: sp.csr_matrix, neighborhood: np.ndarray) -> sp.csr_matrix:
    """The ties inside a neighborhood (household and neighbors): who can order for whom."""
    coo = trust.tocoo()
    keep = neighborhood[coo.row] == neighborhood[coo.col]
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=trust.shape)


def has_online_tie(trust: sp.csr_matrix, who: np.ndarray, online_customer: np.ndarray):
    """For consumers `who`, do they trust at least one online, active customer?"""
    if who.size == 0:
        return np.zeros(0, bool)
    return np.asarray(trust[who] @ online_customer.astype(float)).ravel() > 0
