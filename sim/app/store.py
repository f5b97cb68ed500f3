"""The results store of sweeps and experiments: their runs as one table and their daily series as
another, in Parquet (and the run table as CSV too), and each run's provenance.

A folder of many runs (a sweep's, ``sim.app.sweep``; an experiment's, ``experiments.compare``) gets::

    runs.csv, runs.parquet   one row per finished run: its key (``job``; or ``arm``, ``seed``), the
                             overridden config keys, every summary metric, ``dir`` and its provenance
    timeseries.parquet       every run's daily series, each row led by its run's key
    members.parquet          when asked: every run's member table (docs/metrics.md), led by its run's key
    failures.csv             one row per failed run and its error; only while some failed

Each run folder gets ``provenance.json`` (``package_version``, ``git_commit``, ``config_hash``):
a finished run made by other code (another version or commit) counts as not finished, so a
resumed sweep or experiment reruns it instead of mixing old results with new ones.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.app.run import atomic_write

PROVENANCE = "provenance.json"
CODE_KEYS = ("package_version", "git_commit")   # what makes two runs' code the same
ROW_GROUP_ROWS = 1_000_000                        # daily rows per row group of timeseries.parquet


# ---------------------------------------------------------------- provenance
@functools.cache
def code_version() -> dict[str, str]:
    """The running code: the package's version and, in a git checkout of it, the commit; read once per process."""
    try:
        version = importlib.metadata.version("growthsim")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(__file__).resolve().parents[2]
    commit = "unknown"
    if (root / ".git").exists():  # the package's own checkout, not a repository it is installed inside
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                    timeout=10, check=True).stdout.strip() or "unknown"
        except (OSError, subprocess.SubprocessError):
            pass
    return {"package_version": version, "git_commit": commit}


def config_hash(cfg: DictConfig) -> str:
    """A short hash of the run's resolved config: equal configs, equal hashes."""
    text = json.dumps(OmegaConf.to_container(cfg, resolve=True), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_provenance(run_dir: str | Path, cfg: DictConfig) -> None:
    """``provenance.json`` in ``run_dir``: the code that made the run and its config's hash."""
    atomic_write(Path(run_dir) / PROVENANCE, json.dumps({**code_version(), "config_hash": config_hash(cfg)}, indent=2))


def read_provenance(run_dir: str | Path) -> dict[str, Any]:
    """The run's ``provenance.json``; empty if it has none (made before provenance was recorded)."""
    path = Path(run_dir) / PROVENANCE
    return json.loads(path.read_text()) if path.is_file() else {}


def same_code(run_dir: str | Path) -> bool:
    """Whether the run in ``run_dir`` was made by the running code (same package version and git commit)."""
    made = read_provenance(run_dir)
    return all(made.get(k) == v for k, v in code_version().items())


def note_stale(run_dirs: Iterable[Path], where: str | Path) -> int:
    """Say on stderr (one line) how many finished runs were made by other code and are therefore run again."""
    stale = [d for d in run_dirs if (Path(d) / "summary.json").is_file() and not same_code(d)]
    if stale:
        made = read_provenance(stale[0])
        then = ", ".join(f"{k} {made.get(k, '?')}" for k in CODE_KEYS) if made else "no provenance.json"
        now = ", ".join(f"{k} {v}" for k, v in code_version().items())
        print(f"growthsim: rerunning {len(stale)} finished run(s) in {where} made by other code "
              f"({then}; now {now})", file=sys.stderr)
    return len(stale)


# ---------------------------------------------------------------- the tables
@dataclass
class Entry:
    """One finished run of a table: its key columns, the overrides it was run with, its folder."""
    key: dict[str, Any]
    overrides: dict[str, Any]
    dir: Path


def run_table(folder: Path, entries: list[Entry]) -> tuple[pd.DataFrame, list[str]]:
    """The table of ``entries`` (in their order) and the names of its summary-metric columns.

    Columns: key, overridden keys (in the order they first appear), every key of the runs'
    ``summary.json`` not already a column, ``dir`` (relative to ``folder``), provenance.
    """
    summaries = [json.loads((e.dir / "summary.json").read_text()) for e in entries]
    columns: list[str] = []
    for e in entries:
        columns += [k for k in [*e.key, *e.overrides] if k not in columns]
    metrics: list[str] = []
    for s in summaries:
        metrics += [k for k in s if k not in metrics and k not in columns]
    records = [{**e.key, **e.overrides, **{m: s.get(m) for m in metrics},
                "dir": e.dir.relative_to(folder).as_posix(),
                **{k: read_provenance(e.dir).get(k) for k in (*CODE_KEYS, "config_hash")}}
               for e, s in zip(entries, summaries)]
    table = pd.DataFrame.from_records(records, columns=[*columns, *metrics, "dir", *CODE_KEYS, "config_hash"])
    return table, metrics


def _arrow(frame: pd.DataFrame):
    """``frame`` as an Arrow table; a column mixing kinds of values (an override that is a number in one
    run and text in another) becomes text."""
    import pyarrow as pa

    mixed = {c: frame[c].map(lambda v: v if v is None or pd.isna(v) else str(v)) for c in frame.columns
             if frame[c].dtype == object and len({type(v) for v in frame[c].dropna()}) > 1}
    return pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)


def write_tables(folder: Path, table: pd.DataFrame, key: list[str], members: bool = False) -> None:
    """runs.csv, runs.parquet and timeseries.parquet of ``table`` (see ``run_table``) in ``folder``; with
    ``members``, members.parquet too (every run's member table, led by its key)."""
    import pyarrow.parquet as pq
    from pyarrow import csv

    atomic_write(folder / "runs.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(folder / "runs.parquet", lambda p: pq.write_table(_arrow(table), p))
    runs = table.reindex(columns=[*key, "dir"])  # the key columns even when no run finished

    def series(run_dir: Path, schema):
        return csv.read_csv(run_dir / "timeseries.csv", convert_options=csv.ConvertOptions(column_types=schema))

    atomic_write(folder / "timeseries.parquet", lambda p: _stack(p, folder, runs, series))
    if members:
        atomic_write(folder / "members.parquet",
                     lambda p: _stack(p, folder, runs, lambda run_dir, _: pq.read_table(run_dir / "members.parquet")))


def _stack(path: Path, folder: Path, runs: pd.DataFrame, read) -> None:
    """Every run's table (``read(run folder, schema of the first or None)``), its key columns first, streamed
    into one Parquet file (a column a run lacks is empty there)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    key = [c for c in runs.columns if c != "dir"]
    key_schema = _arrow(runs[key]).schema.remove_metadata()
    schema, writer, batch = None, None, []
    try:
        for row in runs.to_dict("records"):
            part = read(folder / row["dir"], schema)
            if schema is None:
                schema = part.schema.remove_metadata()
                writer = pq.ParquetWriter(path, pa.unify_schemas([key_schema, schema]))
            columns = [pa.array([row[k]] * part.num_rows, key_schema.field(k).type) for k in key]
            columns += [part[f.name] if f.name in part.column_names else pa.nulls(part.num_rows, f.type)
                        for f in schema]
            batch.append(pa.Table.from_arrays(columns, schema=writer.schema))
            if sum(t.num_rows for t in batch) >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(batch))
                batch = []
        if writer is None:  # no runs: an empty table with the key columns
            pq.write_table(key_schema.empty_table(), path)
        elif batch:
            writer.write_table(pa.concat_tables(batch))
    finally:
        if writer is not None:
            writer.close()


def one_line(err: BaseException) -> str:
    """An error as one line of failures.csv: its type and message."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def write_failures(folder: Path, failures: pd.DataFrame) -> None:
    """``failures.csv`` (one row per failed run, its error last) in ``folder``; removed when none failed."""
    path = folder / "failures.csv"
    if failures.empty:
        path.unlink(missing_ok=True)
    else:
        atomic_write(path, lambda p: failures.to_csv(p, index=False))
