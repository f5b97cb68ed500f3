"""The community model: people on a social graph joining, taking part, inviting, buying and leaving.

State is a struct of numpy columns indexed by person id (one row per node of the graph,
members and outsiders alike). One day (``step``) runs the phases in ``PHASES`` in order, each
vectorized over all members or all invitations at once:

1. ``exposure``      each group's message volume (operator posts plus posts of yesterday's
                     active members) adds fatigue, saturating at ``read_capacity``: information overload.
2. ``participation`` a member takes part with chance participation x interest x (1 - fatigue) x crowding,
                     where crowding falls with group size and spares influential members (loud members dominate).
3. ``drift``         interest rises on a day of taking part, is worn down by fatigue and reverts to the
                     person's baseline; fatigue recovers.
4. ``leaving``       a member leaves (quits or mutes for good) from fatigue and low interest.
5. ``referral``      active members invite a random friend (from influence and interest); an outsider
                     accepts from their interest and how many friends are members (diminishing: 1 + s ln k).
6. ``organic``       outsiders join through public channels and ads, in proportion to their interest.
7. ``purchase``      members buy from interest and fatigue; active members more than silent ones.

Every decision draws one uniform number per person per day from its own named stream (``rng.Streams``).
"""

from __future__ import annotations

import logging

import mesa
import numpy as np

from sim.agents import ChatGroup, Member
from sim.graph import build_graph
from sim.groups import Groups
from sim.metrics import Recorder
from sim.people import draw_influence, draw_interest
from sim.rng import Streams

logging.getLogger("MESA").setLevel(logging.WARNING)  # mesa logs every step at INFO

OUTSIDER, MEMBER, LEFT = 0, 1, 2
PHASES = ("exposure", "participation", "drift", "leaving", "referral", "organic", "purchase")


class CommunityModel(mesa.Model):
    """One community over ``cfg.days`` days; ``CommunityModel()`` runs with the default config."""

    def __init__(self, cfg=None, rng: int | None = None):
        if cfg is None:
            from sim.run import load_config
            cfg = load_config()
        seed = int(cfg.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.cfg, self.beh = cfg, cfg.behavior
        self.streams = Streams(seed)
        self.graph = build_graph(cfg.graph, cfg.population.size, self.streams["graph"])
        n = self.n = self.graph.n

        # --- person columns
        self.interest_base = draw_interest(cfg.population, cfg.graph.homophily, self.graph, self.streams["interest"])
        self.interest = self.interest_base.copy()
        self.influence = draw_influence(cfg.population, n, self.streams["influence"])
        self.fatigue = np.zeros(n, dtype=np.float32)
        self.status = np.full(n, OUTSIDER, dtype=np.int8)
        self.group = np.full(n, -1, dtype=np.int64)
        self.joined = np.full(n, -1, dtype=np.int32)        # day of joining
        self.last_active = np.full(n, -1, dtype=np.int32)   # day of last interaction, -1 never
        self.active = np.zeros(n, dtype=bool)               # took part today
        self.referrer = np.full(n, -1, dtype=np.int64)      # who brought them in, -1 organic or seed
        self.referrals = np.zeros(n, dtype=np.int32)        # members this person brought in
        self.purchases = np.zeros(n, dtype=np.int32)
        self.seen = np.zeros(n, dtype=np.float32)           # messages in the member's group today
        self.member_agent = np.full(n, None, dtype=object)  # Member agent of each member

        self.groups = Groups(cfg.groups)
        self.group_agents: list[ChatGroup] = []
        self.day = 0
        self.flows: dict[str, int] = {}
        self.recorder = Recorder(cfg.days)

        k = min(cfg.population.initial_members, n)
        weight = self.interest.astype(np.float64) * self.influence
        seeds = self.streams["seeding"].choice(n, size=k, replace=False, p=weight / weight.sum())
        self._join(np.sort(seeds), preferred=np.full(k, -1))
        self.members = np.flatnonzero(self.status == MEMBER)
        self.recorder.record(self)

    # ------------------------------------------------------------------ helpers
    def silent_mask(self) -> np.ndarray:
        """Members with no interaction for ``silent_after`` days (joining counts as the start)."""
        since = np.maximum(self.last_active, self.joined)
        return (self.status == MEMBER) & (self.day - since >= self.cfg.silent_after)

    def _join(self, persons: np.ndarray, preferred: np.ndarray) -> None:
        """Make outsiders members: place them in groups and give them Mesa agents."""
        self.status[persons] = MEMBER
        self.joined[persons] = self.day
        self.fatigue[persons] = 0.0
        gids, opened = self.groups.place(preferred)
        self.group[persons] = gids
        self.group_agents.extend(ChatGroup(self, g) for g in opened)
        self.member_agent[persons] = [Member(self, p) for p in persons]

    # ------------------------------------------------------------------ phases
    def exposure(self) -> None:
        m, b = self.members, self.beh
        volume = b.msgs_base + b.msgs_per_active * self.groups.active
        self.seen[m] = volume[self.group[m]]
        load = self.seen[m] / (self.seen[m] + b.read_capacity)
        self.fatigue[m] += b.overload_fatigue * load * (1.0 - self.fatigue[m])

    def participation(self) -> None:
        m, b = self.members, self.beh
        size = self.groups.size[self.group[m]]
        crowding = 1.0 / (1.0 + (size / b.crowd_size) * self.influence[m] ** -b.dominance)
        p = b.participation * self.interest[m] * (1.0 - self.fatigue[m]) * crowding
        self.active[:] = False
        took_part = m[self.streams.uniform("participation", self.n)[m] < p]
        self.active[took_part] = True
        self.last_active[took_part] = self.day

    def drift(self) -> None:
        m, b = self.members, self.beh
        i, f = self.interest[m], self.fatigue[m]
        i = i + b.interest_gain * self.active[m] * (1.0 - i) - b.interest_loss * f * i
        i = i + b.interest_reversion * (self.interest_base[m] - i)
        self.interest[m] = np.clip(i, 0.0, 1.0)
        self.fatigue[m] = f * (1.0 - b.fatigue_recovery)

    def leaving(self) -> None:
        m, b = self.members, self.beh
        f, i = self.fatigue[m], self.interest[m]
        p = b.leave_base + b.leave_fatigue * f * f + b.leave_disinterest * (1.0 - i) ** 2
        leavers = m[self.streams.uniform("leave", self.n)[m] < p]
        self.flows["left"] = len(leavers)
        self.status[leavers] = LEFT
        self.active[leavers] = False
        self.groups.remove(self.group[leavers])
        self.group[leavers] = -1
        for agent in self.member_agent[leavers]:
            agent.remove()
        self.member_agent[leavers] = None
        self.members = m[self.status[m] == MEMBER]

    def referral(self) -> None:
        b, n = self.beh, self.n
        act = np.flatnonzero(self.active)
        p = np.minimum(1.0, b.invite_rate * self.influence[act] * self.interest[act])
        inviters = act[self.streams.uniform("invite", n)[act] < p]
        friends = self.graph.random_neighbor(inviters, self.streams.uniform("invitee", n)[inviters])
        ok = friends >= 0
        inviters, friends = inviters[ok], friends[ok]
        ok = self.status[friends] == OUTSIDER  # invitations reach only friends who are not in yet
        inviters, friends = inviters[ok], friends[ok]
        self.flows["invites_sent"] = len(friends)
        invitees, n_inv = np.unique(friends, return_counts=True)
        k = self.graph.count_neighbors_in(invitees, self.status == MEMBER)
        p1 = np.minimum(1.0, b.accept * self.interest[invitees] * (1.0 + b.social_proof * np.log(np.maximum(k, 1))))
        p_any = 1.0 - (1.0 - p1) ** n_inv
        joiners = invitees[self.streams.uniform("accept", n)[invitees] < p_any]
        # credit the most influential of a joiner's inviters
        order = np.lexsort((-self.influence[inviters], friends))
        first = order[np.searchsorted(friends[order], joiners)]
        credited = inviters[first]
        self.referrer[joiners] = credited
        np.add.at(self.referrals, credited, 1)
        self.flows["new_by_referral"] = len(joiners)
        self._join(joiners, preferred=self.group[credited])

    def organic(self) -> None:
        pop = self.cfg.population
        outs = np.flatnonzero(self.status == OUTSIDER)
        p = pop.organic_rate * self.interest[outs] / pop.interest_mean
        joiners = outs[self.streams.uniform("organic", self.n)[outs] < p]
        self.flows["new_organic"] = len(joiners)
        self._join(joiners, preferred=np.full(len(joiners), -1))
        self.members = np.flatnonzero(self.status == MEMBER)

    def purchase(self) -> None:
        m, b = self.members, self.beh
        p = b.purchase_rate * self.interest[m] * (1.0 - self.fatigue[m])
        p = p * np.where(self.active[m], 1.0, b.silent_purchase)
        buyers = m[self.streams.uniform("purchase", self.n)[m] < p]
        self.purchases[buyers] += 1
        self.flows["purchases"] = len(buyers)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day: the phases in ``PHASES`` order, then the day's metrics."""
        self.day += 1
        self.flows = {}
        for phase in PHASES:
            getattr(self, phase)()
        self.groups.active = np.bincount(self.group[self.active], minlength=self.groups.count)
        self.recorder.record(self)

    def run(self, progress: bool = False) -> None:
        """Run all ``cfg.days`` days, with a tqdm bar if ``progress``."""
        from tqdm import tqdm
        for _ in tqdm(range(self.cfg.days), desc="days", unit="day", disable=not progress, leave=False):
            self.step()
