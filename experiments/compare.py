"""Compare experiment arms over many seeds: ``growthsim experiment=NAME [overrides]``.

An experiment config (``conf/experiment/NAME.yaml``) names its arms, each a list of Hydra overrides,
a baseline arm, a number of seeds and the headline metrics. Every arm runs with seeds
0..seeds-1; seed i is the same in every arm, so the arms share their random draws (common random
numbers) and are compared seed by seed (paired differences). Outputs, in ``outputs/<name>/`` or
``experiment.out_dir`` (see docs/experiments.md)::

    experiment.yaml            what was run: arms, overrides, seeds, baseline, command-line overrides;
                               written last, so it is there only when the files below were made from it
    runs/<arm>/seed_<i>/       config.yaml, timeseries.csv, summary.json (written last: the run is complete)
    runs.csv, runs.parquet     one row per finished run: arm, seed, the arm's overrides, every summary metric,
                               dir, provenance (sim/app/store.py)
    timeseries.parquet         every finished run's daily series, led by its arm and seed
    failures.csv               the failed runs and their errors (only while some failed; the command exits 1)
    arms.csv                   per arm and metric: mean with its CI, paired difference to the baseline with its CI
    timeseries.png             key series per arm, mean and CI band over seeds
    report.md                  the readable summary of all this

A finished run (summary.json present, same config, made by the same code: provenance.json) is never
recomputed, so an interrupted experiment resumes where it stopped; one made by other code is rerun.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from experiments import stats
from sim.app import store
from sim.app.launcher import worker_pool
from sim.app.run import OUTPUTS, atomic_write, writable_dir

log = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


class ExperimentError(ValueError):
    """An experiment config that cannot be run (unknown baseline, bad arm, failed runs, ...)."""


class RunsFailed(ExperimentError):
    """Some runs of the experiment failed (the others are kept and tabled); exit status 1, not 2."""


# ---------------------------------------------------------------- the experiment's description
@dataclass
class Spec:
    """What ``cfg.experiment`` asks for, checked."""
    name: str
    arms: dict[str, list[str]]
    baseline: str
    seeds: int
    metrics: list[str] = field(default_factory=list)
    workers: int | None = None
    out_dir: Path | None = None
    level: float = 0.95

    @classmethod
    def from_cfg(cls, exp) -> "Spec":
        if exp is None:
            raise ExperimentError("no experiment: choose one with experiment=NAME (conf/experiment/)")
        exp = OmegaConf.to_container(exp, resolve=True) if isinstance(exp, DictConfig) else dict(exp)
        missing = [k for k in ("name", "arms", "baseline", "seeds") if exp.get(k) is None]
        if missing:
            raise ExperimentError(f"experiment config lacks {', '.join(missing)}")
        name = str(exp["name"])
        arms = {str(a): [str(o) for o in (ov or [])] for a, ov in exp["arms"].items()}
        for arm in (name, *arms):
            if not SAFE_NAME.match(arm):
                raise ExperimentError(f"experiment/arm name {arm!r} must use only letters, digits and _ . + -")
        if exp["baseline"] not in arms:
            raise ExperimentError(f"experiment.baseline={exp['baseline']!r} is not an arm (arms: {', '.join(arms)})")
        seeds = int(exp["seeds"])
        if seeds < 1:
            raise ExperimentError(f"experiment.seeds={seeds} must be at least 1 (20 recommended)")
        workers = exp.get("workers")
        if workers is not None and int(workers) < 1:
            raise ExperimentError(f"experiment.workers={workers} must be at least 1 (or null: all cores)")
        level = float(exp.get("level") or 0.95)
        if not 0 < level < 1:
            raise ExperimentError(f"experiment.level={level} must lie between 0 and 1 (e.g. 0.95)")
        return cls(name=name, arms=arms, baseline=str(exp["baseline"]), seeds=seeds,
                   metrics=[str(m) for m in exp.get("metrics") or []],
                   workers=None if workers is None else int(workers),
                   out_dir=Path(exp["out_dir"]) if exp.get("out_dir") else None, level=level)

    @property
    def arm_names(self) -> list[str]:
        """Arms with the baseline first, then in config order."""
        return [self.baseline] + [a for a in self.arms if a != self.baseline]


@dataclass
class Job:
    arm: str
    seed: int
    cfg: DictConfig
    dir: Path

    def done(self) -> bool:
        """Finished earlier with the same config (summary.json is written last)."""
        from sim.app.run import finished
        return finished(self.dir, self.cfg)


# ---------------------------------------------------------------- composing the runs' configs
PACKAGE_SOURCES = ("hydra", "main", "schema")  # Hydra's config sources that are not the user's own folders


def command_line_overrides() -> list[str]:
    """The current Hydra job's command-line overrides (``experiment=NAME population.size=2000 ...``).

    Led by the user's own config folders as one ``hydra.searchpath=[...]``: ``--config-dir DIR`` and
    every ``hydra.searchpath`` entry (the command line's or a user's config file's), so an experiment
    or an option kept outside conf/ (``growthsim --config-dir DIR experiment=mine``) composes in every run.
    """
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        raise ExperimentError("run_experiment(cfg) outside a Hydra app needs overrides=[...] "
                              "(the overrides that composed cfg, e.g. ['+experiment=incentives'])")
    hydra_cfg = HydraConfig.get()
    own = [f"'{s.schema}://{s.path}'" for s in hydra_cfg.runtime.config_sources if s.provider not in PACKAGE_SOURCES]
    searchpath = [f"hydra.searchpath=[{','.join(own)}]"] if own else []
    return [*searchpath, *hydra_cfg.overrides.task]


@contextlib.contextmanager
def _own_hydra():
    """Let ``sim.load_config`` initialise Hydra even inside ``@hydra.main``; restore the app's Hydra after."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobRuntime

    saved = Singleton._instances.pop(GlobalHydra, None)
    name = OmegaConf.select(JobRuntime.instance().conf, "name")
    try:
        yield
    finally:
        Singleton._instances.pop(GlobalHydra, None)
        if saved is not None:
            Singleton._instances[GlobalHydra] = saved
        if name is not None:
            JobRuntime.instance().set("name", name)


def _resolved(cfg: DictConfig) -> dict:
    return OmegaConf.to_container(cfg, resolve=True)


def compose_jobs(spec: Spec, base: list[str], out: Path) -> list[Job]:
    """One job per (arm, seed): ``load_config(base + arm + [seed=i, progress=false])``, experiment node cleared.

    Composing takes ~0.15 s, so per arm only seeds 0 and 1 are composed; when they differ in
    nothing but ``seed`` (no key depends on the seed), the other seeds are copies with ``seed`` set.
    """
    from hydra.errors import HydraException

    from sim import load_config
    from sim.config import ConfigError

    def compose(arm: str, seed: int) -> DictConfig:
        try:
            cfg = load_config([*base, *spec.arms[arm], f"seed={seed}", "progress=false"])
        except (HydraException, ConfigError) as err:
            raise ExperimentError(f"arm {arm!r} ({' '.join(spec.arms[arm]) or 'no overrides'}): {err}") from err
        cfg.experiment = None  # the run itself does not depend on the experiment's settings
        return cfg

    jobs = []
    with _own_hydra():
        for arm in spec.arm_names:
            first = compose(arm, 0)
            second = compose(arm, 1) if spec.seeds > 1 else None
            shortcut = second is not None and _resolved(second) == {**_resolved(first), "seed": 1}
            for i in range(spec.seeds):
                if i == 0:
                    cfg = first
                elif shortcut:
                    cfg = first.copy()
                    cfg.seed = i
                else:
                    cfg = compose(arm, i)
                jobs.append(Job(arm, i, cfg, out / "runs" / arm / f"seed_{i}"))
    return jobs


# ---------------------------------------------------------------- running
def run_job(job: Job) -> tuple[str, int, float]:
    """Simulate one (arm, seed) and write its files; summary.json last, so it marks completion."""
    from sim.app.run import simulate, write_outputs

    start = time.perf_counter()
    write_outputs(simulate(job.cfg, progress=False), job.dir, plot=False)
    return job.arm, job.seed, time.perf_counter() - start


def execute(jobs: list[Job], workers: int | None = None, progress: bool = True) -> list[tuple[Job, str]]:
    """Run the jobs not already done, in parallel; return the failed ones with their one-line errors.

    A failed run does not stop the others (whatever finished is kept).
    """
    from tqdm.auto import tqdm

    todo = [j for j in jobs if not j.done()]
    skipped = len(jobs) - len(todo)
    if skipped:
        log.info("resuming: %d of %d runs already done", skipped, len(jobs))
        print(f"resuming: {skipped} of {len(jobs)} runs already done", file=sys.stderr)
    if not todo:
        return []
    workers = min(workers or os.cpu_count() or 1, len(todo))
    failures: list[tuple[Job, str]] = []
    bar = tqdm(total=len(todo), unit="run", desc="runs", disable=not progress, dynamic_ncols=True)
    with bar:
        if workers == 1:
            for job in todo:
                try:
                    run_job(job)
                except Exception as err:  # noqa: BLE001 - keep the other runs going
                    failures.append((job, store.one_line(err)))
                bar.update()
        else:
            # fresh workers with no inherited Hydra state, logging handlers or threads; they end with this process
            with worker_pool(workers) as pool:
                futures = {pool.submit(run_job, job): job for job in todo}
                try:
                    for fut in cf.as_completed(futures):
                        job = futures[fut]
                        try:
                            fut.result()
                        except Exception as err:  # noqa: BLE001
                            failures.append((job, store.one_line(err)))
                        bar.update()
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    return failures


# ---------------------------------------------------------------- collecting and comparing
def collect(jobs: list[Job], spec: Spec, out: Path) -> tuple[pd.DataFrame, list[str]]:
    """One row per run, in job order (``sim.app.store.run_table``: arm, seed, the arm's overrides, every
    summary metric, dir, provenance), and the names of its numeric summary metrics."""
    from sim.app.store import Entry, run_table
    from sim.app.sweep import parse_overrides

    runs, metrics = run_table(out, [Entry({"arm": j.arm, "seed": j.seed}, parse_overrides(spec.arms[j.arm]), j.dir)
                                    for j in jobs])
    return runs, [m for m in metrics if pd.api.types.is_numeric_dtype(runs[m])]


def metric_order(present: list[str], wanted: list[str]) -> list[str]:
    """The experiment's metrics that exist (in its order), then every other summary metric."""
    return [m for m in wanted if m in present] + [m for m in present if m not in wanted]


def compare_arms(runs: pd.DataFrame, baseline: str, arms: list[str], metrics: list[str],
                 level: float = 0.95) -> pd.DataFrame:
    """Per arm and metric: mean and CI over seeds; paired difference and relative change vs the baseline."""
    wide = {arm: runs[runs["arm"] == arm].set_index("seed").sort_index() for arm in arms}
    base = wide[baseline]
    rows = []
    for arm in arms:
        d = wide[arm]
        for m in metrics:
            x = d[m].to_numpy(dtype=float)
            est = stats.mean_ci(x, level)
            row = {"arm": arm, "metric": m, "n": est.n, "mean": est.value,
                   "sd": float(np.nanstd(x, ddof=1)) if est.n > 1 else math.nan,
                   "ci_low": est.low, "ci_high": est.high}
            if arm == baseline:
                row.update(diff=math.nan, diff_ci_low=math.nan, diff_ci_high=math.nan, diff_excludes_0=None,
                           rel_change_pct=math.nan, rel_ci_low=math.nan, rel_ci_high=math.nan)
            else:
                seeds = d.index.intersection(base.index)
                a, b = d.loc[seeds, m].to_numpy(dtype=float), base.loc[seeds, m].to_numpy(dtype=float)
                diff, rel = stats.paired_diff(a, b, level), stats.relative_change(a, b, level)
                row.update(diff=diff.value, diff_ci_low=diff.low, diff_ci_high=diff.high,
                           diff_excludes_0=diff.excludes_zero if diff.n > 1 else None,
                           rel_change_pct=rel.value, rel_ci_low=rel.low, rel_ci_high=rel.high)
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figure
def _share(ts: pd.DataFrame, col: str) -> pd.Series:
    return 100 * (ts[col] / ts["members"].where(ts["members"] > 0)).fillna(0)


SHARE, COUNT = (0.0, 100.0), (0.0, math.inf)  # the values a share (in %) and a count or cost can take


def key_series(ts: pd.DataFrame) -> dict[str, tuple[pd.Series, tuple[float, float]]]:
    """The series plotted per arm (members, active shares, referral joins, cumulative costs if any),
    each with the range of values it can take."""
    out = {"members": (ts["members"], COUNT),
           "active share of members (%)": (_share(ts, "active"), SHARE),
           "weekly active share of members (%)": (_share(ts, "weekly_active"), SHARE),
           "new members by referral per day (7-day mean)":
               (ts["new_by_referral"].rolling(7, min_periods=1).mean(), COUNT)}
    for col in ts.columns:
        if "cost" in col.lower():
            out[f"cumulative {col}"] = (ts[col].cumsum(), COUNT)
    return out


def ci_band(y: np.ndarray, level: float, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per day (column), the t-interval of the mean over seeds (rows), clipped to the range the measure
    can take (``bounds``): with few seeds the interval alone passes 100 % or drops below 0."""
    mean = y.mean(axis=0)
    half = stats.t_quantile(len(y) - 1, level) * y.std(axis=0, ddof=1) / math.sqrt(len(y))
    return np.clip(mean - half, *bounds), np.clip(mean + half, *bounds)


def plot_arms(jobs: list[Job], arms: list[str], path: Path, level: float = 0.95) -> None:
    """Mean per arm with its CI band (t-interval over seeds, per day), one panel per key series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, dict[str, list[np.ndarray]]] = {}
    bounds: dict[str, tuple[float, float]] = {}
    days = None
    for job in jobs:
        ts = pd.read_csv(job.dir / "timeseries.csv")
        days = ts["day"].to_numpy() if days is None or len(ts) > len(days) else days
        for name, (s, bounds[name]) in key_series(ts).items():
            series.setdefault(name, {}).setdefault(job.arm, []).append(s.to_numpy(dtype=float))
    ncols = 2
    nrows = math.ceil(len(series) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 3.4 * nrows), sharex=True, squeeze=False)
    colors = {arm: f"C{i % 10}" for i, arm in enumerate(arms)}
    for ax, (name, per_arm) in zip(axes.flat, series.items()):
        for arm in arms:
            if arm not in per_arm:
                continue
            n_days = min(len(v) for v in per_arm[arm])
            y = np.vstack([v[:n_days] for v in per_arm[arm]])
            mean = y.mean(axis=0)
            ax.plot(days[:n_days], mean, color=colors[arm], lw=1.4, label=arm)
            if len(y) > 1:
                ax.fill_between(days[:n_days], *ci_band(y, level, bounds[name]), color=colors[arm], alpha=0.2, lw=0)
        ax.set_title(name, fontsize=10)
    for ax in axes.flat[len(series):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"mean over seeds per arm, band: {level:.0%} CI", fontsize=10)
    fig.tight_layout()
    try:
        atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- report
def fmt(v: float, signed: bool = False, scale: float | None = None) -> str:
    """A number for people; ``scale`` (a typical magnitude of the metric) fixes the decimals of a column.

    Scale >= 100: thousands separators, no decimals; >= 1: 2 decimals; >= 0.001: 4 decimals;
    smaller: 2 significant digits in scientific notation.
    """
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    sign = "+" if signed else ""
    a = abs(v) if scale is None or not math.isfinite(scale) else abs(scale)
    if a >= 100:
        return f"{v:{sign},.0f}"
    if a >= 1:
        return f"{v:{sign}.2f}"
    if a >= 0.001 or a == 0:
        return f"{v:{sign}.4f}"
    return f"{v:{sign}.2e}"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _cell_mean(r, scale: float) -> str:
    return f"{fmt(r['mean'], scale=scale)} [{fmt(r['ci_low'], scale=scale)}, {fmt(r['ci_high'], scale=scale)}]"


def _cell_diff(r, scale: float) -> str:
    lo, hi = fmt(r["diff_ci_low"], True, scale), fmt(r["diff_ci_high"], True, scale)
    cell = f"{fmt(r['diff'], True, scale)} [{lo}, {hi}]"
    if math.isfinite(r["rel_change_pct"]):
        cell += f" ({r['rel_change_pct']:+.1f}%)"
    return f"**{cell}**" if r["diff_excludes_0"] is True else cell


def _scale(arms_df: pd.DataFrame, metric: str) -> float:
    """The largest absolute mean of a metric over the arms: sets its number format in the report."""
    means = arms_df.loc[arms_df["metric"] == metric, "mean"].abs()
    return float(means.max()) if means.notna().any() else math.nan


def _tables(arms_df: pd.DataFrame, spec: Spec, metrics: list[str]) -> str:
    arms = spec.arm_names
    others = arms[1:]
    get = {(r["arm"], r["metric"]): r for r in arms_df.to_dict("records")}
    scale = {m: _scale(arms_df, m) for m in metrics}
    means = _md_table(["metric", *[f"{a} (baseline)" if a == spec.baseline else a for a in arms]],
                      [[f"`{m}`", *[_cell_mean(get[a, m], scale[m]) for a in arms]] for m in metrics])
    if not others:
        return means
    diffs = _md_table(["metric", *[f"{a} − {spec.baseline}" for a in others]],
                      [[f"`{m}`", *[_cell_diff(get[a, m], scale[m]) for a in others]] for m in metrics])
    return f"Mean [{spec.level:.0%} CI]:\n\n{means}\n\nPaired difference vs `{spec.baseline}` " \
           f"[{spec.level:.0%} CI] (relative change); **bold**: the CI excludes 0:\n\n{diffs}"


def write_report(path: Path, spec: Spec, base: list[str], jobs: list[Job], arms_df: pd.DataFrame,
                 metrics: list[str]) -> None:
    """report.md: setup, metrics per arm, paired differences, flagged findings, costs, the figure."""
    lvl = f"{spec.level:.0%}"
    cfg0 = next(j.cfg for j in jobs if j.arm == spec.baseline and j.seed == 0)
    headline = [m for m in spec.metrics if m in metrics]
    absent = [m for m in spec.metrics if m not in metrics]
    cost = [m for m in metrics if "cost" in m.lower() and m not in headline]
    other = [m for m in metrics if m not in headline and m not in cost]
    if not headline:
        headline, other = other, []

    out = [f"# Experiment `{spec.name}`", ""]
    out += [f"Compares {len(spec.arms)} arms over {spec.seeds} seeds each ({len(jobs)} runs) against the "
            f"baseline `{spec.baseline}`. Seed i is the same in every arm (common random numbers), so the "
            f"arms are compared seed by seed: a *paired difference* is the mean over seeds of "
            f"(arm − baseline) on the same seed, with a {lvl} t-interval over seeds. "
            f"A difference whose interval excludes 0 is marked **bold**; with many metrics and arms, "
            f"expect about one in {round(1 / (1 - spec.level))} of the true-zero differences to be "
            "flagged by chance.", ""]
    out += ["## Setup", "",
            f"- command-line overrides: `{' '.join(base) or '(none)'}`",
            f"- population: {cfg0.population.size:,} people, {cfg0.population.initial_members} initial members, "
            f"organic rate {cfg0.population.organic_rate:g}/day; graph `{cfg0.graph.kind}`; {cfg0.days} days; "
            f"seeds 0..{spec.seeds - 1}",
            "", _md_table(["arm", "overrides"],
                          [[f"`{a}`" + (" (baseline)" if a == spec.baseline else ""),
                            " ".join(f"`{o}`" for o in spec.arms[a]) or "(defaults)"] for a in spec.arm_names]),
            ""]
    out += ["## Results", "", _tables(arms_df, spec, headline), ""]
    if absent:
        out += [f"Not in the summaries, so not reported: {', '.join(f'`{m}`' for m in absent)}.", ""]

    out += ["## Differences whose CI excludes 0", ""]
    out += _findings(arms_df, spec, headline + cost)
    if cost:
        nonzero = [m for m in cost if (arms_df.loc[arms_df["metric"] == m, "mean"].fillna(0) != 0).any()]
        out += ["## Costs", ""]
        if nonzero:
            out += [_tables(arms_df, spec, nonzero), ""]
        zero = [f"`{m}`" for m in cost if m not in nonzero]
        if zero:
            out += [f"Zero in every arm: {', '.join(zero)}.", ""]
    if other:
        out += ["## Other summary metrics", "", _tables(arms_df, spec, other), ""]
    out += ["## Over time", "",
            f"![mean per arm with {lvl} CI band](timeseries.png)", "",
            "## Files", "",
            "- `arms.csv`: per arm and metric: n, mean, sd, CI, paired difference to the baseline with CI "
            "(`diff*`), whether that CI excludes 0, relative change in % with CI (`rel*`)",
            "- `runs.csv`, `runs.parquet`: one row per run (arm, seed, the arm's overrides, summary metrics, "
            "provenance); `timeseries.parquet`: every run's daily series",
            "- `runs/<arm>/seed_<i>/`: each run's config.yaml, timeseries.csv, summary.json",
            "- definitions: docs/experiments.md, docs/metrics.md", ""]
    atomic_write(path, "\n".join(out))


def _findings(arms_df: pd.DataFrame, spec: Spec, metrics: list[str]) -> list[str]:
    """One line per arm: the metrics it raises or lowers, relative change (else difference) with its CI."""
    lines = []
    for arm in spec.arm_names[1:]:
        rows = arms_df[(arms_df["arm"] == arm) & (arms_df["diff_excludes_0"] == True)]  # noqa: E712
        rows = sorted((r for r in rows.to_dict("records") if r["metric"] in metrics),
                      key=lambda r: metrics.index(r["metric"]))
        parts = {"raises": [], "lowers": []}
        for r in rows:
            if math.isfinite(r["rel_change_pct"]):
                what = f"{r['rel_change_pct']:+.1f}% [{r['rel_ci_low']:+.1f}%, {r['rel_ci_high']:+.1f}%]"
            else:
                sc = _scale(arms_df, r["metric"])
                what = (f"{fmt(r['diff'], True, sc)} [{fmt(r['diff_ci_low'], True, sc)}, "
                        f"{fmt(r['diff_ci_high'], True, sc)}]")
            parts["raises" if r["diff"] > 0 else "lowers"].append(f"`{r['metric']}` {what}")
        said = "; ".join(f"{word} {', '.join(items)}" for word, items in parts.items() if items)
        lines.append(f"- **`{arm}`** {said}" if said else
                     f"- `{arm}`: no difference beyond the noise of {spec.seeds} seeds")
    return [*lines, "", "Relative change (%) where the metric allows it, else the difference in the "
            f"metric's unit; brackets: {spec.level:.0%} CI.", ""] if lines else []


# ---------------------------------------------------------------- entry points
AGGREGATES = ("runs.csv", "runs.parquet", "timeseries.parquet", "arms.csv", "timeseries.png", "report.md")


def run(spec: Spec, base: list[str], out: Path | None = None, progress: bool = True) -> Path:
    """Run (or resume) the experiment and write every output; return the output directory.

    The manifest (experiment.yaml) is removed first and written last, after the aggregate files; the
    aggregates of another definition are removed first. So a folder left by a kill midway never shows
    a manifest that its report and tables do not follow."""
    out = Path(out or spec.out_dir or OUTPUTS / spec.name)
    jobs = compose_jobs(spec, base, out)
    manifest = writable_dir(out) / "experiment.yaml"
    definition = OmegaConf.to_yaml(OmegaConf.create({
        "name": spec.name, "baseline": spec.baseline, "seeds": spec.seeds, "level": spec.level,
        "arms": spec.arms, "metrics": spec.metrics, "command_line_overrides": base}))
    if not manifest.is_file() or manifest.read_text() != definition:
        for name in AGGREGATES:
            (out / name).unlink(missing_ok=True)
    manifest.unlink(missing_ok=True)
    store.note_stale([j.dir for j in jobs], out)
    failed = execute(jobs, spec.workers, progress)

    runs, present = collect([j for j in jobs if all(j is not f for f, _ in failed)], spec, out)
    store.write_tables(out, runs, ["arm", "seed"])
    store.write_failures(out, pd.DataFrame(
        [(j.arm, j.seed, j.dir.relative_to(out).as_posix(), " ".join(spec.arms[j.arm]), error) for j, error in failed],
        columns=["arm", "seed", "dir", "overrides", "error"]))
    if failed:
        raise RunsFailed(f"{len(failed)} of {len(jobs)} runs failed, listed with their errors in "
                         f"{out / 'failures.csv'} (first: {failed[0][0].dir.relative_to(out).as_posix()}: {failed[0][1]}); the finished runs "
                         "are kept and tabled in runs.csv and runs.parquet: fix the cause and run the same command "
                         "again to run only the missing ones")
    metrics = metric_order(present, spec.metrics)
    arms_df = compare_arms(runs, spec.baseline, spec.arm_names, metrics, spec.level)
    atomic_write(out / "arms.csv", arms_df.to_csv(index=False))
    plot_arms(jobs, spec.arm_names, out / "timeseries.png", spec.level)
    write_report(out / "report.md", spec, base, jobs, arms_df, metrics)
    atomic_write(manifest, definition)
    return out


def run_experiment(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """``growthsim experiment=NAME [overrides]``: run every arm over every seed, then compare.

    ``overrides`` are the ones that composed ``cfg`` (default: the Hydra job's command line); they
    are applied to every run before the arm's own overrides, so they set the common config.
    """
    from hydra.errors import HydraException

    from sim.config import ConfigError

    try:
        spec = Spec.from_cfg(cfg.get("experiment"))
        base = command_line_overrides() if overrides is None else list(overrides)
        out = run(spec, base)
    except RunsFailed as err:  # exit 1: the input was fine, some runs were not
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(1)
    except (ExperimentError, ConfigError, HydraException) as err:
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"experiment {spec.name}: {len(spec.arms)} arms x {spec.seeds} seeds")
    print(f"outputs: {out}  (report: {out / 'report.md'})")
    return out
