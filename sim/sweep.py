"""Hydra callback that gathers a multirun sweep into one table, ``runs.csv`` in the sweep directory.

Registered in ``conf/config.yaml`` (``hydra.callbacks``), so every ``growthsim -m ...`` sweep ends with::

    results/sweeps/<sweep>/runs.csv    one row per job: job, its overrides, its summary metrics, dir

The columns are ``job`` (Hydra's job number), one column per overridden key (``seed``,
``groups.cap``, ``groups``, ...; in the order they first appear), every key of the jobs'
``summary.json`` and ``dir`` (the job's output directory, relative to the sweep directory).
Rows are sorted by job number, so the file is the same whatever the launcher's order of
completion (basic or joblib launcher). A job without ``summary.json`` (it failed, or it was an
experiment) keeps its row with empty metrics.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


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


def gather(sweep_dir: str | Path):
    """The table of every job under ``sweep_dir`` (a pandas DataFrame, sorted by job number)."""
    import pandas as pd

    sweep_dir = Path(sweep_dir)
    rows, keys = [], []
    for ov_file in sweep_dir.glob("**/.hydra/overrides.yaml"):
        job_dir = ov_file.parent.parent
        try:
            num = _job_num(job_dir)
        except ValueError:
            log.warning("runs.csv: skipping %s (no job number)", job_dir)
            continue
        overrides = parse_overrides(OmegaConf.to_container(OmegaConf.load(ov_file)))
        summary_file = job_dir / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
        rows.append((num, overrides, summary, job_dir.relative_to(sweep_dir).as_posix()))
    rows.sort(key=lambda r: r[0])
    for _, overrides, _, _ in rows:
        keys += [k for k in overrides if k not in keys]
    metrics: list[str] = []
    for _, _, summary, _ in rows:
        metrics += [k for k in summary if k not in metrics and k not in keys]
    columns = ["job", *keys, *metrics, "dir"]
    records = [{"job": num, **overrides, **{k: v for k, v in summary.items() if k not in keys}, "dir": d}
               for num, overrides, summary, d in rows]
    return pd.DataFrame.from_records(records, columns=columns)


class RunsTable(Callback):
    """``on_multirun_end``: write ``runs.csv`` (every job's overrides and summary) into the sweep directory."""

    def __init__(self, filename: str = "runs.csv") -> None:
        self.filename = filename

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        table = gather(sweep_dir)
        path = sweep_dir / self.filename
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        table.to_csv(tmp, index=False)
        os.replace(tmp, path)
        log.info("%d runs gathered in %s", len(table), path)
