"""Hydra's entry to the project's launchers (logic: ``sim/app/launcher.py``).

Hydra discovers launchers only in the ``hydra_plugins`` namespace package and instantiates only
classes defined there, so this module holds the launcher classes Hydra sees and their configs:
``hydra/launcher=processes`` (the default of ``growthsim -m``, conf/config.yaml) and
``hydra/launcher=ray``.
"""

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore

from sim.app import launcher


class ProcessesLauncher(launcher.ProcessesLauncher):
    """Jobs on a pool of local processes (``sim.app.launcher.ProcessesLauncher``)."""


class RayLauncher(launcher.RayLauncher):
    """Jobs as Ray remote tasks (``sim.app.launcher.RayLauncher``)."""


@dataclass
class ProcessesConf:
    _target_: str = f"{__name__}.ProcessesLauncher"
    workers: int | None = None  # at most this many runs at once; null: one per CPU core


@dataclass
class RayConf:
    _target_: str = f"{__name__}.RayLauncher"
    address: str | None = None  # null: start a local Ray; HOST:6379 or ray://HOST:10001: join that cluster
    num_cpus: float | None = None  # CPUs each run reserves; null: Ray's default (1)


ConfigStore.instance().store(group="hydra/launcher", name="processes", node=ProcessesConf, provider="growthsim")
ConfigStore.instance().store(group="hydra/launcher", name="ray", node=RayConf, provider="growthsim")
