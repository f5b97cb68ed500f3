"""Referral incentive schemes (config group ``incentive``): what makes members invite, and what it costs.

Every scheme acts only through today's effects (``sim.engine.effects.Today``) and books its cost in
``today.cost``; how members respond is set by the shared ``behavior`` parameters.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.effects import Lever


class InviteReward(Lever):
    """Benefit-driven: a reward once a member's accepted invitations reach ``threshold``.

    A pending reward raises inviting; the reward per join pulls invitees whatever their interest
    (``today.lure``), so the scheme also draws in people who came for the reward.
    """

    def __init__(self, cfg, model):
        super().__init__(cfg, model)
        b = model.beh
        self.earned = np.zeros(model.n, dtype=np.int32)  # rewards paid to each member
        self.pull = 1.0 + b.reward_invite * math.log1p(cfg.reward / 100.0)
        self.lure = b.reward_lure * math.log1p((cfg.reward / cfg.threshold + cfg.invitee_reward) / 100.0)

    def start_day(self, model) -> None:
        m = model.members
        chasing = m if self.cfg.repeat else m[self.earned[m] == 0]
        model.today.scale("invite", chasing, self.pull)
        model.today.lure += self.lure

    def end_day(self, model) -> None:
        m = model.members  # only members can have new referrals today
        due = model.referrals[m] // self.cfg.threshold
        if not self.cfg.repeat:
            due = np.minimum(due, 1)
        model.today.cost += self.cfg.reward * int((due - self.earned[m]).sum())
        model.today.cost += self.cfg.invitee_reward * model.flows.get("new_by_referral", 0)
        self.earned[m] = due


class Points(Lever):
    """Growth system: points for taking part and for accepted invitations; levels unlock perks."""

    def __init__(self, cfg, model):
        super().__init__(cfg, model)
        self.points = np.zeros(model.n, dtype=np.float64)
        self.referrals = np.zeros(model.n, dtype=np.int32)  # referrals already paid in points

    def start_day(self, model) -> None:
        m, b = model.members, model.beh
        level = np.minimum(self.points[m] // self.cfg.level_points, self.cfg.max_level)
        model.today.scale("participation", m, 1.0 + b.points_participation * (1.0 + level))
        if self.cfg.invite_points > 0:
            model.today.scale("invite", m, 1.0 + b.points_invite)

    def end_day(self, model) -> None:
        m = model.members
        earned = self.cfg.checkin_points * model.active[m] + self.cfg.invite_points * (model.referrals[m] - self.referrals[m])
        self.referrals[m] = model.referrals[m]
        self.points[m] += earned
        model.today.cost += self.cfg.point_value * float(earned.sum())


class Status(Lever):
    """Social-driven: titles and badges for the top contributors raise their participation and inviting."""

    def __init__(self, cfg, model):
        super().__init__(cfg, model)
        self.holders = np.zeros(0, dtype=np.int64)

    def start_day(self, model) -> None:
        if (model.day - 1) % self.cfg.review_days == 0:
            m = model.members
            k = int(math.ceil(self.cfg.top_share * len(m)))
            self.holders = m[np.argsort(-model.recent[m], kind="stable")[:k]]
            model.today.cost += self.cfg.badge_cost * k
        holders = self.holders[model.status[self.holders] == 1]  # badge holders who are still members
        model.today.scale("invite", holders, 1.0 + model.beh.status_invite)
        model.today.scale("participation", holders, 1.0 + model.beh.status_participation)


class Value(Lever):
    """Value-driven: better content raises interest and is worth passing on; no material reward."""

    def start_day(self, model) -> None:
        m, b, q = model.members, model.beh, self.cfg.quality
        model.today.add("interest", m, b.content_interest * q)
        model.today.scale("invite", m, 1.0 + b.content_share * q)
        model.today.cost += self.cfg.content_cost


SCHEMES = {"none": Lever, "invite_reward": InviteReward, "points": Points, "status": Status, "value": Value}
