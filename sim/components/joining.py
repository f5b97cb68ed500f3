"""Ways of joining beyond invitations from active members and a constant public-channel rate."""

from __future__ import annotations

import numpy as np

from sim.components.base import Component
from sim.config import param, params

OUTSIDER = 0  # (sim.engine.model's status of a person who never joined)


class ShareOnJoin(Component):
    """A new member, the day after joining, shares the invitation with all their friends at once (a poster
    in their feed); the independent cascade is this with ``share`` 1 and nothing else."""

    group, name, order = "mechanisms", "share_on_join", 60

    @params
    class Params:
        share: float = param(1.0, "chance a new member shares the invitation with all friends [-]", 0, 1)

    def invitations(self, model, inviters, friends):
        sharers = model.joined_yesterday[model.is_member[model.joined_yesterday]]  # still in
        if self.p.share < 1:  # (a number in [0, 1) is always below 1: nothing to draw)
            sharers = sharers[model.streams.uniform("share", sharers, model.day) < self.p.share]
        src, dst = model.graph.neighbor_pairs(sharers)
        return (np.concatenate([inviters, src]), np.concatenate([friends, dst])) if len(inviters) else (src, dst)


class Imitation(Component):
    """Word of mouth beyond friends (the Bass model's q): the daily chance to join through public channels
    grows with the member share, so every outsider draws every day."""

    group, name, order = "mechanisms", "imitation", 70

    @params
    class Params:
        rate: float = param(0.38, "adds rate x members/size to an outsider's daily chance of joining [1/day]", 0, 1)

    def organic(self, model):
        pop = model.pop
        outs = np.flatnonzero(model.status == OUTSIDER)
        rate = pop.organic_rate + self.p.rate * len(model.members) / model.n
        p = np.minimum(1.0, rate * model.interest[outs] / pop.interest_mean)
        return outs[model.streams.uniform("organic", outs, model.day) < p]
