"""Chat groups: per-group columns, placement of joiners, splitting and merging under a group policy.

``unlimited`` keeps one group that grows without bound (the mega group); ``cap`` fills a group
up to ``cap`` members and opens a new one for later joiners; ``split`` lets a group grow until it
reaches ``cap`` and then divides it into sub-groups of about ``fill`` x cap members (by ``rule``:
random, by interest, or by social-graph community), where each member moved to a new sub-group
leaves with chance ``migration_loss``. Under any policy, groups in decline can be merged
(``merge_below``). Referred joiners go to their inviter's group when it has room. Group size
matters only through the dynamics in the model (message volume, crowding); no policy carries a
bonus of its own.
"""

from __future__ import annotations

import numpy as np

from sim.engine.agents import ChatGroup

UNBOUNDED = np.iinfo(np.int64).max // 4


class Groups:
    """Columns indexed by group id: ``size`` (members now) and ``active`` (members active today)."""

    def __init__(self, cfg):
        self.cfg, self.policy = cfg, cfg.policy
        self.cap = int(cfg.cap) if self.policy in ("cap", "split") else UNBOUNDED
        self.limit = self.cap if self.policy == "cap" else UNBOUNDED  # placement limit; split acts after placing
        self.size = np.zeros(0, dtype=np.int64)
        self.active = np.zeros(0, dtype=np.int64)
        self.low_days = np.zeros(0, dtype=np.int64)  # consecutive days below merge_below

    @property
    def count(self) -> int:
        return len(self.size)

    def _open(self, n: int) -> np.ndarray:
        """Append ``n`` empty groups; return their ids."""
        first = self.count
        self.size = np.concatenate([self.size, np.zeros(n, dtype=np.int64)])
        self.active = np.concatenate([self.active, np.zeros(n, dtype=np.int64)])
        self.low_days = np.concatenate([self.low_days, np.zeros(n, dtype=np.int64)])
        return np.arange(first, first + n)

    def place(self, n: int, preferred: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Assign a group to each of ``n`` joiners; ``preferred``: a group id for each, or -1 (no
        preference); None: no one has a preference.

        Returns (group of each joiner, ids of groups opened for them).
        """
        if preferred is not None and n and preferred.min() >= 0:  # the usual case: every preferred group has room
            counts = np.bincount(preferred, minlength=self.count)
            if self.limit == UNBOUNDED or (counts <= self.limit - self.size).all():
                self.size += counts
                return preferred, np.zeros(0, dtype=np.int64)
        out = np.full(n, -1, dtype=np.int64)
        want = np.flatnonzero(preferred >= 0) if preferred is not None else ()
        if len(want):
            order = want[np.argsort(preferred[want], kind="stable")]
            g = preferred[order]
            rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")  # position within its group
            fits = rank < self.limit - self.size[g]
            out[order[fits]] = g[fits]
            np.add.at(self.size, g[fits], 1)
        rest = np.flatnonzero(out < 0) if len(want) else np.arange(n)
        opened = np.zeros(0, dtype=np.int64)
        if len(rest):
            room = self.limit - self.size[-1] if self.count else 0  # the newest group takes newcomers first
            into_last = min(room, len(rest))
            if into_last:
                out[rest[:into_last]] = self.count - 1
                self.size[-1] += into_last
            overflow = len(rest) - into_last
            if overflow:
                chunk = np.arange(overflow) // self.limit  # consecutive new groups of `limit` each
                opened = self._open(chunk[-1] + 1)
                out[rest[into_last:]] = opened[chunk]
                self.size[opened] = np.bincount(chunk)
        return out, opened

    def remove(self, groups_of_leavers: np.ndarray) -> None:
        """Take leavers out of their groups' sizes."""
        self.size -= np.bincount(groups_of_leavers, minlength=self.count)

    def split_full(self, model) -> None:
        """Under ``split``: divide every group that has reached ``cap`` into sub-groups below cap."""
        if self.policy != "split":
            return
        for g in np.flatnonzero(self.size >= self.cap):
            persons = np.flatnonzero(model.group == g)
            k = -(-len(persons) // max(1, int(self.cap * self.cfg.fill)))
            parts = np.array_split(self._order(persons, model), k)
            opened = self._open(k - 1)
            model.roster.add(ChatGroup, opened)
            for part, gid in zip(parts[1:], opened):
                model.group[part] = gid
            self.size[g] = len(parts[0])
            self.size[opened] = [len(p) for p in parts[1:]]
            movers = np.concatenate(parts[1:])
            u = model.streams.uniform("migration", movers, model.day)
            model.leave(movers[u < self.cfg.migration_loss])

    def _order(self, persons: np.ndarray, model) -> np.ndarray:
        """Members of a group in the order they are cut into sub-groups, by the split rule."""
        rule = self.cfg.rule
        if rule == "interest":
            return persons[np.argsort(model.interest[persons], kind="stable")]
        if rule == "community" and hasattr(model.graph, "indices"):
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

    def merge_declining(self, model) -> int:
        """Merge pairs of declining groups (active share below ``merge_below`` for ``merge_days``), smallest first,
        when the merged group stays below cap; returns the number of merges."""
        if not self.cfg.merge_below:
            return 0
        live = self.size > 0
        share = np.divide(self.active, self.size, out=np.zeros(self.count), where=live)
        self.low_days = np.where(live & (share < self.cfg.merge_below), self.low_days + 1, 0)
        declining = np.flatnonzero(self.low_days >= self.cfg.merge_days)
        declining = declining[np.argsort(self.size[declining], kind="stable")]
        merges = 0
        for a, b in zip(declining[0::2], declining[1::2]):
            if self.size[a] + self.size[b] < self.cap:
                model.group[model.group == a] = b
                self.size[b] += self.size[a]
                self.active[b] += self.active[a]
                self.size[a] = self.active[a] = self.low_days[b] = 0
                merges += 1
        return merges
