"""``growthsim``: run one simulation (or a Hydra multirun sweep) and write its outputs.

Bad input (unknown keys or options, wrong types, out-of-range values, bad edge-list files, a
population too large for this machine) ends with a one-paragraph message and exit status 2,
never a traceback. A sweep's directory is derived from its command line, so the same command
started again after a crash finds the finished runs and runs only the missing ones.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import re
import sys
import warnings

import hydra
import hydra._internal.utils as hydra_utils
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import CompactHydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim import config
from sim.app import sweep
from sim.engine.graph import GraphError
from sim.app.launcher import SweepFailed, failure_message
from sim.app.run import finished, simulate, unwritable, write_outputs

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


DRIVER_GROUP = "growthsim.drivers"  # entry points naming the experiment drivers (pyproject.toml)


def drivers() -> dict[str, importlib.metadata.EntryPoint]:
    """The installed experiment drivers by name, ``compare`` (the default) first: entry points of the group
    ``growthsim.drivers``, so another installed package may add one; no config value names code to run."""
    found = {ep.name: ep for ep in importlib.metadata.entry_points(group=DRIVER_GROUP)}
    return dict(sorted(found.items(), key=lambda item: (item[0] != "compare", item[0])))


def run_driver(cfg: DictConfig) -> None:
    """Hand an experiment's config to the driver it names (``experiment.driver``; none: ``compare``)."""
    name = OmegaConf.select(cfg, "experiment.driver") or "compare"
    known = drivers()
    if not isinstance(name, str) or name not in known:
        raise config.ConfigError(f"experiment.driver={name} is not a driver of growthsim: choose one of "
                                 f"{', '.join(known)}, or leave it out for compare (docs/experiments.md)")
    known[name].load()(cfg)


@hydra.main(config_path=str(config.CONF_DIR), config_name="config", version_base="1.3")
def task(cfg: DictConfig) -> None:
    if cfg.get("experiment") is not None:  # experiment=NAME runs every arm over many seeds
        run_driver(cfg)
        return
    config.validate(cfg)  # before ``finished``: settles population.size for an edge list
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


def _yaml_problem(err: yaml.YAMLError) -> str:
    """Where a config file's YAML syntax breaks (file, line, column), what is wrong, and the fix."""
    mark = getattr(err, "problem_mark", None)
    if mark is None:
        return f"a config file is not valid YAML ({err}): fix its syntax"
    context = f" ({err.context})" if getattr(err, "context", None) else ""
    return (f"the config file '{mark.name}' is not valid YAML: line {mark.line + 1}, column {mark.column + 1}: "
            f"{err.problem}{context}; fix the syntax there")


def _gathered(func):
    """``func``, whose error ends a sweep (Hydra's basic and submitit launchers stop the sweep at its
    first failed job) turned into SweepFailed once the finished jobs are gathered, as the project's own
    launchers do (sim/app/launcher.py)."""
    try:
        return func()
    except SweepFailed:
        raise
    except Exception as err:
        sweep_dir = sweep.running()
        if sweep_dir is None or not sweep_dir.is_dir():
            raise
        gathered = sweep.gather_sweep(sweep_dir)
        if not gathered.failed:
            raise
        failed = {int(d) if d.isdigit() else d: None for d, _ in gathered.failed}
        raise SweepFailed(failure_message(failed, gathered.finished + len(failed), sweep_dir, True)) from err


def input_message(err: Exception) -> str:
    """The one-paragraph message for bad input (one of ``INPUT_ERRORS``): what is wrong and how to fix it.
    The what-if page shows the same text (sim/page)."""
    cause = f"\n{err.__cause__}" if isinstance(err.__cause__, OmegaConfBaseException) else ""
    where = f"cannot read the override '{_unparsable()}': " if isinstance(err, OverrideParseException) else ""
    return f"{where}{_tidy(f'{err}{cause}')}"


def _report(func):
    """Hydra's error reporter, with bad input mapped to a short message and exit status 2."""
    try:
        return _gathered(func)
    except INPUT_ERRORS as err:
        print(f"growthsim: error: {input_message(err)}", file=sys.stderr)
        sys.exit(2)
    except yaml.YAMLError as err:  # a config file of the user's (--config-dir) that is not valid YAML
        print(f"growthsim: error: {_yaml_problem(err)}", file=sys.stderr)
        sys.exit(2)
    except MemoryError as err:
        print(f"growthsim: error: out of memory ({err}); lower population.size", file=sys.stderr)
        sys.exit(2)
    except OSError as err:  # an output folder that cannot be written, a full disk
        print(f"growthsim: error: {unwritable(err)}", file=sys.stderr)
        sys.exit(2)
    except SweepFailed as err:  # some jobs of a sweep failed; the finished ones are gathered
        print(f"growthsim: error: {err}", file=sys.stderr)
        sys.exit(1)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"growthsim: warning: {message}", file=sys.stderr)


def launchers() -> list[str]:
    """The sweep launchers installed (Hydra registers each plugin's config when it finds the plugin),
    the default first."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    Plugins.instance()
    names = sorted(name.removesuffix(".yaml") for name in ConfigStore.instance().list("hydra/launcher"))
    return ["processes (default)", *(n for n in names if n != "processes")]


def usage() -> str:
    """``growthsim --help``: the main commands, every config group with its options (read from conf/,
    the default first), and where the docs are."""
    defaults = {}
    for entry in OmegaConf.load(config.CONF_DIR / "config.yaml").defaults:
        if isinstance(entry, DictConfig):
            defaults.update(entry)
    groups = []
    for group in sorted(d for d in config.CONF_DIR.iterdir() if d.is_dir()):
        options = sorted(f.stem for f in group.glob("*.yaml"))
        default = defaults.get(group.name)
        if default in options:
            options = [f"{default} (default)", *(o for o in options if o != default)]
        name = group.name if group.name in defaults else f"+{group.name}"  # not in the defaults list: added
        groups.append(f"  {name:<11} {' '.join(options)}")
    return "\n".join([
        "usage: growthsim [KEY=VALUE ...] [GROUP=OPTION ...]     one simulation run",
        "       growthsim -m KEY=V1,V2 ...                      a sweep: one run per combination",
        "       growthsim experiment=NAME [KEY=VALUE ...]       an experiment: every arm over paired seeds",
        "",
        "Simulates the growth of an online community; outputs go to outputs/ (runs/, sweeps/, <experiment>/).",
        "",
        "examples:",
        "  growthsim days=365 population.size=50000 seed=3",
        "  growthsim graph=edgelist graph.path=../shared/data/facebook_combined.txt",
        "  growthsim -m seed='range(5)' groups.cap=200,500",
        "  growthsim experiment=group_caps",
        "",
        "config groups (GROUP=OPTION; your own options: --config-dir DIR with DIR/GROUP/NAME.yaml):",
        *groups,
        f"  hydra/launcher  {' '.join(launchers())}  (for -m; docs/scaling.md)",
        f"  experiment.driver  {' '.join(drivers())}  (compare unless an experiment names another)",
        "",
        "options:",
        "  -h, --help        this text",
        "  --version         growthsim's version",
        "  --cfg job         print the composed config instead of running",
        "  --hydra-help      Hydra's own options",
        "",
        "docs: README.md and docs/ in the source tree: every key with its meaning and range in",
        "docs/parameters.md, experiments in docs/experiments.md, error messages in docs/errors.md",
    ])


def main() -> None:
    """Console entry point; ``--help`` and ``--version`` are answered here, before Hydra reads the command line."""
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(usage())
        return
    if "--version" in sys.argv[1:]:
        print(f"growthsim {importlib.metadata.version('growthsim')}")
        return
    if targets := [a for a in sys.argv[1:] if "=" in a and not a.startswith("-")
                   and ("_target_" in a.split("=", 1)[0].lstrip("+~").split(".")
                        or re.search(r"[{,\s]_target_\s*:", a.split("=", 1)[1]))]:
        print(f"growthsim: error: '{targets[0]}' names code to call (_target_): no value on growthsim's command "
              "line may do that; choose from the config groups' options instead (growthsim --help)", file=sys.stderr)
        sys.exit(2)
    warnings.showwarning = _show_warning
    original = hydra_utils.run_and_report
    hydra_utils.run_and_report = lambda func: original(lambda: _report(func))
    try:
        task()
    except KeyboardInterrupt:  # Ctrl-C: every finished run is complete on disk (summary.json is written last)
        print("growthsim: interrupted: finished runs are kept; the same command runs only what is missing",
              file=sys.stderr)
        sys.exit(130)
    finally:
        hydra_utils.run_and_report = original


if __name__ == "__main__":
    main()
