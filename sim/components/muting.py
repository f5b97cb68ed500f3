"""Muting (``mechanisms=muting``): a member who did not take part may mute the group and stop reading it.

A muted member reads nothing (no fatigue from the group's messages, no group-wide post reaches
them, no lever's effect), and takes part only rarely, by opening the group of their own accord,
which brings them back; a targeted private push (``sim.components.operations``) brings them back
with chance ``unmute_push``. The daily chance of muting grows with fatigue, low interest and
silence; components that define the term ``silence`` (posting propensity, the silence norm)
weigh the silence part.
"""

from __future__ import annotations

import numpy as np

from sim.components.base import Component
from sim.config import param, params


class Muting(Component):
    group, name, order = "mechanisms", "muting", 40
    draws = (("mute", "leaving"),)

    @params
    class Params:
        fatigue: float = param(0.0, "daily chance a member who did not take part mutes the group, at full fatigue "
                               "(times fatigue); a muted member stops reading it [1/day]", 0, 1)
        disinterest: float = param(0.0, "daily chance a member who did not take part mutes the group, at zero "
                                   "interest (times (1 - interest)^2) [1/day]", 0, 1)
        silent: float = param(0.0, "further daily chance of muting for a member silent for silent_after days "
                              "(no interaction for a week: no longer following the group) [1/day]", 0, 1)
        ramp: float = param(0.0, "days over which the silence term of muting rises to `silent`: x min(1, (days "
                            "silent - silent_after + 1) / ramp), so a recent dip mutes less than a long "
                            "silence; 0 (or 1): the full chance from silent_after days on [days]", 0, 10_000)
        reopen: float = param(0.1, "participation of a muted member relative to an uncrowded reader (they see no "
                              "messages and no crowd; taking part unmutes) [-]", 0, 1)
        decay: float = param(0.0, "habituation: a muted member's return chance falls by exp(-decay x days since "
                             "muting); 0: a constant chance however long muted [1/day]", 0, 1)
        unmute_push: float = param(0.5, "chance a targeted private push (an operator action for silent members or "
                                   "an RFM layer) brings a muted member back to reading the group [-]", 0, 1)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.muted = np.zeros(model.n, dtype=bool)       # muted the group: reads nothing
        self.muted_on = np.zeros(model.n, dtype=np.int32)  # day of the last muting

    def load(self, model, m, load):
        return np.where(self.muted[m], 0.0, load)  # reads nothing: no fatigue from the group

    def participation(self, model, m, alone, p):
        back = alone * self.p.reopen  # opens the group of their own accord; the crowd does not hold them back
        if self.p.decay:
            back = back * np.exp(-self.p.decay * (model.day - self.muted_on[m]))
        return np.where(self.muted[m], back, p)

    def took_part(self, model, persons) -> None:
        self.muted[persons] = False  # taking part means opening the group again

    def push(self, model, m, push):
        return np.where(self.muted[m], 0.0, push)  # no lever's interest push

    def promotion(self, model, m, p, q):
        return np.where(self.muted[m], p, q) if model.today.has("purchase") else q  # does not see the promotion

    def readers(self, model, persons, p):
        return np.where(self.muted[persons], 0.0, p)

    def reach(self, model, who):
        """A private push: a muted member comes back with chance ``unmute_push``, else ignores it."""
        muted = self.muted[who]
        back = model.streams.uniform("unmute", who[muted], model.day) < self.p.unmute_push
        self.muted[who[muted][back]] = False
        return who[~self.muted[who]]

    def leaving(self, model, m, gone) -> None:
        f, i, p = model.fatigue[m], model.interest[m], self.p
        if p.ramp:  # the silence term rises with the days silent
            quiet = np.clip((model.day - model.last_seen(m) - model.silent_after + 1) / p.ramp, 0.0, 1.0)
        else:
            quiet = model.silent(m)
        for c in model.terms.silence:
            quiet = c.silence(model, m, quiet)
        q = p.fatigue * f + p.disinterest * (1.0 - i) ** 2 + p.silent * quiet
        mutes = ~gone & ~model.active[m] & ~self.muted[m] & (model.streams.uniform("mute", m, model.day) < q)
        muters = m[mutes]
        self.muted[muters] = True
        self.muted_on[muters] = model.day


class SilenceNorm(Component):
    """In a big group silence is the norm: a week without a word estranges a member of a crowded group less."""

    group, name, order = "mechanisms", "silence_norm", 50

    @params
    class Params:
        strength: float = param(1.0, "the silence term of muting is times (1 + size / crowd_size)^-strength (size "
                                "not limited by crowd_limit) [-]", 0, 100)

    def silence(self, model, m, quiet):
        return quiet * ((1.0 + model.groups.size / model.beh.crowd_size) ** -self.p.strength)[model.group[m]]
