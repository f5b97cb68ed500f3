"""Configuration schema: Hydra structured configs with units, meanings and allowed ranges.

Every parameter is declared once, here, with ``param(default, "meaning [unit]", lo, hi)``.
Hydra's ConfigStore rejects unknown keys and wrong types when the config is composed;
``validate`` then checks the value ranges and names the offending key. ``docs/parameters.md``
is generated from the same declarations (``python -m sim.config``).
"""

from __future__ import annotations

import difflib
import functools
import warnings
from dataclasses import MISSING as DC_MISSING
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Dict, List, get_type_hints

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
# the daily phases, in the order they run (what each does: sim/engine/model.py)
PHASES = ("exposure", "participation", "drift", "leaving", "referral", "organic", "purchase")


class ConfigError(ValueError):
    """A config value outside its allowed range; the message names the key and the range."""


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None, choices: tuple = ()):
    """A config field with its one-line meaning (unit in brackets) and allowed range [lo, hi] or choices."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, "lo": lo, "hi": hi, "choices": choices})
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi, "choices": choices})


# ---------------------------------------------------------------- graph options
@dataclass
class GraphBase:
    kind: str = param(MISSING, "generator of the friendship graph")
    homophily: float = param(0.5, "how strongly friends' interests are alike (0 none, 1 strongest) [-]", 0, 1)


@dataclass
class BarabasiAlbert(GraphBase):
    kind: str = "barabasi_albert"
    m: int = param(5, "edges each newcomer attaches to existing people (mean degree 2m) [edges]", 1, 10_000)


@dataclass
class WattsStrogatz(GraphBase):
    kind: str = "watts_strogatz"
    k: int = param(10, "ring-lattice degree before rewiring; even [edges]", 2, 10_000)
    p: float = param(0.1, "probability that each lattice edge is rewired [-]", 0, 1)


@dataclass
class ErdosRenyi(GraphBase):
    kind: str = "erdos_renyi"
    mean_degree: float = param(10.0, "mean number of friends [people]", 0, 1e6)


@dataclass
class Complete(GraphBase):
    kind: str = "complete"


@dataclass
class EdgeList(GraphBase):
    kind: str = "edgelist"
    path: str = param(MISSING, "edge-list file (SNAP, CSV or TSV; one pair of integer ids per line, no third "
                      "column: friendships have no weights); fixes population.size to its number of people")


# ---------------------------------------------------------------- group policies
@dataclass
class GroupsBase:
    policy: str = param(MISSING, "how members are placed into chat groups")
    merge_below: float = param(0.0, "a group whose active share stays below this for merge_days is merged "
                               "with another declining group (0: never merge) [-]", 0, 1)
    merge_days: int = param(3, "consecutive days below merge_below before a group counts as declining [days]", 1, 10_000)


@dataclass
class Unlimited(GroupsBase):
    policy: str = "unlimited"


@dataclass
class Cap(GroupsBase):
    policy: str = "cap"
    cap: int = param(500, "members a group may hold; later joiners open a new group [members]", 1, 10**9)


@dataclass
class Split(Cap):
    policy: str = "split"
    rule: str = param("random", "how a group that reaches cap is divided", choices=("random", "interest", "community"))
    fill: float = param(0.5, "size of each new sub-group as a share of cap [-]", 0.01, 0.99)
    migration_loss: float = param(0.05, "chance a member moved to a new sub-group does not follow and leaves [-]", 0, 1)


# ---------------------------------------------------------------- incentive schemes
@dataclass
class IncentiveBase:
    scheme: str = param(MISSING, "referral incentive scheme")


@dataclass
class NoIncentive(IncentiveBase):
    scheme: str = "none"


@dataclass
class InviteReward(IncentiveBase):
    scheme: str = "invite_reward"
    threshold: int = param(3, "accepted invitations that earn the inviter the reward [people]", 1, 10**6)
    reward: float = param(299.0, "value of the inviter's reward, e.g. a course [yuan]", 0, 1e9)
    invitee_reward: float = param(0.0, "value given to each invited friend who joins [yuan]", 0, 1e9)
    repeat: bool = param(False, "reward again for every further `threshold` accepted invitations")


@dataclass
class Points(IncentiveBase):
    scheme: str = "points"
    checkin_points: float = param(1.0, "points for each day a member takes part [points]", 0, 1e9)
    invite_points: float = param(10.0, "points for each accepted invitation [points]", 0, 1e9)
    level_points: float = param(50.0, "points per level; each level unlocks a perk [points]", 1e-9, 1e12)
    max_level: int = param(5, "highest level [levels]", 0, 1000)
    point_value: float = param(0.1, "cost of a point to the operator when redeemed [yuan/point]", 0, 1e9)


@dataclass
class Status(IncentiveBase):
    scheme: str = "status"
    top_share: float = param(0.05, "share of members holding a title/badge: the top contributors of the last 28 days [-]", 0, 1)
    review_days: int = param(7, "days between reviews of who holds a badge [days]", 1, 10_000)
    badge_cost: float = param(0.0, "cost of a badge per holder per review [yuan]", 0, 1e9)


@dataclass
class Value(IncentiveBase):
    scheme: str = "value"
    quality: float = param(0.6, "quality of the content, 0 ordinary to 1 outstanding [-]", 0, 1)
    content_cost: float = param(300.0, "cost of producing the better content [yuan/day]", 0, 1e9)


# ---------------------------------------------------------------- content events, cadences, operations
@dataclass
class EventEffect:
    """What one content event or operator action does to each member it reaches, on that day."""
    participation: float = param(0.0, "added to the participation multiplier (0.5: +50%) [-]", -1, 100)
    interest: float = param(0.0, "interest change, times (1 - interest) if positive, times interest if negative [-]", -1, 1)
    fatigue: float = param(0.0, "fatigue added [-]", 0, 1)
    purchase: float = param(0.0, "added to the purchase multiplier [-]", -1, 1000)
    messages: float = param(0.0, "messages the event adds to each group it runs in [messages]", 0, 1e6)
    cost_group: float = param(0.0, "cost per group it runs in [yuan]", 0, 1e9)
    cost_member: float = param(0.0, "cost per member reached [yuan]", 0, 1e9)


def _events() -> dict:
    e = EventEffect
    return {
        "light": e(participation=0.3, interest=0.003, fatigue=0.01, messages=10),
        "sharing": e(participation=0.5, interest=0.02, fatigue=0.02, purchase=0.2, messages=40, cost_group=100),
        "promotion": e(participation=0.05, interest=-0.01, fatigue=0.06, purchase=1.5, messages=5),
        "knowhow": e(participation=0.2, interest=0.015, fatigue=0.01, purchase=0.1, messages=15, cost_group=50),
        "interactive": e(participation=0.4, interest=0.005, fatigue=0.015, messages=30),
        "basic": e(participation=0.15, interest=0.008, fatigue=0.005, messages=8),
        "surprise": e(participation=0.5, interest=0.01, fatigue=0.01, purchase=1.0, messages=15, cost_group=100),
        "advanced": e(participation=0.2, interest=0.02, fatigue=0.02, messages=20, cost_group=50),
        "checkin": e(participation=0.25, interest=0.002, fatigue=0.005, messages=10),
        "discussion": e(participation=0.6, interest=0.02, fatigue=0.02, messages=60, cost_group=50),
        "meetup": e(participation=0.8, interest=0.08, fatigue=0.0, messages=30, cost_group=500),
        "streak": e(interest=0.05),
        "wakeup": e(participation=1.5, interest=0.01, fatigue=0.02, cost_member=2),
        "benefit_push": e(participation=2.0, interest=0.02, fatigue=0.02, purchase=0.5, cost_member=5),
        "perk": e(participation=0.3, interest=0.03, cost_member=3),
        "offer": e(purchase=1.5, fatigue=0.02, cost_member=1),
        "accompany": e(participation=1.0, interest=0.02, fatigue=0.01, cost_member=3),
    }


@dataclass
class Cadence:
    plan: str = param(MISSING, "name of the weekly content plan")
    week: List[List[str]] = param([[] for _ in range(7)], "content events on each weekday, Monday first (day 1 is a Monday)")
    monthly: List[str] = param([], "events every 28 days (days 28, 56, ...)")
    streak_days: int = param(0, "consecutive active days that earn a streak reward (0: no streak rewards) [days]", 0, 10_000)
    streak_reward: float = param(0.0, "value of a streak reward [yuan]", 0, 1e9)


@dataclass
class Action:
    target: str = param(MISSING, "who the action reaches",
                        choices=("all", "silent", "core", "potential", "dormant", "declining", "wakeup_groups"))
    event: str = param(MISSING, "the event (key of `events`) applied to them")
    every: int = param(7, "days before the same member is reached again by this action [days]", 1, 10_000)
    start: int = param(1, "first day the action runs (earlier days: it reaches nobody) [day]", 1, 100_000)
    end: int = param(0, "last day the action runs (0: to the end of the run) [day]", 0, 100_000)


@dataclass
class Operations:
    mode: str = param(MISSING, "name of the operating routine")
    actions: List[Action] = field(default_factory=list)
    dashboard: bool = param(False, "watch the health-dashboard rules and count their alerts")
    wakeup_share: float = param(0.03, "a group whose DAU/members falls below this starts a wake-up plan [-]", 0, 1)
    wakeup_days: int = param(7, "length of a wake-up plan [days]", 1, 10_000)
    decline_share: float = param(0.10, "decline: DAU below this share of members ... [-]", 0, 1)
    decline_days: int = param(3, "... for this many consecutive days [days]", 1, 10_000)
    open_rate_floor: float = param(0.12, "decline signal: message open rate below the sector mean (beauty 0.15, education 0.12) [-]", 0, 1)
    min_questions: float = param(5.0, "decline signal: fewer member-initiated questions a day than this [questions/day]", 0, 1e9)
    top20_floor: float = param(0.60, "decline signal: top 20% of members make less than this share of interactions [-]", 0, 1)


# ---------------------------------------------------------------- people and behaviour
@dataclass
class Population:
    size: int = param(10_000, "people in the social graph: members and outsiders; with graph=edgelist set from "
                      "the file, its number of people (config.yaml records it) [people]", 1, 10**9)
    initial_members: int = param(30, "members on day 0 (seed users and KOCs) [people]", 0, 10**9)
    initial_share: float = param(0.0, "further members on day 0, as a share of size [-]", 0, 1)
    seeding: str = param("interest_influence", "how day-0 members are picked: weighted by interest x influence "
                         "(hand-picked), or uniformly at random", choices=("interest_influence", "random"))
    interest_mean: float = param(0.35, "mean interest in the community's topic; 1: everyone fully interested [0-1]",
                                 0.001, 1)
    interest_concentration: float = param(4.0, "Beta concentration of interest (higher: less spread) [-]", 0.01, 1e6)
    influence_tail: float = param(1.8, "Pareto tail index of influence (lower: more concentrated in a few KOCs) [-]", 1.01, 100)
    influence_max: float = param(30.0, "cap on influence, in multiples of the mean; 1: everyone equally influential [-]", 1, 1e6)
    organic_rate: float = param(3e-4, "daily chance an outsider of average interest joins via public channels/ads [1/day]", 0, 1)
    purchase_cycle: float = param(0.0, "sector context: the product's purchase cycle, the usual days between two "
                                  "purchases of it (a course: a year; coffee: a day); a member who bought d days ago "
                                  "buys again at x min(1, d / purchase_cycle) of the usual chance; 0: no cycle, "
                                  "bought again any day [days]", 0, 100_000)
    imitation: float = param(0.0, "word of mouth beyond friends: adds imitation x members/size to that daily chance "
                             "(the Bass model's q) [1/day]", 0, 1)


@dataclass
class Behavior:
    """How members act; one global set shared by every scenario."""
    msgs_per_active: float = param(4.0, "messages an active member posts on a day [messages/day]", 0, 1e4)
    msgs_base: float = param(5.0, "messages the operator posts in each group on a day [messages/day]", 0, 1e4)
    read_capacity: float = param(500.0, "daily message volume at which overload fatigue is half its maximum [messages/day]", 1e-9, 1e9)
    overload_fatigue: float = param(0.3, "daily fatigue gain from an unbounded message flood [fatigue/day]", 0, 1)
    fatigue_recovery: float = param(0.2, "share of fatigue that wears off each day [1/day]", 0, 1)
    participation: float = param(0.8, "daily chance to take part for interest 1, no fatigue, tiny group [1/day]", 0, 1)
    crowd_size: float = param(300.0, "group size at which crowding halves the participation of an average member [members]", 1e-9, 1e9)
    crowd_limit: float = param(0.0, "crowding grows with group size up to this many members and no further: in a chat "
                               "of a few thousand the talk already runs faster than anyone follows, so more members "
                               "add no more competition for a turn; 0: no limit [members]", 0, 1e9)
    dominance: float = param(0.5, "how much influence shields a member from crowding (loud members dominate) [-]", 0, 10)
    interest_reversion: float = param(0.03, "daily pull of interest back to the member's own baseline [1/day]", 0, 1)
    interest_gain: float = param(0.02, "interest gained on a day of taking part, times (1 - interest) [1/day]", 0, 1)
    interest_loss: float = param(0.03, "interest lost per day at full fatigue [1/day]", 0, 1)
    leave_base: float = param(0.0005, "daily chance to leave regardless of state [1/day]", 0, 1)
    leave_fatigue: float = param(0.02, "extra daily chance to leave or mute for good at full fatigue (times fatigue^2) [1/day]", 0, 1)
    leave_disinterest: float = param(0.006, "extra daily chance to leave at zero interest (times (1-interest)^2) [1/day]", 0, 1)
    share_on_join: float = param(0.0, "chance a new member, the day after joining, shares the invitation with "
                                 "all their friends at once (a poster in their feed) [-]", 0, 1)
    invite_rate: float = param(0.3, "daily chance an active member of influence 1 and interest 1 invites a friend [1/day]", 0, 1)
    accept: float = param(0.4, "chance an outsider of interest 1 with one member friend accepts an invitation [-]", 0, 1)
    social_proof: float = param(0.5, "acceptance gain per log-unit of member friends: accept x (1 + s ln k) [-]", 0, 100)
    question_share: float = param(0.1, "share of a member's interactions that are questions they start [-]", 0, 1)
    reward_invite: float = param(0.5, "inviting raised by a pending reward: x (1 + r ln(1 + reward/100 yuan)) [-]", 0, 100)
    reward_lure: float = param(0.1, "interest-independent pull of a reward on invitees, per ln(1 + reward per join/100 yuan) [-]", 0, 10)
    points_participation: float = param(0.15, "participation gain from earning points, plus the same per level reached [-]", 0, 100)
    points_invite: float = param(0.2, "inviting gain from points for invitations [-]", 0, 100)
    status_invite: float = param(1.0, "inviting gain of a member holding a title/badge [-]", 0, 100)
    status_participation: float = param(0.3, "participation gain of a member holding a title/badge [-]", 0, 100)
    content_interest: float = param(0.01, "daily interest gain from content of quality 1, times (1 - interest) [1/day]", 0, 1)
    content_share: float = param(1.0, "inviting gain from content of quality 1 (worth passing on) [-]", 0, 100)
    participation_cycle: float = param(0.0, "satiation: a member who took part d days ago takes part again at "
                                       "x min(1, d / participation_cycle) of the usual chance (having just taken "
                                       "part, less to add), so activity is spread over the week rather than "
                                       "memoryless; 0: no cycle [days]", 0, 365)
    mute_fatigue: float = param(0.0, "daily chance a member who did not take part mutes the group, at full fatigue "
                                "(times fatigue); a muted member stops reading it [1/day]", 0, 1)
    mute_disinterest: float = param(0.0, "daily chance a member who did not take part mutes the group, at zero "
                                    "interest (times (1 - interest)^2) [1/day]", 0, 1)
    mute_silent: float = param(0.0, "further daily chance of muting for a member silent for silent_after days "
                               "(no interaction for a week: no longer following the group) [1/day]", 0, 1)
    mute_ramp: float = param(0.0, "days over which the silence term of muting rises to mute_silent: x min(1, (days "
                             "silent - silent_after + 1) / mute_ramp), so a recent dip mutes less than a long "
                             "silence; 0 (or 1): the full chance from silent_after days on [days]", 0, 10_000)
    silence_norm: float = param(0.0, "in a big group silence is the norm: the silence term of muting is times "
                                "(1 + size / crowd_size)^-silence_norm (size not limited by crowd_limit), so a week "
                                "without a word estranges a member of a crowded group less; 0: alike in every group [-]",
                                0, 100)
    muted_participation: float = param(0.1, "participation of a muted member relative to an uncrowded reader (they "
                                       "see no messages and no crowd; taking part unmutes) [-]", 0, 1)
    mute_decay: float = param(0.0, "habituation: a muted member's return chance falls by exp(-mute_decay x days "
                              "since muting); 0: a constant chance however long muted [1/day]", 0, 1)
    post_spread: float = param(0.0, "spread (coefficient of variation) of each person's posting propensity, a trait "
                               "drawn once (Gamma, mean 1, independent of interest): the chance to take part, reading "
                               "or muted, is times it; low: a lurker who reads and takes part rarely, high: a frequent "
                               "poster; 0: everyone alike [-]", 0, 100)
    lurker_mute: float = param(1.0, "how far a low posting propensity p spares a silent member from muting for silence "
                               "(a lurker's silence is habit, not estrangement): the silence term times "
                               "min(1, p)^lurker_mute; 0: not at all; no effect with post_spread 0 [-]", 0, 100)
    unmute_push: float = param(0.5, "chance a targeted private push (an operator action for silent members or an "
                               "RFM layer) brings a muted member back to reading the group [-]", 0, 1)
    open_rate: float = param(1.0, "chance a member with no fatigue, in a group below read_capacity, reads the "
                             "group's messages on a day; group-wide posts act only on readers [-]", 0, 1)
    purchase_rate: float = param(0.01, "daily chance an active member of interest 1, no fatigue, buys [1/day]", 0, 1)
    silent_purchase: float = param(0.2, "purchase chance of a member not active today, relative to an active one [-]", 0, 1)


@dataclass
class Reduction:
    """Classic diffusion models as configs of this engine (``reduction=bass|cascade``, conf/reduction/)."""
    name: str = param("none", "which textbook model the config reduces to", choices=("none", "bass", "cascade"))
    p: float = param(0.03, "Bass innovation coefficient [1/day]", 0, 1)
    q: float = param(0.38, "Bass imitation coefficient [1/day]", 0, 1)
    seed_fraction: float = param(0.01, "independent cascade: share of people who are members on day 0 [-]", 0, 1)
    edge_p: float = param(0.05, "independent cascade: chance a new member recruits each outsider friend [-]", 0, 1)


@dataclass
class Config:
    seed: int = param(0, "seed of every random stream of the run", 0, 2**63 - 1)
    days: int = param(180, "days simulated [days]", 1, 100_000)
    silent_after: int = param(7, "days without interaction after which a member counts as silent [days]", 1, 10_000)
    window: int = param(28, "trailing window of the summary's averages [days]", 1, 100_000)
    phases: List[str] = param(list(PHASES), "the daily phases that run (always in this order); one left out is "
                              "skipped and its state stays as it is (the reductions switch off what a textbook "
                              "model lacks)", choices=PHASES)
    stop_when_still: int = param(0, "end the run early, once this many days in a row passed with nobody joining, "
                                 "leaving or taking part (Mesa's model.running turns False; the time series ends "
                                 "that day); 0: never, run all `days` [days]", 0, 100_000)
    progress: bool = param(True, "show a tqdm progress bar over days")
    population: Population = field(default_factory=Population)
    behavior: Behavior = field(default_factory=Behavior)
    events: Dict[str, EventEffect] = field(default_factory=_events)
    graph: Any = MISSING
    groups: Any = MISSING
    incentive: Any = MISSING
    cadence: Cadence = MISSING
    operations: Operations = MISSING
    reduction: Reduction = field(default_factory=Reduction)
    experiment: Any = None  # set by experiment=NAME (conf/experiment/): arms and seeds of a comparison
    case: Any = None        # set by case=NAME (conf/case/): a practitioner case to reproduce or calibrate


OPTIONS: dict[str, dict[str, type]] = {
    "graph": {"barabasi_albert": BarabasiAlbert, "watts_strogatz": WattsStrogatz,
              "erdos_renyi": ErdosRenyi, "complete": Complete, "edgelist": EdgeList},
    "groups": {"unlimited": Unlimited, "cap": Cap, "split": Split},
    "incentive": {"none": NoIncentive, "invite_reward": InviteReward, "points": Points, "status": Status, "value": Value},
}


def register() -> None:
    """Put the schemas in Hydra's ConfigStore: the root as ``base_config``, options as ``<group>/<name>_schema``."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    single = {"cadence": {"cadence": Cadence}, "operations": {"operations": Operations}}  # one schema, many YAMLs
    for group, options in (OPTIONS | single).items():
        for name, node in options.items():
            cs.store(group=group, name=f"{name}_schema", node=node)


@functools.cache
def _rules(schema: type) -> tuple:
    """Per field of a schema: (name, choices, lo, hi, help, default), read once per class."""
    return tuple((f.name, f.metadata.get("choices"), f.metadata.get("lo"), f.metadata.get("hi"),
                  f.metadata.get("help"), f.default) for f in fields(schema))


def _check(node, prefix: str) -> None:
    """Check ranges and choices of every field of a plain config (dataclasses, lists, dicts), recursively."""
    if isinstance(node, (list, dict)):  # e.g. cadence.week, events: check what it holds
        for k, v in (node.items() if isinstance(node, dict) else enumerate(node)):
            if not isinstance(v, (str, int, float, bool, type(None))):
                _check(v, f"{prefix}{k}.")
        return
    for name, choices, lo, hi, help_, default in _rules(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is list and choices:  # a list of options (phases)
            wrong = [v for v in value if v not in choices]
            if wrong:
                key = f"{prefix}{name}"
                raise ConfigError(f"{key}: {', '.join(map(str, wrong))} is not an option: choose from {', '.join(choices)}")
        elif kind in (int, float):
            if lo is not None and not (lo <= value <= hi):  # NaN fails too
                key = f"{prefix}{name}"
                raise ConfigError(f"{key}={value} is out of range: allowed {lo:g} to {hi:g} ({help_}). Fix it, e.g. {key}={default}")
        elif kind is str or kind is bool or value is None:
            if choices and value not in choices:
                raise ConfigError(f"{prefix}{name}={value} is not an option: choose one of {', '.join(choices)}")
        else:  # a sub-config, list or dict
            _check(value, f"{prefix}{name}.")


def plain(cfg):
    """The config as plain dataclasses (``OmegaConf.to_object``): attribute reads cost nanoseconds, not microseconds."""
    return cfg if is_dataclass(cfg) else OmegaConf.to_object(cfg)


def _check_keys(node, prefix: str = "") -> None:
    """Refuse a key that the schema of its node lacks: Hydra's ``+key=value`` adds any key, so a typo
    (``+behavior.acept=0.9``) would run with the default and be written into config.yaml."""
    schema = OmegaConf.get_type(node)
    known = [f.name for f in fields(schema)] if is_dataclass(schema) else None
    for key in (node.keys() if isinstance(node, DictConfig) else range(len(node))):
        if known is not None and key not in known:
            value = node[key]
            close = difflib.get_close_matches(str(key), known, n=1)
            if close:
                shown = value if isinstance(value, (str, int, float, bool)) else "VALUE"
                hint = f"did you mean '{prefix}{close[0]}'? Write {prefix}{close[0]}={shown}"
            else:
                where = prefix.rstrip(".") or "the config"
                hint = f"no key of {where} is called that or anything close. Write KEY=VALUE"
            raise ConfigError(f"unknown key '{prefix}{key}' (added with '+'): {hint}, without '+': every key of the "
                              "config exists already, and '+' only adds keys it does not have "
                              "(every key, its meaning and range: docs/parameters.md)")
        if not OmegaConf.is_missing(node, key) and isinstance(node[key], (DictConfig, ListConfig)):
            _check_keys(node[key], f"{prefix}{key}.")


def settle(cfg):
    """Set what the inputs fix: with ``graph=edgelist`` the file fixes ``population.size`` (its number of
    people), so the recorded config.yaml and every check see the real size. Changes ``cfg`` (composed or
    plain) in place and returns it."""
    if cfg.graph.kind == "edgelist":
        from sim.engine.graph import load_edgelist
        n = load_edgelist(cfg.graph.path)[0].n
        if cfg.population.size not in (n, Population.size):  # a size the user gave, not the default
            warnings.warn(f"population.size={cfg.population.size} is replaced by the {n:,} people in graph.path "
                          f"'{cfg.graph.path}' (with graph=edgelist the file sets the size): leave population.size out")
        cfg.population.size = n
    return cfg


def validate(cfg):
    """Check every key, every value's range and every cross-reference; raise ConfigError naming the key
    and the fix.

    Takes a composed DictConfig (checked for keys added with '+' and settled in place: ``settle``) or
    its plain form; returns the plain form (``plain``), checked."""
    if isinstance(cfg, DictConfig):
        _check_keys(cfg)
    cfg = plain(settle(cfg))
    _check(cfg, "")
    if cfg.graph.kind == "watts_strogatz" and cfg.graph.k % 2:
        raise ConfigError(f"graph.k={cfg.graph.k} must be even (each person links k/2 neighbours on each side)")
    if cfg.groups.policy == "split" and cfg.groups.cap < 2:
        raise ConfigError(f"groups.cap={cfg.groups.cap} with groups=split: a group that reaches cap is divided into "
                          "sub-groups below cap, and a group of one cannot be divided: set groups.cap=2 or more, "
                          "or use groups=cap")
    if cfg.population.initial_members > cfg.population.size:
        source = f" (the people in graph.path '{cfg.graph.path}')" if cfg.graph.kind == "edgelist" else ""
        raise ConfigError(f"population.initial_members={cfg.population.initial_members} exceeds "
                          f"population.size={cfg.population.size}{source}: lower population.initial_members "
                          f"to at most {cfg.population.size}")
    if len(cfg.cadence.week) != 7:
        raise ConfigError(f"cadence.week has {len(cfg.cadence.week)} entries: give one list of events per weekday (7)")
    used = {f"cadence.week.{d}": name for d, day in enumerate(cfg.cadence.week) for name in day}
    used |= {f"cadence.monthly.{j}": name for j, name in enumerate(cfg.cadence.monthly)}
    used |= {f"operations.actions.{j}.event": a.event for j, a in enumerate(cfg.operations.actions)}
    for key, name in used.items():
        if name not in cfg.events:
            raise ConfigError(f"{key}: unknown event '{name}'; choose one of the known events: "
                              f"{', '.join(cfg.events)} (their effects are set under events.NAME)")
    return cfg


def parameter_table() -> str:
    """Markdown tables of every parameter (key, default, allowed range, meaning) and of the event effects."""
    rows = ["| key | default | range | meaning [unit] |", "|---|---|---|---|"]

    def walk(schema: type, prefix: str) -> None:
        hints = get_type_hints(schema)
        for f in fields(schema):
            if is_dataclass(hints[f.name]):
                walk(hints[f.name], f"{prefix}{f.name}.")
            elif "help" in f.metadata:
                m = f.metadata
                allowed = ", ".join(m["choices"]) if m["choices"] else "" if m["lo"] is None else f"{m['lo']:g} to {m['hi']:g}"
                default = f.default_factory() if f.default_factory is not DC_MISSING else f.default
                default = "" if default in (MISSING, DC_MISSING) else default
                rows.append(f"| `{prefix}{f.name}` | {default} | {allowed} | {m['help']} |")

    walk(Config, "")
    for group, options in OPTIONS.items():
        for name, schema in options.items():
            rows.append(f"| **{group}={name}** | | | |")
            walk(schema, f"{group}.")
    rows.append("| **operations.actions[j]** | | | |")
    walk(Action, "operations.actions[j].")
    rows.append("| **events.NAME** | | | |")
    walk(EventEffect, "events.NAME.")
    names = [f.name for f in fields(EventEffect)]
    rows += ["", "Default events (`events.NAME.KEY`):", "", "| event | " + " | ".join(names) + " |",
             "|---" * (len(names) + 1) + "|"]
    rows += [f"| {k} | " + " | ".join(f"{getattr(e, n):g}" for n in names) + " |" for k, e in _events().items()]
    return "\n".join(rows)


def parameter_doc() -> str:
    """The text of docs/parameters.md."""
    return ("# Parameters\n\nGenerated from `sim/config.py` by `python -m sim.config > docs/parameters.md` "
            "(a test checks it is current). Override any key on the command line (`growthsim behavior.accept=0.3`) "
            "or in Python (`load_config([\"behavior.accept=0.3\"])`).\n\n" + parameter_table() + "\n")


if __name__ == "__main__":
    print(parameter_doc(), end="")
