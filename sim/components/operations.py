"""Operator routines (config group ``operations``): health-dashboard rules and RFM-layered actions.

An action applies an event (``events.NAME``) to a target: all members, silent members, an RFM
layer, members in a trough (``declining``: fewer days of taking part in the last month than in
the month before), or the members of groups in a wake-up plan; the same member is reached at most once per
``every`` days by the same action, from day ``start`` (to day ``end`` if set). An action for all
members or for the groups of a wake-up plan is a post in the groups: it acts only on the members
who read the group that day (``sim.engine.effects.readers``). An action for silent members or an RFM layer
is a targeted, private push: it reaches the member whether or not they read the group, and brings
a muted member back with chance ``mechanisms.muting.unmute_push`` (a muted member it does not bring back
ignores it). The dashboard watches every group each day and counts its
alerts: DAU/members below ``wakeup_share`` (starts a wake-up plan), decline (DAU below
``decline_share`` for ``decline_days`` days), and, weekly, reorganization (two of the three
decline signals: open rate, member questions, top-20% share of interactions).
"""

from __future__ import annotations

from dataclasses import field
from typing import List, Literal

import numpy as np

from sim.components.base import Component
from sim.config import REQUIRED, param, params
from sim.engine.effects import readers

DORMANT, POTENTIAL, CORE = 1, 2, 3
LAYERS = {"dormant": DORMANT, "potential": POTENTIAL, "core": CORE}
MONTH = 28  # days in a month (four weeks): the trough segment's months and every monthly case measure
GROUP_TARGETS = ("all", "wakeup_groups")  # actions posted in the groups; the others are private pushes


def tercile_score(values: np.ndarray) -> np.ndarray:
    """1, 2 or 3 by the share of values strictly below each one (ties get the lower score)."""
    below = np.searchsorted(np.sort(values), values, side="left") / max(len(values), 1)
    return 1 + (below >= 1 / 3) + (below >= 2 / 3)


def rfm_layers(model) -> np.ndarray:
    """Layer of each member: R (recency of last interaction), F (recent interactions), M (purchases),
    each scored 1-3 by tercile among members; core if the sum is at least 8, dormant if at most 4."""
    m = model.members
    since = model.day - model.last_seen(m)
    score = tercile_score(-since) + tercile_score(model.recent[m]) + tercile_score(model.purchases[m])
    return np.where(score >= 8, CORE, np.where(score <= 4, DORMANT, POTENTIAL)).astype(np.int8)


def declining(last_month: np.ndarray, month_before: np.ndarray) -> np.ndarray:
    """The trough segment: took part on fewer days in the last month than in the month before."""
    return last_month < month_before


@params
class Action:
    """One operator action: an event for a target group of members, repeated every ``every`` days."""
    target: Literal["all", "silent", "core", "potential", "dormant", "declining", "wakeup_groups"] = param(
        REQUIRED, "who the action reaches")
    event: str = param(REQUIRED, "the event (key of `events`) applied to them")
    every: int = param(7, "days before the same member is reached again by this action [days]", 1, 10_000)
    start: int = param(1, "first day the action runs (earlier days: it reaches nobody) [day]", 1, 100_000)
    end: int = param(0, "last day the action runs (0: to the end of the run) [day]", 0, 100_000)


class Operations(Component):
    """Targeted actions and dashboard alerts."""

    group, name = "operations", "routine"

    @params
    class Params:
        mode: str = param("none", "name of the operating routine")
        actions: List[Action] = field(default_factory=list)
        dashboard: bool = param(False, "watch the health-dashboard rules and count their alerts")
        wakeup_share: float = param(0.03, "a group whose DAU/members falls below this starts a wake-up plan [-]", 0, 1)
        wakeup_days: int = param(7, "length of a wake-up plan [days]", 1, 10_000)
        decline_share: float = param(0.10, "decline: DAU below this share of members ... [-]", 0, 1)
        decline_days: int = param(3, "... for this many consecutive days [days]", 1, 10_000)
        open_rate_floor: float = param(0.12, "decline signal: message open rate below the sector mean (beauty 0.15, "
                                       "education 0.12) [-]", 0, 1)
        min_questions: float = param(5.0, "decline signal: fewer member-initiated questions a day than this "
                                     "[questions/day]", 0, 1e9)
        top20_floor: float = param(0.60, "decline signal: top 20% of members make less than this share of "
                                   "interactions [-]", 0, 1)

    def __init__(self, params, model):
        super().__init__(params, model)
        self.layer = np.zeros(model.n, dtype=np.int8)  # RFM layer of each member, reviewed weekly
        self.last_reached = [np.full(model.n, -(10**9), dtype=np.int32) for _ in params.actions]
        self.wakeup_until = np.zeros(0, dtype=np.int64)  # per group: last day of its wake-up plan
        self.low_days = np.zeros(0, dtype=np.int64)      # per group: consecutive days below decline_share
        self.uses_layers = any(a.target in LAYERS for a in params.actions)
        self.days_active: dict[int, np.ndarray] = {}  # review day -> everyone's days taken part before it
        self.uses_trough = any(a.target == "declining" for a in params.actions)

    def targets(self, target: str, model) -> np.ndarray:
        m = model.members
        if target == "all":
            return m
        if target == "silent":
            return m[model.silent(m)]
        if target == "wakeup_groups":
            return m[self.wakeup_until[model.group[m]] >= model.day]
        if target == "declining":
            return m[self.in_trough(m, model.day)]
        return m[self.layer[m] == LAYERS[target]]

    def start_day(self, model) -> None:
        self._grow(model.groups.count)
        if self.uses_layers and (model.day - 1) % 7 == 0:
            self.layer[:] = 0
            self.layer[model.members] = rfm_layers(model)
        if self.uses_trough and (model.day - 1) % 7 == 0:
            self.days_active[model.day] = model.days_active.copy()
            self.days_active.pop(model.day - 2 * MONTH - 7, None)  # older than the two months compared
        for action, last in zip(self.p.actions, self.last_reached):
            if model.day < action.start or (action.end and model.day > action.end):
                continue
            who = self.targets(action.target, model)
            who = who[last[who] <= model.day - action.every]
            last[who] = model.day
            model.today.reached += len(who)
            if action.target in GROUP_TARGETS:  # a post in the groups: acts on who reads it
                who = readers(model, who, model.day)
            else:  # a private push: reaches the member whether or not they read the group (muting: ``reach``)
                for c in model.terms.reach:
                    who = c.reach(model, who)
            effect = model.events[action.event]
            model.today.apply(effect, who, 0, model.relevance(effect, who))

    def in_trough(self, persons: np.ndarray, day: int) -> np.ndarray:
        """Which of ``persons`` were in a trough at the last weekly review (the morning of day r <= ``day``):
        ``declining`` over days r-28..r-1 against r-56..r-29; nobody before two months have passed."""
        r = day - (day - 1) % 7
        if r - 2 * MONTH not in self.days_active:
            return np.zeros(len(persons), dtype=bool)
        now, mid, old = (self.days_active[d][persons] for d in (r, r - MONTH, r - 2 * MONTH))
        return declining(now - mid, mid - old)

    def end_day(self, model) -> None:
        if not self.p.dashboard:
            return
        c, g = self.p, model.groups
        self._grow(g.count)
        live = g.size > 0
        share = np.divide(g.active, g.size, out=np.zeros(g.count), where=live)
        start = live & (share < c.wakeup_share) & (self.wakeup_until < model.day)
        self.wakeup_until[start] = model.day + c.wakeup_days
        self.low_days = np.where(live & (share < c.decline_share), self.low_days + 1, 0)
        alerts = np.count_nonzero(start) + np.count_nonzero(self.low_days == c.decline_days)
        if model.day % 7 == 0:
            reorganize = live & (self.decline_signals(model) >= 2)
            self.wakeup_until[reorganize] = np.maximum(self.wakeup_until[reorganize], model.day + c.wakeup_days)
            alerts += np.count_nonzero(reorganize)
        model.today.alerts += alerts

    def decline_signals(self, model) -> np.ndarray:
        """Per group, how many of the three decline signals hold."""
        c, b, g, m = self.p, model.beh, model.groups, model.members
        gm = model.group[m]
        volume = model.message_volume()
        read = np.minimum(1.0, b.read_capacity / volume)
        opened = np.bincount(gm, weights=(1.0 - model.fatigue[m]) * read[gm], minlength=g.count)
        open_rate = np.divide(opened, g.size, out=np.zeros(g.count), where=g.size > 0)
        questions = g.active * b.msgs_per_active * b.question_share
        # top 20% of each group's members by recent interactions: their share of the group's interactions
        order = np.lexsort((-model.recent[m], gm))
        gs, rs = gm[order], model.recent[m][order]
        rank = np.arange(len(gs)) - np.searchsorted(gs, gs, side="left")
        top = rank < np.ceil(0.2 * g.size[gs])
        total = np.bincount(gs, weights=rs, minlength=g.count)
        top_share = np.divide(np.bincount(gs[top], weights=rs[top], minlength=g.count), total,
                              out=np.ones(g.count), where=total > 0)
        return (open_rate < c.open_rate_floor).astype(int) + (questions < c.min_questions) + (top_share < c.top20_floor)

    def _grow(self, count: int) -> None:
        extra = count - len(self.low_days)
        if extra > 0:
            self.wakeup_until = np.concatenate([self.wakeup_until, np.zeros(extra, dtype=np.int64)])
            self.low_days = np.concatenate([self.low_days, np.zeros(extra, dtype=np.int64)])
