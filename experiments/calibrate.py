"""Fit the global behavioural parameters to the case numbers: ``growthsim experiment=calibrate``.

One set of behavioural parameters (``behavior.*``, the behavioural effects of ``events.*``, and
the population's interest distribution, which no case describes) is shared by every case; a
case's own context (size, initial members, days) is fixed by its config and never fitted. The
calibration searches the parameters named in ``experiment.params`` (key: [low, high] or
[low, high, log]) with Optuna's TPE sampler; each trial runs both arms of every selected case
over ``experiment.seeds`` seeds (seeds ``seed_offset``.., not the evaluation seeds 0..19; the
same seeds in every trial) in fast mode, and scores the misses::

    loss = sum over targets of min(miss, 5)^2,   miss = distance to the target in tolerances (0 when met)

(``experiments.cases.miss``: 3 pp for shares, 5 points for relative changes, and for above/below
the treatment mean two standard errors inside the bound; a miss beyond 5 tolerances counts as 5,
so a target the model cannot come near does not drag the other cases towards it). The first trial is the current fitted
set, so a calibration never ends worse than where it started. Outputs:

    <out_dir>/fitted/<out>.yaml                 the best set (case=all); evaluate it with
                                                ``growthsim --config-dir <out_dir> experiment=cases experiment.fitted=<out>``
    <out_dir>/fitted/<out>_<case>.yaml          a single-case fit (diagnostic)
    <trials_dir>/<out>_trials.csv               every trial: parameters, loss, miss per target

``out_dir`` defaults to ``outputs/calibrate``: a calibration never rewrites the committed fit
(``conf/fitted/behavior.yaml``, which every case reads) unless asked to with
``experiment.out_dir=conf experiment.out=behavior experiment.trials_dir=results/cases/calibration``.

Run: ``growthsim experiment=calibrate`` (all cases, joint fit) or ``growthsim experiment=calibrate
case=c01`` (or ``experiment.case=c01``); without the CLI's dispatch: ``python -m experiments.calibrate [...]``.
Budget: ``experiment.trials`` and ``experiment.timeout`` (seconds of wall time), whichever ends first.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from experiments.cases import (FITTED_DIR, case_jobs, case_selection, extra_overrides, hydra_overrides,
                               measure_runs, miss, select_cases)
from experiments.runner import ExperimentError, reported
from experiments.schema import Calibration, parse
from sim.app.launcher import worker_pool
from sim.app.run import OUTPUTS, atomic_write
from sim.config import clone


def flatten(node, prefix: str = "") -> dict:
    out = {}
    for k, v in node.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def nest(flat: dict) -> dict:
    out: dict = {}
    for key, v in flat.items():
        d = out
        *head, last = key.split(".")
        for h in head:
            d = d.setdefault(h, {})
        d[last] = v
    return out


def read_fitted(name: str) -> dict:
    """The flat key -> value content of conf/fitted/<name>.yaml ({} when absent)."""
    path = FITTED_DIR / f"{name}.yaml"
    if not path.exists():
        return {}
    node = OmegaConf.to_container(OmegaConf.load(path), resolve=True) or {}
    return flatten(node)


def write_fitted(path: Path, values: dict, header: list[str]) -> None:
    text = "# @package _global_\n" + "\n".join(f"# {h}" for h in header) + "\n"
    atomic_write(path, text + OmegaConf.to_yaml(OmegaConf.create(nest(values))))


def with_values(cfg: DictConfig, values: dict) -> DictConfig:
    """A copy of ``cfg`` with a trial's ``{key: value}`` set."""
    cfg = clone(cfg)
    for k, v in values.items():
        OmegaConf.update(cfg, k, v)
    return cfg


def _round(v: float) -> float:
    return float(f"{v:.4g}")


@dataclass
class Result:
    """What a calibration found: the Optuna study of the joint search, the start and final values,
    the final misses per target, and the polishing log."""
    studies: list
    start: dict
    values: dict
    misses: dict
    start_loss: float
    loss: float
    wall: float
    polished: list = field(default_factory=list)


def zoomed(params: dict, center: dict, width: float) -> dict:
    """The ranges confined to +-width x (range) around ``center`` (in log scale for log parameters)."""
    out = {}
    for k, (lo, hi, log) in params.items():
        f = math.log if log else (lambda x: x)
        g = math.exp if log else (lambda x: x)
        c, a, b = f(center[k]), f(lo), f(hi)
        half = width * (b - a)
        out[k] = (max(lo, g(c - half)), min(hi, g(c + half)), log)
        if not out[k][0] < out[k][1]:
            out[k] = (lo, hi, log)
    return out


MAX_MISS = Calibration.model_fields["max_miss"].default  # a target missed by more tolerances stops steering the fit


def loss_of(misses: dict, cap: float | None = None) -> float:
    """Sum of squared misses, each capped at ``cap`` tolerances (default ``MAX_MISS``): a target the
    model cannot come near (e.g. 30 tolerances off) would otherwise dominate the loss and drag every
    other case towards it; beyond the cap it counts as a constant."""
    cap = MAX_MISS if cap is None else cap
    return float(sum(min(m, cap) ** 2 for m in misses.values()))


def calibrate(cases, params: dict, seeds: list[int], trials: int, timeout: float, fast: bool = True,
              extra: list[str] = (), fitted: str | None = None, workers: int = 2, sampler_seed: int = 0,
              progress: bool = True, local: dict | None = None, polish_trials: int = 0,
              zoom: float | None = None, round_trials: int = 40, cap: float | None = None) -> Result:
    """Search the global parameters; return the best set found.

    1. polish: each parameter in ``local`` acts only in the treatment arm of one case (e.g. the
       response to that case's event); given the others, it is fitted on that case alone, a small
       TPE study of ``polish_trials`` trials per case (both arms re-run, so nothing is assumed);
    2. the joint search over every parameter on every case: TPE studies, each starting with the
       current best; with ``zoom`` (a share of each range, in log scale for log parameters) in
       rounds of ``round_trials`` trials confined to a box of +-zoom around the current best,
       re-centred after each round (a trust region); without it, one study over the whole ranges;
       until ``trials`` or the time left;
    3. polish again from the joint best. Each step keeps a change only if it lowers that case's
       loss on the same seeds, so the total loss never rises; the final set is evaluated once more.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    jobs = case_jobs(cases, seeds, fast, list(extra), fitted)
    any_cfg = jobs[0].cfg
    for k in params:
        if OmegaConf.select(any_cfg, k) is None:
            raise ExperimentError(f"experiment.params.{k}: no such key in the config")
    start = {k: min(hi, max(lo, float(OmegaConf.select(any_cfg, k)))) for k, (lo, hi, _) in params.items()}
    names = {c.name for c in cases}
    local = {k: str(v).lower() for k, v in (local or {}).items() if k in params and str(v).lower() in names}

    pool = worker_pool(workers) if workers > 1 else None

    def misses_of(values: dict, subset=None) -> dict:
        chosen = [c for c in cases if subset is None or c.name in subset]
        trial = [replace(j, cfg=with_values(j.cfg, values)) for j in jobs if subset is None or j.group in subset]
        runs = measure_runs(chosen, trial, seeds, workers, pool=pool)
        return {f"{c.id}:{t.key}": float(miss(t, runs[c.name])) for c in chosen for t in c.targets}

    polished: list[str] = []

    def polish(values: dict, misses: dict, stage: str) -> tuple[dict, dict]:
        values, misses = dict(values), dict(misses)
        for c in cases:
            keys = [k for k, v in local.items() if v == c.name]
            if not keys or polish_trials < 2:
                continue
            mine = [k for k in misses if k.startswith(f"{c.id}:")]
            before = loss_of({k: misses[k] for k in mine}, cap)
            sub = optuna.create_study(direction="minimize",
                                      sampler=optuna.samplers.TPESampler(seed=sampler_seed, n_startup_trials=4))
            sub.enqueue_trial({k: values[k] for k in keys})
            found = {}

            def objective(trial):
                vals = {**values, **{k: trial.suggest_float(k, *params[k][:2], log=params[k][2]) for k in keys}}
                m = misses_of(vals, {c.name})
                found[trial.number] = m
                return loss_of(m, cap)

            sub.optimize(objective, n_trials=polish_trials, gc_after_trial=False)
            if sub.best_value < before:
                values.update(sub.best_params)
                misses.update(found[sub.best_trial.number])
            polished.append(f"{stage} {c.id} ({', '.join(keys)}): loss {before:.2f} -> {min(before, sub.best_value):.2f}")
        return values, misses

    try:
        start_misses = misses_of(start)
        values, misses = polish(start, start_misses, "before")
        polish_time = time.perf_counter() - t0
        studies = []
        current = loss_of(misses, cap)
        r = 0
        while True:
            left = timeout - (time.perf_counter() - t0) - polish_time
            done = sum(len(st.trials) for st in studies)
            if left <= 0 or done >= trials or (r > 0 and zoom is None):
                break
            space = params if zoom is None else zoomed(params, values, zoom)
            n = trials - done if zoom is None else min(round_trials, trials - done)
            study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(
                seed=sampler_seed + r, n_startup_trials=min(20, max(5, n // 5)), multivariate=True))
            study.set_user_attr("round", r)
            study.enqueue_trial({k: values[k] for k in space})

            def objective(trial, space=space):
                vals = {k: trial.suggest_float(k, lo, hi, log=log) for k, (lo, hi, log) in space.items()}
                m = misses_of(vals)
                for name, v in m.items():
                    trial.set_user_attr(name, round(v, 3))
                return loss_of(m, cap)

            study.optimize(objective, n_trials=n, timeout=max(1.0, left), show_progress_bar=progress,
                           gc_after_trial=False)
            studies.append(study)
            best = study.best_trial
            if best.value < current:
                values = {**values, **best.params}
                misses = {k: float(best.user_attrs[k]) for k in misses}
                current = best.value
            r += 1
        values, misses = polish(values, misses, "after")
        misses = misses_of(values)  # the final set, once more on the same seeds
    finally:
        if pool is not None:
            pool.shutdown()
    return Result(studies, start, values, misses, loss_of(start_misses, cap), loss_of(misses, cap),
                  time.perf_counter() - t0, polished)


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """``growthsim experiment=calibrate``: the driver named ``calibrate`` (``experiment.driver``; entry point
    ``growthsim.drivers``)."""
    with reported():
        exp = parse(Calibration, cfg.experiment)
        overrides = hydra_overrides() if overrides is None else overrides
        which = case_selection(cfg, exp)
        cases = select_cases(which)
        joint = [n.lower() for n in which] == ["all"]
        seeds = [exp.seed_offset + i for i in range(exp.seeds)]
        out_name = exp.out + ("" if joint else "_" + "_".join(c.name for c in cases))
        result = calibrate(cases, exp.params, seeds, exp.trials, exp.timeout, exp.fast, extra_overrides(overrides),
                           exp.fitted, exp.workers, exp.sampler_seed, bool(cfg.get("progress", True)), exp.local,
                           exp.polish_trials, exp.zoom, exp.round_trials, exp.max_miss)

    done = [t for st in result.studies for t in st.trials if t.value is not None]
    values = {**read_fitted(exp.fitted), **{k: _round(v) for k, v in result.values.items()}}
    misses = sorted(result.misses.items(), key=lambda kv: -kv[1])
    header = [f"Global behavioural parameters fitted jointly to {', '.join(c.id for c in cases)} "
              f"by experiments/calibrate.py ({dt.date.today().isoformat()}).",
              f"Search: {len(exp.params)} free parameters (conf/experiment/calibrate.yaml; {len(exp.local)} of them act "
              f"in one case's treatment arm only and are also polished on that case alone), TPE, {len(done)} joint trials"
              + (f" in {len(result.studies)} trust-region rounds (+-{exp.zoom:g} of each range)"
                 if exp.zoom is not None else "") + ", "
              f"{result.wall:.0f} s wall on {exp.workers} workers, {len(seeds)} seeds a trial "
              f"({seeds[0]}..{seeds[-1]}), {'fast mode' if exp.fast else 'full size'}.",
              f"Loss (sum of squared misses in tolerances, each capped at {exp.max_miss:g}, on those seeds): "
              f"start {result.start_loss:.2f}, "
              f"final {result.loss:.2f}.",
              "Miss per target, in tolerances (0: met): "
              + ", ".join(f"{k} {v:.2f}" for k, v in misses) + "."]
    if exp.note:
        header.insert(1, exp.note)
    if result.polished:
        header.append("Polishing (one case, its own parameters): " + "; ".join(result.polished) + ".")
    out_dir = Path(exp.out_dir or OUTPUTS / exp.name)
    path = out_dir / "fitted" / f"{out_name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_fitted(path, values, header)
    table_dir = Path(exp.trials_dir or out_dir)
    table_dir.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    frames = []
    for r, st in enumerate(result.studies):
        f = st.trials_dataframe(attrs=("number", "value", "duration", "params", "user_attrs", "state"))
        f.insert(0, "round", r)
        frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    df["duration"] = df["duration"].dt.total_seconds().round(2)
    atomic_write(table_dir / f"{out_name}_trials.csv", df.to_csv(index=False, float_format="%.5g"))
    print("\n".join(f"# {h}" for h in header))
    print(f"best parameters written to {path}; trials: {table_dir / f'{out_name}_trials.csv'}")
    return path


def main(argv: list[str] | None = None) -> None:
    from experiments.cases import main as cases_main

    cases_main(argv, experiment="calibrate", driver=run)


if __name__ == "__main__":
    main()
