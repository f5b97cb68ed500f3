"""Activity cadences (config group ``cadence``): a weekly plan of content events, run by Mesa's event scheduler.

An event is a post in every group: its effect reaches only the members who read the group that
day (``sim.engine.effects.readers``; muted members never do). Each weekday with events gets a recurring
Mesa event every 7 days (and ``monthly`` events one every 28 days), scheduled half a day before
the step it belongs to, so it writes its effects into ``model.today`` before that day's phases
read them. Day 1 is a Monday.
"""

from __future__ import annotations

from typing import List

import numpy as np
from mesa.time import Schedule

from sim.components.base import Component
from sim.config import param, params
from sim.engine.effects import readers


class ContentSlot:
    """The events of one recurring slot (a weekday, or the monthly slot); called by Mesa's scheduler."""

    def __init__(self, model, names, owner):
        self.model, self.names, self.owner = model, list(names), owner

    def __call__(self) -> None:
        model = self.model
        if not self.owner.acts(model.day + 1):  # before its launch, or after the launch replaced it
            return
        groups = int(np.count_nonzero(model.groups.size))
        reached = readers(model, model.members, model.day + 1)  # a group post acts on those who read the group
        for name in self.names:
            effect = model.events[name]
            model.today.apply(effect, reached, groups, model.relevance(effect, reached))
            model.today.messages += effect.messages
            model.today.events += 1
            model.event_log.append((model.day + 1, name))


class CadencePlan(Component):
    """The weekly plan plus streak rewards for consecutive days of taking part."""

    group, name = "cadence", "plan"

    @params
    class Params:
        plan: str = param("none", "name of the weekly content plan")
        week: List[List[str]] = param([[] for _ in range(7)], "content events on each weekday, Monday first "
                                      "(day 1 is a Monday)")
        monthly: List[str] = param([], "events every 28 days (days 28, 56, ...)")
        streak_days: int = param(0, "consecutive active days that earn a streak reward (0: no streak rewards) "
                                 "[days]", 0, 10_000)
        streak_reward: float = param(0.0, "value of a streak reward [yuan]", 0, 1e9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.slots = []  # Mesa holds event callbacks weakly: keep them alive here
        for weekday, names in enumerate(params.week):
            if names:
                self._schedule(model, names, interval=7, first_day=weekday + 1)
        if params.monthly:
            self._schedule(model, params.monthly, interval=28, first_day=28)
        self.streak = np.zeros(model.n, dtype=np.int32)
        self.rewarded = np.zeros(0, dtype=np.int64)

    def _schedule(self, model, names, interval: int, first_day: int) -> None:
        slot = ContentSlot(model, names, self)
        self.slots.append(slot)
        model.schedule_recurring(slot.__call__, Schedule(interval=interval, start=first_day - 0.5))

    def start_day(self, model) -> None:
        if len(self.rewarded):  # yesterday's streak rewards take effect today
            streak = model.events["streak"]
            model.today.apply(streak, self.rewarded, 0, model.relevance(streak, self.rewarded))
            self.rewarded = self.rewarded[:0]

    def end_day(self, model) -> None:
        if not self.p.streak_days:
            return
        self.streak = np.where(model.active, self.streak + 1, 0).astype(np.int32)
        self.rewarded = np.flatnonzero(self.streak >= self.p.streak_days)
        self.streak[self.rewarded] = 0
        model.today.cost += self.p.streak_reward * len(self.rewarded)
