"""``growthsim experiment=ensemble``: a posterior ensemble of the behavioural parameters from the public
cases, its sensitivity analysis, and the leave-one-case-out check (docs/cases.md, "The ensemble").

The free parameters (``experiment.params``, at most 15) have uniform priors over stated ranges (in log
scale where marked); every other parameter is fixed by ``conf/fitted/<fitted>.yaml`` or the engine's
defaults. Each *set* of free values runs both arms of every case once, on a seed of its own, in fast
mode; a set's result is the value of each case number (a *row*: a target of one arm, or a relative
change) in the target's units. Steps, each resumable (finished chunks of sets are kept in
``<out>/chunks``; a run with the same settings skips them):

1. ``table``: the reference table, ``table`` prior draws (a scrambled Sobol' sequence);
2. ABC rejection (Pritchard et al. 1999; Beaumont et al. 2002): the ``accept`` sets of the table closest
   to the cases form the ensemble (equal weights); distance = sqrt(sum of squared misses in tolerances,
   each capped at ``max_miss``);
3. ``replicate``: every ensemble set once more on a second seed, to split the predictive spread into
   parameter and seed uncertainty;
4. ``morris``: Morris elementary effects (SALib; Morris 1991, Campolongo et al. 2007) over the free and
   the ``screened`` parameters: which parameters move the distance to the cases at all;
5. ``sobol``: Sobol' first-order and total indices of the free parameters (SALib; Saltelli et al. 2010);
6. leave one case out: for each case, the ``accept`` sets closest to the *other* cases predict it
   (median and ``level`` interval over those sets, each on its own seed).

Writes ``evaluations.parquet``, ``ensemble.parquet``, ``loco.csv``, ``posterior_predictive.csv``,
``sensitivity.csv``, ``ensemble.png`` and ``report.md`` (last) into ``out_dir``; with ``publish``, also
``conf/fitted/ensemble.parquet`` and ``results/cases/loco.csv``.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from experiments.calibrate import with_values
from experiments.cases import TOLERANCE, case_jobs, measure_runs, select_cases
from experiments.runner import ExperimentError, Job, atomic_write, begin_outputs, figure, md_table, reported, \
    save_figure
from experiments.schema import Case, EnsembleFit, parse
from sim.app.launcher import worker_pool
from sim.app.run import OUTPUTS

PUBLISHED = {"ensemble.parquet": Path("conf/fitted/ensemble.parquet"),  # from the current folder, as out_dir
             "loco.csv": Path("results/cases/loco.csv")}
SEED_BASE = {"table": 10_000, "morris": 20_000, "sobol": 30_000, "replicate": 40_000}  # never 0..19 or 1000..
CHUNK = 32  # sets per resumable chunk


# ---------------------------------------------------------------- case numbers
@dataclass(frozen=True)
class Row:
    """One case number: a target of one arm (share), the treatment's bound (above/below) or the relative
    change of treatment vs baseline (relative), in the target's units (% or points)."""
    case: str      # C01
    name: str      # c01: the case's file
    key: str       # the target's measure key
    arm: str       # baseline | treatment | treatment vs baseline
    kind: str
    target: float
    scale: float

    @property
    def label(self) -> str:
        return f"{self.case}:{self.key}:{self.arm}"

    @property
    def tolerance(self) -> float:
        return TOLERANCE["relative" if self.kind == "relative" else "share"]

    def value(self, base: np.ndarray, treat: np.ndarray) -> np.ndarray:
        if self.kind == "relative":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(base > 0, 100.0 * (treat / base - 1.0), np.nan)
        return (base if self.arm == "baseline" else treat) * self.scale

    def miss(self, v: np.ndarray) -> np.ndarray:
        """Distance to the target in tolerances (0 when met); a run with no value misses by 20."""
        if self.kind == "above":
            d = np.maximum(0.0, self.target - v)
        elif self.kind == "below":
            d = np.maximum(0.0, v - self.target)
        else:
            d = np.abs(v - self.target)
        return np.where(np.isfinite(v), d / self.tolerance, 20.0)

    def within(self, v: float) -> bool:
        return bool(self.miss(np.asarray(v, dtype=float)) == 0.0) if self.kind in ("above", "below") else \
            bool(abs(v - self.target) <= self.tolerance)

    def covered(self, low: float, high: float) -> bool:
        """Whether the predictive interval holds the target (a bound: the interval reaches its side)."""
        if self.kind == "above":
            return high > self.target
        if self.kind == "below":
            return low < self.target
        return low <= self.target <= high


def case_rows(cases: list[Case]) -> list[Row]:
    rows = []
    for c in cases:
        for t in c.targets:
            sc = t.scale()
            if t.kind == "share":
                rows += [Row(c.id, c.name, t.key, arm, "share", getattr(t, arm) * sc, sc)
                         for arm in ("baseline", "treatment") if getattr(t, arm) is not None]
            elif t.kind == "relative":
                rows.append(Row(c.id, c.name, t.key, "treatment vs baseline", "relative", float(t.target), sc))
            else:
                rows.append(Row(c.id, c.name, t.key, "treatment", t.kind, t.bound * sc, sc))
    return rows


def distance(misses: np.ndarray, cap: float) -> np.ndarray:
    """[sets, rows] misses -> per-set distance sqrt(sum of squared capped misses)."""
    return np.sqrt(np.sum(np.minimum(misses, cap) ** 2, axis=1))


# ---------------------------------------------------------------- the prior
@dataclass
class Prior:
    """Uniform priors over ``params`` (key: (low, high, log)), mapped from the unit cube."""
    params: dict

    @property
    def keys(self) -> list[str]:
        return list(self.params)

    def values(self, u: np.ndarray) -> np.ndarray:
        out = np.empty_like(u, dtype=float)
        for j, (lo, hi, log) in enumerate(self.params.values()):
            out[:, j] = np.exp(math.log(lo) + u[:, j] * (math.log(hi) - math.log(lo))) if log else lo + u[:, j] * (hi - lo)
        return out

    def unit(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values, dtype=float)
        for j, (lo, hi, log) in enumerate(self.params.values()):
            out[:, j] = (np.log(values[:, j]) - math.log(lo)) / (math.log(hi) - math.log(lo)) if log \
                else (values[:, j] - lo) / (hi - lo)
        return out

    def problem(self) -> dict:
        """SALib's problem on the unit cube (the sensitivity is per unit of the prior's range)."""
        return {"num_vars": len(self.params), "names": self.keys, "bounds": [[0.0, 1.0]] * len(self.params)}


def design(step: str, prior: Prior, n: int) -> np.ndarray:
    """The unit-cube points of a step: Morris trajectories, a Saltelli design, or scrambled Sobol' draws."""
    if step == "morris":
        from SALib.sample import morris

        return morris.sample(prior.problem(), n, num_levels=4, seed=0)
    if step == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prior.problem(), n, calc_second_order=False, scramble=True, seed=0)
    from scipy.stats import qmc

    return qmc.Sobol(len(prior.params), scramble=True, seed=0).random(n)


# ---------------------------------------------------------------- running sets
class Evaluator:
    """Runs sets of values on every case (both arms, one seed per set) and returns their rows."""

    def __init__(self, cases: list[Case], fitted: str, fast: bool, workers: int):
        self.cases, self.rows = cases, case_rows(cases)
        self.templates = case_jobs(cases, [0], fast, [], fitted)
        self.workers = workers
        self.pool = worker_pool(workers) if workers > 1 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __call__(self, keys: list[str], values: np.ndarray, seeds: list[int]) -> np.ndarray:
        """[sets, rows] values of the case numbers."""
        jobs = [Job(j.arm, s, with_values(j.cfg, {**dict(zip(keys, map(float, v))), "seed": s}), None, j.group)
                for v, s in zip(values, seeds) for j in self.templates]
        runs = measure_runs(self.cases, jobs, seeds, self.workers, pool=self.pool)
        out = np.empty((len(seeds), len(self.rows)))
        for r, row in enumerate(self.rows):
            cr = runs[row.name]
            out[:, r] = row.value(cr.values[("baseline", row.key)], cr.values[("treatment", row.key)])
        return out


def run_step(ev: Evaluator, chunks: Path, step: str, keys: list[str], values: np.ndarray, seeds: list[int],
             progress: bool) -> pd.DataFrame:
    """Evaluate every set of a step in chunks of CHUNK sets; a chunk on disk with the same seeds is not run again."""
    from tqdm.auto import tqdm

    frames = []
    starts = range(0, len(values), CHUNK)
    with tqdm(total=len(values), unit="set", desc=step, disable=not progress, dynamic_ncols=True) as bar:
        for a in starts:
            path = chunks / f"{step}_{a:05d}.parquet"
            b = min(a + CHUNK, len(values))
            if not path.is_file() or pd.read_parquet(path, columns=["seed"]).seed.tolist() != list(seeds[a:b]):
                got = ev(keys, values[a:b], seeds[a:b])
                frame = pd.DataFrame(values[a:b], columns=keys)
                frame.insert(0, "seed", seeds[a:b])
                frame.insert(0, "set", range(a, b))
                frame.insert(0, "step", step)
                frame = pd.concat([frame, pd.DataFrame(got, columns=[row.label for row in ev.rows])], axis=1)
                atomic_write(path, lambda p, f=frame: f.to_parquet(p, index=False))
            frames.append(pd.read_parquet(path))
            bar.update(b - a)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- analysis
def sensitivity(prior_all: Prior, prior: Prior, morris: pd.DataFrame | None, sobol: pd.DataFrame | None,
                rows: list[Row], cap: float) -> pd.DataFrame:
    """Morris mu* (normalised by the largest) and Sobol' S1/ST of the distance to the cases, per parameter."""
    from SALib.analyze import morris as morris_a
    from SALib.analyze import sobol as sobol_a

    out = pd.DataFrame({"parameter": prior_all.keys, "free": [k in prior.params for k in prior_all.keys]})
    if morris is not None:
        x = prior_all.unit(morris[prior_all.keys].to_numpy())
        y = distance(np.column_stack([r.miss(morris[r.label].to_numpy()) for r in rows]), cap)
        m = morris_a.analyze(prior_all.problem(), x, y, num_levels=4, seed=0)
        out["morris_mu_star"] = m["mu_star"] / max(m["mu_star"].max(), 1e-12)
        out["morris_sigma"] = m["sigma"] / max(m["mu_star"].max(), 1e-12)
    if sobol is not None:
        y = distance(np.column_stack([r.miss(sobol[r.label].to_numpy()) for r in rows]), cap)
        s = sobol_a.analyze(prior.problem(), y, calc_second_order=False, seed=0)
        col = {k: i for i, k in enumerate(prior.keys)}
        for name in ("S1", "S1_conf", "ST", "ST_conf"):
            out[f"sobol_{name}"] = [s[name][col[k]] if k in col else np.nan for k in out.parameter]
    return out


def predict(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and central ``level`` interval over sets, per row (NaN values ignored)."""
    a = (1 - level) / 2
    q = np.nanquantile(values, [0.5, a, 1 - a], axis=0)
    return q[0], q[1], q[2]


def closest(d: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` smallest distances (ties by order: stable)."""
    return np.argsort(d, kind="stable")[:n]


def leave_one_out(table: pd.DataFrame, rows: list[Row], accept: int, cap: float, level: float) -> pd.DataFrame:
    """For each case: the sets closest to the other cases predict its rows."""
    values = table[[r.label for r in rows]].to_numpy()
    misses = np.column_stack([r.miss(values[:, i]) for i, r in enumerate(rows)])
    out = []
    for case in dict.fromkeys(r.case for r in rows):
        mine = np.array([r.case == case for r in rows])
        keep = closest(distance(misses[:, ~mine], cap), accept)
        med, low, high = predict(values[keep][:, mine], level)
        for r, m, lo, hi in zip([r for r in rows if r.case == case], med, low, high):
            out.append({"case": r.case, "measure": r.key, "arm": r.arm, "target": r.target, "predicted": m,
                        "low": lo, "high": hi, "within_tolerance": r.within(m), "in_interval": r.covered(lo, hi),
                        "within_10": r.within(m) or bool(abs(m - r.target) <= 10), "kind": r.kind})
    return pd.DataFrame(out)


def posterior_predictive(ens: pd.DataFrame, rep: pd.DataFrame | None, rows: list[Row], level: float) -> pd.DataFrame:
    """In sample: each row over the ensemble, with the parameter part (interval of the per-set means over
    two seeds) and the seed part (the spread between a set's two seeds) apart."""
    labels = [r.label for r in rows]
    first = ens[labels].to_numpy()
    med, low, high = predict(first, level)
    z = _z(level)
    out = []
    for i, r in enumerate(rows):
        row = {"case": r.case, "measure": r.key, "arm": r.arm, "target": r.target, "predicted": med[i],
               "low": low[i], "high": high[i], "within_tolerance": r.within(med[i]),
               "in_interval": r.covered(low[i], high[i])}
        if rep is not None:
            second = rep.set_index("set").loc[ens["set"], r.label].to_numpy()
            pair = np.column_stack([first[:, i], second])
            means = np.nanmean(pair, axis=1)
            a = (1 - level) / 2
            row["param_low"], row["param_high"] = np.nanquantile(means, [a, 1 - a])
            row["seed_sd"] = float(np.sqrt(np.nanmean((pair[:, 0] - pair[:, 1]) ** 2) / 2))
            row["seed_half_width"] = z * row["seed_sd"]
        out.append(row)
    return pd.DataFrame(out)


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def skill(df: pd.DataFrame) -> dict:
    """The headline numbers of a prediction table."""
    point = df[~df.kind.isin(["above", "below"])] if "kind" in df else df
    return {"rows": len(df), "in_interval": int(df.in_interval.sum()), "within_tolerance": int(df.within_tolerance.sum()),
            "within_10": int(df.within_10.sum()) if "within_10" in df else None,
            "mae": float((point.predicted - point.target).abs().mean()),
            "median_width": float((df.high - df.low).median())}


# ---------------------------------------------------------------- report
def _f(v, digits: int = 1) -> str:
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{digits}f}"


def write_report(spec: EnsembleFit, loco: pd.DataFrame, pp: pd.DataFrame, sens: pd.DataFrame,
                 ens: pd.DataFrame, prior: Prior, n_table: int, wall: float) -> str:
    lo_s, pp_s = skill(loco), skill(pp.assign(kind=loco.kind.values))
    lines = ["# The case ensemble: out-of-sample skill first", "",
             f"Generated by `growthsim experiment=ensemble` ({len(prior.params)} free parameters, "
             f"{n_table} prior sets, the {spec.accept} closest kept; fast mode; {wall / 60:.0f} min wall). "
             "Method and definitions: docs/cases.md, \"The ensemble\".", "",
             "## Leave one case out (out of sample)", "",
             f"- {lo_s['in_interval']} of {lo_s['rows']} case numbers inside the predicted {spec.level:.0%} interval "
             "(goal >= 12)",
             f"- {lo_s['within_tolerance']} of {lo_s['rows']} within tolerance (goal >= 8); {lo_s['within_10']} of "
             f"{lo_s['rows']} within 10 points",
             f"- mean absolute error {lo_s['mae']:.1f} points (point targets); median interval width "
             f"{lo_s['median_width']:.1f} points (goal <= 20)", ""]
    head = ["case", "measure", "arm", "target", "predicted", f"{spec.level:.0%} interval", "in interval",
            "within tolerance"]
    lines.append(md_table(head, [[r.case, r.measure, r.arm, _f(r.target), _f(r.predicted),
                                  f"{_f(r.low)} .. {_f(r.high)}", "yes" if r.in_interval else "no",
                                  "yes" if r.within_tolerance else "no"] for r in loco.itertuples()]))
    lines += ["", "## In sample: the ensemble on every case", "",
              f"- {pp_s['in_interval']} of {pp_s['rows']} inside the {spec.level:.0%} interval; "
              f"{pp_s['within_tolerance']} of {pp_s['rows']} within tolerance; mean absolute error {pp_s['mae']:.1f} points",
              ""]
    split = "param_low" in pp
    head = ["case", "measure", "arm", "target", "predicted", f"{spec.level:.0%} interval"] + \
        (["parameter interval", "seed +-"] if split else [])
    lines.append(md_table(head, [[r.case, r.measure, r.arm, _f(r.target), _f(r.predicted), f"{_f(r.low)} .. {_f(r.high)}"]
                                 + ([f"{_f(r.param_low)} .. {_f(r.param_high)}", _f(r.seed_half_width)] if split else [])
                                 for r in pp.itertuples()]))
    lines += ["", "## The free parameters", "",
              "Prior: uniform over the range (log-uniform where marked). Shrinkage: 1 - (ensemble's 90% range / "
              "prior's), in the prior's scale; a parameter the cases identify shrinks, one they do not stays near 0.", ""]
    u = prior.unit(ens[prior.keys].to_numpy())
    rows = []
    for j, (k, (lo, hi, log)) in enumerate(prior.params.items()):
        q = np.quantile(ens[k], [0.05, 0.5, 0.95])
        uq = np.quantile(u[:, j], [0.05, 0.95])
        s = sens.set_index("parameter").loc[k]
        rows.append([k, f"{lo:g} .. {hi:g}{' (log)' if log else ''}", f"{q[1]:.3g}", f"{q[0]:.3g} .. {q[2]:.3g}",
                     f"{1 - (uq[1] - uq[0]) / 0.9:.2f}", _f(s.get("morris_mu_star"), 2), _f(s.get("sobol_ST"), 2)])
    lines.append(md_table(["parameter", "prior", "median", "90% range", "shrinkage", "Morris mu*", "Sobol ST"], rows))
    fixed = sens[~sens.free]
    if len(fixed):
        lines += ["", "Screened and held fixed (Morris mu*, normalised to the largest of all): "
                  + ", ".join(f"{r.parameter} {r.morris_mu_star:.2f}" for r in fixed.itertuples()
                              if "morris_mu_star" in fixed) + "."]
    lines += ["", "![ensemble](ensemble.png)", ""]
    return "\n".join(lines)


def plot(path: Path, loco: pd.DataFrame, pp: pd.DataFrame) -> None:
    fig, axes = figure(1, 2, figsize=(12, 0.32 * len(loco) + 1.5))
    axes = axes[0]
    axes[1].sharey(axes[0])
    labels = [f"{r.case} {r.arm[:9]}" for r in loco.itertuples()]
    y = np.arange(len(loco))
    for ax, df, title in ((axes[0], loco, "left out (out of sample)"), (axes[1], pp, "in sample (ensemble)")):
        ax.hlines(y, df.low, df.high, color="tab:blue", lw=3, alpha=0.5)
        ax.plot(df.predicted, y, "o", color="tab:blue", label="predicted (median, interval)")
        ax.plot(df.target, y, "kx", label="target")
        ax.set_title(title)
        ax.set_xlabel("% or points")
        ax.grid(alpha=0.3)
    axes[0].set_yticks(y, labels)
    axes[0].invert_yaxis()
    axes[0].legend(loc="lower right", fontsize=8)
    save_figure(fig, path, 110)


# ---------------------------------------------------------------- the driver
def definition(spec: EnsembleFit, rows: list[Row]) -> str:
    keys = ("fitted", "fast", "params", "screened")
    text = json.dumps({k: getattr(spec, k) for k in keys} | {"rows": [r.label for r in rows]}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """The driver named ``ensemble`` (entry point ``growthsim.drivers``)."""
    import time

    t0 = time.perf_counter()
    progress = bool(cfg.get("progress", True))
    with reported():
        spec = parse(EnsembleFit, cfg.experiment)
        cases = select_cases(["all"])
        rows = case_rows(cases)
        out = begin_outputs(spec.out_dir or OUTPUTS / spec.name, "report.md")
        chunks = out / "chunks"
        chunks.mkdir(exist_ok=True)
        stamp, mine = chunks / "definition.txt", definition(spec, rows)
        if stamp.is_file() and stamp.read_text() != mine:
            raise ExperimentError(f"experiment.out_dir={out}: its chunks/ hold sets of other settings (params, screened, "
                                  "fitted or fast differ); choose another experiment.out_dir, or remove that folder "
                                  "to start over")
        atomic_write(stamp, mine)
        prior = Prior(spec.params)
        prior_all = Prior({**spec.params, **spec.screened})
        ev = Evaluator(cases, spec.fitted, spec.fast, spec.workers)
        try:
            def step(name: str, p: Prior, n: int) -> pd.DataFrame:
                v = p.values(design(name, p, n))
                return run_step(ev, chunks, name, p.keys, v, [SEED_BASE[name] + i for i in range(len(v))], progress)

            table = step("table", prior, spec.table)
            labels = [r.label for r in rows]
            misses = np.column_stack([r.miss(table[lab].to_numpy()) for r, lab in zip(rows, labels)])
            table["distance"] = distance(misses, spec.max_miss)
            ens = table.iloc[closest(table.distance.to_numpy(), spec.accept)].reset_index(drop=True)
            rep = None
            if spec.replicate:
                rep = run_step(ev, chunks, "replicate", prior.keys, ens[prior.keys].to_numpy(),
                               [SEED_BASE["replicate"] + int(s) for s in ens["set"]], progress)
                rep["set"] = ens["set"].to_numpy()
            morris = step("morris", prior_all, spec.morris) if spec.morris else None
            sobol = step("sobol", prior, spec.sobol) if spec.sobol else None
        finally:
            ev.close()
        loco = leave_one_out(table, rows, spec.accept, spec.max_miss, spec.level)
        pp = posterior_predictive(ens, rep, rows, spec.level)
        sens = sensitivity(prior_all, prior, morris, sobol, rows, spec.max_miss)

    frames = [f for f in (morris, sobol, table.drop(columns="distance"), rep) if f is not None]
    atomic_write(out / "evaluations.parquet", lambda p: pd.concat(frames, ignore_index=True).to_parquet(p, index=False))
    kept = ens[prior.keys].copy()
    kept["weight"] = 1.0 / len(kept)
    kept["distance"], kept["table_set"], kept["seed"] = ens.distance, ens["set"], ens.seed
    atomic_write(out / "ensemble.parquet", lambda p: kept.to_parquet(p, index=False))
    atomic_write(out / "loco.csv", lambda p: loco.to_csv(p, index=False, float_format="%.4g"))
    atomic_write(out / "posterior_predictive.csv", lambda p: pp.to_csv(p, index=False, float_format="%.4g"))
    atomic_write(out / "sensitivity.csv", lambda p: sens.to_csv(p, index=False, float_format="%.4g"))
    plot(out / "ensemble.png", loco, pp)
    text = write_report(spec, loco, pp, sens, ens, prior, len(table), time.perf_counter() - t0)
    if spec.publish:
        for name, dest in PUBLISHED.items():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / name, dest)
    atomic_write(out / "report.md", text)
    print(text.split("\n## In sample")[0])
    print(f"outputs: {out}  (report: {out / 'report.md'})", file=sys.stderr)
    return out
