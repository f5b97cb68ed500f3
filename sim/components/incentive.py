"""Referral incentive schemes (config group ``incentive``): what makes members invite, and what it costs.

Every scheme acts only through today's effects (``sim.engine.effects.Today``) and books its cost in
``today.cost``; how members respond is set by the shared ``behavior`` parameters.
"""

from __future__ import annotations

import math

import numpy as np

from sim.components.base import Component
from sim.config import param, params


class NoIncentive(Component):
    """No scheme: members invite of their own accord."""

    group, name = "incentive", "none"


class InviteReward(Component):
    """Benefit-driven: a reward once a member's accepted invitations reach ``threshold``.

    A pending reward raises inviting; the reward per join pulls invitees whatever their interest
    (``today.lure``), so the scheme also draws in people who came for the reward.
    """

    group, name = "incentive", "invite_reward"

    @params
    class Params:
        threshold: int = param(3, "accepted invitations that earn the inviter the reward [people]", 1, 10**6)
        reward: float = param(299.0, "value of the inviter's reward, e.g. a course [yuan]", 0, 1e9)
        invitee_reward: float = param(0.0, "value given to each invited friend who joins [yuan]", 0, 1e9)
        repeat: bool = param(False, "reward again for every further `threshold` accepted invitations")

    def __init__(self, params, model):
        super().__init__(params, model)
        b = model.beh
        self.earned = np.zeros(model.n, dtype=np.int32)  # rewards paid to each member
        self.before = np.zeros(model.n, dtype=np.int32)  # referrals made before the scheme launched: not rewarded
        self.pull = 1.0 + b.reward_invite * math.log1p(params.reward / 100.0)
        self.lure = b.reward_lure * math.log1p((params.reward / params.threshold + params.invitee_reward) / 100.0)

    def start_day(self, model) -> None:
        m = model.members
        chasing = m if self.p.repeat else m[self.earned[m] == 0]
        model.today.scale("invite", chasing, self.pull)
        model.today.lure += self.lure

    def launch(self, model) -> None:
        self.before = model.referrals.copy()

    def end_day(self, model) -> None:
        m = model.members  # only members can have new referrals today
        due = (model.referrals[m] - self.before[m]) // self.p.threshold
        if not self.p.repeat:
            due = np.minimum(due, 1)
        model.today.cost += self.p.reward * int((due - self.earned[m]).sum())
        model.today.cost += self.p.invitee_reward * model.flows.get("new_by_referral", 0)
        self.earned[m] = due


class Points(Component):
    """Growth system: points for taking part and for accepted invitations; levels unlock perks."""

    group, name = "incentive", "points"

    @params
    class Params:
        checkin_points: float = param(1.0, "points for each day a member takes part [points]", 0, 1e9)
        invite_points: float = param(10.0, "points for each accepted invitation [points]", 0, 1e9)
        level_points: float = param(50.0, "points per level; each level unlocks a perk [points]", 1e-9, 1e12)
        max_level: int = param(5, "highest level [levels]", 0, 1000)
        point_value: float = param(0.1, "cost of a point to the operator when redeemed [yuan/point]", 0, 1e9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.points = np.zeros(model.n, dtype=np.float64)
        self.referrals = np.zeros(model.n, dtype=np.int32)  # referrals already paid in points

    def launch(self, model) -> None:
        self.referrals = model.referrals.copy()  # referrals made before the scheme launched earn no points

    def start_day(self, model) -> None:
        m, b = model.members, model.beh
        level = np.minimum(self.points[m] // self.p.level_points, self.p.max_level)
        model.today.scale("participation", m, 1.0 + b.points_participation * (1.0 + level))
        if self.p.invite_points > 0:
            model.today.scale("invite", m, 1.0 + b.points_invite)

    def end_day(self, model) -> None:
        m = model.members
        earned = self.p.checkin_points * model.active[m] + self.p.invite_points * (model.referrals[m] - self.referrals[m])
        self.referrals[m] = model.referrals[m]
        self.points[m] += earned
        model.today.cost += self.p.point_value * float(earned.sum())


class Status(Component):
    """Social-driven: titles and badges for the top contributors raise their participation and inviting."""

    group, name = "incentive", "status"

    @params
    class Params:
        top_share: float = param(0.05, "share of members holding a title/badge: the top contributors of the last "
                                 "28 days [-]", 0, 1)
        review_days: int = param(7, "days between reviews of who holds a badge [days]", 1, 10_000)
        badge_cost: float = param(0.0, "cost of a badge per holder per review [yuan]", 0, 1e9)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.holders = np.zeros(0, dtype=np.int64)
        self.reviewed = -1  # the day of the last review

    def launch(self, model) -> None:
        self.review(model)  # the first titles are given on the launch day

    def review(self, model) -> None:
        m = model.members
        k = int(math.ceil(self.p.top_share * len(m)))
        self.holders = m[np.argsort(-model.recent[m], kind="stable")[:k]]
        model.today.cost += self.p.badge_cost * k
        self.reviewed = model.day

    def start_day(self, model) -> None:
        if (model.day - 1) % self.p.review_days == 0 and self.reviewed != model.day:
            self.review(model)
        holders = self.holders[model.status[self.holders] == 1]  # badge holders who are still members
        model.today.scale("invite", holders, 1.0 + model.beh.status_invite)
        model.today.scale("participation", holders, 1.0 + model.beh.status_participation)


class Value(Component):
    """Value-driven: better content raises interest and is worth passing on; no material reward."""

    group, name = "incentive", "value"

    @params
    class Params:
        quality: float = param(0.6, "quality of the content, 0 ordinary to 1 outstanding [-]", 0, 1)
        content_cost: float = param(300.0, "cost of producing the better content [yuan/day]", 0, 1e9)

    def start_day(self, model) -> None:
        m, b, q = model.members, model.beh, self.p.quality
        model.today.add("interest", m, b.content_interest * q)
        model.today.scale("invite", m, 1.0 + b.content_share * q)
        model.today.cost += self.p.content_cost
