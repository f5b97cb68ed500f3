"""Python API: compose a config, run one simulation, write its outputs."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from sim import config


def load_config(overrides: list[str] | None = None) -> DictConfig:
    """Compose ``conf/config.yaml`` with Hydra overrides (e.g. ``["days=365", "graph=complete"]``) and validate it."""
    config.register()
    with initialize_config_dir(str(config.CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides or []))
    config.validate(cfg)
    return cfg


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
    checked: reading /proc/meminfo (30-180 us) is a noticeable part of such a run (a 10,000-person
    cascade: about 7 ms)."""
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


def simulate(cfg: DictConfig, progress: bool | None = None, graph=None) -> Run:
    """Run the model described by ``cfg`` for ``cfg.days`` days (on ``graph`` if given, see ``CommunityModel``)."""
    from sim.metrics import summarize
    from sim.model import CommunityModel

    spec = config.validate(cfg)  # plain dataclasses, converted once
    check_memory(spec)
    model = CommunityModel(spec, graph=graph)
    model.run(progress=cfg.progress if progress is None else progress)
    return Run(cfg, summarize(model), model)


def atomic_write(path: str | Path, content) -> None:
    """Write ``content`` (text, or a function writing to the path it is given) through a temporary
    file and rename it into place, so a crash never leaves a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if callable(content):
        content(tmp)
    else:
        tmp.write_text(content)
    os.replace(tmp, path)


def finished(out_dir: str | Path, cfg: DictConfig) -> bool:
    """Whether ``out_dir`` holds a complete run of this very config (summary.json is written last)."""
    out = Path(out_dir)
    return (out / "summary.json").is_file() and (out / "config.yaml").is_file() \
        and (out / "config.yaml").read_text() == OmegaConf.to_yaml(cfg)


def write_outputs(run: Run, out_dir: str | Path, plot: bool = True) -> Path:
    """config.yaml, timeseries.csv, growth.png (if ``plot``) and summary.json in ``out_dir``.

    summary.json is removed first and written last: it marks a complete run (``finished``)."""
    from sim.plots import plot_growth

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    atomic_write(out / "config.yaml", OmegaConf.to_yaml(run.cfg))
    atomic_write(out / "timeseries.csv", lambda p: run.timeseries.to_csv(p, index=False))
    if plot:
        atomic_write(out / "growth.png", lambda p: plot_growth(run.timeseries, p))
    atomic_write(out / "summary.json", json.dumps(run.summary, indent=2))
    return out
