"""Gathering a multirun sweep into its tables, and the Hydra callback that does it.

``gather_sweep(dir)`` writes, into the sweep directory (layout and columns: ``sim.app.store``)::

    runs.csv, runs.parquet    one row per finished job: job, its overrides, its summary metrics, dir, provenance
    timeseries.parquet        every finished job's daily series, led by its job number
    members.parquet           when asked (``hydra.callbacks.runs_table.members=true``): every finished
                              job's member table, led by its job number
    failures.csv              one row per failed job: job, dir, overrides, error (only while some failed)

The override columns are ``seed``, ``groups.cap``, ``groups``, ... in the order they first appear.
Rows are sorted by job number, so the files are the same whatever the launcher's order of
completion. A job failed when its folder holds ``error.txt`` (written by ``RunsTable.on_job_end``);
it finished when it holds ``summary.json`` and no ``error.txt``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.app import store
from sim.app.run import atomic_write

log = logging.getLogger(__name__)

ERROR = "error.txt"


def parse_overrides(overrides: list[str]) -> dict[str, Any]:
    """``["seed=1", "groups.cap=200", "groups=cap"]`` -> ``{"seed": 1, "groups.cap": 200, "groups": "cap"}``.

    Uses Hydra's own override grammar (quoting, ``+``/``++`` prefixes); deletions (``~key``) are
    left out; non-scalar values (lists, dicts) are kept as their text.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    out: dict[str, Any] = {}
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        if o.is_delete():
            continue
        key = o.key_or_group if o.package is None else f"{o.key_or_group}@{o.package}"
        value = o.value()
        out[key] = value if value is None or isinstance(value, (str, int, float, bool)) \
            else o.get_value_element_as_str()
    return out


def _job_num(job_dir: Path) -> int:
    """The job number Hydra recorded in ``.hydra/hydra.yaml``; the directory name if that is missing."""
    hydra_yaml = job_dir / ".hydra" / "hydra.yaml"
    if hydra_yaml.exists():
        num = OmegaConf.select(OmegaConf.load(hydra_yaml), "hydra.job.num")
        if num is not None:
            return int(num)
    return int(job_dir.name)


@dataclass
class Gathered:
    """What ``gather_sweep`` found: how many jobs finished, and each failed job's folder (relative
    to the sweep directory) with its one-line error."""
    finished: int
    failed: list[tuple[str, str]] = field(default_factory=list)


def jobs(sweep_dir: Path) -> list[tuple[int, Path, list[str]]]:
    """Every job folder under ``sweep_dir``: (job number, folder, overrides), sorted by job number."""
    found = []
    for ov_file in sweep_dir.glob("**/.hydra/overrides.yaml"):
        job_dir = ov_file.parent.parent
        try:
            num = _job_num(job_dir)
        except ValueError:
            log.warning("sweep %s: skipping %s (no job number)", sweep_dir, job_dir)
            continue
        found.append((num, job_dir, [str(o) for o in OmegaConf.to_container(OmegaConf.load(ov_file))]))
    return sorted(found, key=lambda j: j[0])


def members_asked(sweep_dir: Path) -> bool:
    """Whether the sweep's command asked for its members table (``hydra.callbacks.runs_table.members=true``,
    recorded in the sweep's multirun.yaml)."""
    path = sweep_dir / "multirun.yaml"
    return path.is_file() and bool(OmegaConf.select(OmegaConf.load(path), "hydra.callbacks.runs_table.members",
                                                    default=False))


def gather_sweep(sweep_dir: str | Path) -> Gathered:
    """Write the sweep's tables (runs.csv, runs.parquet, timeseries.parquet, and members.parquet when asked)
    of every finished job and failures.csv of every failed one (removed when none failed) into ``sweep_dir``."""
    sweep_dir = Path(sweep_dir)
    entries, failures = [], []
    for num, job_dir, overrides in jobs(sweep_dir):
        if (job_dir / ERROR).is_file():
            failures.append({"job": num, "dir": job_dir.relative_to(sweep_dir).as_posix(),
                             "overrides": " ".join(overrides), "error": (job_dir / ERROR).read_text().strip()})
        elif (job_dir / "summary.json").is_file():
            entries.append(store.Entry({"job": num}, parse_overrides(overrides), job_dir))
    table, _ = store.run_table(sweep_dir, entries)
    store.write_tables(sweep_dir, table, ["job"], members=members_asked(sweep_dir))
    store.write_failures(sweep_dir, pd.DataFrame(failures, columns=["job", "dir", "overrides", "error"]))
    log.info("%d runs gathered in %s, %d failed", len(table), sweep_dir, len(failures))
    return Gathered(len(table), [(f["dir"], f["error"]) for f in failures])


class RunsTable(Callback):
    """Hydra callback (``hydra.callbacks`` in conf/config.yaml) of every multirun sweep.

    ``on_multirun_start``: say how many finished jobs were made by other code (they are rerun).
    ``on_job_end``: a failed job's folder gets ``error.txt`` (one line: the error's type and message);
    a job that succeeded loses a stale one. ``on_multirun_end``: ``gather_sweep``. ``members``: gather
    the jobs' member tables too (read by ``gather_sweep`` from the sweep's multirun.yaml).
    """

    def __init__(self, members: bool = False):
        self.members = members

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        global _running
        sweep_dir = _running = Path(config.hydra.sweep.dir)
        if sweep_dir.is_dir():
            store.note_stale([d for _, d, _ in jobs(sweep_dir)], sweep_dir)

    def on_job_end(self, config: DictConfig, job_return, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        error = Path(config.hydra.runtime.output_dir) / ERROR
        if job_return.status == JobStatus.FAILED and error.parent.is_dir():
            atomic_write(error, store.one_line(job_return._return_value) + "\n")
        elif job_return.status == JobStatus.COMPLETED:
            error.unlink(missing_ok=True)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        global _running
        sweep_dir, _running = Path(config.hydra.sweep.dir), None
        if sweep_dir.is_dir():
            gather_sweep(sweep_dir)


_running: Path | None = None  # the sweep this process has started and not ended (``running``)


def running() -> Path | None:
    """The folder of the sweep this process is running, if one has started and not ended: a sweep
    that a failed job ends early (Hydra's basic and submitit launchers) is gathered by the CLI."""
    return _running
