"""Configuration schema: Hydra structured configs with units, meanings and allowed ranges.

Every parameter is declared once, here, with ``param(default, "meaning [unit]", lo, hi)``.
Hydra's ConfigStore rejects unknown keys and wrong types when the config is composed;
``validate`` then checks the value ranges and names the offending key. ``docs/parameters.md``
is generated from the same declarations (``python -m sim.config``).
"""

from __future__ import annotations

import math
from dataclasses import MISSING as DC_MISSING
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


class ConfigError(ValueError):
    """A config value outside its allowed range; the message names the key and the range."""


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None):
    """A config field with its one-line meaning (unit in brackets) and allowed range [lo, hi]."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi})


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
    path: str = param(MISSING, "edge-list file (SNAP, CSV or TSV; one pair of integer ids per line); "
                      "fixes population.size to its number of people")


# ---------------------------------------------------------------- group policies
@dataclass
class GroupsBase:
    policy: str = param(MISSING, "how members are placed into chat groups")


@dataclass
class Unlimited(GroupsBase):
    policy: str = "unlimited"


@dataclass
class Cap(GroupsBase):
    policy: str = "cap"
    cap: int = param(500, "members a group may hold; later joiners open a new group [members]", 1, 10**9)


# ---------------------------------------------------------------- people and behaviour
@dataclass
class Population:
    size: int = param(10_000, "people in the social graph: members and outsiders [people]", 1, 10**9)
    initial_members: int = param(30, "members on day 0, hand-picked (weighted by interest x influence) [people]", 0, 10**9)
    interest_mean: float = param(0.35, "mean interest in the community's topic [0-1]", 0.001, 0.999)
    interest_concentration: float = param(4.0, "Beta concentration of interest (higher: less spread) [-]", 0.01, 1e6)
    influence_tail: float = param(1.8, "Pareto tail index of influence (lower: more concentrated in a few KOCs) [-]", 1.01, 100)
    influence_max: float = param(30.0, "cap on influence, in multiples of the mean [-]", 1, 1e6)
    organic_rate: float = param(3e-4, "daily chance an outsider of average interest joins via public channels/ads [1/day]", 0, 1)


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
    leave_fatigue: float = param(0.02, "extra daily chance to leave or mute for good at full fatigue (times fatigue^2) [1/day]", 0, 1)
    leave_disinterest: float = param(0.006, "extra daily chance to leave at zero interest (times (1-interest)^2) [1/day]", 0, 1)
    invite_rate: float = param(0.3, "daily chance an active member of influence 1 and interest 1 invites a friend [1/day]", 0, 1)
    accept: float = param(0.4, "chance an outsider of interest 1 with one member friend accepts an invitation [-]", 0, 1)
    social_proof: float = param(0.5, "acceptance gain per log-unit of member friends: accept x (1 + s ln k) [-]", 0, 100)
    purchase_rate: float = param(0.01, "daily chance an active member of interest 1, no fatigue, buys [1/day]", 0, 1)
    silent_purchase: float = param(0.2, "purchase chance of a member not active today, relative to an active one [-]", 0, 1)


@dataclass
class Config:
    seed: int = param(0, "seed of every random stream of the run", 0, 2**63 - 1)
    days: int = param(180, "days simulated [days]", 1, 100_000)
    silent_after: int = param(7, "days without interaction after which a member counts as silent [days]", 1, 10_000)
    window: int = param(28, "trailing window of the summary's averages [days]", 1, 100_000)
    progress: bool = param(True, "show a tqdm progress bar over days")
    population: Population = field(default_factory=Population)
    behavior: Behavior = field(default_factory=Behavior)
    graph: Any = MISSING
    groups: Any = MISSING
    experiment: Any = None  # set by experiment=NAME (conf/experiment/): arms and seeds of a comparison


OPTIONS: dict[str, dict[str, type]] = {
    "graph": {"barabasi_albert": BarabasiAlbert, "watts_strogatz": WattsStrogatz,
              "erdos_renyi": ErdosRenyi, "complete": Complete, "edgelist": EdgeList},
    "groups": {"unlimited": Unlimited, "cap": Cap},
}


def register() -> None:
    """Put the schemas in Hydra's ConfigStore: the root as ``base_config``, options as ``<group>/<name>_schema``."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    for group, options in OPTIONS.items():
        for name, node in options.items():
            cs.store(group=group, name=f"{name}_schema", node=node)


def _check(node: DictConfig, schema: type, prefix: str) -> None:
    for f in fields(schema):
        key = f"{prefix}{f.name}"
        value = node[f.name]
        if is_dataclass(f.default_factory if f.default_factory is not DC_MISSING else None):
            _check(value, f.default_factory, f"{key}.")
            continue
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        if lo is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not (lo <= value <= hi) or (isinstance(value, float) and math.isnan(value)):
            raise ConfigError(f"{key}={value} is out of range: allowed {lo:g} to {hi:g} "
                              f"({f.metadata['help']}). Fix it, e.g. {key}={f.default}")


def validate(cfg: DictConfig) -> None:
    """Check every value's range; raise ConfigError naming the key, the allowed range and its meaning."""
    _check(cfg, Config, "")
    for group in ("graph", "groups"):
        schema = OmegaConf.get_type(cfg[group])
        if is_dataclass(schema):
            _check(cfg[group], schema, f"{group}.")
    if cfg.graph.kind == "watts_strogatz" and cfg.graph.k % 2:
        raise ConfigError(f"graph.k={cfg.graph.k} must be even (each person links k/2 neighbours on each side)")
    if cfg.population.initial_members > cfg.population.size:
        raise ConfigError(f"population.initial_members={cfg.population.initial_members} exceeds "
                          f"population.size={cfg.population.size}")


def parameter_table() -> str:
    """Markdown table of every parameter: key, default, allowed range, meaning."""
    rows = ["| key | default | range | meaning [unit] |", "|---|---|---|---|"]

    def walk(schema: type, prefix: str) -> None:
        for f in fields(schema):
            if f.default_factory is not DC_MISSING and is_dataclass(f.default_factory):
                walk(f.default_factory, f"{prefix}{f.name}.")
            elif "help" in f.metadata:
                lo, hi = f.metadata["lo"], f.metadata["hi"]
                rng = "" if lo is None else f"{lo:g} to {hi:g}"
                default = "" if f.default in (MISSING, DC_MISSING) else f.default
                rows.append(f"| `{prefix}{f.name}` | {default} | {rng} | {f.metadata['help']} |")

    walk(Config, "")
    for group, options in OPTIONS.items():
        for name, schema in options.items():
            rows.append(f"| **{group}={name}** | | | |")
            walk(schema, f"{group}.")
    return "\n".join(rows)


if __name__ == "__main__":
    print(parameter_table())
