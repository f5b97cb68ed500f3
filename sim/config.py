"""Configuration schema: Hydra structured configs with units, meanings and allowed ranges.

Every parameter is declared once, with ``param(default, "meaning [unit]", lo, hi)``: the engine's
here, each component's beside it (``Params`` in ``sim/components/``). Hydra's ConfigStore rejects
unknown keys and wrong types of the engine's parameters when the config is composed; ``validate``
then has pydantic check every value's type, range and choices (components' parameters included)
and names the offending key. ``docs/parameters.md`` is generated from the same declarations
(``python -m sim.config``).
"""

from __future__ import annotations

import difflib
import functools
import pickle
import warnings
from dataclasses import MISSING as DC_MISSING
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Dict, List, get_type_hints

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from pydantic import ConfigDict, TypeAdapter, ValidationError

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
# the daily phases, in the order they run (what each does: sim/engine/model.py)
PHASES = ("exposure", "participation", "drift", "leaving", "referral", "organic", "purchase")


class ConfigError(ValueError):
    """A config value outside its allowed range; the message names the key and the range."""


REQUIRED = DC_MISSING  # ``param(REQUIRED, ...)``: a field without default


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None, choices: tuple = ()):
    """A config field with its one-line meaning (unit in brackets) and allowed range [lo, hi] or choices.

    The metadata are pydantic's field constraints (``validate`` checks them); a list's choices
    (``phases``) are checked by ``validate`` itself."""
    meta = {"description": help} | ({"ge": lo, "le": hi} if lo is not None else {})
    if choices:
        meta["json_schema_extra"] = {"choices": list(choices)}
        if not isinstance(default, list):
            meta["pattern"] = "^(" + "|".join(choices) + ")$"
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(metadata=meta) if default is REQUIRED else field(default=default, metadata=meta)


def params(cls: type) -> type:
    """A component's ``Params``: a dataclass whose unknown keys are refused (``extra="forbid"``)."""
    cls.__pydantic_config__ = ConfigDict(extra="forbid")
    return dataclass(cls)


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
    topic: int = param(-1, "the sub-topic the content is about (0..population.topics-1): it acts behavior.topic_match "
                       "times as much on members who care about it, topic_mismatch times on the others; -1: generic "
                       "content, the same for everyone", -1, 31)


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
    topics: int = param(0, "sub-topics of the community's theme (skin types, a child's age stage, career stages): each "
                        "person cares about one, friends alike by graph.homophily; 0: none [-]", 0, 32)
    second_topic: float = param(0.3, "chance a person also cares about a second sub-topic [-]", 0, 1)


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
    dominance: float = param(0.5, "how much influence shields a member from crowding (loud members dominate) [-]", 0, 10)
    interest_reversion: float = param(0.03, "daily pull of interest back to the member's own baseline [1/day]", 0, 1)
    interest_gain: float = param(0.02, "interest gained on a day of taking part, times (1 - interest) [1/day]", 0, 1)
    interest_loss: float = param(0.03, "interest lost per day at full fatigue [1/day]", 0, 1)
    leave_base: float = param(0.0005, "daily chance to leave regardless of state [1/day]", 0, 1)
    ugc_rate: float = param(0.05, "pieces of content of their own (a review, an experience) a member who takes part "
                            "writes a day, on average; counted, acting only through content levers [1/day]", 0, 100)
    topic_match: float = param(1.5, "effect of content about a sub-topic on a member who cares about it, relative "
                               "to generic content (participation, purchase and interest effects) [x]", 0, 100)
    topic_mismatch: float = param(0.5, "effect of content about a sub-topic on a member who does not care about it, "
                                  "relative to generic content [x]", 0, 100)
    leave_fatigue: float = param(0.02, "extra daily chance to leave or mute for good at full fatigue (times fatigue^2) [1/day]", 0, 1)
    leave_disinterest: float = param(0.006, "extra daily chance to leave at zero interest (times (1-interest)^2) [1/day]", 0, 1)
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
    open_rate: float = param(1.0, "chance a member with no fatigue, in a group below read_capacity, reads the "
                             "group's messages on a day; group-wide posts act only on readers [-]", 0, 1)
    purchase_rate: float = param(0.01, "daily chance an active member of interest 1, no fatigue, buys [1/day]", 0, 1)
    silent_purchase: float = param(0.2, "purchase chance of a member not active today, relative to an active one [-]", 0, 1)
    event_response: float = param(1.0, "how strongly members answer operator events and pushes: every event's "
                                  "participation effect (events.NAME.participation) is times this [x]", 0, 100)
    offer_response: float = param(1.0, "how strongly members answer offers: every event's purchase effect "
                                  "(events.NAME.purchase) is times this [x]", 0, 1000)


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
    launch: int = param(0, "first day this run's levers act when `before` names the practice they replace (a "
                        "campaign launched on a running community, e.g. after a fitted history); 0: no launch, "
                        "the levers act from day 1 [day]", 0, 100_000)
    before: Dict[str, Any] = field(default_factory=dict)  # lever group -> its option until `launch` (the usual practice)
    population: Population = field(default_factory=Population)
    behavior: Behavior = field(default_factory=Behavior)
    events: Dict[str, EventEffect] = field(default_factory=_events)
    graph: Any = MISSING
    groups: Any = MISSING       # the components in use (sim/components/): one option of each lever group ...
    incentive: Any = MISSING
    cadence: Any = MISSING
    operations: Any = MISSING
    staff: Any = MISSING
    content: Any = MISSING
    mechanisms: Dict[str, Any] = field(default_factory=dict)  # ... and every mechanism listed (none: off)
    reduction: Reduction = field(default_factory=Reduction)
    experiment: Any = None  # set by experiment=NAME (conf/experiment/): arms and seeds of a comparison
    case: Any = None        # set by case=NAME (conf/case/): a practitioner case to reproduce or calibrate


GRAPHS: dict[str, type] = {"barabasi_albert": BarabasiAlbert, "watts_strogatz": WattsStrogatz,
                           "erdos_renyi": ErdosRenyi, "complete": Complete, "edgelist": EdgeList}
LEVERS = ("groups", "incentive", "cadence", "operations", "staff", "content")  # config groups of one component each
COMPONENT_GROUPS = (*LEVERS, "mechanisms")
for _schema in (Config, Population, Behavior, EventEffect, Reduction, GraphBase, *GRAPHS.values()):
    _schema.__pydantic_config__ = ConfigDict(extra="forbid")


def built_in() -> dict[str, dict[str, type]]:
    """The package's own components by config group and name (importing their modules registers them)."""
    import sim.components  # noqa: F401  (imports every built-in component module)
    from sim.components.base import BUILT_IN
    return BUILT_IN


def defaults(schema: type) -> dict:
    """The default values of a dataclass's fields as a plain dict (``???`` for a required field)."""
    out = {}
    for f in fields(schema):
        value = f.default_factory() if f.default_factory is not DC_MISSING else f.default
        out[f.name] = MISSING if value is DC_MISSING else value
    return out


def register() -> None:
    """Put the schemas in Hydra's ConfigStore: the root as ``base_config``, each graph option as
    ``graph/<kind>_schema`` and each built-in component as ``<group>/<name>_schema`` (its ``_target_`` and
    its parameters' defaults; a mechanism's in package ``mechanisms.<name>``). Once a process."""
    from sim.components.base import target
    cs = ConfigStore.instance()
    if "base_config.yaml" in cs.repo:
        return
    cs.store(name="base_config", node=Config)
    for name, node in GRAPHS.items():
        cs.store(group="graph", name=f"{name}_schema", node=node)
    for group, options in built_in().items():
        for name, cls in options.items():
            package = f"mechanisms.{name}" if group == "mechanisms" else None
            cs.store(group=group, name=f"{name}_schema", package=package,
                     node={"_target_": target(cls), **defaults(cls.Params)})


@dataclass
class Use:
    """A component in use: its class and its checked parameters (``build`` makes it for a model)."""
    cls: type
    params: Any

    def build(self, model):
        return self.cls(self.params, model)

    def __getattr__(self, name: str):  # spec.groups.cap reads the parameter
        if name in ("cls", "params"):
            raise AttributeError(name)
        return getattr(self.params, name)


@functools.cache
def _adapter(schema: type) -> TypeAdapter:
    return TypeAdapter(schema)


def _field(schema: type, loc: tuple):
    """The dataclass field that ``loc`` (a pydantic error's location) ends at, or None."""
    found = None
    for part in loc:
        if is_dataclass(schema) and isinstance(part, str):
            found = next((f for f in fields(schema) if f.name == part), None)
            if found is None:
                return None
            schema = get_type_hints(schema).get(part)
        else:  # a list index or dict key: into the element type
            args = getattr(schema, "__args__", ())
            schema = args[-1] if args else None
    return found


def _message(err: dict, schema: type, prefix: str) -> str:
    """One pydantic error as the config's message: the key, the value, the allowed range or choices, a fix."""
    loc = err["loc"]
    key = prefix + ".".join(str(p) for p in loc)
    value, kind = err.get("input"), err["type"]
    f = _field(schema, loc)
    meta = f.metadata if f is not None else {}
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        owner = _walk(schema, loc[:-1])
        known = [g.name for g in fields(owner)] if is_dataclass(owner) else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        where = key.rpartition(".")[0]
        hint = f"did you mean '{where + '.' if where else ''}{close[0]}'?" if close else \
            f"its keys are {', '.join(known)}"
        return f"unknown key '{key}': {hint} (every key, its meaning and range: docs/parameters.md)"
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than", "finite_number"):
        default = f.default if f is not None and f.default is not DC_MISSING else "VALUE"
        return (f"{key}={value} is out of range: allowed {meta.get('ge'):g} to {meta.get('le'):g} "
                f"({meta.get('description')}). Fix it, e.g. {key}={default}")
    if kind in ("string_pattern_mismatch", "literal_error"):
        choices = (meta.get("json_schema_extra") or {}).get("choices") or \
            [str(c) for c in getattr(get_type_hints(_walk(schema, loc[:-1])).get(loc[-1]), "__args__", ())]
        return f"{key}={value} is not an option: choose one of {', '.join(choices)}"
    if kind == "missing" or kind == "missing_argument":
        return f"{key} is missing: set it ({meta.get('description', 'see docs/parameters.md')})"
    return f"{key}={value}: {err['msg']}"


def _walk(schema: type, loc: tuple):
    """The type that ``loc`` leads to from ``schema``."""
    for part in loc:
        if is_dataclass(schema) and isinstance(part, str):
            schema = get_type_hints(schema).get(part)
        else:
            args = getattr(schema, "__args__", ())
            schema = args[-1] if args else None
    return schema


def check(schema: type, data, prefix: str = ""):
    """``data`` (plain dicts and lists) as an instance of ``schema``, checked by pydantic: types, ranges,
    choices, unknown keys; a ConfigError names the first offending key."""
    try:
        return _adapter(schema).validate_python(data)
    except ValidationError as err:
        raise ConfigError(_message(err.errors()[0], schema, prefix)) from None


def use(node, where: str, name: str = "") -> Use:
    """A component node (``_target_`` and parameters) as a checked ``Use``; a mechanism named like a
    built-in one may leave ``_target_`` out."""
    from sim.components.base import resolve, target
    node = dict(node)
    path = node.pop("_target_", None)
    if path is None and name:
        known = built_in()["mechanisms"]
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            raise ConfigError(f"{where}: no built-in mechanism is called '{name}'"
                              + (f"; did you mean '{close[0]}'?" if close else "")
                              + f" The built-in mechanisms: {', '.join(known)}; one of your own names its class "
                              "with _target_ (docs/model.md, 'Your own component')")
        path = target(known[name])
    cls = resolve(path, where)
    return Use(cls, check(cls.Params, node, f"{where}."))


def plain(cfg):
    """The config as plain, checked dataclasses: attribute reads cost nanoseconds, not microseconds (a
    composed DictConfig's cost microseconds). Components become ``Use``s."""
    if isinstance(cfg, Config):
        return cfg
    data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True) if isinstance(cfg, DictConfig) else cfg
    spec = check(Config, data)
    spec.graph = check(GRAPHS.get(spec.graph.get("kind"), GraphBase), spec.graph, "graph.")
    for group in LEVERS:
        setattr(spec, group, use(getattr(spec, group), group))
    for group in spec.before:
        if group not in LEVERS[1:]:
            raise ConfigError(f"before.{group}: only the levers {', '.join(LEVERS[1:])} can launch on a day (the "
                              "group policy shapes the groups from day 1): name one of them")
    spec.before = {group: use(node, f"before.{group}") for group, node in spec.before.items()}
    if spec.before and not spec.launch:
        raise ConfigError(f"before names the practice until the launch ({', '.join(spec.before)}) but launch=0: "
                          "set launch to the first day of the campaign, e.g. launch=121 after a 120-day history")
    spec.mechanisms = {name: use(node or {}, f"mechanisms.{name}", name) for name, node in spec.mechanisms.items()}
    return spec


def _check_keys(data, schema: type | None, prefix: str = "") -> None:
    """Refuse a key that the schema of its node lacks: Hydra's ``+key=value`` adds any key, so a typo
    (``+behavior.acept=0.9``) would run with the default and be written into config.yaml. ``data``: the
    config as plain containers; ``schema``: its dataclass (the graph's by its kind), ``Dict[str, T]``,
    ``List[T]`` or None (a component's node: its ``Params`` refuse unknown keys)."""
    if isinstance(data, dict) and is_dataclass(schema):
        hints = _hints(schema)
        for key, value in data.items():
            if key not in hints:
                close = difflib.get_close_matches(str(key), list(hints), n=1)
                if close:
                    shown = value if isinstance(value, (str, int, float, bool)) else "VALUE"
                    hint = f"did you mean '{prefix}{close[0]}'? Write {prefix}{close[0]}={shown}"
                else:
                    where = prefix.rstrip(".") or "the config"
                    hint = f"no key of {where} is called that or anything close. Write KEY=VALUE"
                raise ConfigError(f"unknown key '{prefix}{key}' (added with '+'): {hint}, without '+': every key of "
                                  "the config exists already, and '+' only adds keys it does not have "
                                  "(every key, its meaning and range: docs/parameters.md)")
            inner = GRAPHS.get(value.get("kind"), GraphBase) if schema is Config and key == "graph" \
                and isinstance(value, dict) else hints[key]
            _check_keys(value, inner, f"{prefix}{key}.")
    elif isinstance(data, (dict, list)):
        args = getattr(schema, "__args__", ())
        for key, value in (data.items() if isinstance(data, dict) else enumerate(data)):
            _check_keys(value, args[-1] if args else None, f"{prefix}{key}.")


@functools.cache
def _hints(schema: type) -> dict[str, type]:
    """A dataclass's fields and their types, in order."""
    hints = get_type_hints(schema)
    return {f.name: hints[f.name] for f in fields(schema)}


def clone(cfg: DictConfig) -> DictConfig:
    """A deep copy of a composed config, through pickle: several times cheaper than ``DictConfig.copy`` (which
    copies deeply too), and an experiment copies one per run (docs/benchmark.md)."""
    return pickle.loads(pickle.dumps(cfg, protocol=pickle.HIGHEST_PROTOCOL))


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
    """Check every key, every value's type, range and choices (pydantic, ``plain``) and every
    cross-reference; raise ConfigError naming the key and the fix.

    Takes a composed DictConfig (checked for keys added with '+' and settled in place: ``settle``) or
    its plain form; returns the plain form, checked."""
    if isinstance(cfg, DictConfig):
        data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        _check_keys(data, Config)
        data["population"]["size"] = settle(cfg).population.size
        cfg = plain(data)
    else:
        cfg = plain(settle(cfg))
    wrong = [p for p in cfg.phases if p not in PHASES]
    if wrong:
        raise ConfigError(f"phases: {', '.join(wrong)} is not an option: choose from {', '.join(PHASES)}")
    if cfg.graph.kind == "watts_strogatz" and cfg.graph.k % 2:
        raise ConfigError(f"graph.k={cfg.graph.k} must be even (each person links k/2 neighbours on each side)")
    if cfg.groups.cls.__name__ == "Split" and cfg.groups.cap < 2:
        raise ConfigError(f"groups.cap={cfg.groups.cap} with groups=split: a group that reaches cap is divided into "
                          "sub-groups below cap, and a group of one cannot be divided: set groups.cap=2 or more, "
                          "or use groups=cap")
    if getattr(cfg.groups.params, "rule", None) == "topic" and not cfg.population.topics:
        raise ConfigError("groups.rule=topic splits groups by sub-topic, but population.topics=0 gives none: set "
                          "population.topics to the number of sub-topics (e.g. population.topics=4), or choose "
                          "another groups.rule")
    if cfg.population.initial_members > cfg.population.size:
        source = f" (the people in graph.path '{cfg.graph.path}')" if cfg.graph.kind == "edgelist" else ""
        raise ConfigError(f"population.initial_members={cfg.population.initial_members} exceeds "
                          f"population.size={cfg.population.size}{source}: lower population.initial_members "
                          f"to at most {cfg.population.size}")
    for name, effect in cfg.events.items():
        if effect.topic >= cfg.population.topics:
            raise ConfigError(f"events.{name}.topic={effect.topic} names no sub-topic: population.topics="
                              f"{cfg.population.topics} gives sub-topics 0..{cfg.population.topics - 1}; set "
                              f"population.topics to more than {effect.topic}, or events.{name}.topic=-1 (generic)")
    events = _events_used(cfg)
    for key, name in events.items():
        if name not in cfg.events:
            raise ConfigError(f"{key}: unknown event '{name}'; choose one of the known events: "
                              f"{', '.join(cfg.events)} (their effects are set under events.NAME)")
    return cfg


def _events_used(cfg) -> dict[str, str]:
    """Config key -> event name, for every event the cadence and the operator routine name."""
    used = {}
    if hasattr(cfg.cadence.params, "week"):
        if len(cfg.cadence.week) != 7:
            raise ConfigError(f"cadence.week has {len(cfg.cadence.week)} entries: give one list of events per "
                              "weekday (7)")
        used |= {f"cadence.week.{d}": name for d, day in enumerate(cfg.cadence.week) for name in day}
        used |= {f"cadence.monthly.{j}": name for j, name in enumerate(cfg.cadence.monthly)}
    if hasattr(cfg.operations.params, "actions"):
        used |= {f"operations.actions.{j}.event": a.event for j, a in enumerate(cfg.operations.actions)}
    return used


def parameter_table() -> str:
    """Markdown tables of every parameter (key, default, allowed range, meaning) and of the event effects."""
    rows = ["| key | default | range | meaning [unit] |", "|---|---|---|---|"]

    def walk(schema: type, prefix: str) -> None:
        hints = get_type_hints(schema)
        for f in fields(schema):
            if is_dataclass(hints[f.name]):
                walk(hints[f.name], f"{prefix}{f.name}.")
            elif "description" in f.metadata:
                m = f.metadata
                choices = (m.get("json_schema_extra") or {}).get("choices") or \
                    [str(c) for c in getattr(hints[f.name], "__args__", ()) if isinstance(c, str)]
                allowed = ", ".join(choices) if choices else "" if "ge" not in m else f"{m['ge']:g} to {m['le']:g}"
                default = f.default_factory() if f.default_factory is not DC_MISSING else f.default
                default = "" if default in (MISSING, DC_MISSING) else default
                rows.append(f"| `{prefix}{f.name}` | {default} | {allowed} | {m['description']} |")

    walk(Config, "")
    for name, schema in GRAPHS.items():
        rows.append(f"| **graph={name}** | | | |")
        walk(schema, "graph.")
    for group, options in built_in().items():
        for name, cls in options.items():
            option = f"{group}={name}" if group != "mechanisms" else f"mechanisms.{name}"
            rows.append(f"| **{option}** (`{cls.__module__}.{cls.__name__}`) | | | |")
            walk(cls.Params, f"{group}." if group != "mechanisms" else f"mechanisms.{name}.")
    from sim.components.operations import Action
    rows.append("| **operations.actions[j]** | | | |")
    walk(Action, "operations.actions[j].")
    rows.append("| **events.NAME** | | | |")
    walk(EventEffect, "events.NAME.")
    names = [f.name for f in fields(EventEffect)]
    rows += ["", "Default events (`events.NAME.KEY`):", "", "| event | " + " | ".join(names) + " |",
             "|---" * (len(names) + 1) + "|"]
    rows += [f"| {k} | " + " | ".join(f"{getattr(e, n):g}" for n in names) + " |" for k, e in _events().items()]
    return "\n".join(rows)


SENSITIVITY = Path(__file__).resolve().parents[1] / "results" / "ensemble" / "sensitivity.csv"


def sensitivity_table() -> str:
    """The case ensemble's free and screened parameters with their sensitivity indices (issue 19), from the
    committed results/ensemble/sensitivity.csv (``growthsim experiment=ensemble``); empty when it is absent."""
    import csv

    if not SENSITIVITY.is_file():
        return ""
    with SENSITIVITY.open() as f:
        rows = list(csv.DictReader(f))

    def num(v: str | None) -> str:
        return f"{float(v):.2f}" if v not in (None, "") else ""

    lines = ["", "## Free parameters of the case ensemble and their sensitivity", "",
             "Which behavioural parameters the case ensemble leaves free (at most 15; priors and their sources: "
             "docs/cases.md, \"The ensemble\") and which it screened and held fixed, with global sensitivity "
             "indices of the distance to the public cases (results/ensemble/sensitivity.csv, SALib): Morris mu* "
             "(normalised to the largest) and Sobol' total index ST with its 95% confidence half-width. Every "
             "parameter not listed is fixed at its default above or in conf/fitted/ensemble.yaml.", "",
             "| parameter | in the ensemble | Morris mu* | Sobol' ST |", "|---|---|---|---|"]
    for r in rows:
        st = f"{num(r.get('sobol_ST'))} ± {num(r.get('sobol_ST_conf'))}" if r.get("sobol_ST") else ""
        lines.append(f"| {r['parameter']} | {'free' if r['free'] == 'True' else 'fixed'} | "
                     f"{num(r.get('morris_mu_star'))} | {st} |")
    return "\n".join(lines) + "\n"


def parameter_doc() -> str:
    """The text of docs/parameters.md."""
    return ("# Parameters\n\nGenerated from `sim/config.py` by `python -m sim.config > docs/parameters.md` "
            "(a test checks it is current). Override any key on the command line (`growthsim behavior.accept=0.3`) "
            "or in Python (`load_config([\"behavior.accept=0.3\"])`).\n\n" + parameter_table() + "\n"
            + sensitivity_table())



def ensemble_sets(path: Path, n: int) -> list[list[str]]:
    """Overrides of ``n`` sets spread evenly over an ensemble (``conf/fitted/ensemble.parquet``: one column
    per free parameter, named by its config key); a relative path not found here is taken from the checkout."""
    if not path.is_absolute() and not path.is_file():
        path = CONF_DIR.parent / path
    if not path.is_file():
        raise ConfigError(f"experiment.ensemble: no file '{path}': give an ensemble's parquet, e.g. "
                          "conf/fitted/ensemble.parquet (growthsim experiment=ensemble writes one)")
    import numpy as np
    import pandas as pd

    ens = pd.read_parquet(path)
    keys = [c for c in ens.columns if "." in c]
    picks = np.linspace(0, len(ens) - 1, n).round().astype(int)
    return [[f"{k}={ens[k].iloc[i]:.6g}" for k in keys] for i in picks]


if __name__ == "__main__":
    print(parameter_doc(), end="")
