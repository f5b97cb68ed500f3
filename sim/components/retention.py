"""Why members stay or go beyond fatigue and interest: their ties to the community, and a newcomer's fit."""

from __future__ import annotations

import numpy as np

from sim.components.base import Component
from sim.config import param, params


class Embeddedness(Component):
    """Friends who are members hold a member in: the chance to leave is divided by 1 + ``strength`` x the
    member's friends in the community. Ties grow as friends join, so the longer a member stays the more
    embedded they tend to be (Backstrom et al., KDD 2006: membership and friends in the group; Kraut and
    Resnick, *Building Successful Online Communities*, 2012: bond-based commitment)."""

    group, name, order = "mechanisms", "embeddedness", 40

    @params
    class Params:
        strength: float = param(1.0, "the chance to leave is divided by 1 + strength x friends who are members [-]",
                                0, 1000)

    def retention(self, model, m, p):
        return p / (1.0 + self.p.strength * model.graph.count_neighbors_in(m, model.is_member))


class NewcomerFit(Component):
    """A newcomer finds out in their first weeks whether the group suits them; those it does not suit leave
    early: an extra chance to leave of ``early`` x (1 - interest) x exp(-tenure / ``weeks``·7), so most
    departures come soon after joining (Kraut and Resnick 2012, newcomer socialization)."""

    group, name, order = "mechanisms", "newcomer_fit", 40

    @params
    class Params:
        early: float = param(0.05, "extra daily chance to leave on joining at zero interest [1/day]", 0, 1)
        weeks: float = param(2.0, "how fast a newcomer's doubts fade: the e-folding tenure [weeks]", 1e-3, 1000)

    def retention(self, model, m, p):
        tenure = model.day - model.joined[m]
        return p + self.p.early * (1.0 - model.interest[m]) * np.exp(-tenure / (7.0 * self.p.weeks))
