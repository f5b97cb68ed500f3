"""Traits of every person in the graph, drawn once at set-up: interest and influence."""

from __future__ import annotations

import numpy as np


def draw_interest(pop, homophily: float, graph, streams) -> np.ndarray:
    """Interest in the topic, Beta-distributed with mean ``interest_mean``; friends alike by ``homophily``.

    A latent normal field is blended with its neighbourhood mean, then mapped by rank onto Beta
    draws, so the marginal distribution is exactly Beta whatever the homophily.
    """
    n = graph.n
    if pop.interest_mean >= 1.0:  # everyone fully interested (used by the reductions to textbook models)
        return np.ones(n, dtype=np.float32)
    rng = streams["interest"]  # (``rng.Streams``: a stream is made only when drawn from)
    a = pop.interest_mean * pop.interest_concentration
    b = (1.0 - pop.interest_mean) * pop.interest_concentration
    z = rng.standard_normal(n)
    latent = (1.0 - homophily) * z + homophily * graph.neighbor_mean(z)
    values = np.sort(rng.beta(a, b, n))
    interest = np.empty(n, dtype=np.float32)
    interest[np.argsort(latent, kind="stable")] = values
    return interest


def draw_influence(pop, n: int, streams) -> np.ndarray:
    """Influence over friends, heavy-tailed (Pareto tail ``influence_tail``), mean 1, capped at ``influence_max``.

    A cap of 1 (the mean) leaves everyone equally influential, 1 (no draw): the reductions to textbook models."""
    if pop.influence_max <= 1.0:
        return np.ones(n, dtype=np.float32)
    influence = streams["influence"].pareto(pop.influence_tail, n)
    influence += 1.0
    influence /= influence.mean()
    np.minimum(influence, pop.influence_max, out=influence)
    influence /= influence.mean()
    return influence.astype(np.float32)


