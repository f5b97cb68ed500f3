"""Staff per group (config group ``staff``): a dedicated advisor or admin in each group.

An advisor answers questions, recommends and holds 1-to-1 sessions, with a limited capacity: each
day, in each group, they serve up to ``capacity`` members, those who ask first (the members who took
part the day before: a question needs someone in the conversation), then, with capacity left, the
group's ``then`` members (newcomers of the last week, or silent members). A member served that day
takes part and buys more (``participation``, ``purchase``, added to today's multipliers) and their
interest rises (``interest``). Who is served among more candidates than capacity is drawn from the
stream ``staff``. Each advisor costs ``cost_per_group`` a day for every group with members.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sim.components.base import Component
from sim.config import param, params


class NoStaff(Component):
    """No staff beyond the operator's own posts."""

    group, name = "staff", "none"


class Advisor(Component):
    """One advisor per group, serving up to ``capacity`` members a day."""

    group, name = "staff", "advisor"

    @params
    class Params:
        capacity: int = param(20, "members an advisor serves a day (answers, recommendations, 1-to-1) [members/day]",
                              0, 10**6)
        then: Literal["new", "silent", "none"] = param("new", "whom an advisor serves with capacity left after the "
                                                       "askers: newcomers of the last 7 days, silent members, nobody")
        participation: float = param(0.5, "added to a served member's participation multiplier that day [-]", 0, 100)
        purchase: float = param(0.5, "added to a served member's purchase multiplier that day [-]", 0, 1000)
        interest: float = param(0.01, "interest gained by a served member, times (1 - interest) [-]", 0, 1)
        cost_per_group: float = param(200.0, "cost of an advisor for a group, per day [yuan/day]", 0, 1e9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.served = 0

    def start_day(self, model) -> None:
        m = model.members
        if not len(m):
            return
        asks = model.last_active[m] == model.day - 1
        if self.p.then == "new":
            then = model.joined[m] >= model.day - 7
        elif self.p.then == "silent":
            then = model.silent(m)
        else:
            then = np.zeros(len(m), dtype=bool)
        who, rank = m[asks | then], np.where(asks, 0, 1)[asks | then]
        u = model.streams.uniform("staff", who, model.day)
        order = np.lexsort((u, rank, model.group[who]))  # by group, askers first, then at random
        who, g = who[order], model.group[who[order]]
        first = np.searchsorted(g, g)  # where each member's group starts in the order
        served = who[np.arange(len(who)) - first < self.p.capacity]
        today = model.today
        if self.p.participation:
            today.add("participation", served, self.p.participation)
        if self.p.purchase:
            today.add("purchase", served, self.p.purchase)
        if self.p.interest:
            today.add("interest", served, self.p.interest)
        today.cost += self.p.cost_per_group * np.count_nonzero(model.groups.size)
        self.served += len(served)
