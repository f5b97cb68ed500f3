"""Purchase mechanisms beyond the base formula."""

from __future__ import annotations

from sim.components.base import Component, recovered
from sim.config import param, params


class PurchaseCycle(Component):
    """Sector context: the product is bought on a cycle (a course: a year; coffee: a day), so a member who
    bought d days ago buys again at x min(1, d / days) of the usual chance."""

    group, name, order = "mechanisms", "purchase_cycle", 80

    @params
    class Params:
        days: float = param(365.0, "usual days between two purchases of the product [days]", 1e-6, 100_000)

    def purchase(self, model, m, p):
        return p * recovered(model.day, model.last_bought[m], self.p.days)
