"""``growthsim experiment=facts``: do the stylized facts of real online groups emerge from the model?

For each behaviour (``experiment.behaviors``: the engine's defaults and the committed fit), over
``experiment.seeds`` seeds, it measures (definitions in docs/facts.md, functions in
``sim.measures.facts``):

1. participation inequality: the top 1% / 10% / 20% of members' share of interactions;
2. time until a member leaves: the daily hazard in tenure days 91-180 against days 1-30, and
   whether a lognormal or a power law (Lomax) fits the tenures better than the exponential (AIC);
3. joining against member friends, on the SNAP Facebook graph: the daily chance that an outsider
   with k member friends joins, and the exponent alpha of P(k) = c k^alpha over k = 1..10;
4. referral trees: the largest, and the share of trees of 10 members or more;
5. core participation against group size: the change in the core members' participation from a
   group of ``group_sizes[0]`` to one of ``group_sizes[1]``.

Facts 1, 2 and 4 come from the member table of ``size`` people x ``days`` days runs; 3 from runs on
the Facebook graph with an observer counting, each day, the outsiders by their member friends and
who of them joined; 5 from one group of each size (``groups=unlimited``, day-0 members drawn at
random) over 56 days, the core being the top 20% by recent interactions on day 28 and their
participation the share of days 29-56 they took part. Writes report.md, facts.csv and facts.png
into ``out_dir``. The criteria are issue 19's; a fact not met is reported as not met.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from experiments.runner import ExperimentError, atomic_write, begin_outputs, compose, figure, md_table, \
    reported, save_figure
from experiments.schema import Facts, parse
from sim.config import ensemble_sets
from sim.engine.model import MEMBER, OUTSIDER, CommunityModel
from sim.measures import facts as F
from sim.measures.members import member_table
from sim.measures.metrics import core_members

OUTPUTS = Path("outputs")
SNAP = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_combined.txt"
KMAX = 30  # member friends counted apart up to this; more are pooled

# fact -> (label, criterion text, test on the mean measured values)
CRITERIA = {
    "top_1": ("top 1% share of interactions", ">= 0.15", lambda v: v >= 0.15),
    "top_10": ("top 10% share of interactions", ">= 0.50", lambda v: v >= 0.50),
    "top_20": ("top 20% share of interactions", ">= 0.65", lambda v: v >= 0.65),
    "hazard_ratio": ("leaving hazard, tenure days 91-180 / days 1-30", "<= 0.5", lambda v: v <= 0.5),
    "heavy_tail_aic": ("AIC: best of lognormal, Lomax minus exponential", "< 0", lambda v: v < 0),
    "alpha": ("exponent of P(k) = c k^alpha, k = 1..10 (Facebook graph)", "<= 0.6", lambda v: v <= 0.6),
    "largest_tree": ("largest referral tree [members]", ">= 50", lambda v: v >= 50),
    "trees_10": ("share of referral trees of 10 members or more", ">= 0.005", lambda v: v >= 0.005),
    "core_change": ("core participation change, group 500 -> 2,000", "-0.80 to -0.50", lambda v: -0.80 <= v <= -0.50),
}


def main_run(cfg) -> dict:
    """Facts 1, 2, 4 of one run."""
    model = CommunityModel(cfg)
    model.run()
    t = member_table(model).to_pandas()
    out = F.top_shares(t["interactions"].to_numpy())
    ten, gone = F.tenures(t["joined"].to_numpy(), t["left"].to_numpy(), model.day)
    early, late = F.hazard(ten, gone, 1, 30), F.hazard(ten, gone, 91, 180)
    fits = F.tenure_fits(ten, gone)
    sizes = F.tree_sizes(t["person"].to_numpy(), t["referrer"].to_numpy())
    out |= {"hazard_early": early, "hazard_late": late, "hazard_ratio": late / early if early else np.nan,
            "heavy_tail_aic": min(fits["lognormal"], fits["lomax"]) - fits["exponential"],
            "largest_tree": int(sizes.max()), "trees_10": float(np.mean(sizes >= 10)), "trees": len(sizes)}
    return out | {"_interactions": t["interactions"].to_numpy(), "_tenure": (ten, gone), "_trees": sizes}


def joining_run(cfg) -> tuple[np.ndarray, np.ndarray]:
    """Fact 3: per k (0..KMAX, more pooled at KMAX), outsider-days with k member friends at the start of a day,
    and how many of those outsiders joined that day."""
    model = CommunityModel(cfg)
    exposed, joined = np.zeros(KMAX + 1), np.zeros(KMAX + 1)
    while model.running:
        outsiders = np.flatnonzero(model.status == OUTSIDER)
        k = np.minimum(model.graph.count_neighbors_in(outsiders, model.is_member), KMAX)
        model.step()
        exposed += np.bincount(k, minlength=KMAX + 1)
        joined += np.bincount(k[model.status[outsiders] == MEMBER], minlength=KMAX + 1)
    return exposed, joined


def core_participation(cfg) -> float:
    """Fact 5: the share of days 29-56 that the core of day 28 (top 20% by recent interactions) took part."""
    model = CommunityModel(cfg)
    while model.running and model.day < 28:
        model.step()
    core = core_members(model)
    before = model.days_active[core].copy()
    model.run()
    return float(np.mean((model.days_active[core] - before) / (model.day - 28)))


def measure(spec: Facts, name: str, overrides: list[str], graph_path: Path) -> tuple[list[dict], dict]:
    """Every fact of one behaviour, per seed (rows) and pooled (plots)."""
    rows, pooled = [], {"interactions": [], "tenure": [], "trees": [], "exposed": 0, "joined": 0}
    sets = ensemble_sets(spec.ensemble[name], spec.seeds) if name in spec.ensemble else [[]] * spec.seeds
    for seed in range(spec.seeds):
        base = [*overrides, *sets[seed], f"seed={seed}"]
        main = main_run(compose([*base, f"population.size={spec.size}", f"days={spec.days}"], f"{name} main run"))
        pooled["interactions"].append(main.pop("_interactions"))
        pooled["tenure"].append(main.pop("_tenure"))
        pooled["trees"].append(main.pop("_trees"))
        exposed, joined = joining_run(compose([*base, "graph=edgelist", f"graph.path={graph_path}",
                                               f"days={spec.days}"], f"{name} Facebook run"))
        pooled["exposed"] += exposed
        pooled["joined"] += joined
        core = [core_participation(compose([*base, "groups=unlimited", "population.seeding=random",
                                            f"population.initial_members={g}", f"population.size={max(10 * g, spec.size)}",
                                            "days=56"], f"{name} group of {g}")) for g in spec.group_sizes]
        rows.append({"behavior": name, "seed": seed, **main, "alpha": F.power_fit(exposed, joined)["alpha"],
                     "core_small": core[0], "core_large": core[1], "core_change": core[1] / core[0] - 1})
    pooled["alpha"] = F.power_fit(pooled["exposed"], pooled["joined"])
    return rows, pooled


def plot(pooled: dict[str, dict], path: Path) -> None:
    """Four panels: Lorenz curves, hazard by tenure week, P(k), referral tree sizes (CCDF)."""
    fig, ax = figure(2, 2, figsize=(11, 8))
    for i, (name, p) in enumerate(pooled.items()):
        color = f"C{i}"
        x = np.sort(np.concatenate(p["interactions"]))[::-1]
        ax[0, 0].plot(np.arange(1, len(x) + 1) / len(x), np.cumsum(x) / x.sum(), color=color, label=name)
        t, gone = (np.concatenate(a) for a in zip(*p["tenure"]))
        weeks = np.arange(1, 180, 7)
        ax[0, 1].plot(weeks + 3, [F.hazard(t, gone, w, w + 6) for w in weeks], color=color, label=name)
        k = np.arange(1, 11)
        with np.errstate(invalid="ignore", divide="ignore"):
            ax[1, 0].loglog(k, p["joined"][k] / p["exposed"][k], "o", color=color, label=name)
        fit = p["alpha"]
        ax[1, 0].loglog(k, fit["c"] * k ** fit["alpha"], "-", color=color, lw=1,
                        label=f"{name}: alpha {fit['alpha']:.2f}")
        s = np.sort(np.concatenate(p["trees"]))
        ax[1, 1].loglog(s, 1 - np.arange(len(s)) / len(s), color=color, label=name)
    ax[0, 0].set(title="participation inequality (Lorenz)", xlabel="top share of members",
                 ylabel="share of interactions")
    ax[0, 1].set(title="daily hazard of leaving by tenure week", xlabel="tenure [days]", ylabel="hazard [1/day]")
    ax[1, 0].set(title="joining vs member friends (Facebook graph)", xlabel="k", ylabel="P(join on a day)")
    ax[1, 1].set(title="referral tree sizes (CCDF)", xlabel="members", ylabel="share of trees >= size")
    for a in ax.flat:
        a.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)


def report(spec: Facts, table: pd.DataFrame) -> tuple[str, int, int]:
    """report.md's text, and how many criteria each behaviour meets."""
    means = table.groupby("behavior", sort=False).mean(numeric_only=True)
    names = list(means.index)
    rows, met = [], {n: 0 for n in names}
    for key, (label, criterion, ok) in CRITERIA.items():
        cells = []
        for n in names:
            v = means.loc[n, key]
            good = bool(ok(v))
            met[n] += good
            cells.append(f"{v:.3f} ({'met' if good else '**not met**'})")
        rows.append([label, criterion, *cells])
    text = (f"# Stylized facts: do they emerge?\n\n`growthsim experiment=facts`: {spec.seeds} seeds per behaviour, "
            f"{spec.size:,} people x {spec.days} days (facts 1, 2, 4), the SNAP Facebook graph x {spec.days} days "
            f"(fact 3), one group of {spec.group_sizes[0]} and of {spec.group_sizes[1]} members x 56 days (fact 5). "
            f"Means over the seeds; each seed's values are in facts.csv, the curves in facts.png. "
            f"Definitions: docs/facts.md. None of these is a target of the model.\n\n"
            + md_table(["fact", "criterion", *names], rows) + "\n\n"
            + "\n".join(f"- {n}: {met[n]} of {len(CRITERIA)} criteria met" for n in names) + "\n\n![facts](facts.png)\n")
    return text, met, len(CRITERIA)


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """The driver named ``facts`` (entry point ``growthsim.drivers``)."""
    with reported():
        spec = parse(Facts, cfg.experiment)
        graph_path = Path(spec.graph_path or SNAP)
        if not graph_path.is_file():
            raise ExperimentError(f"experiment.graph_path: no file '{graph_path}': give the SNAP Facebook edge list "
                                  "(facebook_combined.txt), e.g. experiment.graph_path=../shared/data/facebook_combined.txt")
        out = begin_outputs(spec.out_dir or OUTPUTS / spec.name, "report.md")
        rows, pooled = [], {}
        for name, behavior in spec.behaviors.items():
            got, pooled[name] = measure(spec, name, behavior, graph_path.resolve())
            rows += got
    table = pd.DataFrame(rows)
    atomic_write(out / "facts.csv", lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    plot(pooled, out / "facts.png")
    text, met, total = report(spec, table)
    atomic_write(out / "report.md", text)
    print(text.split("\n\n![facts]")[0])
    print(f"outputs: {out}  (report: {out / 'report.md'})", file=sys.stderr)
    return out
