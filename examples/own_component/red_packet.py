"""A user's own lever and mechanism, outside the package (docs/model.md, "Your own component").

Run from this folder:
    PYTHONPATH=. growthsim --config-dir conf incentive=red_packet +mechanisms=newcomer_welcome
"""

from __future__ import annotations

import numpy as np

from sim.components.base import Component
from sim.config import param, params


class RedPacket(Component):
    """Lucky money: on draw days a red packet of ``amount`` yuan is shared among the members who take
    part; the draw raises everyone's participation that day."""

    @params
    class Params:
        amount: float = param(100.0, "yuan in each red packet [yuan]", 0, 1e9)
        every: int = param(7, "days between two draws [days]", 1, 365)
        pull: float = param(0.5, "participation gain on a draw day (0.5: +50%) [-]", 0, 100)

    def start_day(self, model) -> None:
        if model.day % self.p.every == 0:
            model.today.scale("participation", model.members, 1.0 + self.p.pull)

    def end_day(self, model) -> None:
        if model.day % self.p.every == 0 and len(model.actives):
            model.today.cost += self.p.amount


class NewcomerWelcome(Component):
    """A mechanism: a member's first week is livelier (people are curious on arrival)."""

    @params
    class Params:
        boost: float = param(1.0, "participation times (1 + boost) in the first week after joining [-]", 0, 100)

    def propensity(self, model, m, alone):
        new = model.day - model.joined[m] < 7
        return alone * np.where(new, 1.0 + self.p.boost, 1.0)
