"""Reference: the community model as a plain Mesa 3.5 user would write it (one Python agent per person).

Deliberately *simpler* than ``sim.engine.model.CommunityModel`` (no groups, crowding, interest drift,
purchases or metrics beyond a daily member count), so a speed comparison favours this model.
Same social graph: ``sim.engine.graph.barabasi_albert``. Run: ``python -m experiments.plain_mesa 20000 365``.
"""
from __future__ import annotations

import logging
import sys

import mesa
import numpy as np

from sim.engine.graph import barabasi_albert

logging.getLogger("MESA").setLevel(logging.WARNING)  # mesa logs every step at INFO

FATIGUE_GAIN, FATIGUE_RECOVERY = 0.05, 0.2
PARTICIPATION, LEAVE, INVITE, ACCEPT, ORGANIC = 0.8, 0.002, 0.3, 0.4, 3e-4


class Person(mesa.Agent):
    def __init__(self, model, interest: float, influence: float, friends: list[int]):
        super().__init__(model)
        self.interest, self.influence, self.friends = interest, influence, friends
        self.fatigue, self.member, self.active = 0.0, False, False

    def step(self) -> None:
        r, m = self.random, self.model
        if not self.member:  # outsiders join organically with a tiny chance
            if r.random() < ORGANIC * self.interest:
                self.member = True
                m.members += 1
            return
        self.fatigue += FATIGUE_GAIN * (1.0 - self.fatigue)
        self.fatigue *= 1.0 - FATIGUE_RECOVERY
        self.active = r.random() < PARTICIPATION * self.interest * (1.0 - self.fatigue)
        if r.random() < LEAVE:
            self.member = self.active = False
            m.members -= 1
            return
        if self.active and self.friends and r.random() < min(1.0, INVITE * self.influence * self.interest):
            friend = m.people[r.choice(self.friends)]
            if not friend.member and r.random() < ACCEPT * friend.interest:
                friend.member = True
                m.members += 1


class PlainCommunity(mesa.Model):
    def __init__(self, n: int = 10_000, m: int = 5, initial_members: int = 30, seed: int = 0):
        super().__init__(rng=seed)
        graph = barabasi_albert(n, m, self.rng)
        interest = self.rng.beta(0.35 * 4, 0.65 * 4, n).tolist()
        influence = (self.rng.pareto(1.8, n) + 1.0).clip(max=30.0)
        influence = (influence / influence.mean()).tolist()
        self.people = [Person(self, interest[i], influence[i], graph.neighbors(i).tolist()) for i in range(n)]
        for p in self.random.sample(self.people, min(initial_members, n)):
            p.member = True
        self.members = min(initial_members, n)
        self.history = [self.members]

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.history.append(self.members)


if __name__ == "__main__":
    n, days = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (10_000, 100)
    model = PlainCommunity(n, seed=3)
    for _ in range(days):
        model.step()
    print(f"members on day {days}: {model.members} of {n}")
