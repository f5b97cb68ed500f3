"""Today's effects of the operator's levers on each person, consumed by the day's phases.

Levers (incentive, cadence, operations) never change the phases; they write multipliers and
additions into these columns before the phases run, and the phases read them. All columns
return to neutral (multipliers 1, additions 0) at the end of each day.
"""

from __future__ import annotations

import numpy as np


class Today:
    """Per-person multipliers (participation, invite, purchase) and additions (fatigue, interest) for one day."""

    MULTIPLIERS = ("participation", "invite", "purchase")
    ADDITIONS = ("fatigue", "interest")

    def __init__(self, n: int, event_response: float = 1.0, offer_response: float = 1.0):
        self.n = n
        self.response = {"participation": event_response, "purchase": offer_response}  # behavior.*_response
        self._touched: set[str] = set()
        self.reset()

    def __getattr__(self, name: str) -> np.ndarray:
        """A column is made when first used (neutral: ones or zeros); many runs never touch most of them."""
        if name not in self.MULTIPLIERS + self.ADDITIONS:
            raise AttributeError(name)
        column = (np.ones if name in self.MULTIPLIERS else np.zeros)(self.n, dtype=np.float32)
        setattr(self, name, column)
        return column

    def reset(self) -> None:
        """Back to neutral; only columns written today are cleared (most days touch few or none)."""
        for name in self._touched:
            getattr(self, name)[:] = 1.0 if name in self.MULTIPLIERS else 0.0
        self._touched.clear()
        self.messages = 0.0       # extra operator messages in every group today
        self.member_content = 0   # pieces of content members made today through a programme (reviews)
        self.lure = 0.0           # interest-independent pull on invitees (rewards)
        self.cost = 0.0           # yuan spent today
        self.events = 0           # scheduled content events run today
        self.reached = 0          # member-contacts by operator actions today
        self.alerts = 0           # dashboard alerts raised today

    def has(self, name: str) -> bool:
        """Whether a lever wrote to column ``name`` today (an untouched column is neutral: 1 or 0)."""
        return name in self._touched

    def times(self, name: str, values, persons):
        """``values`` times today's multiplier ``name`` of ``persons`` (``values`` itself if untouched today)."""
        return values * getattr(self, name)[persons] if name in self._touched else values

    def plus(self, name: str, values, persons):
        """``values`` plus today's addition ``name`` of ``persons`` (``values`` itself if untouched today)."""
        return values + getattr(self, name)[persons] if name in self._touched else values

    def scale(self, name: str, persons, factor) -> None:
        """Multiply a multiplier column for ``persons`` (an index array)."""
        getattr(self, name)[persons] *= factor
        self._touched.add(name)

    def add(self, name: str, persons, amount) -> None:
        """Add to a column for ``persons`` (multipliers: +0.5 is +50%)."""
        getattr(self, name)[persons] += amount
        self._touched.add(name)

    def apply(self, effect, persons, groups: int, relevance=1.0) -> None:
        """Apply one event's effect to ``persons``, run in ``groups`` groups; account its cost. ``relevance``:
        how much the content concerns each of them (``CommunityModel.relevance``; scales every effect but fatigue).
        The participation and purchase effects are times the members' responses (``behavior.event_response``,
        ``behavior.offer_response``): one general strength for every event, not one per event."""
        for name in ("participation", "purchase", *self.ADDITIONS):
            if getattr(effect, name):
                amount = getattr(effect, name) * self.response.get(name, 1.0)
                self.add(name, persons, amount * (1.0 if name == "fatigue" else relevance))
        self.cost += effect.cost_group * groups + effect.cost_member * len(persons)


def message_volume(beh, active: np.ndarray, extra: float = 0.0) -> np.ndarray:
    """Messages in a group on a day with ``active`` members taking part: the operator's base posts,
    ``extra`` posts (today's content events and pushes) and those of the active members. The one
    definition of a group's message volume (exposure, reading, the dashboard's open rate)."""
    return beh.msgs_base + extra + member_messages(beh, active)


def member_messages(beh, active):
    """Messages the members write: those of the ``active`` members (a count, or an array per group)."""
    return beh.msgs_per_active * active


def readers(model, persons: np.ndarray, day: int) -> np.ndarray:
    """Which of ``persons`` (members) read their group's messages on ``day``: a group-wide post (a
    content event, a promotion to all) acts only on them. A member reads with chance ``open_rate``
    x (1 - fatigue) x min(1, ``read_capacity`` / volume), volume being the group's messages of the
    day before from its operator's base posts and its active members (``message_volume`` with no
    extra: the events of a day are not known before it): the practitioners' "message opened" step
    of the funnel, whose rate (12-15% by sector) falls with fatigue and floods. Components may
    weigh the chance (term ``readers``: a muted member reads nothing). One draw per person and
    day (stream ``read``), so every group-wide message of a day is read by the same members. A
    targeted action (a private push) does not pass through this gate (``sim.components.operations``)."""
    b = model.beh
    persons = np.asarray(persons, dtype=np.int64)
    volume = message_volume(b, model.groups.active[model.group[persons]])
    p = b.open_rate * (1.0 - model.fatigue[persons]) * np.minimum(1.0, b.read_capacity / volume)
    for c in model.terms.readers:
        p = c.readers(model, persons, p)
    return persons[model.streams.uniform("read", persons, day) < p]
