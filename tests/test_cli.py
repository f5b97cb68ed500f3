"""End-to-end runs of the real ``growthsim`` command in a temporary directory."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.measures.metrics import COLUMNS

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))
SUMMARY_KEYS = {"members_final", "active_share", "weekly_active_share", "referral_share", "k_factor",
                "churn_rate", "purchases_per_member", "silent_share"}


def growthsim(tmp_path, *args):
    return subprocess.run([GROWTHSIM, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_growthsim_writes_every_output(tmp_path):
    res = growthsim(tmp_path, "population.size=2000", "days=40", "hydra.run.dir=out")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    for name in ("timeseries.csv", "summary.json", "config.yaml", "growth.png"):
        assert (out / name).stat().st_size > 0, name
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == list(COLUMNS) and len(ts) == 41
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["members_final"] == ts["members"].iloc[-1]
    assert "members_final" in res.stdout  # the summary table
    assert "Step " not in res.stdout + res.stderr  # mesa's per-step INFO logging is silenced


def test_bad_value_exits_2_without_traceback(tmp_path):
    res = growthsim(tmp_path, "behavior.accept=1.5")
    assert res.returncode == 2
    assert "behavior.accept=1.5 is out of range" in res.stderr and "Traceback" not in res.stderr


def test_help_is_a_short_usage_with_every_config_group_and_option(tmp_path):
    from sim.config import CONF_DIR
    res = growthsim(tmp_path, "--help")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) < 40 and "_schema" not in res.stdout
    assert lines[0].startswith("usage: growthsim") and "experiment=NAME" in res.stdout and "-m " in res.stdout
    for group in (d for d in CONF_DIR.iterdir() if d.is_dir()):  # every group and option in conf/, as they are now
        row = next(line for line in lines if line.split() and line.split()[0].lstrip("+") == group.name)
        assert {f.stem for f in group.glob("*.yaml")} <= set(row.split()), group.name
    assert "graph       barabasi_albert (default)" in res.stdout and "docs/parameters.md" in res.stdout
    launchers = next(line for line in lines if line.split()[:1] == ["hydra/launcher"]).split()
    assert launchers[1:3] == ["processes", "(default)"] and {"ray", "basic", "submitit_local"} <= set(launchers)


def test_version_is_the_projects_own(tmp_path):
    from importlib.metadata import version
    res = growthsim(tmp_path, "--version")
    assert res.returncode == 0 and res.stdout == f"growthsim {version('growthsim')}\n"


def test_an_edge_list_run_records_the_files_population_and_resumes(tmp_path):
    from conftest import FACEBOOK
    if not FACEBOOK.exists():
        pytest.skip("shared Facebook data set not present")
    args = ("graph=edgelist", f"graph.path={FACEBOOK}", "days=2", "hydra.run.dir=out")
    res = growthsim(tmp_path, *args)
    assert res.returncode == 0, res.stderr
    recorded = OmegaConf.load(tmp_path / "out" / "config.yaml")
    assert recorded.population.size == 4039  # the file's people, not the default 10,000
    assert "warning" not in res.stderr  # the default size is not the user's: nothing to say
    again = growthsim(tmp_path, *args)  # the same command finds its finished run
    assert again.returncode == 0 and "already finished, kept" in again.stdout, again.stderr
    sized = growthsim(tmp_path, *args[:-1], "population.size=3", "hydra.run.dir=sized")  # a size the file overrules
    assert sized.returncode == 0, sized.stderr
    assert "warning: population.size=3 is replaced by the 4,039 people in graph.path" in sized.stderr
    assert OmegaConf.load(tmp_path / "sized" / "config.yaml").population.size == 4039


def test_keys_added_with_plus_under_hydra_still_work(tmp_path):
    res = growthsim(tmp_path, "+hydra.job.env_set.GROWTHSIM_NOTE=1", "days=2", "population.size=300",
                    "hydra.run.dir=out")
    assert res.returncode == 0, res.stderr


def test_an_experiment_in_the_users_config_folder_composes_every_arm(tmp_path):
    """``--config-dir DIR experiment=mine``: the experiment and the options its arms name are DIR's own."""
    own = tmp_path / "own"
    (own / "experiment").mkdir(parents=True)
    (own / "graph").mkdir()
    (own / "graph" / "ring.yaml").write_text("defaults:\n  - watts_strogatz_schema\nk: 4\np: 0.0\n")
    (own / "experiment" / "mine.yaml").write_text(
        "# @package _global_\nexperiment:\n  name: mine\n  seeds: 1\n  baseline: usual\n  workers: 1\n"
        "  arms:\n    usual: []\n    ring: [graph=ring]\n  metrics: [members_final]\n")
    res = growthsim(tmp_path, "--config-dir", str(own), "experiment=mine", "days=3", "population.size=300")
    assert res.returncode == 0, res.stderr
    ring = OmegaConf.load(tmp_path / "outputs" / "mine" / "runs" / "ring" / "seed_0" / "config.yaml")
    assert (ring.graph.kind, ring.graph.k) == ("watts_strogatz", 4)
