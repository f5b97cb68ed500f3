"""Fitting a user's own community (experiments/fit.py, docs/data.md): the real CLI end to end on a small
synthetic history, resuming, bad files with exit 2, and the fit recovering a history the simulator made."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import forked

from experiments import example_community as example

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def community(tmp_path_factory) -> Path:
    """A small synthetic community export (history, members, contacts) made by the simulator."""
    folder = tmp_path_factory.mktemp("community")
    example.main(["--quick", "--out", str(folder)])
    return folder


def fit(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, "experiment=fit", f"experiment.data={folder / 'history.csv'}",
                       f"experiment.members={folder / 'members.csv'}", "graph=edgelist",
                       f"graph.path={folder / 'contacts.txt'}", "experiment.table=8", "experiment.accept=3",
                       "experiment.replicates=1", f"experiment.out_dir={out}", "progress=false", *extra], timeout=600)


PRACTICE = "cadence=three_two_one"  # the levers that acted during the history (a forecast keeps them)


@pytest.fixture(scope="module")
def fitted(community, tmp_path_factory) -> Path:
    """The small community fitted once, with a practice on the command line."""
    out = tmp_path_factory.mktemp("fitted") / "fit"
    res = fit(community, out, PRACTICE)
    assert res.returncode == 0, res.stderr[-2000:]
    return out


def test_the_fit_runs_end_to_end_and_resumes(community, fitted):
    out = fitted
    for name in ("report.md", "ensemble.parquet", "posterior_predictive.csv", "parameters.csv", "fit.png"):
        assert (out / name).is_file(), name
    ens = pd.read_parquet(out / "ensemble.parquet")
    assert len(ens) == 3 and ens.weight.sum() == pytest.approx(1.0)
    history = pd.read_csv(community / "history.csv")
    pp = pd.read_csv(out / "posterior_predictive.csv")
    assert set(pp.measure) == {"members", "active", "joins", "leaves", "weekly_active", "purchases", "messages"}
    members = pp[pp.measure == "members"]
    assert members.observed.tolist() == history.members.iloc[1:].tolist()
    assert (members.low <= members["median"]).all() and (members["median"] <= members.high).all()
    params = pd.read_csv(out / "parameters.csv")
    assert len(params) == 15 and params.identified.dtype == bool
    report = (out / "report.md").read_text()
    assert "inside the 90% predictive band" in report and "stays at the prior" in report
    chunks = {p: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}
    again = fit(community, out, PRACTICE)  # every chunk is on disk: nothing runs again, the same numbers come out
    assert again.returncode == 0, again.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")} == chunks
    assert pd.read_csv(out / "posterior_predictive.csv").equals(pp)


def test_a_forecast_continues_the_fitted_history_on_paired_seeds_and_sets(fitted, tmp_path):
    """``experiment.fitted``: every arm replays the fitted history identically (the practice acts, the arm's
    levers wait for the launch), then the arms part; seed i takes set i of the kept sets in every arm."""
    from omegaconf import OmegaConf

    from experiments.fit import FittedCommunity
    from sim.config import ensemble_sets

    out, horizon, seeds = tmp_path / "forecast", 20, 2
    res = forked.run([GROWTHSIM, "experiment=incentives", f"experiment.fitted={fitted}", f"experiment.seeds={seeds}",
                      f"experiment.horizon={horizon}", "experiment.workers=1", f"experiment.out_dir={out}",
                      "progress=false"], timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    community = FittedCommunity.load(fitted)
    assert community.practice == [PRACTICE] and community.days == 40 - 1  # the quick history: days 0..39
    history_days, launch = community.days, community.days + 1
    sets = ensemble_sets(fitted / "ensemble.parquet", seeds)
    for seed in range(seeds):
        base = pd.read_csv(out / "runs" / "none" / f"seed_{seed}" / "timeseries.csv")
        assert len(base) == history_days + horizon + 1
        reward = pd.read_csv(out / "runs" / "invite_reward" / f"seed_{seed}" / "timeseries.csv")
        pd.testing.assert_frame_equal(reward.iloc[:launch], base.iloc[:launch])  # the history: the same runs
        assert not reward.iloc[launch:].equals(base.iloc[launch:]) and reward.reward_cost.iloc[launch:].sum() > 0
        cfg = OmegaConf.load(out / "runs" / "invite_reward" / f"seed_{seed}" / "config.yaml")
        assert cfg.launch == launch and list(cfg.before) == ["incentive"]  # the cadence is the practice: kept
        assert cfg.cadence.plan == "3+2+1"
        for override in sets[seed]:
            key, value = override.split("=")
            assert OmegaConf.select(cfg, key) == pytest.approx(float(value))
    arms = pd.read_csv(out / "arms.csv")
    others = arms[arms.arm != "none"]
    assert others.p_higher.between(0, 1).all()
    report = (out / "report.md").read_text()
    assert f"levers launch on day {launch}" in report and "Forecast range" in report and "P(invite_reward > none)" in report
    assert (out / "timeseries.png").is_file()


def test_the_optimizer_plans_on_the_fitted_community(fitted, tmp_path):
    import json

    out = tmp_path / "plan"
    res = forked.run([GROWTHSIM, "experiment=optimize", f"experiment.fitted={fitted}", "experiment.budget=5000",
                      "experiment.trials=3", "experiment.seeds=2", "experiment.finalists=1",
                      "experiment.final_seeds=2", "experiment.horizon=10", f"experiment.out_dir={out}",
                      "progress=false"], timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    plan = json.loads((out / "plan.json").read_text())
    assert plan["horizon"] == 10 and f"the fit in {fitted}" in plan["assumes"][0] and plan["trials"] == 3
    assert plan["recommended"] is None or plan["recommended"]["cost"] <= 5000


def test_a_forecast_needs_a_finished_fit(tmp_path):
    res = forked.run([GROWTHSIM, "experiment=incentives", f"experiment.fitted={tmp_path}", "experiment.seeds=2"], timeout=120, cwd=tmp_path)
    assert res.returncode == 2 and "no finished fit there" in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_another_history_in_the_same_folder_is_refused(community, tmp_path):
    out = tmp_path / "fit"
    assert fit(community, out, "experiment.table=2", "experiment.accept=2", "experiment.replicates=0").returncode == 0
    other = tmp_path / "other"
    shutil.copytree(community, other)
    history = pd.read_csv(other / "history.csv")
    history.loc[:, "active"] = history["active"] // 2
    history.to_csv(other / "history.csv", index=False)
    res = fit(other, out, "experiment.table=2", "experiment.accept=2", "experiment.replicates=0")
    assert res.returncode == 2 and "another history" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("damage, words", [
    (lambda h: h.drop(columns="joins"), ["'joins'", "the header needs"]),
    (lambda h: h.drop(index=[10, 11]), ["2 day(s) are missing"]),
    (lambda h: h.head(10), ["at least 28"]),
])
def test_a_bad_history_gets_exit_2_and_its_message(community, tmp_path, damage, words):
    bad = tmp_path / "bad"
    shutil.copytree(community, bad)
    damage(pd.read_csv(community / "history.csv")).to_csv(bad / "history.csv", index=False)
    res = fit(bad, tmp_path / "fit")
    assert res.returncode == 2, res.stderr[-1000:]
    assert "Traceback" not in res.stderr and str(bad / "history.csv") in res.stderr
    for word in words:
        assert word in res.stderr


def test_the_example_is_labelled_synthetic_and_reads_cleanly():
    from sim.history import read_history, read_members

    folder = Path(__file__).resolve().parents[1] / "examples" / "community"
    history = read_history(folder / "history.csv")
    assert len(history) == example.DAYS
    assert len(read_members(folder / "members.csv", history)) == history.members.iloc[-1]
    readme = (folder / "README.md").read_text()
    assert "SYNTHETIC" in readme
    for key, value in example.truth().items():  # the stated settings are the ones that made the files
        assert f"| `{key}` | {value:g} |" in readme, key


@pytest.mark.parametrize("seed", [11, 12])
def test_the_fit_recovers_a_history_the_simulator_made(tmp_path, seed):
    """Parameter recovery (experiments/fit_recovery.py): a history made with known values (the example's) on
    another seed is fitted; the observed points lie in the 90% band at >= 85%, and the true values lie in
    their 90% intervals (every parameter the fit calls identified, and >= 80% of all)."""
    from experiments.fit_recovery import repetition

    got = repetition(seed, tmp_path, table=48, accept=12)
    assert got["band_coverage"] >= 0.85, got
    assert got["truth_in_interval"] >= 0.8, got
    assert got["identified"] == 0 or got["identified_truth_in_interval"] == 1.0, got
