"""The budget optimizer (experiments/optimize.py, docs/data.md): the real CLI end to end at a small size,
resuming its Optuna journal, refusing another search in the same folder, and a plan that keeps its word."""

from __future__ import annotations

import json
import shutil
import sys
import subprocess
from pathlib import Path

import pandas as pd

import forked

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))
SMALL = ["population.size=1000", "days=30", "experiment.seeds=2", "experiment.finalists=2", "experiment.final_seeds=3",
         "progress=false"]


def optimize(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, "experiment=optimize", "experiment.budget=3000", f"experiment.out_dir={out}",
                       *SMALL, *extra], timeout=600)


def test_the_optimizer_finds_a_plan_within_the_budget_and_resumes(tmp_path):
    out = tmp_path / "opt"
    res = optimize(out, "experiment.trials=6")
    assert res.returncode == 0, res.stderr[-2000:]
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 6 and trials.plan.str.contains("incentive=").all()
    plan = json.loads((out / "plan.json").read_text())
    finals = pd.read_csv(out / "finalists.csv")
    best = plan["recommended"]
    assert best is not None and best["cost"] <= plan["budget"] == 3000
    assert best["outcome"] == finals[finals.within_budget].outcome.max()  # the finalists' best on fresh seeds
    assert best["outcome_ci_low"] <= best["outcome"] <= best["outcome_ci_high"]
    assert best["cost_crosses_budget"] == (best["cost_high"] > 3000)
    assert set(finals.plan) <= set(trials.plan) and len(finals) == 2
    feasible = trials[trials.cost <= 3000].sort_values("outcome", ascending=False)
    assert list(finals.plan) == list(feasible.plan[:2])  # the best trials within the budget are the finalists
    if plan["runner_up"] is not None:
        assert plan["runner_up"]["outcome"] <= best["outcome"]
    assert (out / "pareto.png").is_file() and "What the plan assumes" in (out / "report.md").read_text()

    again = optimize(out, "experiment.trials=8")  # the journal keeps the six: two more run
    assert again.returncode == 0, again.stderr[-2000:]
    more = pd.read_csv(out / "trials.csv")
    assert len(more) == 8 and more.head(6).equals(trials)

    other = optimize(out, "experiment.trials=8", "experiment.objective=purchases")
    assert other.returncode == 2 and "holds trials of another search" in other.stderr, other.stderr
    assert pd.read_csv(out / "trials.csv").equals(more)  # nothing finished was lost


def test_a_budget_is_required(tmp_path):
    res = forked.run([GROWTHSIM, "experiment=optimize", *SMALL], timeout=120,
                     cwd=tmp_path)
    assert res.returncode == 2 and "budget" in res.stderr and "Traceback" not in res.stderr, res.stderr
