"""``growthsim``: run one simulation (or a Hydra multirun sweep) and write its outputs."""

from __future__ import annotations

import logging
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim import config
from sim.graph import GraphError
from sim.run import simulate, write_outputs

config.register()
logging.getLogger("matplotlib").setLevel(logging.WARNING)


def summary_table(summary: dict) -> str:
    """The summary as two aligned columns."""
    width = max(map(len, summary))
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else f"{v}"  # noqa: E731
    return "\n".join(f"{k:<{width}}  {fmt(v):>12}" for k, v in summary.items())


@hydra.main(config_path=str(config.CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    if cfg.get("experiment") is not None:  # experiment=NAME runs every arm over many seeds
        from experiments.compare import run_experiment
        run_experiment(cfg)
        return
    try:
        run = simulate(cfg)
    except (config.ConfigError, GraphError) as err:
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    out = write_outputs(run, HydraConfig.get().runtime.output_dir)
    print(summary_table(run.summary))
    print(f"outputs: {out}")


if __name__ == "__main__":
    main()
