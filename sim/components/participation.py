"""Mechanisms of taking part beyond the base formula: posting propensity, satiation, a limit to crowding."""

from __future__ import annotations

import numpy as np

from sim.components.base import Component, recovered
from sim.config import param, params


class Posting(Component):
    """Posting propensity, a trait drawn once (Gamma, mean 1, independent of interest, stream ``posting``):
    the chance to take part, reading or muted, is times it. Most people of a wide spread are lurkers who
    read and take part rarely; a few post often. A lurker's silence is habit, so it mutes less for it."""

    group, name, order = "mechanisms", "posting", 10

    @params
    class Params:
        spread: float = param(1.0, "coefficient of variation of the posting propensity [-]", 1e-6, 100)
        lurker_mute: float = param(1.0, "how far a low propensity p spares a silent member from muting for silence: "
                                   "the silence term times min(1, p)^lurker_mute; 0: not at all [-]", 0, 100)

    def __init__(self, params, model):
        super().__init__(params, model)
        shape = 1.0 / (params.spread * params.spread)
        self.posting = model.streams["posting"].gamma(shape, 1.0 / shape, model.n).astype(np.float32)
        self.habitual = np.minimum(self.posting, 1.0) ** params.lurker_mute

    def propensity(self, model, m, alone):
        return alone * self.posting[m]

    def silence(self, model, m, quiet):
        return quiet * self.habitual[m]


class Satiation(Component):
    """Soon after taking part, less to add: a member who took part d days ago takes part again at
    x min(1, d / cycle), so activity spreads over the week rather than being memoryless."""

    group, name, order = "mechanisms", "satiation", 20

    @params
    class Params:
        cycle: float = param(3.0, "days after taking part before the usual chance is back [days]", 1e-6, 365)

    def propensity(self, model, m, alone):
        return alone * recovered(model.day, model.last_active[m], self.p.cycle)


class CrowdLimit(Component):
    """Crowding grows with group size up to ``limit`` members and no further: in a chat of a few thousand
    the talk already runs faster than anyone follows, so more members add no more competition for a turn."""

    group, name, order = "mechanisms", "crowd_limit", 30

    @params
    class Params:
        limit: float = param(2500.0, "group size beyond which crowding grows no further [members]", 1e-9, 1e9)

    def crowd(self, model, size):
        return np.minimum(size, self.p.limit)
