"""Python API: compose a config, run one simulation, write its outputs."""

from __future__ import annotations

import contextlib
import copy
import errno
import functools
import json
import os
import pickle
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from sim import config
from sim.config import settle
from sim.engine.graph import GraphError


_HYDRA = threading.Lock()  # Hydra's initialisation is process-global: one composition at a time (the page's threads)


def load_config(overrides: list[str] | None = None) -> DictConfig:
    """Compose ``conf/config.yaml`` with Hydra overrides (e.g. ``["days=365", "graph=complete"]``) and validate it.

    Hydra composes in two steps: the defaults list (the config groups chosen, ``graph=complete``), then
    the value overrides (``days=365``) applied to the result. The first step is the costly one and depends
    only on the overrides that choose groups (and ``hydra.*``), so its result is kept for the process and
    the second step, Hydra's own, is applied to a copy: an experiment's arms and a calibration's trials
    differ mostly in values. The config is the one ``hydra.compose`` gives (tests/test_config.py). The
    copy is unpickled from bytes kept with the first step's result, far cheaper than ``copy.deepcopy``
    (docs/benchmark.md)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    config.register()
    parsed = [_parsed(str(o)) for o in overrides or []]
    repo = _repository(tuple(o.input_line for o in parsed if o.is_hydra_override()))
    values = [o for o in parsed if _is_value(o, repo)]
    cfg = pickle.loads(_composed(tuple(o.input_line for o in parsed if not _is_value(o, repo))))
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    config.validate(cfg)
    return cfg


def _is_value(override, repo) -> bool:
    """Whether Hydra applies ``override`` after composing (a value), not while (a group choice, a sweep,
    ``hydra.*``): the test of ``hydra._internal.defaults_list.Overrides``."""
    if override.is_sweep_override() or override.is_hydra_override():
        return False
    return isinstance(override.value(), dict) or not repo.group_exists(override.key_or_group)


@functools.lru_cache(maxsize=4096)
def _parsed(override: str):
    """Hydra's parse of one override (read, never changed, by the composition): a calibration's trials repeat
    most of their overrides."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create().parse_overrides([override])[0]


@functools.lru_cache(maxsize=8)
def _repository(hydra_overrides: tuple[str, ...]):
    """Hydra's config repository for these ``hydra.*`` overrides (``hydra.searchpath`` adds folders)."""
    with _HYDRA, initialize_config_dir(str(config.CONF_DIR), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        return loader._parse_overrides_and_create_caching_repo("config", list(hydra_overrides))[1]


@functools.lru_cache(maxsize=64)
def _composed(chosen: tuple[str, ...]) -> bytes:
    """``hydra.compose`` of the group choices and ``hydra.*`` overrides, pickled (each use unpickles a copy)."""
    with _HYDRA, initialize_config_dir(str(config.CONF_DIR), version_base="1.3"):
        return pickle.dumps(compose("config", overrides=list(chosen)), protocol=pickle.HIGHEST_PROTOCOL)


BASE_BYTES = 250e6          # interpreter, numpy, mesa, pandas, hydra
PERSON_BYTES = 150          # the person columns and set-up temporaries
EDGE_BYTES = 48             # per friendship while the CSR graph is built (int64 keys, sort, endpoints)
MEMBER_BYTES = 400          # a Mesa Member agent and its registration; worst case: everyone joins


def memory_estimate(cfg: DictConfig) -> float:
    """Upper estimate of a run's peak memory in bytes, from the population and the graph's mean degree."""
    g, n = cfg.graph, cfg.population.size
    edges_per_person = {"barabasi_albert": lambda: g.m, "watts_strogatz": lambda: g.k / 2,
                        "erdos_renyi": lambda: g.mean_degree / 2}.get(g.kind, lambda: 0)()
    return BASE_BYTES + n * (PERSON_BYTES + EDGE_BYTES * edges_per_person + MEMBER_BYTES)


def available_memory() -> float:
    """Memory this machine can give a new process now (Linux MemAvailable), in bytes."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


SMALL_RUN_BYTES = 100e6    # a run whose own data needs less is not checked (see ``check_memory``)


def check_memory(cfg: DictConfig) -> None:
    """Refuse, before allocating anything, a run that would not fit in this machine's memory.

    A small run (own data under ``SMALL_RUN_BYTES``, about 140,000 people on a sparse graph) is not
    checked: reading /proc/meminfo is a noticeable part of such a run (docs/benchmark.md)."""
    need = memory_estimate(cfg)
    if need - BASE_BYTES < SMALL_RUN_BYTES:
        return
    have = available_memory()
    if need > have:
        per_person = (need - BASE_BYTES) / cfg.population.size
        fits = max(0, int((have - BASE_BYTES) / per_person))
        raise config.ConfigError(
            f"population.size={cfg.population.size} needs up to about {need / 1e9:.1f} GB of memory "
            f"({per_person:.0f} bytes a person with graph={cfg.graph.kind}, plus {BASE_BYTES / 1e6:.0f} MB), but this "
            f"machine has {have / 1e9:.1f} GB available: lower population.size to at most about {fits:,}, "
            f"or run on a larger machine")


@dataclass
class Run:
    """A finished run: the daily ``timeseries``, the ``summary`` and the ``model`` in its final state."""
    cfg: DictConfig
    summary: dict
    model: object

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per day (docs/metrics.md), made from the model's recorder when first asked for."""
        return self.model.recorder.frame()

    @cached_property
    def members(self):
        """One row per person who was ever a member (a pyarrow Table; docs/metrics.md, members.parquet)."""
        from sim.measures.members import member_table

        return member_table(self.model, self.model.labels)


def build(cfg: DictConfig, graph=None):
    """The model described by ``cfg`` on day 0 (on ``graph`` if given, see ``CommunityModel``), after the
    memory check; ``simulate`` runs it, the what-if page steps it itself (sim/page)."""
    from sim.engine.model import CommunityModel

    spec = config.validate(cfg)  # plain dataclasses, converted once
    check_memory(spec)
    return CommunityModel(spec, graph=graph)


def finish(cfg: DictConfig, model) -> Run:
    """The finished run of ``model`` (``build(cfg)`` run to its end)."""
    from sim.measures.metrics import summarize

    return Run(cfg, summarize(model), model)


def simulate(cfg: DictConfig, progress: bool | None = None, graph=None) -> Run:
    """Run the model described by ``cfg`` for ``cfg.days`` days (on ``graph`` if given, see ``CommunityModel``)."""
    model = build(cfg, graph)
    model.run(progress=cfg.progress if progress is None else progress)
    return finish(cfg, model)


OUTPUTS = Path("outputs")  # a user's runs, sweeps and experiments (git-ignored); results/ holds reference reports
OUTPUT_KEYS = "hydra.run.dir=DIR for a run, hydra.sweep.dir=DIR for a sweep, experiment.out_dir=DIR for an experiment"


class OutputError(config.ConfigError):
    """An output folder this run must not use: it holds another run (the message names it and the fix)."""


def run_id() -> str:
    """The run's folder name (``hydra.run.dir``): the start time plus a random suffix, so runs started in
    the same second never share a folder. Fixed until the run ends (``RunFolder.on_run_end``): Hydra
    resolves it more than once."""
    global _RUN_ID
    if _RUN_ID is None:
        _RUN_ID = f"{time.strftime('%Y-%m-%d_%H-%M-%S')}-{uuid.uuid4().hex[:6]}"
    return _RUN_ID


_RUN_ID: str | None = None
OmegaConf.register_new_resolver("run_id", run_id, use_cache=True, replace=True)


def _file_above(path: Path) -> Path | None:
    """The regular file standing where ``path`` needs a folder (``somefile`` in ``somefile/x``), if any."""
    for p in (path, *path.parents):
        if p.exists():
            return p if not p.is_dir() else None
    return None


def unwritable(err: OSError) -> str:
    """The one-line message for an output that cannot be written: the path, why, and what to do."""
    path = Path(err.filename) if err.filename else None
    where = f"cannot write '{path}'" if path else "cannot write the outputs"
    blocker = _file_above(path) if path is not None else None
    if err.errno == errno.ENOSPC:
        fix = ("the disk is full: free some space and run the same command again (finished runs are kept, "
               "the unfinished one was removed and is redone)")
    elif blocker is not None:
        fix = f"'{blocker}' is a file, not a folder: choose another output folder ({OUTPUT_KEYS})"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"{err.strerror.lower()}: make it writable or choose another output folder ({OUTPUT_KEYS})"
    else:
        fix = f"{err.strerror}: choose another output folder ({OUTPUT_KEYS})"
    return f"{where}: {fix}"


def writable_dir(path: str | Path) -> Path:
    """``path`` as a folder that exists and can be written (an OSError naming it otherwise, see
    ``unwritable``): checked before a run or sweep starts, not found out when its first file is due."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    probe = out / f".write-test.{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(out)) from None
    return out


def atomic_write(path: str | Path, content) -> None:
    """Write ``content`` (text, or a function writing to the path it is given) through a temporary
    file and rename it into place, so a crash or a full disk never leaves a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if callable(content):
            content(tmp)
        else:
            tmp.write_text(content)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def finished(out_dir: str | Path, cfg: DictConfig) -> bool:
    """Whether ``out_dir`` holds a complete run of this very config made by this very code
    (summary.json is written last; provenance.json names the code, ``sim.app.store``)."""
    from sim.app.store import same_code

    out = Path(out_dir)
    return (out / "summary.json").is_file() and (out / "config.yaml").is_file() \
        and (out / "config.yaml").read_text() == OmegaConf.to_yaml(cfg) and same_code(out)


def check_free(out_dir: str | Path, cfg: DictConfig) -> None:
    """Refuse an output folder that holds another run (its config.yaml differs from ``cfg``'s), finished
    or not: writing there would mix two runs' files. A run of this very config may be resumed or kept."""
    out = Path(out_dir)
    mine = OmegaConf.to_yaml(cfg)
    if (out / "config.yaml").is_file() and (out / "config.yaml").read_text() != mine \
            or (out / "summary.json").is_file() and not (out / "config.yaml").is_file():
        raise OutputError(f"the output folder '{out}' holds another run (its config.yaml is not this run's): "
                          "leave hydra.run.dir unset (every run gets a new folder under outputs/runs/), "
                          "choose another folder with hydra.run.dir=DIR, or delete that folder to replace its run")


class RunFolder(Callback):
    """Hydra callback (``hydra.callbacks`` in conf/config.yaml): check a single run's folder before Hydra
    writes anything into it (its .hydra/ files and log included): it must be writable and must not hold
    another run. Hydra turns a callback's exceptions into warnings, so a refusal ends the command here:
    one message, exit status 2 (as sim/app/cli.py does for every bad input)."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        HydraConfig.instance().set_config(config)  # so ${hydra:...} in hydra.run.dir resolves
        task = copy.deepcopy(config)
        with read_write(task), open_dict(task):
            del task["hydra"]
        try:
            settle(task)  # as the run will record it: an edge list fixes population.size (bad input ends here)
            check_free(writable_dir(config.hydra.run.dir), task)
        except (OutputError, GraphError) as err:
            message = str(err)
        except OSError as err:
            message = unwritable(err)
        else:
            return
        print(f"growthsim: error: {message}", file=sys.stderr)
        sys.exit(2)

    def on_run_end(self, config: DictConfig, **kwargs) -> None:
        global _RUN_ID
        _RUN_ID = None  # the next run in this process (the Python API, tests) gets a folder of its own


RUN_FILES = ("config.yaml", "timeseries.csv", "members.parquet", "growth.png", "provenance.json", "summary.json")


def write_outputs(run: Run, out_dir: str | Path, plot: bool = True) -> Path:
    """config.yaml, timeseries.csv, members.parquet, growth.png (if ``plot``), provenance.json and summary.json
    in ``out_dir``.

    summary.json is removed first and written last: it marks a complete run (``finished``). When a write
    fails (a full disk), the run's files are removed, so the run counts as not done and is redone."""
    import pyarrow.parquet as pq

    from sim.app.plots import plot_growth
    from sim.app.store import write_provenance

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    try:
        atomic_write(out / "config.yaml", OmegaConf.to_yaml(run.cfg))
        atomic_write(out / "timeseries.csv", lambda p: run.timeseries.to_csv(p, index=False))
        atomic_write(out / "members.parquet", lambda p: pq.write_table(run.members, p))
        if plot:
            atomic_write(out / "growth.png", lambda p: plot_growth(run.timeseries, p))
        write_provenance(out, run.cfg)
        atomic_write(out / "summary.json", json.dumps(run.summary, indent=2))
    except OSError:
        for name in RUN_FILES:
            with contextlib.suppress(OSError):  # a read-only folder refuses this too; the first error is the one to report
                (out / name).unlink(missing_ok=True)
        raise
    return out
