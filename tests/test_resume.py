"""Sweeps: kill -9 and start again resumes (launchers giving identical runs: test_launcher.py, test_ray.py)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd

import forked
from test_cli import GROWTHSIM

SWEEP = ["-m", "seed=0,1,2,3,4,5", "population.size=1500", "days=40", "progress=false"]


def sweep(cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, *SWEEP, *extra], cwd=cwd, timeout=300)


def runs_table(cwd: Path) -> pd.DataFrame:
    (sweep_dir,) = (cwd / "outputs" / "sweeps").iterdir()  # one directory, named after the command
    return pd.read_csv(sweep_dir / "runs.csv")


def test_kill_and_resume_runs_only_missing_runs_and_gives_the_same_table(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    whole.mkdir(), broken.mkdir()
    assert sweep(whole).returncode == 0
    expected = runs_table(whole)
    assert len(expected) == 6 and expected["members_final"].notna().all()

    proc = subprocess.Popen([GROWTHSIM, *SWEEP], cwd=broken, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(broken.glob("outputs/sweeps/*/*/summary.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-sweep
    proc.wait()
    done = {p: p.stat().st_mtime_ns for p in broken.glob("outputs/sweeps/*/*/summary.json")}
    assert 2 <= len(done) < 6, "the kill must land mid-sweep"
    assert not list(broken.glob("outputs/sweeps/*/runs.csv"))

    res = sweep(broken)
    assert res.returncode == 0, res.stderr
    logs = "".join(p.read_text() for p in broken.glob("outputs/sweeps/*/*/job.log"))  # each job's output
    assert logs.count("already finished, kept") == len(done)
    assert all(p.stat().st_mtime_ns == t for p, t in done.items())  # finished runs were not recomputed
    pd.testing.assert_frame_equal(runs_table(broken), expected)
