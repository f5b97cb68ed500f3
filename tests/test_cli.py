"""End-to-end runs of the real ``growthsim`` command in a temporary directory."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from sim.metrics import COLUMNS

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
