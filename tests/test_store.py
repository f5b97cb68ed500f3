"""The results store (sim/app/store.py): provenance per run, no mixing with runs of other code, the
Parquet tables of experiments, and the DuckDB query shown in docs/scaling.md."""

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import forked

from sim import load_config, simulate
from sim.app.run import finished, write_outputs
from sim.app.store import code_version, config_hash
from test_sweep import GROWTHSIM, sweep_dir

REPO = Path(__file__).resolve().parents[1]
SMALL = ["population.size=300", "days=5", "progress=false"]


def growthsim(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, *args], cwd=cwd, timeout=300)


def test_a_run_records_its_code_and_config(tmp_path):
    cfg = load_config(SMALL)
    write_outputs(simulate(cfg), tmp_path, plot=False)
    made = json.loads((tmp_path / "provenance.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert made["git_commit"] == (head or "unknown") and made["package_version"] == code_version()["package_version"]
    assert made["config_hash"] == config_hash(load_config(SMALL)) != config_hash(load_config([*SMALL, "seed=1"]))
    assert finished(tmp_path, cfg)
    (tmp_path / "provenance.json").write_text(json.dumps({**made, "git_commit": "0" * 40}))
    assert not finished(tmp_path, cfg)  # made by other code: not done
    (tmp_path / "provenance.json").unlink()
    assert not finished(tmp_path, cfg)  # made before provenance was recorded: not done either


def test_resuming_a_sweep_reruns_the_runs_of_other_code_and_says_so(tmp_path):
    command = ["-m", "seed=0,1,2", *SMALL]
    assert growthsim(tmp_path, *command).returncode == 0
    made = {p: p.stat().st_mtime_ns for p in sweep_dir(tmp_path).glob("*/summary.json")}
    old = sweep_dir(tmp_path) / "1" / "provenance.json"
    old.write_text(json.dumps({**json.loads(old.read_text()), "package_version": "0.0.1"}))
    res = growthsim(tmp_path, *command)
    assert res.returncode == 0, res.stderr
    said = [line for line in res.stderr.splitlines() if "made by other code" in line]
    assert len(said) == 1 and "rerunning 1 finished run(s)" in said[0] and "0.0.1" in said[0]
    rerun = {p.parent.name for p, t in made.items() if p.stat().st_mtime_ns != t}
    assert rerun == {"1"}  # the other two were kept
    runs = pd.read_parquet(sweep_dir(tmp_path) / "runs.parquet")
    assert (runs["package_version"] == code_version()["package_version"]).all()


def docs_query() -> str:
    """The SQL block of docs/scaling.md, exactly as shown."""
    (query,) = re.findall(r"```sql\n(.*?)```", (REPO / "docs" / "scaling.md").read_text(), re.S)
    return query


def test_the_duckdb_query_of_the_docs_runs_on_a_sweep(tmp_path, monkeypatch):
    res = growthsim(tmp_path, "-m", "seed=0,1", "groups.cap=20,40", "population.size=300", "days=40",
                    "progress=false")
    assert res.returncode == 0, res.stderr
    monkeypatch.chdir(sweep_dir(tmp_path))  # the docs run it in the sweep directory
    got = duckdb.sql(docs_query()).df()
    runs = pd.read_csv("runs.csv")
    expected = {}
    for cap, jobs in runs.groupby("groups.cap")["dir"]:
        ts = pd.concat(pd.read_csv(f"{d}/timeseries.csv") for d in jobs)
        last = ts[ts["day"] > ts["day"].max() - 30]
        expected[cap] = (last["weekly_active"] / last["members"]).mean()
    assert list(got["groups.cap"]) == [20, 40] and list(got["runs"]) == [2, 2]
    assert list(got["weekly_active_share"]) == pytest.approx([expected[20], expected[40]])


EXPERIMENT = """\
# @package _global_
experiment:
  name: mixed
  seeds: 2
  baseline: unlimited
  workers: 1
  out_dir: null
  arms:
    unlimited: [groups=unlimited]
    capped: [groups.cap=50]
"""


def test_an_experiment_tables_its_finished_runs_and_lists_the_failed_ones(tmp_path):
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "conf" / "experiment" / "mixed.yaml").write_text(EXPERIMENT)
    command = ["experiment=mixed", f"hydra.searchpath=[file://{tmp_path / 'conf'}]", *SMALL, "experiment.out_dir=exp"]
    out = tmp_path / "exp"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / "capped").write_text("in the way")  # the arm's runs cannot write their folders: they fail
    res = growthsim(tmp_path, *command)
    assert res.returncode == 1, res.stderr
    assert "2 of 4 runs failed" in res.stderr and "failures.csv" in res.stderr and "Traceback" not in res.stderr
    failures = pd.read_csv(out / "failures.csv")
    assert list(zip(failures["arm"], failures["seed"], failures["dir"])) == [
        ("capped", 0, "runs/capped/seed_0"), ("capped", 1, "runs/capped/seed_1")]
    assert (failures["overrides"] == "groups.cap=50").all() and failures["error"].str.contains("runs/capped").all()
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(zip(runs["arm"], runs["seed"])) == [("unlimited", 0), ("unlimited", 1)]
    assert runs["members_final"].notna().all() and not (out / "arms.csv").exists()

    (out / "runs" / "capped").unlink()  # fixed: the same command runs only the failed runs
    res = growthsim(tmp_path, *command)
    assert res.returncode == 0, res.stderr
    assert not (out / "failures.csv").exists() and (out / "arms.csv").exists()
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(zip(runs["arm"], runs["seed"])) == [("unlimited", 0), ("unlimited", 1), ("capped", 0), ("capped", 1)]
    assert list(runs["groups"].fillna("-")) == ["unlimited", "unlimited", "-", "-"]
    assert list(runs["groups.cap"].fillna(0)) == [0, 0, 50, 50]
    assert (runs["git_commit"] == code_version()["git_commit"]).all() and runs["config_hash"].nunique() == 4
    pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), runs, check_dtype=False)
    series = pd.read_parquet(out / "timeseries.parquet")
    assert list(series.columns[:3]) == ["arm", "seed", "day"] and len(series) == 4 * 6
    one = series[(series["arm"] == "capped") & (series["seed"] == 1)].drop(columns=["arm", "seed"])
    pd.testing.assert_frame_equal(one.reset_index(drop=True),
                                  pd.read_csv(out / "runs" / "capped" / "seed_1" / "timeseries.csv"))
