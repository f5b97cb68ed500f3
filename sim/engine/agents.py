"""Mesa agents: the identity and inspection API of members and chat groups.

State lives in the model's numpy columns (see ``model.CommunityModel``); an agent reads and
writes its own row through properties. The daily step never loops over agents.

Members come and go by the thousand a day, so their agents are made when first looked at and
registered in bulk (``Roster``), with the ids and registry order Mesa's own one-at-a-time path
would give.
"""

from __future__ import annotations

from itertools import count, repeat

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals.signal_types import ModelSignals


class Member(mesa.Agent):
    """A person who has joined the community; removed from the model when they leave."""

    pos = None  # no grid or space position: the social graph is where members are (``person`` is their node)
    key = "person"  # the attribute that ties the agent to its row (``Roster``)

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

    key = "gid"

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


class Roster:
    """The Mesa agents of a model's members and groups, made when first looked at.

    Members join by the thousand a day and a run seldom looks at them one by one, so joining only
    reserves each agent's id from Mesa's counter (``add``); ``sync`` makes the agents still due and
    registers them in bulk, in id order, exactly as making each on the spot would have: same ids,
    same order in Mesa's agent sets. A member who left before being looked at is never made.
    Everything that reads Mesa's registry (``model.agents``, ``agents_by_type``, ``member_agent``,
    ``group_agents``) syncs first. While something observes Mesa's agent signals or datasets (a
    dashboard subscribed to ``agents``), agents are made on the spot the ordinary way, one at a
    time, so the observer sees every one. (Mesa's own path costs an id, two agent sets and an
    "agent added" signal per agent; its cost against the bulk path: docs/benchmark.md.)"""

    def __init__(self, model):
        self.model = model
        self.member: dict[int, Member] = {}  # person -> Member (a dict, not an object column: numpy arrays hide
                                             # their objects from the garbage collector, so a model <-> agent
                                             # cycle through one would never be freed)
        self.groups: list[ChatGroup] = []
        self._due: list[tuple[type, int, np.ndarray]] = []  # (class, first reserved id, persons or group ids)

    def add(self, kind: type, keys: np.ndarray) -> None:
        """Agents of class ``kind`` (Member or ChatGroup) for ``keys`` (persons or group ids)."""
        model = self.model
        if not len(keys):
            return
        if not _unobserved(model, ModelSignals.AGENT_ADDED):
            self.sync()
            self._keep(kind, keys.tolist(), [kind(model, k) for k in keys.tolist()])
            return
        self._due.append((kind, model.agent_id_counter, keys))
        model.agent_id_counter += len(keys)

    def sync(self) -> None:
        """Make and register the agents still due (ids reserved in order, so the batches are in id order)."""
        if not self._due:
            return
        model, (due, self._due) = self.model, (self._due, [])
        for kind, first, keys in due:
            ids = count(first)
            if kind is Member:  # members who left meanwhile are not made (their ids stay unused, as if removed)
                kept = np.flatnonzero(model.is_member[keys])
                ids, keys = (first + kept).tolist(), keys[kept]
            keys = keys.tolist()
            made = list(map(kind.__new__, repeat(kind, len(keys))))
            for agent, uid, key in zip(made, ids, keys):  # what Agent.__init__ and Model.register_agent set
                agent.model, agent.unique_id = model, uid  # (``pos``: the class's None)
                setattr(agent, kind.key, key)
            registered = dict.fromkeys(made)
            if kind not in model._agents_by_type:
                model._agents_by_type[kind] = _HardKeyAgentSet([], random=model.random)
            model._all_agents._agents.update(registered)
            model._agents_by_type[kind]._agents.update(registered)
            self._keep(kind, keys, made)

    def _keep(self, kind: type, keys: list[int], made: list) -> None:
        if kind is Member:
            self.member.update(zip(keys, made))
        else:
            self.groups.extend(made)

    def remove_members(self, persons: np.ndarray) -> None:
        """Members leave: remove their agents (as ``agent.remove()`` does); those never made need nothing."""
        agents = [a for a in map(self.member.pop, persons.tolist(), repeat(None)) if a is not None]
        if not agents:
            return
        if not _unobserved(self.model, ModelSignals.AGENT_REMOVED):
            for agent in agents:
                agent.remove()
            return
        everyone, members = self.model._all_agents._agents, self.model._agents_by_type[Member]._agents
        for agent in agents:
            del everyone[agent], members[agent]
