"""Several communities at once: one community model each, on one social graph, stepped together.

Each community has its own config (its groups, levers and members) and its own random streams
(its seed); they share the people and their friendships (built once, from the first config), so a
person may be a member of several. A *joint event* (a shared challenge with a cross-community
leaderboard) runs on ``days``: the members of each community who took part the day before see the
others' challenge, and each joins another community they are an outsider of with chance ``rate``
x their interest in it (stream ``import``), when that community's day starts. These *imported*
members are counted apart (``new_imported``; docs/metrics.md). Without a joint event each community
runs exactly as it would alone on the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.components.base import Component
from sim.config import ConfigError, validate
from sim.engine.graph import build_graph
from sim.engine.model import OUTSIDER, CommunityModel
from sim.engine.rng import Streams


@dataclass
class JointEvent:
    """A challenge shared by every community on ``days``."""
    days: list[int] = field(default_factory=list)
    rate: float = 0.05   # chance a participant of another community joins, times their interest in this one
    cost: float = 0.0    # each community's share of the event's cost, per event day [yuan]


class JointChallenge(Component):
    """A community's side of the joint event: imports, on event days, yesterday's participants of the others."""

    group, order = "communities", 100

    def __init__(self, event: JointEvent, communities: "Communities", index: int):
        super().__init__(event, None)
        self.communities, self.index = communities, index

    def start_day(self, model) -> None:
        model.flows["new_imported"] = 0
        if model.day not in self.p.days:
            return
        others = [a for i, a in enumerate(self.communities.yesterday) if i != self.index]
        seen = np.unique(np.concatenate(others)) if others else np.zeros(0, dtype=np.int64)
        seen = seen[model.status[seen] == OUTSIDER]
        p = self.p.rate * model.interest[seen]
        joiners = seen[model.streams.uniform("import", seen, model.day) < p]
        model.flows["new_imported"] = len(joiners)
        model._join(joiners)
        model.today.cost += self.p.cost


class Communities:
    """``Communities([cfg_a, cfg_b], JointEvent(days=[14, 28]))``: run them with ``run()``; ``models``: each
    community's ``CommunityModel``."""

    def __init__(self, cfgs: list, joint: JointEvent | None = None):
        specs = [validate(c) for c in cfgs]
        if len({s.population.size for s in specs}) > 1:
            raise ConfigError("the communities share one social graph: give every config the same population.size")
        first = specs[0]
        graph = build_graph(first.graph, first.population.size, Streams(first.seed)["graph"])
        self.models = [CommunityModel(s, graph=graph) for s in specs]
        self.yesterday = [m.actives for m in self.models]
        if joint is not None:
            for i, m in enumerate(self.models):
                m.components.append(JointChallenge(joint, self, i))

    def step(self) -> None:
        # the leaderboard every community sees today (a community whose run is over has no participants)
        self.yesterday = [m.actives.copy() if m.running else m.actives[:0] for m in self.models]
        for m in self.models:
            if m.running:
                m.step()

    def run(self) -> None:
        while any(m.running for m in self.models):
            self.step()
