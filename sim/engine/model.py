"""The community model: people on a social graph joining, taking part, inviting, buying and leaving.

State is a struct of numpy columns indexed by person id (one row per node of the graph,
members and outsiders alike). The components in use (``sim.components``: the group policy, the
incentive scheme, the cadence, the operator routine and the listed ``mechanisms``) own further
columns. The order of calls, the one place it is written down:

set-up    the person columns and traits; each component is built (its columns, its scheduled
          events), the group policy first, then incentive, cadence, operations, then mechanisms;
          the day-0 members join. With ``cfg.before`` (a campaign launched on a running community),
          the usual practice's levers are built after these and act in their place until day
          ``cfg.launch - 1``; on day ``cfg.launch`` the run's own levers take over (``launch`` of each,
          then the day as usual).
each day  1. the cadence's content events (Mesa events scheduled just before the day);
          2. ``start_day`` of every component: levers write today's effects (``sim.engine.effects.Today``:
             multipliers of participation, inviting and buying; added fatigue and interest; extra
             messages; the pull of rewards on invitees);
          3. the phases of ``PHASES`` in ``cfg.phases``, each vectorized over all members or all
             invitations at once, each a base formula passed through the components' terms
             (``sim.components.base.TERMS``, in the components' ``order``):
             ``exposure``      each group's message volume adds fatigue, saturating at ``read_capacity``
                               (information overload); term ``load``.
             ``participation`` a member takes part with chance participation x interest x (1 - fatigue)
                               x crowding, where crowding falls with group size and spares influential
                               members (loud members dominate); terms ``crowd`` (the size that
                               crowds), ``propensity`` (before crowding), ``participation`` (after
                               the levers), ``took_part``.
             ``drift``         interest rises on a day of taking part, is worn down by fatigue and
                               reverts to the person's baseline; fatigue recovers; term ``push``.
             ``leaving``       a member leaves from fatigue and low interest; terms ``retention``
                               (the chance to leave: embeddedness, a newcomer's fit), ``leaving``
                               (decisions beside it: muting).
             ``referral``      active members invite a random friend (from influence and interest);
                               an outsider accepts from their interest and how many friends are
                               members (diminishing: 1 + s ln k); term ``invitations``.
             ``organic``       outsiders join through public channels and ads, in proportion to
                               their interest; term ``organic`` (replaces the joiners).
             ``purchase``      members buy from interest and fatigue, active members more than
                               silent ones; terms ``purchase`` (before the levers), ``promotion``.
          4. ``end_day`` of every component, in set-up order (the group policy merges declining
             groups first; levers book rewards and costs); the day's metrics are recorded.
end       ``finish`` of every component, once.

Every decision draws one uniform number per person per day from its own named stream
(``rng.Streams``). A phase left out of ``cfg.phases`` is skipped, its state left as it is (the
reductions to textbook models run only the phases those models have).
"""

from __future__ import annotations

import logging
from functools import cached_property, partial

import mesa
import numpy as np

from sim.components.base import TERMS, defines
from sim.config import LEVERS, PHASES, plain
from sim.engine.agents import ChatGroup, Member, Roster
from sim.engine.effects import Today, message_volume
from sim.engine.graph import GraphError, build_graph, load_edgelist
from sim.engine.groups import Groups
from sim.engine.people import cares, draw_influence, draw_interest, draw_topics
from sim.engine.rng import Streams
from sim.measures.metrics import Recorder

logging.getLogger("MESA").setLevel(logging.WARNING)  # mesa logs every step at INFO

OUTSIDER, MEMBER, LEFT = 0, 1, 2


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and how often each occurs: ``np.unique(values, return_counts=True)``
    without its generic handling, which is a noticeable part of the referral phase (docs/benchmark.md)."""
    v = np.sort(values)
    first = np.empty(len(v), dtype=bool)
    first[:1] = True
    np.not_equal(v[1:], v[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.empty_like(starts)
    counts[:-1] = starts[1:] - starts[:-1]
    counts[-1:] = len(v) - starts[-1:]
    return v[starts], counts


class Terms:
    """For each term of ``sim.components.base.TERMS``, the components that define it, in their ``order``:
    ``model.terms.propensity`` is a list the participation phase runs through."""

    def collect(self, components) -> None:
        ordered = sorted(components, key=lambda c: c.order)  # (stable: ties keep set-up order)
        for terms in TERMS.values():
            for term in terms:
                setattr(self, term, [c for c in ordered if defines(c, term)])


class CommunityModel(mesa.Model):
    """One community over ``cfg.days`` days; ``CommunityModel()`` runs with the default config.

    ``graph``: a social graph already built or loaded (``sim.engine.graph.Graph`` of ``population.size`` people)
    to use instead of building ``cfg.graph``, e.g. to run many scenarios on one real network."""

    def __init__(self, cfg=None, rng: int | None = None, graph=None):
        if cfg is None:
            from sim.app.run import load_config
            cfg = load_config()
        cfg = self.cfg = plain(cfg)  # dataclasses, not DictConfig: attribute reads in the day are cheap
        seed = int(cfg.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.silent_after, self.beh, self.pop, self.events = int(cfg.silent_after), cfg.behavior, cfg.population, cfg.events
        self.phases = [getattr(self, name) for name in PHASES if name in cfg.phases]
        self.streams = Streams(seed)
        if graph is not None and graph.n != cfg.population.size:
            raise GraphError(f"the graph given has {graph.n} people but population.size={cfg.population.size}: "
                             f"set population.size={graph.n}")
        self.graph = build_graph(cfg.graph, cfg.population.size, self.streams["graph"]) if graph is None else graph
        # the ids a graph file uses (index = person), when the graph was read from cfg's file
        self.labels = load_edgelist(cfg.graph.path)[1] if cfg.graph.kind == "edgelist" and graph is None else None
        n = self.n = self.graph.n

        # --- person columns
        self.interest_base = draw_interest(cfg.population, cfg.graph.homophily, self.graph, self.streams)
        self.interest = self.interest_base.copy()
        self.influence = draw_influence(cfg.population, n, self.streams)
        self.topics = draw_topics(cfg.population, cfg.graph.homophily, self.graph, self.streams)  # bit masks or None
        self.fatigue = np.zeros(n, dtype=np.float32)
        self.status = np.full(n, OUTSIDER, dtype=np.int8)
        self.is_member = np.zeros(n, dtype=bool)
        self.group = np.full(n, -1, dtype=np.int64)
        self.joined = np.full(n, -1, dtype=np.int32)        # day of joining
        self.last_active = np.full(n, -1, dtype=np.int32)   # day of last interaction, -1 never
        self.active = np.zeros(n, dtype=bool)               # took part today
        self.referrer = np.full(n, -1, dtype=np.int64)      # who brought them in, -1 organic or seed
        self.referrals = np.zeros(n, dtype=np.int32)        # members this person brought in
        self.purchases = np.zeros(n, dtype=np.int32)
        self.last_bought = np.full(n, -1, dtype=np.int32)   # day of the last purchase, -1 never
        self.recent = np.zeros(n, dtype=np.float32)         # interactions in about the last 28 days (EWMA)
        self.days_active = np.zeros(n, dtype=np.int32)      # days taken part so far
        self.left = np.full(n, -1, dtype=np.int32)          # day of leaving, -1 never left
        self.left_group = np.full(n, -1, dtype=np.int64)    # the group a leaver left
        self._members = np.zeros(0, dtype=np.int64)          # member ids (see ``members``)
        self._stale = False
        self.actives = np.zeros(0, dtype=np.int64)           # members who took part today
        self.new_today = np.zeros(0, dtype=np.int64)         # who joined today (set-up: the seeds)

        self.groups = Groups()
        self.roster = Roster(self)  # the Mesa agents of members and groups, made when first looked at
        self.day = 0
        self.still_days = 0  # days in a row with nobody joining, leaving or taking part
        self.flows: dict[str, int] = {}
        self.today = Today(n, self.beh.event_response, self.beh.offer_response)
        self.event_log: list[tuple[int, str]] = []  # (day, event) of every scheduled content event
        self.recorder = Recorder(cfg.days, cfg.window)

        # --- components: the levers (one of each group), then the mechanisms listed
        self.terms = Terms()  # each term's components, in order (the phases call them)
        self.policy = cfg.groups.build(self)
        self.groups.limit = self.policy.limit
        self.components = [self.policy, cfg.incentive.build(self), cfg.cadence.build(self),
                           cfg.operations.build(self), cfg.staff.build(self), cfg.content.build(self)]
        self.mechanisms = {name: use.build(self) for name, use in cfg.mechanisms.items()}
        self.components += list(self.mechanisms.values())
        self.launched = self.components  # the components from the launch on (``cfg.launch``)
        if cfg.before:  # until the launch, the usual practice acts in place of the launched levers (built last:
            self.components = list(self.components)  # the launched ones draw what they draw without it)
            for group, use in cfg.before.items():
                k = LEVERS.index(group)
                self.components[k] = use.build(self)
                self.components[k].until, self.launched[k].since = cfg.launch - 1, cfg.launch
        self.terms.collect(self.components)
        every = [*self.components, *(c for c in self.launched if c not in self.components)]
        draws = dict.fromkeys(d for c in every for d in c.draws)
        self.member_draws = tuple(name for name, phase in (("participation", "participation"), ("leave", "leaving"),
                                                           *draws) if phase in cfg.phases)  # see ``step``
        organic = self.terms.organic
        self._organic_order, self._organic_bounds = self._organic_schedule(scheduled=not organic)
        self.organic_joiners = partial(organic[-1].organic, self) if organic else self._scheduled_joiners

        k = min(self.pop.initial_members + round(self.pop.initial_share * n), n)
        weight = None
        if self.pop.seeding == "interest_influence":
            weight = self.interest.astype(np.float64) * self.influence
            weight /= weight.sum()
        seeds = self.streams["seeding"].choice(n, size=k, replace=False, p=weight)
        self._join(np.sort(seeds))
        self.recorder.record(self)
        self.flows = {}

    # ------------------------------------------------------------------ helpers
    @property
    def members(self) -> np.ndarray:
        """Ids of the current members, in order of joining."""
        if self._stale:
            self._members = self._members[self.is_member[self._members]]
            self._stale = False
        return self._members

    @cached_property
    def exposed(self) -> np.ndarray:
        """Each person's exposure to crowding: the less influential, the more (made when first needed)."""
        return self.influence ** -self.beh.dominance

    def last_seen(self, persons: np.ndarray, last_active: np.ndarray | None = None) -> np.ndarray:
        """The day each of ``persons`` (members) last interacted (joining counts as one); ``last_active``:
        their ``last_active`` values if already gathered."""
        return np.maximum(self.last_active[persons] if last_active is None else last_active, self.joined[persons])

    def silent(self, persons: np.ndarray, last_active: np.ndarray | None = None) -> np.ndarray:
        """Which of ``persons`` (members) had no interaction for ``silent_after`` days."""
        return self.last_seen(persons, last_active) <= self.day - self.silent_after

    def silent_mask(self) -> np.ndarray:
        """Boolean column: silent members."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.members[self.silent(self.members)]] = True
        return mask

    def _organic_schedule(self, scheduled: bool) -> tuple[np.ndarray, np.ndarray]:
        """Who would join through public channels on which day if still an outsider then: the people
        in order of that day, and where each day's run of them starts.

        The daily chance p = organic_rate x interest / interest_mean is constant for an outsider, so
        the first such day is geometric(p): one draw per person at set-up replaces a daily draw
        for every outsider (same distribution, far less work, same day in every arm). ``scheduled``: whether
        the schedule is read at all (a component's ``organic`` term, imitation, draws the joiners itself)."""
        pop = self.pop
        if not scheduled or "organic" not in self.cfg.phases or not pop.organic_rate:  # no schedule is read
            return np.zeros(0, dtype=np.int64), np.zeros(self.cfg.days + 2, dtype=np.int64)
        p = np.minimum(1.0, pop.organic_rate * self.interest / pop.interest_mean)
        persons = np.flatnonzero(p > 0)
        days = np.minimum(self.streams["organic"].geometric(p[persons]), self.cfg.days + 1)
        order = np.argsort(days, kind="stable")
        return persons[order], np.searchsorted(days[order], np.arange(self.cfg.days + 2))

    def relevance(self, effect, persons: np.ndarray):
        """How much content ``effect`` concerns each of ``persons``: 1 for generic content (or without
        sub-topics), else ``topic_match`` for those who care about its sub-topic and ``topic_mismatch`` for the others."""
        if effect.topic < 0 or self.topics is None:
            return 1.0
        return np.where(cares(self.topics, persons, effect.topic), self.beh.topic_match,
                        self.beh.topic_mismatch).astype(np.float32)

    def message_volume(self) -> np.ndarray:
        """Messages in each group today: the operator's posts (plus today's extra) and those of its active members."""
        return message_volume(self.beh, self.groups.active, self.today.messages)

    # Mesa's registry and the agents of members (person -> Member) and groups: made when first looked at (``Roster``)
    @property
    def agents(self):
        self.roster.sync()
        return super().agents

    @property
    def agents_by_type(self):
        self.roster.sync()
        return super().agents_by_type

    @property
    def agent_types(self):
        self.roster.sync()
        return super().agent_types

    @property
    def member_agent(self) -> dict:
        self.roster.sync()
        return self.roster.member

    @property
    def group_agents(self) -> list:
        self.roster.sync()
        return self.roster.groups

    def remove_all_agents(self) -> None:
        self.roster.sync()
        super().remove_all_agents()

    def _join(self, persons: np.ndarray, preferred: np.ndarray | None = None) -> None:
        """Make outsiders members: place them in groups (``preferred``: each one's inviter's group, if any;
        splitting full ones) and give them Mesa agents (made when first looked at: ``Roster``)."""
        if not len(persons):
            return
        self.new_today = np.concatenate([self.new_today, persons])
        self.status[persons] = MEMBER
        self.is_member[persons] = True
        self._members = np.concatenate([self.members, persons])
        self.joined[persons] = self.day  # (fatigue is 0: it changes only while a member, and no one rejoins)
        gids, opened = self.groups.place(len(persons), preferred)
        self.group[persons] = gids
        self.roster.add(ChatGroup, opened)
        self.roster.add(Member, persons)
        self.policy.joined(self)

    def leave(self, persons: np.ndarray) -> None:
        """Members leave for good: out of their groups, their Mesa agents removed."""
        self.flows["left"] = self.flows.get("left", 0) + len(persons)
        if not len(persons):
            return
        self.status[persons] = LEFT
        self.is_member[persons] = False
        self._stale = True
        self.active[persons] = False
        self.actives = self.actives[self.active[self.actives]]
        self.groups.remove(self.group[persons])
        self.left[persons] = self.day
        self.left_group[persons] = self.group[persons]
        self.group[persons] = -1
        self.roster.remove_members(persons)

    # ------------------------------------------------------------------ phases
    def exposure(self) -> None:
        m, b = self.members, self.beh
        volume = self.message_volume()
        load = b.overload_fatigue * volume / (volume + b.read_capacity)  # per group: fatigue from reading it all
        load = load[self.group[m]]
        for c in self.terms.load:
            load = c.load(self, m, load)
        f = self.fatigue[m]
        f = self.today.plus("fatigue", f + load * (1.0 - f), m)
        self.fatigue[m] = np.minimum(f, 1.0)

    def participation(self) -> None:
        m, b, terms = self.members, self.beh, self.terms
        size = self.groups.size
        for c in terms.crowd:
            size = c.crowd(self, size)
        crowded = size / b.crowd_size  # per group
        crowding = 1.0 / (1.0 + crowded[self.group[m]] * self.exposed[m])
        alone = b.participation * self.interest[m] * (1.0 - self.fatigue[m])  # in an uncrowded group
        for c in terms.propensity:
            alone = c.propensity(self, m, alone)
        p = self.today.times("participation", alone * crowding, m)
        for c in terms.participation:
            p = c.participation(self, m, alone, p)
        self.active[self.actives] = False
        took_part = m[self.streams.uniform("participation", m, self.day) < p]
        for c in terms.took_part:
            c.took_part(self, took_part)
        self.active[took_part] = True
        self.actives = took_part
        self.last_active[took_part] = self.day
        self.days_active[took_part] += 1
        self.recent[m] = self.recent[m] * (1.0 - 1.0 / 28.0) + self.active[m]

    def drift(self) -> None:
        m, b = self.members, self.beh
        i, f = self.interest[m], self.fatigue[m]
        i = i + b.interest_gain * self.active[m] * (1.0 - i) - b.interest_loss * f * i
        if self.today.has("interest"):  # events and content: up by push x (1 - i), down by push x i
            push = self.today.interest[m]
            for c in self.terms.push:
                push = c.push(self, m, push)
            i = i + np.where(push > 0, push * (1.0 - i), push * i)
        i = i + b.interest_reversion * (self.interest_base[m] - i)
        self.interest[m] = np.minimum(np.maximum(i, 0.0), 1.0)
        self.fatigue[m] = f * (1.0 - b.fatigue_recovery)

    def leaving(self) -> None:
        m, b = self.members, self.beh
        f, i = self.fatigue[m], self.interest[m]
        p = b.leave_base + b.leave_fatigue * f * f + b.leave_disinterest * (1.0 - i) ** 2
        for c in self.terms.retention:
            p = c.retention(self, m, p)
        gone = self.streams.uniform("leave", m, self.day) < p
        for c in self.terms.leaving:
            c.leaving(self, m, gone)
        self.leave(m[gone])

    def referral(self) -> None:
        b, day, act = self.beh, self.day, self.actives
        # today's active members invite a friend each, with chance p
        p = np.minimum(1.0, self.today.times("invite", b.invite_rate * self.influence[act] * self.interest[act], act))
        inviters = act[self.streams.uniform("invite", act, day) < p]
        friends = self.graph.random_neighbor(inviters, self.streams.uniform("invitee", inviters, day))
        some = friends >= 0  # (-1: the inviter has no friends)
        inviters, friends = inviters[some], friends[some]
        for c in self.terms.invitations:
            inviters, friends = c.invitations(self, inviters, friends)
        ok = self.status[friends] == OUTSIDER  # only friends not in yet
        inviters, friends = inviters[ok], friends[ok]
        self.flows["invites_sent"], self.flows["new_by_referral"] = len(friends), 0
        if not len(friends):
            return
        invitees, n_inv = _distinct(friends)
        pull = np.minimum(1.0, self.interest[invitees] + self.today.lure)  # rewards pull the uninterested too
        p1 = b.accept * pull
        if b.social_proof:  # more friends already in, more trust (diminishing)
            k = self.graph.count_neighbors_in(invitees, self.is_member)
            p1 = np.minimum(1.0, p1 * (1.0 + b.social_proof * np.log(np.maximum(k, 1))))
        # p_any = 1 - (1 - p1) ** n_inv, refusing every invitation; the power only for several (x ** 1 is x)
        q = (1.0 - p1).astype(np.float64)
        many = n_inv > 1
        q[many] **= n_inv[many]
        p_any = 1.0 - q
        joiners = invitees[self.streams.uniform("accept", invitees, day) < p_any]
        if not len(joiners):
            return
        # credit the most influential of a joiner's inviters (the first in invitation order among equals)
        self.is_member[joiners] = True  # (set again by _join) marks the joiners' invitations
        mine = self.is_member[friends]
        inviters, friends = inviters[mine], friends[mine]
        order = np.lexsort((-self.influence[inviters], friends))
        credited = inviters[order[np.searchsorted(friends[order], joiners)]]
        self.referrer[joiners] = credited
        np.add.at(self.referrals, credited, np.int32(1))  # (a Python int would take numpy's slow casting path)
        self.flows["new_by_referral"] = len(joiners)
        self._join(joiners, preferred=self.group[credited])

    def _scheduled_joiners(self) -> np.ndarray:
        """Today's organic joiners at a constant chance: the days were drawn at set-up (``_organic_schedule``)."""
        lo, hi = self._organic_bounds[self.day], self._organic_bounds[self.day + 1]
        due = self._organic_order[lo:hi]  # in order of person id (a stable sort by day)
        return due[self.status[due] == OUTSIDER]

    def organic(self) -> None:
        joiners = self.organic_joiners()
        self.flows["new_organic"] = len(joiners)
        self._join(joiners)

    def purchase(self) -> None:
        m, b = self.members, self.beh
        p = b.purchase_rate * self.interest[m] * (1.0 - self.fatigue[m])
        p = p * np.where(self.active[m], 1.0, b.silent_purchase)
        for c in self.terms.purchase:
            p = c.purchase(self, m, p)
        q = self.today.times("purchase", p, m)
        for c in self.terms.promotion:
            q = c.promotion(self, m, p, q)
        buyers = m[self.streams.uniform("purchase", m, self.day) < q]
        self.purchases[buyers] += 1
        self.last_bought[buyers] = self.day
        self.flows["purchases"] = len(buyers)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day, in the order the module's docstring gives."""
        self.day += 1
        self.flows = {}
        self.joined_yesterday, self.new_today = self.new_today, self.new_today[:0]
        if self.day == self.cfg.launch and self.components is not self.launched:
            for component in self.launched:
                if component not in self.components:
                    component.launch(self)
            self.components = self.launched
            self.terms.collect(self.components)
        for component in self.components:
            component.start_day(self)
        if self.member_draws:  # the decisions every member makes before anyone joins or leaves: drawn in one pass
            self.streams.draw_ahead(self.member_draws, self.members, self.day)
        for phase in self.phases:
            phase()
        self.groups.active = np.bincount(self.group[self.actives], minlength=self.groups.count)
        for component in self.components:
            component.end_day(self)
        self.recorder.record(self)
        self.today.reset()
        still = not (len(self.new_today) or self.flows.get("left") or len(self.actives))
        self.still_days = self.still_days + 1 if still else 0
        if self.day >= self.cfg.days or 0 < self.cfg.stop_when_still <= self.still_days:
            self.running = False  # Mesa's flag (``run_model`` stops): the run is over
            for component in self.components:
                component.finish(self)

    def run(self, progress: bool = False) -> None:
        """Run until the model stops itself: after ``cfg.days`` days, or earlier with ``stop_when_still``;
        with a tqdm bar if ``progress``."""
        from tqdm import tqdm
        with tqdm(total=self.cfg.days, desc="days", unit="day", disable=not progress, leave=False) as bar:
            while self.running:
                self.step()
                bar.update()
