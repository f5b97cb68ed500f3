"""Python API: compose a config, run one simulation, write its outputs."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
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


@dataclass
class Run:
    """A finished run: the daily ``timeseries``, the ``summary`` and the ``model`` in its final state."""
    cfg: DictConfig
    timeseries: pd.DataFrame
    summary: dict
    model: object


def simulate(cfg: DictConfig, progress: bool | None = None) -> Run:
    """Run the model described by ``cfg`` for ``cfg.days`` days."""
    from sim.metrics import summarize
    from sim.model import CommunityModel

    config.validate(cfg)
    model = CommunityModel(cfg)
    model.run(progress=cfg.progress if progress is None else progress)
    ts = model.recorder.frame()
    return Run(cfg, ts, summarize(ts, model), model)


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file and rename, so a crash never leaves a partial file."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def write_outputs(run: Run, out_dir: str | Path) -> Path:
    """timeseries.csv, summary.json, config.yaml and growth.png in ``out_dir``; summary.json last (marks completion)."""
    from sim.plots import plot_growth

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "config.yaml", lambda p: p.write_text(OmegaConf.to_yaml(run.cfg)))
    _atomic_write(out / "timeseries.csv", lambda p: run.timeseries.to_csv(p, index=False))
    _atomic_write(out / "growth.png", lambda p: plot_growth(run.timeseries, p))
    _atomic_write(out / "summary.json", lambda p: p.write_text(json.dumps(run.summary, indent=2)))
    return out
