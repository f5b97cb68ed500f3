"""``growthsim experiment=fit experiment.data=PATH``: the behaviour fitted to a user's own community history
(docs/data.md).

The community is the history's: its first day's members, its number of days, its contacts graph when given
(``graph=edgelist graph.path=PATH``) and otherwise a Barabási–Albert graph of ``population`` people. The
free parameters and their ranges are the case ensemble's (conf/experiment/ensemble.yaml), the fixed part
conf/fitted/ensemble.yaml. Method, as the case ensemble: ABC rejection (Pritchard et al. 1999; Beaumont
et al. 2002): ``table`` prior sets run once each (a scrambled Sobol' design, or the case ensemble's own
sets), the ``accept`` closest to the history are kept, and each runs ``replicates`` more seeds for the
predictive band. Distance: the root mean square over days 1.. and measures of (simulated - observed) /
(the measure's observed mean + 1). Resumable: finished chunks of sets stay in ``<out>/chunks``.

Writes ``ensemble.parquet``, ``posterior_predictive.csv``, ``evaluations.parquet``, ``fit.png``, the
fitted community other experiments take (``fitted.yaml`` and ``history.csv``: ``experiment.fitted=<out_dir>``,
``FittedCommunity``) and ``report.md`` (last) into ``out_dir``."""

from __future__ import annotations

import functools
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from experiments.calibrate import with_values
from experiments.ensemble import SEED_BASE, Prior, closest, design, run_step
from experiments.runner import ExperimentError, Job, RunsFailed, atomic_write, begin_outputs, command_line_overrides, \
    compose, execute, figure, md_table, reported, save_figure
from experiments.schema import CommunityFit, parse
from sim.app.run import OUTPUTS
from sim.config import CONF_DIR, LEVERS, ensemble_sets, settle
from sim.history import read_history, read_members

SERIES = {"members": "members", "active": "active", "joins": "new_members", "leaves": "left",  # history: recorder
          "weekly_active": "weekly_active", "purchases": "purchases", "messages": "messages"}
IDENTIFIED = 0.5  # a parameter whose kept sets span under half the prior's range (in the prior's scale) is identified


@dataclass(frozen=True)
class Point:
    """One fitted number: a measure on a day."""
    measure: str
    day: int

    @property
    def label(self) -> str:
        return f"{self.measure}@{self.day}"


def _series(measures: tuple[str, ...], days: int, job: Job) -> np.ndarray:
    """One run's fitted numbers, measure by measure, days 1..days (module level: runs in a worker)."""
    from sim.app.run import simulate

    ts = simulate(job.cfg, progress=False).timeseries
    return np.concatenate([ts[SERIES[m]].to_numpy(dtype=float)[1:days + 1] for m in measures])


class CommunityRuns:
    """Runs sets of values on the community and returns their daily series ([sets, points])."""

    def __init__(self, base: DictConfig, measures: list[str], days: int, workers: int):
        self.base, self.workers = base, workers
        self.rows = [Point(m, d) for m in measures for d in range(1, days + 1)]
        self.task = functools.partial(_series, tuple(measures), days)

    def __call__(self, keys: list[str], values: np.ndarray, seeds: list[int]) -> np.ndarray:
        jobs = [Job("fit", s, with_values(self.base, {**dict(zip(keys, map(float, v))), "seed": s}))
                for v, s in zip(values, seeds)]
        results, failures = execute(self.task, jobs, self.workers, progress=False)
        if failures:
            raise RunsFailed(f"{len(failures)} of {len(jobs)} runs failed, e.g. {failures[0][0].name}: {failures[0][1]}")
        return np.stack(results)


FITTED = "fitted.yaml"  # the fitted community, as other experiments take it: experiment.fitted=<the fit's folder>
FIXED = "ensemble"      # the fixed part of every set: conf/fitted/ensemble.yaml (conf/experiment/fit.yaml's defaults)


@dataclass(frozen=True)
class FittedCommunity:
    """A fit's community as other experiments take it (``experiment.fitted=FOLDER``): the overrides that make
    it (the fit's command line, the history's first day, the fixed part), the levers of the fit's command
    line (``practice``: what acted during the history), the history's last day, and the fit's folder (its
    kept sets, ``ensemble.parquet``, and the observed ``history.csv``)."""
    overrides: list[str]
    practice: list[str]
    days: int
    folder: Path

    @classmethod
    def load(cls, path: Path) -> "FittedCommunity":
        folder = Path(path)
        folder = folder if folder.is_dir() or folder.suffix != ".yaml" else folder.parent
        if not (folder / FITTED).is_file() or not (folder / "ensemble.parquet").is_file():
            raise ExperimentError(f"experiment.fitted={path}: no finished fit there ({FITTED} and ensemble.parquet): "
                                  "give the output folder of growthsim experiment=fit, e.g. experiment.fitted=outputs/fit")
        node = OmegaConf.load(folder / FITTED)
        return cls(list(node.overrides), list(node.practice), int(node.days), folder)

    def write(self) -> None:
        text = ("# The fitted community (growthsim experiment=fit): experiments take it with "
                f"experiment.fitted={self.folder}\n" + OmegaConf.to_yaml(OmegaConf.create(
                    {"overrides": self.overrides, "practice": self.practice, "days": self.days})))
        atomic_write(self.folder / FITTED, text)

    def forecast(self, horizon: int, base: list[str]) -> list[str]:
        """The overrides of a forecast: the community and its practice, the command line's ``base``, then
        the history's days plus ``horizon``, the arms' levers launching the day after the history."""
        return [*self.overrides, *self.practice, *base, f"days={self.days + horizon}", f"launch={self.days + 1}"]

    def launch(self, jobs: list[Job], common: list[str]) -> None:
        """Set each job's launch: its levers that differ from the practice act from the launch day, the
        practice's before it (``before``); and the i-th smallest seed of every arm takes set i of the kept
        sets (spread evenly over them), so arms stay paired on seed and set."""
        usual = compose(common, "the fitted community's practice")
        order = {seed: i for i, seed in enumerate(sorted({j.seed for j in jobs}))}
        sets = ensemble_sets(self.folder / "ensemble.parquet", len(order))
        for job in jobs:
            job.cfg.before = {g: usual[g] for g in LEVERS[1:] if job.cfg[g] != usual[g]}
            for override in sets[order[job.seed]]:
                key, value = override.split("=", 1)
                OmegaConf.update(job.cfg, key, float(value))


def fitted_community(overrides: list[str], base: DictConfig, folder: Path, days: int) -> FittedCommunity:
    """The community of a fit: its command line's ``overrides`` but the experiment's own (graph paths made
    absolute), split into the community and the levers (the practice), with the history's first day."""
    community, practice = [f"+fitted={FIXED}"], []
    for override in overrides:
        key, _, value = override.lstrip("+~").partition("=")
        top = key.split("@")[0].split(".")[0].split("/")[0]
        if top == "experiment" or top == "fitted":
            continue
        if key == "graph.path":
            override = f"graph.path={Path(value).resolve()}"
        (practice if top in LEVERS[1:] else community).append(override)
    community.append(f"population.initial_members={base.population.initial_members}")
    if base.graph.kind != "edgelist":
        community.append(f"population.size={base.population.size}")
    return FittedCommunity(community, practice, days, folder)


def case_prior() -> Prior:
    """The case ensemble's free parameters and ranges (conf/experiment/ensemble.yaml)."""
    params = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "experiment" / "ensemble.yaml").experiment.params)
    return Prior({k: (float(v[0]), float(v[1]), len(v) > 2 and v[2] == "log") for k, v in params.items()})


def community(cfg: DictConfig, spec: CommunityFit, history: pd.DataFrame) -> DictConfig:
    """The run config of the community: the command line's, from the history's first day, for its days."""
    base = cfg.copy()
    base.experiment = None
    base.progress = False
    values = {"population.initial_members": int(history["members"].iloc[0]), "days": int(history["day"].iloc[-1])}
    if base.graph.kind != "edgelist":
        values["population.size"] = spec.population or 10 * int(history["members"].max())
    return settle(with_values(base, values))  # with an edge list, the file sets population.size


def distance(sims: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """[sets, points] -> per set, the root mean square of the misses in units of each measure's scale."""
    return np.sqrt(np.mean(((sims - observed) / scale) ** 2, axis=1))


def band(sims: np.ndarray, level: float) -> np.ndarray:
    """Low, median and high of every point over runs ([3, points])."""
    a = (1 - level) / 2
    return np.quantile(sims, [a, 0.5, 1 - a], axis=0)


def parameter_table(kept: pd.DataFrame, prior: Prior, prior_sets: np.ndarray, level: float) -> pd.DataFrame:
    """Per free parameter: the prior range, the kept sets' median and interval, and whether the history
    identifies it (the kept sets' interval under IDENTIFIED of the prior's, in the prior's scale)."""
    a = (1 - level) / 2
    u_kept, u_prior = prior.unit(kept[prior.keys].to_numpy()), prior.unit(prior_sets)
    rows = []
    for j, (k, (lo, hi, log)) in enumerate(prior.params.items()):
        q = np.quantile(kept[k], [a, 0.5, 1 - a])
        width = np.subtract(*np.quantile(u_kept[:, j], [1 - a, a]))
        prior_width = np.subtract(*np.quantile(u_prior[:, j], [1 - a, a]))
        ratio = width / prior_width if prior_width > 0 else np.nan
        rows.append({"parameter": k, "prior_low": lo, "prior_high": hi, "log": log, "median": q[1], "low": q[0],
                     "high": q[2], "width_ratio": ratio, "identified": bool(ratio < IDENTIFIED)})
    return pd.DataFrame(rows)


def definition(spec: CommunityFit, base: DictConfig, history: pd.DataFrame, prior: Prior) -> str:
    """What the chunks depend on: the history, the community's config, the prior and the table."""
    text = json.dumps({"history": history.to_json(), "config": OmegaConf.to_container(base, resolve=True),
                       "prior": spec.prior, "params": prior.params, "table": spec.table}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plot(path: Path, pp: pd.DataFrame, level: float) -> None:
    measures = list(dict.fromkeys(pp.measure))
    cols = min(3, len(measures))
    rows = -(-len(measures) // cols)
    fig, axes = figure(rows, cols, figsize=(4.2 * cols, 3.0 * rows), layout="constrained")
    for ax, m in zip(axes.flat, measures):
        d = pp[pp.measure == m]
        ax.fill_between(d.day, d.low, d.high, color="tab:blue", alpha=0.25, label=f"{level:.0%} band")
        ax.plot(d.day, d["median"], color="tab:blue", lw=1.2, label="median")
        ax.plot(d.day, d.observed, "k.", ms=3, label="observed")
        ax.set_title(m)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(measures):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    save_figure(fig, path, 110)


def write_report(spec: CommunityFit, history: pd.DataFrame, members: pd.DataFrame | None, params: pd.DataFrame,
                 pp: pd.DataFrame, kept: pd.DataFrame, base: DictConfig, wall: float) -> str:
    covered = ((pp.observed >= pp.low) & (pp.observed <= pp.high))
    per = covered.groupby(pp.measure).mean()
    lines = ["# Your community, fitted", "",
             f"Generated by `growthsim experiment=fit` from `{spec.data}`: {len(history)} days, "
             f"{history.members.iloc[0]:,.0f} members on the first day, {history.members.iloc[-1]:,.0f} on the last; "
             f"{base.population.size:,} people who could join ({'the contacts graph' if base.graph.kind == 'edgelist' else 'a Barabási–Albert graph'}). "
             f"Method: ABC rejection over the case ensemble's {len(params)} free parameters ({spec.prior} prior), "
             f"{spec.table} prior sets, the {spec.accept} closest kept, {spec.replicates} more seed(s) each; "
             f"{wall / 60:.1f} min wall. Definitions: docs/data.md.", "",
             "## How well the kept sets follow the history", "",
             f"- {covered.mean():.0%} of the observed daily numbers lie inside the {spec.level:.0%} predictive band "
             "(of the kept sets, each on every seed)",
             "- per measure: " + ", ".join(f"{m} {v:.0%}" for m, v in per.items()),
             f"- distance of the kept sets (root mean square miss, in units of each measure's mean): median "
             f"{kept.distance.median():.3f}, range {kept.distance.min():.3f} .. {kept.distance.max():.3f}", "",
             "## The parameters", "",
             f"Identified: the kept sets span less than {IDENTIFIED:.0%} of the prior's {spec.level:.0%} range "
             "(in the prior's scale). The others stay at the prior: this history does not tell their values "
             "apart, and forecasts carry that uncertainty.", ""]
    lines.append(md_table(["parameter", "prior", "median", f"{spec.level:.0%} interval", "width / prior's", "identified"],
                          [[r.parameter, f"{r.prior_low:g} .. {r.prior_high:g}{' (log)' if r.log else ''}",
                            f"{r.median:.3g}", f"{r.low:.3g} .. {r.high:.3g}", f"{r.width_ratio:.2f}",
                            "yes" if r.identified else "no: stays at the prior"] for r in params.itertuples()]))
    if members is not None:
        lines += ["", f"The member table ({len(members):,} members in {members.group.nunique()} groups) was read and "
                  "checked; the fit uses the daily history only."]
    lines += ["", "![fit](fit.png)", ""]
    return "\n".join(lines)


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """The driver named ``fit`` (entry point ``growthsim.drivers``)."""
    t0 = time.perf_counter()
    progress = bool(cfg.get("progress", True))
    with reported():
        spec = parse(CommunityFit, cfg.experiment)
        history = read_history(spec.data)
        members = read_members(spec.members, history) if spec.members else None
        base = community(cfg, spec, history)
        measures = [m for m in SERIES if m in history]
        prior = case_prior()
        if spec.prior == "cases":
            sets = pd.read_parquet(CONF_DIR / "fitted" / "ensemble.parquet")[prior.keys].to_numpy()
            values = sets[np.resize(np.arange(len(sets)), spec.table)]
        else:
            values = prior.values(design("table", prior, spec.table))
        out = begin_outputs(spec.out_dir or OUTPUTS / spec.name, "report.md")
        chunks = out / "chunks"
        chunks.mkdir(exist_ok=True)
        stamp, mine = chunks / "definition.txt", definition(spec, base, history, prior)
        if stamp.is_file() and stamp.read_text() != mine:
            raise ExperimentError(f"experiment.out_dir={out}: its chunks/ hold sets of another history or settings; "
                                  "choose another experiment.out_dir, or remove that folder to start over")
        atomic_write(stamp, mine)
        ev = CommunityRuns(base, measures, len(history) - 1, spec.workers)
        labels = [p.label for p in ev.rows]
        table = run_step(ev, chunks, "table", prior.keys, values,
                         [SEED_BASE["table"] + i for i in range(len(values))], progress)
        observed = np.concatenate([history[m].to_numpy(dtype=float)[1:] for m in measures])
        scale = np.concatenate([np.full(len(history) - 1, history[m].iloc[1:].mean() + 1.0) for m in measures])
        table["distance"] = distance(table[labels].to_numpy(), observed, scale)
        kept = table.iloc[closest(table.distance.to_numpy(), spec.accept)].reset_index(drop=True)
        runs = [kept]
        for r in range(spec.replicates):
            rep = run_step(ev, chunks, f"replicate{r + 1}", prior.keys, kept[prior.keys].to_numpy(),
                           [SEED_BASE["replicate"] + 1000 * r + int(s) for s in kept["set"]], progress)
            runs.append(rep)
        low, median, high = band(np.vstack([f[labels].to_numpy() for f in runs]), spec.level)
        pp = pd.DataFrame({"day": [p.day for p in ev.rows], "measure": [p.measure for p in ev.rows],
                           "observed": observed, "low": low, "median": median, "high": high})
        params = parameter_table(kept, prior, values, spec.level)

    ens = kept[prior.keys].copy()
    ens["weight"] = 1.0 / len(ens)
    ens["distance"], ens["table_set"], ens["seed"] = kept.distance, kept["set"], kept.seed
    atomic_write(out / "ensemble.parquet", lambda p: ens.to_parquet(p, index=False))
    atomic_write(out / "evaluations.parquet", lambda p: pd.concat(runs, ignore_index=True).to_parquet(p, index=False))
    atomic_write(out / "posterior_predictive.csv", lambda p: pp.to_csv(p, index=False, float_format="%.4g"))
    atomic_write(out / "parameters.csv", lambda p: params.to_csv(p, index=False, float_format="%.4g"))
    atomic_write(out / "history.csv", lambda p: history.to_csv(p, index=False))
    fitted_community(command_line_overrides() if overrides is None else overrides, base, out,
                     int(history["day"].iloc[-1])).write()
    plot(out / "fit.png", pp, spec.level)
    text = write_report(spec, history, members, params, pp, kept, base, time.perf_counter() - t0)
    atomic_write(out / "report.md", text)
    print(text.split("\n## The parameters")[0])
    print(f"outputs: {out}  (report: {out / 'report.md'})", file=sys.stderr)
    return out
