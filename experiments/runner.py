"""What the experiment drivers share: arms over paired seeds, the worker pool, resume, output folders,
tables, band plots and the exit status.

An experiment runs every arm with the same seeds (common random numbers), so the arms are compared
seed by seed. ``paired_jobs`` composes one ``Job`` per arm and seed; ``execute`` runs a task on each
job not already finished (resume: a job with a folder holding its complete run is skipped), in a
pool of fresh processes (``sim.app.launcher.worker_pool``) when there are several workers, and keeps
going past a failed run. ``reported`` turns the drivers' errors into the exit status: 2 for bad
input (found before anything runs), 1 when some runs failed. Drivers: ``experiments.compare``,
``experiments.cases``, ``experiments.calibrate``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim.config import clone
from sim.measures import stats
from sim.app.run import atomic_write, writable_dir

log = logging.getLogger(__name__)

SHARE, COUNT = (0.0, 100.0), (0.0, math.inf)  # the values a share (in %) and a count or cost can take


class ExperimentError(ValueError):
    """An experiment or case config that cannot be run (bad key, unknown baseline, bad arm, ...): exit 2."""


class RunsFailed(ExperimentError):
    """Some runs failed (the others are kept): exit status 1, not 2."""


@contextlib.contextmanager
def reported():
    """A driver's errors as one line on stderr and the exit status: 1 when runs failed, 2 for bad input."""
    from hydra.errors import HydraException

    from sim.config import ConfigError
    from sim.history import HistoryError

    try:
        yield
    except RunsFailed as err:  # exit 1: the input was fine, some runs were not
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(1)
    except (ExperimentError, ConfigError, HistoryError, HydraException) as err:
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(2)


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
        raise ExperimentError("a driver called outside a Hydra app needs overrides=[...] "
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


def compose(overrides: list[str], what: str) -> DictConfig:
    """``load_config(overrides + [progress=false])`` with the experiment node cleared (a run does not depend
    on its experiment's settings); bad input raises an ExperimentError led by ``what`` (e.g. the arm)."""
    from hydra.errors import HydraException

    from sim import load_config
    from sim.config import ConfigError

    try:
        with _own_hydra():
            cfg = load_config([*overrides, "progress=false"])
    except (HydraException, ConfigError) as err:
        raise ExperimentError(f"{what}: {err}") from err
    cfg.experiment = None
    return cfg


@dataclass
class Job:
    """One run: an arm (of a ``group``, e.g. a case) on a seed; ``dir``: where its files go (None: none)."""
    arm: str
    seed: int
    cfg: DictConfig
    dir: Path | None = None
    group: str = ""

    def done(self) -> bool:
        """Finished earlier with the same config by the same code (``sim.app.run.finished``)."""
        from sim.app.run import finished

        return self.dir is not None and finished(self.dir, self.cfg)

    @property
    def name(self) -> str:
        return f"{self.group + ' ' if self.group else ''}{self.arm} seed {self.seed}"


def interpolates_seed(cfg: DictConfig) -> bool:
    """Whether a value of ``cfg`` interpolates the seed (``${seed}``, ``${oc.select:seed}``, ...): the only way
    a composed config can depend on it (Hydra's defaults list cannot interpolate a value)."""
    def walk(v) -> bool:
        if isinstance(v, dict):
            return any(walk(x) for x in v.values())
        if isinstance(v, list):
            return any(walk(x) for x in v)
        return isinstance(v, str) and "${" in v and "seed" in v

    return walk(OmegaConf.to_container(cfg, resolve=False))


def paired_jobs(arms: dict[str, list[str]], seeds: Iterable[int], folder: Path | None = None,
                group: str = "") -> list[Job]:
    """One job per arm and seed, arm by arm: ``compose(arm's overrides + [seed=i])``; with ``folder``,
    each run's files go to ``folder/runs/<arm>/seed_<i>``.

    Composing costs far more than copying, so each arm is composed once, and the other seeds are copies with ``seed``
    set, unless a value interpolates the seed (``interpolates_seed``): then every seed is composed.
    """
    seeds = [int(s) for s in seeds]
    jobs = []
    for arm, overrides in arms.items():
        what = f"{'case ' + group + ', ' if group else ''}arm {arm!r}"
        first = compose([*overrides, f"seed={seeds[0]}"], what)
        each = interpolates_seed(first)
        for i, seed in enumerate(seeds):
            if i == 0:
                cfg = first
            elif each:
                cfg = compose([*overrides, f"seed={seed}"], what)
            else:
                cfg = clone(first)
                cfg.seed = seed
            jobs.append(Job(arm, seed, cfg, folder / "runs" / arm / f"seed_{seed}" if folder else None, group))
    return jobs


# ---------------------------------------------------------------- running
def execute(task: Callable[[Job], Any], jobs: list[Job], workers: int | None = 1, progress: bool = True,
            desc: str = "runs", pool: cf.Executor | None = None) -> tuple[list, list[tuple[Job, str]]]:
    """Run ``task(job)`` for every job not already done, in a pool of ``workers`` processes (or ``pool``);
    return the results in job order (None for a job skipped or failed) and the failed jobs with their
    one-line errors. A failed run does not stop the others. ``task`` must be picklable (module level)."""
    from tqdm.auto import tqdm

    from sim.app.launcher import worker_pool
    from sim.app.store import one_line

    todo = [i for i, j in enumerate(jobs) if not j.done()]
    if len(todo) < len(jobs):
        done = len(jobs) - len(todo)
        log.info("resuming: %d of %d runs already done", done, len(jobs))
        print(f"resuming: {done} of {len(jobs)} runs already done", file=sys.stderr)
    results: list = [None] * len(jobs)
    failures: list[tuple[Job, str]] = []
    if not todo:
        return results, failures
    workers = min(workers or os.cpu_count() or 1, len(todo))
    bar = tqdm(total=len(todo), unit="run", desc=desc, disable=not progress, dynamic_ncols=True)
    with bar:
        if pool is None and workers == 1:
            for i in todo:
                try:
                    results[i] = task(jobs[i])
                except Exception as err:  # noqa: BLE001 - keep the other runs going
                    failures.append((jobs[i], one_line(err)))
                bar.update()
            return results, failures
        # fresh workers with no inherited Hydra state, logging handlers or threads; they end with this process
        with contextlib.ExitStack() as own:
            pool = pool or own.enter_context(worker_pool(workers))
            futures = {pool.submit(task, jobs[i]): i for i in todo}
            try:
                for fut in cf.as_completed(futures):
                    i = futures[fut]
                    try:
                        results[i] = fut.result()
                    except Exception as err:  # noqa: BLE001
                        failures.append((jobs[i], one_line(err)))
                    bar.update()
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return results, failures


# ---------------------------------------------------------------- output folders
def begin_outputs(out: str | Path, marker: str, definition: str | None = None, products: Iterable[str] = ()) -> Path:
    """Prepare the output folder ``out``, whose ``marker`` file (written last by the driver) says it is
    complete: the marker is removed first, and when it held another ``definition`` the ``products``
    made from that one too, so a folder left by a kill midway never shows a marker its files do not follow."""
    out = writable_dir(out)
    marker_path = out / marker
    if definition is not None and (not marker_path.is_file() or marker_path.read_text() != definition):
        for name in products:
            (out / name).unlink(missing_ok=True)
    marker_path.unlink(missing_ok=True)
    return out


# ---------------------------------------------------------------- tables and figures
def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                      *["| " + " | ".join(r) + " |" for r in rows]])


def figure(nrows: int, ncols: int, **kwargs):
    """A matplotlib figure and its axes (a 2-d array), drawn off-screen on a bare ``Figure`` (no pyplot:
    its import and global state cost more than drawing a small figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sharex = kwargs.pop("sharex", False)
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False, sharex=sharex)


def save_figure(fig, path: Path, dpi: int) -> None:
    """Write ``fig`` as a PNG (atomically)."""
    atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format="png"))


def band(ax, days: np.ndarray, y: np.ndarray, level: float, bounds: tuple[float, float], color: str,
         label: str, **style) -> None:
    """The mean over seeds (rows of ``y``) per day (columns), and with two seeds or more its t-interval as
    a band, clipped to the range the measure can take (``bounds``): with few seeds the interval alone
    passes 100 % or drops below 0."""
    mean = y.mean(axis=0)
    ax.plot(days, mean, color=color, lw=1.4, label=label, **style)
    if len(y) > 1:
        half = stats.half_width(y.std(axis=0, ddof=1), len(y), level)
        ax.fill_between(days, np.clip(mean - half, *bounds), np.clip(mean + half, *bounds),
                        color=color, alpha=0.2, lw=0)
