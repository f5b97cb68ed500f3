"""``growthsim experiment=communities``: several communities on one social graph, with and without a joint event.

Each replicate runs every community of ``experiment.communities`` together (``sim.engine.communities``)
twice on the same seeds: ``alone`` (no joint event) and ``joint`` (``experiment.joint``), so the
joint event's effect on each community is a paired difference over the replicates. Writes
``communities.csv`` (one row per replicate, arm and community: its summary) and ``report.md``
(per community: members imported, final members, active share, cost; joint minus alone, with
its interval) into ``out_dir``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from sim.measures import stats
from experiments.cases import extra_overrides, hydra_overrides
from experiments.runner import atomic_write, begin_outputs, compose, md_table, reported
from experiments.schema import SeveralCommunities, parse
from sim.engine.communities import Communities, JointEvent
from sim.measures.metrics import summarize

OUTPUTS = Path("outputs")
SHOWN = ("imported", "members_final", "active_share", "reward_cost")


def replicate(spec: SeveralCommunities, common: list[str], seed: int) -> list[dict]:
    """One replicate: every community alone and with the joint event, on the same seeds."""
    cfgs = {name: [*common, *own] for name, own in spec.communities.items()}
    rows = []
    for arm, joint in (("alone", None), ("joint", JointEvent(**spec.joint.model_dump()))):
        composed = [compose([*o, f"seed={100 * seed + i}"], f"community {name}") for i, (name, o) in enumerate(cfgs.items())]
        together = Communities(composed, joint)
        together.run()
        rows += [{"seed": seed, "arm": arm, "community": name, **summarize(m)}
                 for name, m in zip(cfgs, together.models)]
    return rows


def report(spec: SeveralCommunities, table: pd.DataFrame) -> str:
    rows = []
    for name in spec.communities:
        mine = table[table["community"] == name]
        alone = mine[mine["arm"] == "alone"].set_index("seed")
        joint = mine[mine["arm"] == "joint"].set_index("seed")
        for key in SHOWN:
            a, j = alone[key].to_numpy(float), joint[key].reindex(alone.index).to_numpy(float)
            d = stats.paired_diff(j, a, spec.level)
            rows.append([name, key, f"{a.mean():,.3f}", f"{j.mean():,.3f}",
                         f"{d.value:+,.3f} [{d.low:+,.3f}, {d.high:+,.3f}]" if d.n > 1 else f"{d.value:+,.3f}"])
    return (f"# Several communities: a joint event on days {', '.join(map(str, spec.joint.days))}\n\n"
            f"{len(spec.communities)} communities on one social graph, {spec.seeds} replicates, each run alone "
            f"and with the joint event (rate {spec.joint.rate}, cost {spec.joint.cost:g} yuan a community an event "
            f"day) on the same seeds. Means over the replicates; joint - alone with its {spec.level:.0%} paired "
            f"interval.\n\n"
            + md_table(["community", "measure", "alone", "joint", "joint - alone"], rows) + "\n")


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """The driver named ``communities`` (entry point ``growthsim.drivers``)."""
    with reported():
        spec = parse(SeveralCommunities, cfg.experiment)
        common = extra_overrides(hydra_overrides() if overrides is None else overrides)
        out = begin_outputs(spec.out_dir or OUTPUTS / spec.name, "report.md")
        rows = [row for seed in range(spec.seeds) for row in replicate(spec, common, seed)]
    table = pd.DataFrame(rows)
    atomic_write(out / "communities.csv", lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    text = report(spec, table)
    atomic_write(out / "report.md", text)
    print(text)
    print(f"outputs: {out}  (report: {out / 'report.md'})", file=sys.stderr)
    return out
