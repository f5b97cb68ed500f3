"""``growthsim``: run one simulation (or a Hydra multirun sweep) and write its outputs.

Bad input (unknown keys or options, wrong types, out-of-range values, bad edge-list files, a
population too large for this machine) ends with a one-paragraph message and exit status 2,
never a traceback. A sweep's directory is derived from its command line, so the same command
started again after a crash finds the finished runs and runs only the missing ones.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import sys
import warnings

import hydra
import hydra._internal.utils as hydra_utils
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import CompactHydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim import config
from sim.graph import GraphError
from sim.run import finished, simulate, write_outputs

config.register()
logging.getLogger("matplotlib").setLevel(logging.WARNING)

INPUT_ERRORS = (CompactHydraException, OmegaConfBaseException, config.ConfigError, GraphError)


def sweep_id() -> str:
    """A stable name for the sweep of this command line: same overrides, same directory (resume)."""
    args = sorted(a for a in sys.argv[1:] if not a.startswith("-") and not a.lstrip("+~").startswith("hydra"))
    return "sweep-" + hashlib.sha256("\n".join(args).encode()).hexdigest()[:10]


OmegaConf.register_new_resolver("sweep_id", sweep_id, use_cache=True, replace=True)


def summary_table(summary: dict) -> str:
    """The summary as two aligned columns."""
    width = max(map(len, summary))
    return "\n".join(f"{k:<{width}}  {(f'{v:.4f}' if isinstance(v, float) else str(v)):>12}"
                     for k, v in summary.items())


@hydra.main(config_path=str(config.CONF_DIR), config_name="config", version_base="1.3")
def task(cfg: DictConfig) -> None:
    if cfg.get("experiment") is not None:  # experiment=NAME runs every arm over many seeds
        driver = OmegaConf.select(cfg, "experiment.driver")  # e.g. experiments.cases:run
        if driver:
            module, _, func = driver.partition(":")
            getattr(importlib.import_module(module), func)(cfg)
            return
        from experiments.compare import run_experiment
        run_experiment(cfg)
        return
    out = HydraConfig.get().runtime.output_dir
    if finished(out, cfg):
        print(f"already finished, kept: {out}")
        return
    run = simulate(cfg)
    write_outputs(run, out)
    print(summary_table(run.summary))
    print(f"outputs: {out}")


def _tidy(message: str) -> str:
    """Hydra's message without what misleads here: schema entries among the options, the search path,
    and the advice to append an unknown key with '+' (the schema rejects unknown keys anyway)."""
    keep = []
    for line in message.splitlines():
        if line.startswith("Config search path") or line.startswith("\tprovider="):
            continue
        if line.strip().endswith("_schema") or line.startswith("To append to your config"):
            continue
        keep.append(line)
    text = "\n".join(keep).rstrip()
    if "not in '" in text or "Could not override" in text:
        text += "\n(every key, its meaning and range: docs/parameters.md)"
    return text


def _unparsable() -> str:
    """The first command-line override that Hydra's grammar rejects."""
    parser = OverridesParser.create()
    for arg in sys.argv[1:]:
        try:
            parser.parse_override(arg)
        except Exception:  # noqa: BLE001 - Hydra raises several kinds for a bad override
            return arg
    return " ".join(sys.argv[1:])


def _report(func):
    """Hydra's error reporter, with bad input mapped to a short message and exit status 2."""
    try:
        return func()
    except INPUT_ERRORS as err:
        cause = f"\n{err.__cause__}" if isinstance(err.__cause__, OmegaConfBaseException) else ""
        where = f"cannot read the override '{_unparsable()}': " if isinstance(err, OverrideParseException) else ""
        print(f"growthsim: error: {where}{_tidy(f'{err}{cause}')}", file=sys.stderr)
        sys.exit(2)
    except MemoryError as err:
        print(f"growthsim: error: out of memory ({err}); lower population.size", file=sys.stderr)
        sys.exit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"growthsim: warning: {message}", file=sys.stderr)


def main() -> None:
    """Console entry point."""
    warnings.showwarning = _show_warning
    original = hydra_utils.run_and_report
    hydra_utils.run_and_report = lambda func: original(lambda: _report(func))
    try:
        task()
    finally:
        hydra_utils.run_and_report = original


if __name__ == "__main__":
    main()
