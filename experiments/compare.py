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
                               and the chance the arm gives more than the baseline on a seed
    timeseries.png             key series per arm, mean and CI band over seeds
    report.md                  the readable summary of all this

A finished run (summary.json present, same config, made by the same code: provenance.json) is never
recomputed, so an interrupted experiment resumes where it stopped; one made by other code is rerun.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.measures import stats
from experiments.runner import (COUNT, SHARE, Job, RunsFailed, band, begin_outputs,
                                command_line_overrides, execute, figure, md_table, paired_jobs, reported,
                                save_figure)
from experiments.schema import Comparison, parse
from sim.app import store
from sim.app.run import OUTPUTS, atomic_write


def compose_jobs(spec: Comparison, base: list[str], out: Path, fitted=None) -> list[Job]:
    """One job per (arm, seed): the command line's overrides ``base``, then the arm's. On a fitted community
    (``experiments.fit.FittedCommunity``) the runs continue its history: its overrides first, the arms'
    levers launched the day after the history, seed i on set i of its kept sets."""
    common = base if fitted is None else fitted.forecast(spec.horizon, base)
    jobs = paired_jobs({arm: [*common, *spec.arms[arm]] for arm in spec.arm_names}, range(spec.seeds), out)
    if fitted is not None:
        fitted.launch(jobs, common)
    return jobs


def run_job(job: Job) -> tuple[str, int, float]:
    """Simulate one (arm, seed) and write its files; summary.json last, so it marks completion."""
    from sim.app.run import simulate, write_outputs

    start = time.perf_counter()
    write_outputs(simulate(job.cfg, progress=False), job.dir, plot=False)
    return job.arm, job.seed, time.perf_counter() - start


# ---------------------------------------------------------------- collecting and comparing
def collect(jobs: list[Job], spec: Comparison, out: Path) -> tuple[pd.DataFrame, list[str]]:
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
                           rel_change_pct=math.nan, rel_ci_low=math.nan, rel_ci_high=math.nan, p_higher=math.nan)
            else:
                seeds = d.index.intersection(base.index)
                a, b = d.loc[seeds, m].to_numpy(dtype=float), base.loc[seeds, m].to_numpy(dtype=float)
                diff, rel = stats.paired_diff(a, b, level), stats.relative_change(a, b, level)
                row.update(diff=diff.value, diff_ci_low=diff.low, diff_ci_high=diff.high,
                           diff_excludes_0=diff.excludes_zero if diff.n > 1 else None,
                           rel_change_pct=rel.value, rel_ci_low=rel.low, rel_ci_high=rel.high,
                           p_higher=float(np.mean(a > b) + 0.5 * np.mean(a == b)) if len(a) else math.nan)
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figure
def _share(ts: pd.DataFrame, col: str) -> pd.Series:
    return 100 * (ts[col] / ts["members"].where(ts["members"] > 0)).fillna(0)


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


OBSERVED = {"members": "members", "active share of members (%)": "active",  # key series -> the history's column
            "weekly active share of members (%)": "weekly_active"}


def plot_arms(jobs: list[Job], arms: list[str], path: Path, level: float = 0.95,
              history: pd.DataFrame | None = None) -> None:
    """Mean per arm with its CI band (t-interval over seeds, per day), one panel per key series. With a
    fitted community's ``history``: the forecast, the band holding ``level`` of the runs (seeds and sets),
    the observed days as dots and the launch as a dashed line."""
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
    fig, axes = figure(nrows, ncols, figsize=(11, 3.4 * nrows), sharex=True)
    colors = {arm: f"C{i % 10}" for i, arm in enumerate(arms)}
    for ax, (name, per_arm) in zip(axes.flat, series.items()):
        for arm in arms:
            if arm not in per_arm:
                continue
            n_days = min(len(v) for v in per_arm[arm])
            y = np.vstack([v[:n_days] for v in per_arm[arm]])
            if history is None:
                band(ax, days[:n_days], y, level, bounds[name], colors[arm], arm)
            else:
                low, mid, high = np.quantile(y, [(1 - level) / 2, 0.5, (1 + level) / 2], axis=0)
                ax.plot(days[:n_days], mid, color=colors[arm], lw=1.4, label=arm)
                ax.fill_between(days[:n_days], low, high, color=colors[arm], alpha=0.2, lw=0)
        if history is not None:
            col = OBSERVED.get(name)
            if col in history:
                seen = history[col] if col == "members" else _share(history, col)
                ax.plot(history["day"], seen, "k.", ms=2.5, label="observed")
            ax.axvline(history["day"].iloc[-1] + 0.5, color="0.4", ls="--", lw=0.8)
        ax.set_title(name, fontsize=10)
    for ax in axes.flat[len(series):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"mean over seeds per arm, band: {level:.0%} CI" if history is None else
                 f"forecast after the observed history (dots; dashed: launch): median per arm, band: {level:.0%} of "
                 "the runs (seeds and kept sets)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


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


def _tables(arms_df: pd.DataFrame, spec: Comparison, metrics: list[str]) -> str:
    arms = spec.arm_names
    others = arms[1:]
    get = {(r["arm"], r["metric"]): r for r in arms_df.to_dict("records")}
    scale = {m: _scale(arms_df, m) for m in metrics}
    means = md_table(["metric", *[f"{a} (baseline)" if a == spec.baseline else a for a in arms]],
                      [[f"`{m}`", *[_cell_mean(get[a, m], scale[m]) for a in arms]] for m in metrics])
    if not others:
        return means
    diffs = md_table(["metric", *[f"{a} − {spec.baseline}" for a in others]],
                      [[f"`{m}`", *[_cell_diff(get[a, m], scale[m]) for a in others]] for m in metrics])
    return f"Mean [{spec.level:.0%} CI]:\n\n{means}\n\nPaired difference vs `{spec.baseline}` " \
           f"[{spec.level:.0%} CI] (relative change); **bold**: the CI excludes 0:\n\n{diffs}"


def write_report(path: Path, spec: Comparison, base: list[str], jobs: list[Job], arms_df: pd.DataFrame,
                 metrics: list[str], fitted=None, runs: pd.DataFrame | None = None) -> None:
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
            *([] if fitted is None else [
                f"- community: fitted by `growthsim experiment=fit` (`{fitted.folder}`): its {fitted.days} days of "
                f"history, then {spec.horizon} days forecast; the arms' levers launch on day {fitted.days + 1} "
                f"(until then the practice of the fit's command line: "
                f"{' '.join(f'`{o}`' for o in fitted.practice) or 'no levers'}); seed i of every arm takes set i of "
                "the fit's kept sets, so every interval and chance below holds the parameter (ensemble) "
                "uncertainty and the seed uncertainty together"]),
            "", md_table(["arm", "overrides"],
                          [[f"`{a}`" + (" (baseline)" if a == spec.baseline else ""),
                            " ".join(f"`{o}`" for o in spec.arms[a]) or "(defaults)"] for a in spec.arm_names]),
            ""]
    out += ["## Results", "", _tables(arms_df, spec, headline), ""]
    if absent:
        out += [f"Not in the summaries, so not reported: {', '.join(f'`{m}`' for m in absent)}.", ""]

    if fitted is not None:
        out += [f"Forecast range: the middle {lvl} of the runs (each a seed and a kept set), where one "
                "realisation of the campaign may land (the CI above is that of the mean):", "",
                md_table(["metric", *spec.arm_names], [[f"`{m}`", *[_range(runs, a, m, spec.level) for a in spec.arm_names]]
                                                        for m in headline]), ""]
    if len(spec.arms) > 1:
        out += [f"Chance that the arm gives more than `{spec.baseline}` on the same seed"
                f"{' and set' if fitted else ''} (ties count half; over {spec.seeds} pairs):", "",
                md_table(["metric", *[f"P({a} > {spec.baseline})" for a in spec.arm_names[1:]]],
                         [[f"`{m}`", *[f"{_p_higher(arms_df, a, m):.2f}" for a in spec.arm_names[1:]]]
                          for m in headline]), ""]
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
            "(`diff*`), whether that CI excludes 0, relative change in % with CI (`rel*`), the chance the arm "
            "gives more than the baseline on the same seed (`p_higher`)",
            "- `runs.csv`, `runs.parquet`: one row per run (arm, seed, the arm's overrides, summary metrics, "
            "provenance); `timeseries.parquet`: every run's daily series",
            "- `runs/<arm>/seed_<i>/`: each run's config.yaml, timeseries.csv, summary.json",
            "- definitions: docs/experiments.md, docs/metrics.md", ""]
    atomic_write(path, "\n".join(out))


def _range(runs: pd.DataFrame, arm: str, metric: str, level: float) -> str:
    x = runs.loc[runs["arm"] == arm, metric].to_numpy(dtype=float)
    low, high = np.nanquantile(x, [(1 - level) / 2, (1 + level) / 2])
    scale = float(np.nanmax(np.abs(x))) if len(x) else math.nan
    return f"{fmt(low, scale=scale)} .. {fmt(high, scale=scale)}"


def _p_higher(arms_df: pd.DataFrame, arm: str, metric: str) -> float:
    return float(arms_df.loc[(arms_df["arm"] == arm) & (arms_df["metric"] == metric), "p_higher"].iloc[0])


def _findings(arms_df: pd.DataFrame, spec: Comparison, metrics: list[str]) -> list[str]:
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
MANIFEST = "experiment.yaml"  # what was run; written last
AGGREGATES = ("runs.csv", "runs.parquet", "timeseries.parquet", "arms.csv", "timeseries.png", "report.md")


def run(spec: Comparison, base: list[str], out: Path | None = None, progress: bool = True) -> Path:
    """Run (or resume) the experiment and write every output; return the output directory.

    The manifest (experiment.yaml) is removed first and written last, after the aggregate files; the
    aggregates of another definition are removed first. So a folder left by a kill midway never shows
    a manifest that its report and tables do not follow."""
    out = Path(out or spec.out_dir or OUTPUTS / spec.name)
    fitted = None
    if spec.fitted is not None:
        from experiments.fit import FittedCommunity
        fitted = FittedCommunity.load(spec.fitted)
    jobs = compose_jobs(spec, base, out, fitted)
    definition = OmegaConf.to_yaml(OmegaConf.create({
        "name": spec.name, "baseline": spec.baseline, "seeds": spec.seeds, "level": spec.level,
        "arms": spec.arms, "metrics": spec.metrics, "command_line_overrides": base,
        **({"fitted": str(fitted.folder.resolve()), "horizon": spec.horizon} if fitted else {})}))
    begin_outputs(out, MANIFEST, definition, AGGREGATES)
    store.note_stale([j.dir for j in jobs], out)
    _, failed = execute(run_job, jobs, spec.workers, progress)

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
    history = pd.read_csv(fitted.folder / "history.csv") if fitted else None
    plot_arms(jobs, spec.arm_names, out / "timeseries.png", spec.level, history)
    write_report(out / "report.md", spec, base, jobs, arms_df, metrics, fitted, runs)
    atomic_write(out / MANIFEST, definition)
    return out


def run_experiment(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """``growthsim experiment=NAME [overrides]``: run every arm over every seed, then compare.

    ``overrides`` are the ones that composed ``cfg`` (default: the Hydra job's command line); they
    are applied to every run before the arm's own overrides, so they set the common config.
    """
    with reported():
        spec = parse(Comparison, cfg.get("experiment"))
        out = run(spec, command_line_overrides() if overrides is None else list(overrides))
    print(f"experiment {spec.name}: {len(spec.arms)} arms x {spec.seeds} seeds")
    print(f"outputs: {out}  (report: {out / 'report.md'})")
    return out
