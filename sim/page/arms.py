"""The what-if page's model: a community and two arms of levers, turned into the CLI's own overrides, run
side by side on paired seeds, and summarised with paired differences and costs.

Nothing here knows about the browser (sim/page/app.py draws it), so the tests drive it directly and the
page and ``growthsim`` compose, validate and run the very same configs (tests/test_page.py)."""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

GENERATORS = {"barabasi_albert": "Barabási–Albert (scale-free)", "watts_strogatz": "Watts–Strogatz (small world)",
              "erdos_renyi": "Erdős–Rényi (random)"}
BEHAVIOURS = {"defaults": "engine defaults", "ensemble": "fitted ensemble (conf/fitted/ensemble.parquet)"}
ENSEMBLE = Path(__file__).resolve().parents[2] / "conf" / "fitted" / "ensemble.parquet"
EDGE_LIST_SUFFIXES = (".txt", ".csv", ".tsv", ".edges", ".edgelist", ".gz")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # file names offered: nothing Hydra's grammar would read

# Each arm's levers: the option of each config group, and the parameters the page shows for an option
# (config key under the group, the label a strategist reads). Defaults come from conf/<group>/<option>.yaml.
OPTIONS = {
    "incentive": ["none", "invite_reward", "points", "status", "value"],
    "groups": ["cap", "split", "unlimited"],
    "cadence": ["none", "three_two_one", "daily_promo", "mix_20_30_50", "mix_70_20_10", "tiered"],
    "operations": ["none", "dashboard", "rfm", "broadcast"],
}
PARAMS = {
    ("incentive", "invite_reward"): {"reward": "reward per qualifying inviter (yuan)",
                                     "threshold": "friends who must join to qualify"},
    ("incentive", "points"): {"invite_points": "points per friend who joins", "point_value": "cost of a point (yuan)"},
    ("incentive", "status"): {"top_share": "share of members given a badge"},
    ("incentive", "value"): {"quality": "content quality (0-1)", "content_cost": "content cost (yuan/day)"},
    ("groups", "cap"): {"cap": "members per group at most", "merge_below": "merge groups whose active share stays below"},
    ("groups", "split"): {"cap": "members per group at most", "rule": "split rule",
                          "merge_below": "merge groups whose active share stays below"},
    ("groups", "unlimited"): {"merge_below": "merge groups whose active share stays below"},
}
SPLIT_RULES = ["random", "interest", "community"]


@dataclass(frozen=True)
class Community:
    """What both arms share: the people, their graph, the start, the horizon, the behaviour, the seeds."""
    size: int = 10_000
    graph: str = "barabasi_albert"       # a generator (GENERATORS) or the name of a file in the graph folder
    initial_members: int = 30
    days: int = 180
    behaviour: str = "defaults"          # BEHAVIOURS
    seeds: int = 5


@dataclass(frozen=True)
class Levers:
    """One arm: the option of each lever group and the values of the parameters the page shows."""
    incentive: str = "none"
    groups: str = "cap"
    cadence: str = "none"
    operations: str = "none"
    values: dict = field(default_factory=dict)   # {(group, key): value}, only for the chosen options

    def with_option(self, group: str, option: str) -> "Levers":
        return replace(self, **{group: option})

    def with_value(self, group: str, key: str, value) -> "Levers":
        return replace(self, values={**self.values, (group, key): value})

    def overrides(self) -> list[str]:
        out = []
        for group in OPTIONS:
            option = getattr(self, group)
            out.append(f"{group}={option}")
            for key in PARAMS.get((group, option), {}):
                if (group, key) in self.values:
                    out.append(f"{group}.{key}={self.values[group, key]}")
        return out


@functools.lru_cache(maxsize=None)
def defaults(group: str, option: str) -> dict:
    """The shown parameters of ``option`` at their config defaults (conf/<group>/<option>.yaml)."""
    from sim.app.run import load_config

    node = load_config([f"{group}={option}"])[group]
    return {key: node[key] for key in PARAMS.get((group, option), {})}


def graph_files(folder: Path | None) -> list[str]:
    """The edge-list files the page offers: names in the folder given at start-up (never a typed path)."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.name.endswith(EDGE_LIST_SUFFIXES) and SAFE_NAME.fullmatch(p.name))


def community_overrides(c: Community, graph_folder: Path | None) -> list[str]:
    """The overrides of ``c`` (no seed); a graph that is neither a generator nor a listed file is refused."""
    from sim.config import ConfigError

    if c.graph in GENERATORS:
        out = [f"graph={c.graph}", f"population.size={c.size}"]
    elif c.graph in graph_files(graph_folder):
        out = ["graph=edgelist", f"graph.path='{(graph_folder / c.graph).resolve()}'"]
    else:
        raise ConfigError(f"graph '{c.graph}' is neither a generator ({', '.join(GENERATORS)}) nor a file of the "
                          "graph folder given at start-up (growthsim-app --graphs DIR): pick one from the list")
    if c.behaviour not in BEHAVIOURS:
        raise ConfigError(f"behaviour '{c.behaviour}' is not one of {', '.join(BEHAVIOURS)}")
    out += [f"population.initial_members={c.initial_members}", f"days={c.days}"]
    return out + (["+fitted=ensemble"] if c.behaviour == "ensemble" else [])


def seed_overrides(c: Community) -> list[list[str]]:
    """Per seed i: ``seed=i`` and, under the ensemble, the values of set i (spread over the ensemble)."""
    from sim.config import ensemble_sets

    sets = ensemble_sets(ENSEMBLE, c.seeds) if c.behaviour == "ensemble" else [[]] * c.seeds
    return [[*sets[i], f"seed={i}"] for i in range(c.seeds)]


def check_seeds(c: Community) -> None:
    from sim.config import ConfigError

    if not 1 <= c.seeds <= 50:
        raise ConfigError(f"seeds={c.seeds}: give between 1 and 50 paired seeds per arm")


def arm_configs(c: Community, arms: dict[str, Levers], graph_folder: Path | None) -> dict[str, list]:
    """Every arm's validated config per seed, composed exactly as ``growthsim`` composes its command line.
    Bad input raises one of the CLI's input errors (``sim.app.cli.INPUT_ERRORS``) with its message."""
    from sim.app.run import check_memory, load_config
    from sim.config import settle, validate

    check_seeds(c)
    base = community_overrides(c, graph_folder)
    seeds = seed_overrides(c)
    out = {}
    for name, levers in arms.items():
        cfgs = [load_config([*base, *levers.overrides(), *s]) for s in seeds]
        settle(cfgs[0])  # an edge list fixes population.size; a bad file is refused here, before anything runs
        check_memory(validate(cfgs[0]))  # the CLI's size limit, before anything runs
        out[name] = cfgs
    return out


def arm_yaml(overrides: list[str], note: str = "") -> str:
    """A config file that ``growthsim --config-dir DIR --config-name NAME`` runs as is: the group choices
    as defaults of growthsim's own conf/config.yaml, the values after them (as Hydra applies overrides)."""
    import yaml
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.app.run import _is_value, _repository

    parsed = OverridesParser.create().parse_overrides(overrides)
    repo = _repository(())
    added, chosen, values = ["config"], [], {}  # Hydra wants the overrides of groups after every added config
    for o in parsed:
        if _is_value(o, repo):
            node = values
            *path, last = o.key_or_group.split(".")
            for key in path:
                node = node.setdefault(key, {})
            node[last] = o.value()
        elif o.is_add():
            added.append({o.key_or_group: o.value()})
        else:
            chosen.append({f"override {o.key_or_group}": o.value()})
    head = "".join(f"# {line}\n" for line in note.splitlines())
    return head + yaml.safe_dump({"defaults": [*added, *chosen, "_self_"], **values}, sort_keys=False)


SERIES = {  # the live plots: column or share of the recorder, title
    "members": "members",
    "active_share": "active share of members (%)",
    "weekly_active_share": "weekly active share of members (%)",
    "new_by_referral": "joins by referral per day",
    "new_organic": "organic joins per day",
    "left": "leavers per day",
    "cost": "cumulative cost (yuan)",
}
STATES = ["outsiders", "active today", "quiet", "silent", "muted", "left"]
METRICS = {  # the summary table: summary key, label
    "members_final": "members at the end",
    "ever_members": "members ever",
    "weekly_active_share": "weekly active share",
    "active_share": "daily active share",
    "referral_share": "share of joins by referral",
    "k_factor": "referral joins per member",
    "churn_rate": "leavers per member (horizon)",
    "purchases_per_member": "purchases per member",
    "reward_cost": "cost (yuan)",
    "cost_per_acquired": "cost per acquired member (yuan)",
    "cost_per_retained": "cost per retained member (yuan)",
    "cost_per_purchase": "cost per purchase (yuan)",
}


def series(model) -> dict[str, np.ndarray]:
    """The live plots' series of a model so far (day 0 .. today), from its recorder's columns."""
    d, rows = model.recorder.data, model.recorder.rows
    members = d["members"][:rows].astype(float)
    share = lambda col: 100 * np.divide(d[col][:rows], members, out=np.zeros(rows), where=members > 0)
    return {"day": d["day"][:rows].copy(), "members": members, "active_share": share("active"),
            "weekly_active_share": share("weekly_active"), "new_by_referral": d["new_by_referral"][:rows].copy(),
            "new_organic": d["new_organic"][:rows].copy(), "left": d["left"][:rows].copy(),
            "cost": np.cumsum(d["reward_cost"][:rows])}


def states(model) -> list[int]:
    """How many people are in each of ``STATES`` today (members by state, for the drill-in view)."""
    from sim.engine.model import LEFT, MEMBER, OUTSIDER

    members = model.members
    active = np.zeros(model.n, dtype=bool)
    active[model.actives] = True
    muting = model.mechanisms.get("muting")
    muted = muting.muted if muting is not None else np.zeros(model.n, dtype=bool)
    silent = model.silent_mask()
    is_member = np.zeros(model.n, dtype=bool)
    is_member[members] = True
    muted_m, silent_m = is_member & muted, is_member & silent & ~muted
    active_m = is_member & active & ~muted_m & ~silent_m
    return [int(np.count_nonzero(model.status == OUTSIDER)), int(active_m.sum()),
            int(np.count_nonzero(model.status == MEMBER)) - int(active_m.sum() + silent_m.sum() + muted_m.sum()),
            int(silent_m.sum()), int(muted_m.sum()), int(np.count_nonzero(model.status == LEFT))]


@dataclass
class Progress:
    """What the page draws while the arms run: each arm's series per seed so far, and for seed 0 its
    members by state and its group sizes per day (the drill-in view)."""
    days: int
    seeds: int
    series: dict = field(default_factory=dict)      # {arm: {seed: series(model)}}
    states: dict = field(default_factory=dict)      # {arm: [STATES counts per day]} (seed 0)
    groups: dict = field(default_factory=dict)      # {arm: [sorted group sizes per day]} (seed 0)
    runs: dict = field(default_factory=dict)        # {arm: [Run per finished seed]}
    done_seeds: int = 0
    stopped: bool = False


def run_arms(configs: dict[str, list], on_update: Callable[[Progress], None] | None = None,
             stop: threading.Event | None = None, every: int = 5) -> Progress:
    """Run the arms side by side, seed by seed, one day at a time: seed i of every arm is built, then all
    step together, and ``on_update`` sees the progress every ``every`` days and at each seed's end.
    ``stop`` set: the run ends after the current day (the finished seeds are kept)."""
    from sim.app.run import build, finish

    first = next(iter(configs.values()))
    progress = Progress(days=int(first[0].days), seeds=len(first))
    for seed in range(progress.seeds):
        models = {arm: build(cfgs[seed]) for arm, cfgs in configs.items()}
        while any(m.running for m in models.values()):
            for arm, m in models.items():
                if m.running:
                    m.step()
                progress.series.setdefault(arm, {})[seed] = series(m)
                if seed == 0:
                    progress.states.setdefault(arm, []).append(states(m))
                    progress.groups.setdefault(arm, []).append(np.sort(m.groups.size[m.groups.size > 0])[::-1])
            if stop is not None and stop.is_set():
                progress.stopped = True
                break
            day = max(m.day for m in models.values())
            if on_update is not None and (day == 1 or day % every == 0):
                on_update(progress)
        if progress.stopped:
            break
        for arm, m in models.items():
            progress.runs.setdefault(arm, []).append(finish(configs[arm][seed], m))
        progress.done_seeds = seed + 1
        if on_update is not None:
            on_update(progress)
    return progress


def summary(progress: Progress, level: float = 0.95) -> pd.DataFrame:
    """Per metric: each arm's mean over the finished seeds and B − A, the paired difference, with its
    t-interval over seeds (under the ensemble each seed takes another set: the interval covers both)."""
    from sim.measures import stats

    arms = list(progress.runs)
    rows = []
    for key, label in METRICS.items():
        vals = {arm: np.array([r.summary[key] for r in progress.runs[arm]], dtype=float) for arm in arms}
        row = {"measure": label, "key": key}
        for arm in arms:
            row[arm] = float(np.nanmean(vals[arm])) if len(vals[arm]) else math.nan
        if len(arms) == 2:
            a, b = arms
            d = stats.paired_diff(vals[b], vals[a], level)
            row.update({f"{b} − {a}": d.value, "low": d.low, "high": d.high})
        rows.append(row)
    return pd.DataFrame(rows)


def runs_table(progress: Progress, seeds: list[list[str]]) -> pd.DataFrame:
    """One row per arm and finished seed: the seed's overrides (ensemble set) and every summary value."""
    rows = []
    for arm, runs in progress.runs.items():
        for seed, run in enumerate(runs):
            rows.append({"arm": arm, "seed": seed, "seed_overrides": " ".join(seeds[seed]), **run.summary})
    return pd.DataFrame(rows)


def timeseries_table(progress: Progress) -> pd.DataFrame:
    """Every finished run's daily series (docs/metrics.md), led by its arm and seed."""
    frames = [run.timeseries.assign(arm=arm, seed=seed) for arm, runs in progress.runs.items()
              for seed, run in enumerate(runs)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["arm", "seed", *[c for c in out.columns if c not in ("arm", "seed")]]]
