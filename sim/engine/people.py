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
    latent = _latent(homophily, graph, rng)
    values = np.sort(rng.beta(a, b, n))
    interest = np.empty(n, dtype=np.float32)
    interest[np.argsort(latent, kind="stable")] = values
    return interest


def _latent(homophily: float, graph, rng) -> np.ndarray:
    """A normal field over the people, blended with its neighbourhood mean: friends alike by ``homophily``."""
    z = rng.standard_normal(graph.n)
    return (1.0 - homophily) * z + homophily * graph.neighbor_mean(z)


def draw_topics(pop, homophily: float, graph, streams) -> np.ndarray | None:
    """The sub-topics each person cares about, as bits of a mask (bit k: sub-topic k); None without sub-topics.

    The first sub-topic cuts a homophilous latent field into ``topics`` equal slices (so friends tend to
    care about the same one); a second, uniform among the others, with chance ``second_topic``."""
    if not pop.topics:
        return None
    rng = streams["topics"]
    latent = _latent(homophily, graph, rng)
    first = np.empty(graph.n, dtype=np.int64)
    first[np.argsort(latent, kind="stable")] = np.arange(graph.n) * pop.topics // max(graph.n, 1)
    mask = np.left_shift(np.uint32(1), first.astype(np.uint32))
    if pop.topics > 1:
        second = (first + rng.integers(1, pop.topics, graph.n)) % pop.topics
        both = rng.random(graph.n) < pop.second_topic
        mask[both] |= np.left_shift(np.uint32(1), second[both].astype(np.uint32))
    return mask


def cares(topics: np.ndarray, persons: np.ndarray, topic: int) -> np.ndarray:
    """Which of ``persons`` care about sub-topic ``topic``."""
    return (topics[persons] >> np.uint32(topic)) & np.uint32(1) == 1


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


