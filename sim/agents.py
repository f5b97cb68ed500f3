"""Mesa agents: the identity and inspection API of members and chat groups.

State lives in the model's numpy columns (see ``model.CommunityModel``); an agent reads and
writes its own row through properties. The daily step never loops over agents.
"""

from __future__ import annotations

import mesa
import numpy as np


class Member(mesa.Agent):
    """A person who has joined the community; removed from the model when they leave."""

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
