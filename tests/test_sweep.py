"""Gathering a sweep (sim/app/sweep.py): runs.csv, runs.parquet, timeseries.parquet, failures.csv, error.txt."""

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

import forked

from sim.app.store import code_version
from sim.app.sweep import RunsTable, gather_sweep, parse_overrides

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))


def test_parse_overrides():
    got = parse_overrides(["seed=3", "groups.cap=200", "groups=cap", "+experiment=x", "~graph.m",
                           "behavior.accept=0.25", "graph.path='a b=c'", "x=[1,2]"])
    assert got == {"seed": 3, "groups.cap": 200, "groups": "cap", "experiment": "x", "behavior.accept": 0.25,
                   "graph.path": "a b=c", "x": "[1,2]"}


def fake_job(sweep: Path, num: int, overrides: list[str], summary: dict | None, error: str | None = None) -> None:
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": num}}}))
    if summary is not None:
        (job / "summary.json").write_text(json.dumps(summary))
        pd.DataFrame({"day": [0, 1], "members": [10, 10 + num]}).to_csv(job / "timeseries.csv", index=False)
        (job / "provenance.json").write_text(json.dumps({"package_version": "0.1.0", "git_commit": "abc",
                                                         "config_hash": f"h{num}"}))
    if error is not None:
        (job / "error.txt").write_text(error + "\n")


def test_gather_sweep_tables_every_finished_job_and_lists_the_failed(tmp_path):
    for num in (10, 2, 0, 1, 9):  # created out of order; 10 must come after 9 (numeric, not text order)
        fake_job(tmp_path, num, [f"seed={num}", "groups.cap=100"], {"members_final": 100 + num, "k_factor": 0.5})
    fake_job(tmp_path, 3, ["seed=3", "groups.cap=100", "days=5"], None, error="GraphError: bad file")
    fake_job(tmp_path, 4, ["seed=4", "groups.cap=100"], {"members_final": 1}, error="OSError: disk full")
    fake_job(tmp_path, 5, ["seed=5", "groups.cap=100"], None)  # killed midway: neither finished nor failed
    got = gather_sweep(tmp_path)
    assert got.finished == 5
    assert got.failed == [("3", "GraphError: bad file"), ("4", "OSError: disk full")]
    table = pd.read_csv(tmp_path / "runs.csv", dtype={"dir": str})
    assert list(table.columns) == ["job", "seed", "groups.cap", "members_final", "k_factor", "dir",
                                   "package_version", "git_commit", "config_hash"]
    assert list(table["job"]) == [0, 1, 2, 9, 10]
    assert table.set_index("job").loc[10, "members_final"] == 110
    assert list(table["config_hash"]) == ["h0", "h1", "h2", "h9", "h10"] and set(table["git_commit"]) == {"abc"}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "runs.parquet"), table, check_dtype=False)
    series = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert list(series.columns) == ["job", "day", "members"]
    assert list(series["job"]) == [0, 0, 1, 1, 2, 2, 9, 9, 10, 10]
    assert list(series.loc[series["day"] == 1, "members"]) == [10, 11, 12, 19, 20]
    failures = pd.read_csv(tmp_path / "failures.csv", dtype={"dir": str})
    assert failures.to_dict("records") == [
        {"job": 3, "dir": "3", "overrides": "seed=3 groups.cap=100 days=5", "error": "GraphError: bad file"},
        {"job": 4, "dir": "4", "overrides": "seed=4 groups.cap=100", "error": "OSError: disk full"}]
    first = {n: (tmp_path / n).read_bytes() for n in ("runs.csv", "runs.parquet", "timeseries.parquet")}
    RunsTable().on_multirun_end(_cfg(tmp_path))
    assert {n: (tmp_path / n).read_bytes() for n in first} == first  # deterministic
    for num in (3, 4):
        (tmp_path / str(num) / "error.txt").unlink()  # both jobs rerun, now without error
    (tmp_path / "3" / "summary.json").write_text(json.dumps({"members_final": 3}))
    (tmp_path / "3" / "timeseries.csv").write_text("day,members\n0,3\n")
    assert gather_sweep(tmp_path).failed == []
    assert not (tmp_path / "failures.csv").exists()
    assert list(pd.read_csv(tmp_path / "runs.csv")["job"]) == [0, 1, 2, 3, 4, 9, 10]


def _cfg(sweep_dir):
    from omegaconf import OmegaConf
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}})


def sweep_dir(cwd: Path) -> Path:
    (found,) = cwd.glob("*/sweeps/*")
    return found


def test_growthsim_multirun_writes_the_run_tables(tmp_path):
    res = forked.run([GROWTHSIM, "-m", "seed=0,1", "groups.cap=100,200", "population.size=1000", "days=20"],
                     cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    runs = pd.read_csv(sweep_dir(tmp_path) / "runs.csv", dtype={"dir": str})
    assert len(runs) == 4
    assert list(runs.columns[:5]) == ["job", "seed", "groups.cap", "population.size", "days"]
    assert {"members_final", "active_share", "k_factor", "churn_rate"} <= set(runs.columns)
    assert list(runs["job"]) == [0, 1, 2, 3]
    assert sorted(zip(runs["seed"], runs["groups.cap"])) == [(0, 100), (0, 200), (1, 100), (1, 200)]
    assert (runs["population.size"] == 1000).all() and (runs["days"] == 20).all()
    assert (runs["package_version"] == code_version()["package_version"]).all()
    assert (runs["git_commit"] == code_version()["git_commit"]).all()
    assert runs["config_hash"].nunique() == 4
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_dir(tmp_path) / "runs.parquet"), runs, check_dtype=False)
    series = pd.read_parquet(sweep_dir(tmp_path) / "timeseries.parquet")
    for row in runs.itertuples():  # each row carries its own job's summary and daily series
        job = sweep_dir(tmp_path) / str(row.dir)
        assert json.loads((job / "summary.json").read_text())["members_final"] == row.members_final
        own = series[series["job"] == row.job].drop(columns="job").reset_index(drop=True)
        pd.testing.assert_frame_equal(own, pd.read_csv(job / "timeseries.csv"))
    assert not (sweep_dir(tmp_path) / "failures.csv").exists()


def edge_lists(tmp_path: Path) -> tuple[Path, Path]:
    """A valid edge list of 300 people (a tree) and one whose second line is not a pair of ids."""
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("".join(f"{i} {i // 2}\n" for i in range(1, 300)))
    bad.write_text("0 1\n1 x\n")
    return good, bad


def test_a_failed_job_gets_error_txt_and_a_rerun_that_succeeds_removes_it(tmp_path):
    """On Hydra's basic launcher (which stops before on_multirun_end): the callback's error.txt lets
    gather_sweep table the finished job and list the failed one."""
    good, bad = edge_lists(tmp_path)
    command = [GROWTHSIM, "-m", "graph=edgelist", f"graph.path={good},{bad}", "days=5", "progress=false",
               "hydra/launcher=basic"]
    res = forked.run(command, cwd=tmp_path, timeout=300)
    assert res.returncode != 0
    error = (sweep_dir(tmp_path) / "1" / "error.txt").read_text()
    assert error.startswith("GraphError: graph.path ") and "line 2" in error and error.count("\n") == 1
    assert not (sweep_dir(tmp_path) / "0" / "error.txt").exists()
    got = gather_sweep(sweep_dir(tmp_path))
    assert (got.finished, got.failed) == (1, [("1", error.strip())])
    assert list(pd.read_parquet(sweep_dir(tmp_path) / "runs.parquet")["graph.path"]) == [str(good)]
    bad.write_text(good.read_text())  # fixed: the same command now succeeds
    res = forked.run(command, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    assert not (sweep_dir(tmp_path) / "1" / "error.txt").exists()
    assert not (sweep_dir(tmp_path) / "failures.csv").exists()
    assert len(pd.read_csv(sweep_dir(tmp_path) / "runs.csv")) == 2


def test_a_sweep_with_a_failed_job_keeps_the_others_and_exits_1(tmp_path):
    good, bad = edge_lists(tmp_path)
    res = forked.run([GROWTHSIM, "-m", "graph=edgelist", f"graph.path={good},{bad},{good}", "seed=0",
                      "days=5", "progress=false"], cwd=tmp_path, timeout=300)
    assert res.returncode == 1, res.stderr
    assert "failures.csv" in res.stderr and "Traceback" not in res.stderr
    runs = pd.read_csv(sweep_dir(tmp_path) / "runs.csv")
    assert list(runs["job"]) == [0, 2] and runs["members_final"].notna().all()
    failures = pd.read_csv(sweep_dir(tmp_path) / "failures.csv")
    assert list(failures["job"]) == [1] and failures["error"][0].startswith("GraphError: graph.path ")
    assert str(bad) in failures["overrides"][0]
