"""Mesa agents: the identity and inspection API of members and chat groups.

State lives in the model's numpy columns (see ``model.CommunityModel``); an agent reads and
writes its own row through properties. The daily step never loops over agents.

Members come and go by the thousand a day, so they are registered with the model in bulk
(``add_members``, ``remove_members``): Mesa registers agents one at a time (an id from the
counter, two agent sets, an "agent added" signal), about 3 us each, which was a tenth of a
20,000-person day. The bulk path does the same bookkeeping in a few dict updates whenever
nothing listens to Mesa's agent signals or datasets (the normal case); when something does
(a dashboard subscribed to ``agents``), each agent goes the ordinary way so it sees every one.
"""

from __future__ import annotations

from itertools import count, repeat

import mesa
import numpy as np
from mesa.experimental.mesa_signals.signal_types import ModelSignals


class Member(mesa.Agent):
    """A person who has joined the community; removed from the model when they leave."""

    pos = None  # no grid or space position: the social graph is where members are (``person`` is their node)

    def __init__(self, model, person: int):
        super().__init__(model)
        self.person = int(person)  # row in the model's columns and node in the social graph

    @property
    def interest(self) -> float:
        return float(self.model.interest[self.person])

    @interest.setter
    def interest(self, value: float) -> None:
        self.model.interest[self.person] = min(max(value, 0.0), 1.0)

    @property
    def fatigue(self) -> float:
        return float(self.model.fatigue[self.person])

    @fatigue.setter
    def fatigue(self, value: float) -> None:
        self.model.fatigue[self.person] = min(max(value, 0.0), 1.0)

    @property
    def influence(self) -> float:
        return float(self.model.influence[self.person])

    @property
    def group(self) -> int:
        return int(self.model.group[self.person])

    @property
    def state(self) -> str:
        """'active' (took part today), 'silent' (no interaction for ``silent_after`` days) or 'quiet'."""
        if self.model.active[self.person]:
            return "active"
        return "silent" if self.model.silent(np.array([self.person]))[0] else "quiet"

    @property
    def friends(self):
        return self.model.graph.neighbors(self.person)


class ChatGroup(mesa.Agent):
    """A chat group; its members are the people whose ``group`` column holds its id."""

    def __init__(self, model, gid: int):
        super().__init__(model)
        self.gid = int(gid)

    @property
    def size(self) -> int:
        return int(self.model.groups.size[self.gid])

    @property
    def active(self) -> int:
        """Members who took part in the group today."""
        return int(self.model.groups.active[self.gid])


def _unobserved(model, signal) -> bool:
    """Whether nothing would see Mesa's per-agent registration: no subscriber, batch or dataset."""
    return not Member._datasets and model._batch_context is None and not model._has_subscribers("agents", signal)


def add_members(model, persons: list[int]) -> list[Member]:
    """New Member agents for ``persons``, registered with ``model`` exactly as ``Member(model, p)`` would be."""
    if not _unobserved(model, ModelSignals.AGENT_ADDED):
        return [Member(model, p) for p in persons]
    agents = []
    if persons and Member not in model._agents_by_type:  # the first one creates Mesa's agent set of members
        agents.append(Member(model, persons[0]))
        persons = persons[1:]
    first = model.agent_id_counter
    fresh = list(map(Member.__new__, repeat(Member, len(persons))))
    for agent, uid, person in zip(fresh, count(first), persons):  # what Agent.__init__ and Model.register_agent
        agent.model, agent.unique_id, agent.person = model, uid, person  # set (``pos``: the class's None), same ids
    model.agent_id_counter = first + len(persons)
    registered = dict.fromkeys(fresh)
    model._all_agents._agents.update(registered)
    model._agents_by_type[Member]._agents.update(registered)
    return agents + fresh


def remove_members(model, agents) -> None:
    """Remove Member agents from ``model``, as ``agent.remove()`` does for each."""
    if not _unobserved(model, ModelSignals.AGENT_REMOVED):
        for agent in agents:
            agent.remove()
        return
    everyone, members = model._all_agents._agents, model._agents_by_type[Member]._agents
    for agent in agents:
        del everyone[agent], members[agent]
