"""The project's Hydra launchers for ``growthsim -m``: a pool of local processes and Ray remote tasks.

    growthsim -m seed='range(20)' groups.cap=200,500                          # processes (the default)
    growthsim -m ... hydra/launcher=processes hydra.launcher.workers=4        # at most 4 runs at once
    growthsim -m ... hydra/launcher=ray                                       # a local Ray, started for the sweep
    growthsim -m ... hydra/launcher=ray hydra.launcher.address=HEAD:6379      # join a running Ray cluster

Each job runs in a worker the way Hydra's joblib launcher ran it: the parent's Hydra state (its
singletons and resolvers, the sweep's config, the task function) is pickled once with cloudpickle,
and every worker restores it, composes its job's config with ``load_sweep_config`` and calls Hydra's
``run_job``, which writes the job's ``.hydra/`` files and calls the job callbacks. A job's result
therefore depends only on its config, whichever launcher runs it. A job's own output (its summary
table, Hydra's job log, a traceback) goes to ``job.log`` in its folder; the sweep's process shows one
progress bar. When some jobs failed, ``sim.app.sweep.gather_sweep`` writes the sweep's tables and
``SweepFailed`` reports the failed jobs (the CLI turns it into exit status 1); otherwise the
runs-table callback writes the tables when the sweep ends.

The classes Hydra instantiates live in ``hydra_plugins.growthsim_launcher`` (Hydra only loads
launchers from ``hydra_plugins.*``); this module holds their logic.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import cloudpickle
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict
from tqdm import tqdm

from sim.config import ConfigError
from sim.app.sweep import gather_sweep

log = logging.getLogger(__name__)

Job = tuple[int, list[str]]  # (job number, its overrides)


class SweepFailed(Exception):
    """Some jobs of a sweep failed; the finished ones are gathered and kept."""


class SweepLauncher(Launcher):
    """What every launcher of this project does around its backend: restore Hydra in the workers,
    show the sweep's progress, gather the sweep's tables and report failed jobs."""

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.hydra_context, self.task_function, self.config = hydra_context, task_function, config

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        jobs = [(initial_job_idx + i, list(overrides)) for i, overrides in enumerate(job_overrides)]
        backend = self.start(len(jobs))
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))  # resolved here, so every worker gets this one
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("Launching %d jobs on %s; each job's output goes to job.log in its folder under %s",
                 len(jobs), backend, sweep_dir)
        context = cloudpickle.dumps((self.hydra_context, self.config, self.task_function, Singleton.get_state()))
        done: dict[int, JobReturn | BaseException] = {}
        with tqdm(total=len(jobs), desc="sweep", unit="run", file=sys.stderr) as bar:
            for num, result in self.results(context, jobs):
                done[num] = result
                bar.update()
        failed = {num: r for num, r in done.items() if not isinstance(r, JobReturn) or r.status != JobStatus.COMPLETED}
        if failed:  # the sweep ends here: its tables now (else the runs-table callback writes them at its end)
            gathered = gather_sweep(sweep_dir)
            raise SweepFailed(failure_message(failed, len(jobs), sweep_dir, bool(gathered.failed)))
        return [done[num] for num, _ in jobs]

    def start(self, n_jobs: int) -> str:
        """Check the launcher's settings (bad ones raise ConfigError: exit 2 before any job runs) and
        start or join the backend; the backend in words, for the log."""
        raise NotImplementedError

    def results(self, context: bytes, jobs: list[Job]) -> Iterator[tuple[int, JobReturn | BaseException]]:
        """Run every job; yield (job number, its JobReturn, or the error that lost it) as each ends."""
        raise NotImplementedError


def failure_message(failed: dict, total: int, sweep_dir: Path, listed: bool) -> str:
    """The short message of a sweep with failed jobs: how many, where their errors are, how to retry."""
    lost = [f"job {num}: {type(err).__name__}: {err}" for num, err in sorted(failed.items())
            if isinstance(err, BaseException)]
    where = [f"their errors: {sweep_dir / 'failures.csv'}"] if listed else []
    where += lost[:3] + ([f"... and {len(lost) - 3} more lost"] if len(lost) > 3 else [])
    return (f"{len(failed)} of {total} sweep jobs failed; the finished ones are gathered in {sweep_dir}\n  "
            + "\n  ".join(where)
            + "\n(each job's output: job.log in its folder; the same command reruns only the failed and missing jobs)")


@functools.lru_cache(maxsize=1)
def _restore(context: bytes) -> tuple[HydraContext, DictConfig, TaskFunction]:
    """The parent's Hydra state, set up in this worker (once per worker and sweep)."""
    hydra_context, config, task_function, singleton_state = cloudpickle.loads(context)
    setup_globals()
    Singleton.set_state(singleton_state)
    return hydra_context, config, task_function


def run_job_in_worker(context: bytes, num: int, overrides: list[str], where: str = "") -> JobReturn:
    """Run one job of the sweep in this worker, as Hydra's basic launcher runs it in the sweep's process.
    ``where``: what the backend adds to job.log's first line about where the job ran."""
    hydra_context, config, task_function = _restore(context)
    os.chdir(config.hydra.runtime.cwd)  # relative paths mean what they mean for the sweep's process
    sweep_config = hydra_context.config_loader.load_sweep_config(config, overrides)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = num
        sweep_config.hydra.job.num = num
    HydraConfig.instance().set_config(sweep_config)  # ${hydra:...} in the job's folder name
    job_dir = Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)
    job_dir.mkdir(parents=True, exist_ok=True)
    with _output_to(job_dir / "job.log"):
        print(f"growthsim job {num}: host {socket.gethostname()}, pid {os.getpid()}{where}", flush=True)
        ret = run_job(hydra_context=hydra_context, task_function=task_function, config=sweep_config,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        if ret.status == JobStatus.FAILED:
            traceback.print_exception(ret._return_value)
    return ret


@contextlib.contextmanager
def _output_to(path: str | Path, fds: tuple[int, ...] = (1, 2)) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2, so C-level output and the
    processes it starts too) to ``path`` (appended), then restore them."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    with open(path, "ab") as out:
        for fd in fds:
            os.dup2(out.fileno(), fd)
    try:
        yield
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)


_stderr_to = functools.partial(_output_to, fds=(2,))


# --- processes: a pool of local processes ---------------------------------------------------------

PR_SET_PDEATHSIG = 1  # linux/prctl.h
_context: bytes = b""  # the sweep's pickled Hydra state, set in each pool worker by _start_worker


def _stop_with_parent(parent: int) -> None:
    """Make this worker end when the sweep's process ends, even by kill -9: on Linux the kernel sends
    SIGKILL (PR_SET_PDEATHSIG); elsewhere a watcher thread notices the parent is gone."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _start_worker(parent: int, context: bytes) -> None:
    global _context
    _stop_with_parent(parent)
    _context = context


def worker_pool(workers: int, context: bytes = b"") -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes that end with this one (``_stop_with_parent``);
    ``context``: a sweep's pickled Hydra state, for ``_run_in_pool``. Sweeps and experiments share it."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(), context))


def _run_in_pool(num: int, overrides: list[str]) -> bytes:
    """One job in a pool worker; its JobReturn pickled with cloudpickle, like the context: its config
    refers to config classes that Hydra's plugin scan defines again in each process."""
    return cloudpickle.dumps(run_job_in_worker(_context, num, overrides))


def cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ProcessesLauncher(SweepLauncher):
    """Jobs on a pool of ``workers`` local processes (null: one per core). Fresh (spawned) processes,
    so no state of the sweep's process leaks into a job except the Hydra state handed over."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers

    def start(self, n_jobs: int) -> str:
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"hydra.launcher.workers={self.workers} is out of range: allowed 1 or more (runs at "
                              f"once), or null for one per CPU core. Fix it, e.g. hydra.launcher.workers={cores()}")
        return f"{self._size(n_jobs)} local processes"

    def _size(self, n_jobs: int) -> int:
        return min(self.workers or cores(), n_jobs)

    def results(self, context: bytes, jobs: list[Job]) -> Iterator[tuple[int, JobReturn | BaseException]]:
        # the workers get /dev/null as their stderr (each job's own output goes to its job.log): a
        # worker stopped by Ctrl-C while it starts up prints no traceback among the sweep's lines
        pool = worker_pool(self._size(len(jobs)), context)
        try:
            with _stderr_to(os.devnull):  # the workers are spawned during the submits
                futures = {pool.submit(_run_in_pool, num, overrides): num for num, overrides in jobs}
            for future in as_completed(futures):
                yield futures[future], future.exception() or cloudpickle.loads(future.result())
        except BaseException:  # Ctrl-C, or the sweep's process is ending: its unfinished jobs end too
            for process in list(pool._processes.values()):
                process.kill()
            raise
        finally:
            pool.shutdown(cancel_futures=True)


# --- ray: remote tasks on a Ray cluster -----------------------------------------------------------

class RayLauncher(SweepLauncher):
    """Jobs as Ray remote tasks. ``address``: null starts a local Ray for the sweep; ``HOST:6379`` (a
    node of the cluster) or ``ray://HOST:10001`` (Ray Client) joins a running cluster. ``num_cpus``:
    CPUs each job reserves (null: Ray's default, 1). Every node needs this package installed and the
    sweep's folder on a shared file system at the same path."""

    def __init__(self, address: str | None = None, num_cpus: float | None = None) -> None:
        self.address, self.num_cpus = address, num_cpus

    def start(self, n_jobs: int) -> str:
        if self.num_cpus is not None and self.num_cpus <= 0:
            raise ConfigError(f"hydra.launcher.num_cpus={self.num_cpus} is out of range: allowed above 0 (CPUs each "
                              "run reserves), or null for Ray's default of 1. Fix it, e.g. hydra.launcher.num_cpus=1")
        try:
            import ray
        except ImportError as err:
            raise ConfigError("hydra/launcher=ray needs Ray: pip install -e '.[ray]' (or use the default "
                              "launcher, processes, on one machine)") from err
        if self.address:
            _check_answers(self.address)
        if not ray.is_initialized():
            try:
                ray.init(address=self.address or "local", log_to_driver=False, logging_level=logging.WARNING,
                         **({} if self.address else {"include_dashboard": False}))
            except Exception as err:  # noqa: BLE001 - Ray raises several kinds (ConnectionError, ValueError, ...)
                hint = ("; a cluster answers there, so check that it runs the same Ray version and, if it uses "
                        "token authentication, that this command has its token (RAY_AUTH_MODE=token and "
                        "RAY_AUTH_TOKEN, docs/scaling.md)") if self.address else ""
                raise ConfigError(f"cannot start or join Ray (hydra.launcher.address={self.address}): "
                                  f"{err}{hint}") from err
        return f"Ray at {self.address}" if self.address else "a local Ray"

    def results(self, context: bytes, jobs: list[Job]) -> Iterator[tuple[int, JobReturn | BaseException]]:
        import ray

        task = ray.remote(_run_on_ray)
        if self.num_cpus is not None:
            task = task.options(num_cpus=self.num_cpus)
        shared = ray.put(context)
        pending = {task.remote(shared, num, overrides): num for num, overrides in jobs}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=1.0)
                for ref in ready:
                    try:
                        result = ray.get(ref)
                    except Exception as err:  # noqa: BLE001 - the task's worker died or could not start
                        result = err
                    yield pending.pop(ref), result
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


def _check_answers(address: str) -> None:
    """Fail at once, with a message naming the key, when nothing listens at a Ray address (Ray itself
    would retry for minutes)."""
    host, _, port = address.split("://")[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"hydra.launcher.address={address} is not an address: write HOST:PORT (the head's "
                          "port, 6379 unless `ray start --head --port=...` set another) or ray://HOST:10001")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as err:
        raise ConfigError(f"hydra.launcher.address={address}: no Ray cluster answers there ({err.strerror or err}): "
                          "start one with `ray start --head` on the head machine (docs/scaling.md), or leave "
                          "hydra.launcher.address unset to start a local Ray for the sweep") from err


def _run_on_ray(context: bytes, num: int, overrides: list[str]) -> JobReturn:
    import ray

    return run_job_in_worker(context, num, overrides, f", Ray node {ray.get_runtime_context().get_node_id()}")
