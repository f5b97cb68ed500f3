"""The multirun callback (sim/sweep.py) that gathers a sweep into runs.csv."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from sim.sweep import RunsTable, gather, parse_overrides

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))


def test_parse_overrides():
    got = parse_overrides(["seed=3", "groups.cap=200", "groups=cap", "+experiment=x", "~graph.m",
                           "behavior.accept=0.25", "graph.path='a b=c'", "x=[1,2]"])
    assert got == {"seed": 3, "groups.cap": 200, "groups": "cap", "experiment": "x", "behavior.accept": 0.25,
                   "graph.path": "a b=c", "x": "[1,2]"}


def fake_job(sweep: Path, num: int, overrides: list[str], summary: dict | None) -> None:
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": num}}}))
    if summary is not None:
        (job / "summary.json").write_text(json.dumps(summary))


def test_gather_sorts_by_job_number_and_keeps_failed_jobs(tmp_path):
    for num in (10, 2, 0, 1, 9):  # created out of order; 10 must come after 9 (numeric, not text order)
        fake_job(tmp_path, num, [f"seed={num}", "groups.cap=100"], {"members_final": 100 + num, "k_factor": 0.5})
    fake_job(tmp_path, 3, ["seed=3", "groups.cap=100", "days=5"], None)  # a failed job: no summary
    table = gather(tmp_path)
    assert list(table.columns) == ["job", "seed", "groups.cap", "days", "members_final", "k_factor", "dir"]
    assert list(table["job"]) == [0, 1, 2, 3, 9, 10]
    assert table.set_index("job").loc[10, "members_final"] == 110
    assert pd.isna(table.set_index("job").loc[3, "members_final"])
    assert table.set_index("job").loc[3, "days"] == 5
    RunsTable().on_multirun_end(_cfg(tmp_path))
    first = (tmp_path / "runs.csv").read_bytes()
    RunsTable().on_multirun_end(_cfg(tmp_path))
    assert (tmp_path / "runs.csv").read_bytes() == first  # deterministic


def _cfg(sweep_dir):
    from omegaconf import OmegaConf
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}})


def test_growthsim_multirun_writes_runs_csv(tmp_path):
    res = subprocess.run([GROWTHSIM, "-m", "seed=0,1", "groups.cap=100,200", "population.size=1000", "days=20"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    (runs_csv,) = tmp_path.glob("results/sweeps/*/runs.csv")
    runs = pd.read_csv(runs_csv)
    assert len(runs) == 4
    assert list(runs.columns[:5]) == ["job", "seed", "groups.cap", "population.size", "days"]
    assert {"members_final", "active_share", "k_factor", "churn_rate"} <= set(runs.columns)
    assert list(runs["job"]) == [0, 1, 2, 3]
    assert sorted(zip(runs["seed"], runs["groups.cap"])) == [(0, 100), (0, 200), (1, 100), (1, 200)]
    assert (runs["population.size"] == 1000).all() and (runs["days"] == 20).all()
    for row in runs.itertuples():  # each row carries its own job's summary
        summary = json.loads((runs_csv.parent / str(row.dir) / "summary.json").read_text())
        assert summary["members_final"] == row.members_final
