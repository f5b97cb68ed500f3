"""Group policies (config group ``groups``): how members are placed into chat groups, split and merged.

``unlimited`` keeps one group that grows without bound (the mega group); ``cap`` fills a group up
to ``cap`` members and opens a new one for later joiners; ``split`` lets a group grow until it
reaches ``cap`` and then divides it into sub-groups of about ``fill`` x cap members (by ``rule``:
random, by interest, by social-graph community or by sub-topic), where each member moved to a new sub-group
leaves with chance ``migration_loss``. Under any policy, groups in decline can be merged
(``merge_below``). Referred joiners go to their inviter's group when it has room. No policy
carries a bonus of its own: group size matters only through the dynamics in the model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sim.components.base import Component
from sim.config import param, params
from sim.engine.agents import ChatGroup
from sim.engine.groups import UNBOUNDED


class GroupPolicy(Component):
    """What every policy shares: placing up to ``limit``, and merging declining groups."""

    group = "groups"
    cap = UNBOUNDED  # a merged group stays below it
    limit = UNBOUNDED  # members placed into a group before a new one opens

    @params
    class Params:
        merge_below: float = param(0.0, "a group whose active share stays below this for merge_days is merged "
                                   "with another declining group (0: never merge) [-]", 0, 1)
        merge_days: int = param(3, "consecutive days below merge_below before a group counts as declining [days]",
                                1, 10_000)

    def joined(self, model) -> None:
        """After joiners were placed (``CommunityModel._join``)."""

    def end_day(self, model) -> None:
        model.flows["merges"] = self.merge_declining(model)

    def merge_declining(self, model) -> int:
        """Merge pairs of declining groups (active share below ``merge_below`` for ``merge_days``), smallest
        first, when the merged group stays below cap; returns the number of merges."""
        g = model.groups
        if not self.p.merge_below:
            return 0
        live = g.size > 0
        share = np.divide(g.active, g.size, out=np.zeros(g.count), where=live)
        g.low_days = np.where(live & (share < self.p.merge_below), g.low_days + 1, 0)
        declining = np.flatnonzero(g.low_days >= self.p.merge_days)
        declining = declining[np.argsort(g.size[declining], kind="stable")]
        merges = 0
        for a, b in zip(declining[0::2], declining[1::2]):
            if g.size[a] + g.size[b] < self.cap:
                model.group[model.group == a] = b
                g.size[b] += g.size[a]
                g.active[b] += g.active[a]
                g.size[a] = g.active[a] = g.low_days[b] = 0
                merges += 1
        return merges


class Unlimited(GroupPolicy):
    """One group for everyone, however many."""

    name = "unlimited"


class Cap(GroupPolicy):
    """Groups of at most ``cap``: later joiners open a new group."""

    name = "cap"

    @params
    class Params(GroupPolicy.Params):
        cap: int = param(500, "members a group may hold; later joiners open a new group [members]", 1, 10**9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.cap = self.limit = int(params.cap)


class Split(Cap):
    """A group that reaches ``cap`` is divided into sub-groups below cap."""

    name = "split"

    @params
    class Params(Cap.Params):
        rule: Literal["random", "interest", "community", "topic"] = param(
            "random", "how a group that reaches cap is divided: at random, by interest, by social-graph community, "
            "or by sub-topic (population.topics; members who care about the same one together)")
        fill: float = param(0.5, "size of each new sub-group as a share of cap [-]", 0.01, 0.99)
        migration_loss: float = param(0.05, "chance a member moved to a new sub-group does not follow and leaves "
                                      "[-]", 0, 1)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.limit = UNBOUNDED  # placing never stops at cap: a full group is split after placing

    def joined(self, model) -> None:
        g = model.groups
        for full in np.flatnonzero(g.size >= self.cap):
            persons = np.flatnonzero(model.group == full)
            k = -(-len(persons) // max(1, int(self.cap * self.p.fill)))
            parts = np.array_split(self._order(persons, model), k)
            opened = g.open(k - 1)
            model.roster.add(ChatGroup, opened)
            for part, gid in zip(parts[1:], opened):
                model.group[part] = gid
            g.size[full] = len(parts[0])
            g.size[opened] = [len(p) for p in parts[1:]]
            movers = np.concatenate(parts[1:])
            u = model.streams.uniform("migration", movers, model.day)
            model.leave(movers[u < self.p.migration_loss])

    def _order(self, persons: np.ndarray, model) -> np.ndarray:
        """Members of a group in the order they are cut into sub-groups, by the split rule."""
        if self.p.rule == "interest":
            return persons[np.argsort(model.interest[persons], kind="stable")]
        if self.p.rule == "topic":  # (config.validate refuses it without sub-topics)
            t = model.topics[persons]
            return persons[np.argsort(t & (~t + np.uint32(1)), kind="stable")]  # by the lowest sub-topic's bit
        if self.p.rule == "community" and hasattr(model.graph, "indices"):
            import networkx as nx
            src, dst = model.graph.subgraph_edges(persons)
            sub = nx.Graph()
            sub.add_nodes_from(range(len(persons)))
            sub.add_edges_from(zip(src.tolist(), dst.tolist()))
            seed = int(model.streams["split"].integers(2**31))
            communities = sorted(nx.community.louvain_communities(sub, seed=seed), key=lambda c: (-len(c), min(c)))
            return persons[np.concatenate([sorted(c) for c in communities])]
        # random (and community on the complete graph, where everyone is one community)
        return model.streams["split"].permutation(persons)
