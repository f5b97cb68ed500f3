"""Member content programmes (config group ``content``): raising the content members make themselves.

Members who take part write content of their own now and then (``behavior.ugc_rate``: reviews,
shared experience), counted in the day's ``member_content``. A *review (tester) programme* raises it:
every ``every`` days the operator sends the product to ``testers`` members (the most active of the
last weeks who were not testers yet, at ``cost_per_tester`` each); each tester posts one review,
with chance ``review_rate`` a day (stream ``review``). A review is a post in its group: on a day
with reviews, the members who read the group (``sim.engine.effects.readers``) trust the product
more and take part more (``purchase``, ``participation``: added to today's multipliers).
"""

from __future__ import annotations

import numpy as np

from sim.components.base import Component
from sim.config import param, params
from sim.engine.effects import readers


class NoProgramme(Component):
    """No programme: members write what they write of their own accord."""

    group, name = "content", "none"


class Reviews(Component):
    """A tester programme: free products for members who review them in the groups."""

    group, name = "content", "reviews"

    @params
    class Params:
        testers: int = param(20, "members recruited as testers each round [members]", 0, 10**6)
        every: int = param(28, "days between recruiting rounds (the first on day 1) [days]", 1, 10_000)
        review_rate: float = param(0.2, "daily chance a tester who has not reviewed yet posts their review [1/day]",
                                   0, 1)
        purchase: float = param(0.5, "added to the purchase multiplier of those who read a group with a review "
                                "that day (trust) [-]", 0, 1000)
        participation: float = param(0.2, "added to the participation multiplier of those who read a group with "
                                     "a review that day [-]", 0, 100)
        cost_per_tester: float = param(100.0, "the product sent to a tester [yuan]", 0, 1e9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.tester = np.zeros(model.n, dtype=bool)
        self.pending = np.zeros(0, dtype=np.int64)  # testers whose review is still to come
        self.reviews = 0

    def start_day(self, model) -> None:
        m, today = model.members, model.today
        if (model.day - 1) % self.p.every == 0 and self.p.testers:
            free = m[~self.tester[m]]
            picked = free[np.argsort(-model.recent[free], kind="stable")[:self.p.testers]]
            self.tester[picked] = True
            self.pending = np.concatenate([self.pending, picked])
            today.cost += self.p.cost_per_tester * len(picked)
        self.pending = self.pending[model.is_member[self.pending]]
        if not len(self.pending):
            return
        posts = self.pending[model.streams.uniform("review", self.pending, model.day) < self.p.review_rate]
        self.pending = self.pending[~np.isin(self.pending, posts)]
        if not len(posts):
            return
        self.reviews += len(posts)
        today.member_content += len(posts)
        reviewed = np.zeros(model.groups.count, dtype=bool)
        reviewed[model.group[posts]] = True
        reached = readers(model, m[reviewed[model.group[m]]], model.day)
        if self.p.purchase:
            today.add("purchase", reached, self.p.purchase)
        if self.p.participation:
            today.add("participation", reached, self.p.participation)
