"""Experiment runner (experiments/runner.py), the compare driver (experiments/compare.py), the experiment
schemas (experiments/schema.py), the drivers' entry points and the statistics (sim/measures/stats.py).

Small runs only (2,000 people, 40 days): the suite must stay fast on 2 shared cores.
"""

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forked
from omegaconf import OmegaConf

from experiments import compare, runner
from sim.measures import stats
from experiments.schema import BudgetPlan, Calibration, CaseReproduction, CommunityFit, Comparison, EnsembleFit, \
    Facts, SeveralCommunities, parse

REPO = Path(__file__).resolve().parents[1]
GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))
# `experiment=NAME` needs `experiment` in the root defaults list; otherwise it must be appended: `+experiment=NAME`
ROOT_DEFAULTS = OmegaConf.to_container(OmegaConf.load(REPO / "conf" / "config.yaml"))["defaults"]
EXPERIMENT = "experiment" if any(isinstance(d, dict) and "experiment" in d for d in ROOT_DEFAULTS) else "+experiment"


# ---------------------------------------------------------------- statistics, against hand-computed values
def test_mean_ci_t_interval():
    est = stats.mean_ci([1, 2, 3, 4, 5])  # mean 3, sd sqrt(2.5), t(0.975, 4) = 2.776445
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert est.n == 5 and est.value == 3
    assert est.low == pytest.approx(3 - half, abs=1e-5) and est.high == pytest.approx(3 + half, abs=1e-5)
    assert stats.mean_ci([2, 4]).low == pytest.approx(3 - 12.7062 * math.sqrt(2) / math.sqrt(2), abs=1e-3)


def test_mean_ci_edge_cases():
    one = stats.mean_ci([7.0])
    assert one.value == 7 and math.isnan(one.low) and math.isnan(one.high) and one.n == 1
    assert stats.mean_ci([1.0, math.nan, 3.0]) == stats.mean_ci([1.0, 3.0])  # non-finite values are dropped
    assert math.isnan(stats.mean_ci([]).value)
    const = stats.mean_ci([2.0, 2.0, 2.0])
    assert (const.low, const.high) == (2.0, 2.0)


def test_paired_diff_uses_per_seed_differences():
    est = stats.paired_diff([2, 4, 6], [1, 1, 1])  # d = 1, 3, 5: mean 3, sd 2, t(0.975, 2) = 4.302653
    half = 4.302653 * 2 / math.sqrt(3)
    assert est.value == 3 and est.low == pytest.approx(3 - half, abs=1e-5)
    assert not est.excludes_zero
    tight = stats.paired_diff([11, 21.1, 30.9], [10, 20, 30])  # d = 1, 1.1, 0.9: sd 0.1
    assert tight.value == pytest.approx(1) and tight.low == pytest.approx(1 - 4.302653 * 0.1 / math.sqrt(3), abs=1e-5)
    assert tight.excludes_zero
    assert stats.paired_diff([-3, -3.1], [0, 0]).excludes_zero  # wholly below 0 counts too
    with pytest.raises(ValueError):
        stats.paired_diff([1, 2], [1, 2, 3])


def test_paired_diff_drops_a_seed_missing_in_either_arm():
    assert stats.paired_diff([1, math.nan, 5, 9], [0, 1, math.nan, 8]) == stats.paired_diff([1, 9], [0, 8])


def test_relative_change_delta_method():
    exact = stats.relative_change([2, 4, 6], [1, 2, 3])  # every seed doubles: +100%, no spread
    assert exact.value == pytest.approx(100) and exact.low == pytest.approx(100) and exact.high == pytest.approx(100)
    # R = 4/2 = 2; a - R b = -1, 0, 1: sd 1; se = 1 / (sqrt(3) * 2); CI of R = 2 +- 4.302653 * se
    est = stats.relative_change([3, 4, 5], [2, 2, 2])
    half = 4.302653 / (math.sqrt(3) * 2)
    assert est.value == pytest.approx(100)
    assert est.low == pytest.approx(100 * (1 - half), abs=1e-3)
    assert est.high == pytest.approx(100 * (1 + half), abs=1e-3)
    assert math.isnan(stats.relative_change([1, 2], [0, 0]).value)  # baseline mean 0
    assert math.isnan(stats.relative_change([1, -2], [1, 1]).value)  # not a ratio-scale metric


def test_unpaired_diff_welch():
    est = stats.unpaired_diff([1, 2, 3], [2, 4, 6])  # se^2 = 1/3 + 4/3, Welch df = 50/17
    from scipy.stats import t
    half = t.ppf(0.975, 50 / 17) * math.sqrt(5 / 3)
    assert est.value == -2 and est.high == pytest.approx(-2 + half)


def test_one_interval_for_numbers_and_per_day_bands():
    """A band's bounds per day are the mean_ci of that day's values over seeds."""
    y = np.random.default_rng(3).normal(50, 10, size=(7, 5))
    half = stats.half_width(y.std(axis=0, ddof=1), len(y))
    for day in range(5):
        est = stats.mean_ci(y[:, day])
        assert (est.low, est.high) == pytest.approx((y[:, day].mean() - half[day], y[:, day].mean() + half[day]),
                                                    rel=1e-12)


# ---------------------------------------------------------------- the driver, on two arms that exist today
BASE = ["population.size=2000", "days=40", "population.organic_rate=0.002"]  # ~200 members: caps of 100 bind
METRICS = ["members_final", "active_share", "k_factor"]


def small_spec(seeds=10, **kw):
    return Comparison(name="caps", arms={"unlimited": ["groups=unlimited"], "cap_100": ["groups.cap=100"]},
                        baseline="unlimited", seeds=seeds, metrics=METRICS, workers=1, **kw)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "caps"
    compare.run(small_spec(), BASE, out, progress=False)
    return out


def test_common_random_numbers_shrink_the_variance_of_differences(experiment):
    """Paired arms (same seed i) differ far less from seed to seed than unpaired ones (seed i vs i+5)."""
    runs = pd.read_csv(experiment / "runs.csv")
    wide = {arm: d.set_index("seed").sort_index() for arm, d in runs.groupby("arm")}
    for m in METRICS:
        a, b = wide["cap_100"][m].to_numpy(), wide["unlimited"][m].to_numpy()
        paired = np.var(a - b, ddof=1)
        unpaired = np.var(np.roll(a, 5) - b, ddof=1)  # cap_100 on seed i+5 (mod 10) against unlimited on seed i
        assert 0 < paired < 0.5 * unpaired, (m, paired, unpaired)


def test_outputs_of_an_experiment(experiment):
    arms = pd.read_csv(experiment / "arms.csv")
    assert list(arms.columns) == ["arm", "metric", "n", "mean", "sd", "ci_low", "ci_high", "diff", "diff_ci_low",
                                  "diff_ci_high", "diff_excludes_0", "rel_change_pct", "rel_ci_low", "rel_ci_high",
                                  "p_higher"]
    assert list(arms["metric"][:3]) == METRICS  # the experiment's metrics first, then the other summary keys
    assert set(arms["arm"]) == {"unlimited", "cap_100"} and (arms["n"] == 10).all()
    assert (arms["ci_low"] <= arms["mean"]).all() and (arms["mean"] <= arms["ci_high"]).all()
    base, cap = arms[arms["arm"] == "unlimited"], arms[arms["arm"] == "cap_100"].set_index("metric")
    assert base["diff"].isna().all()  # no difference of the baseline to itself
    runs = pd.read_csv(experiment / "runs.csv")
    assert len(runs) == 20 and set(runs["seed"]) == set(range(10))
    for m in METRICS:  # arms.csv agrees with the statistics on runs.csv
        a = runs[runs["arm"] == "cap_100"].sort_values("seed")[m].to_numpy()
        b = runs[runs["arm"] == "unlimited"].sort_values("seed")[m].to_numpy()
        est = stats.paired_diff(a, b)
        assert cap.loc[m, "diff"] == pytest.approx(est.value)
        assert (cap.loc[m, "diff_ci_low"], cap.loc[m, "diff_ci_high"]) == pytest.approx((est.low, est.high))
        assert cap.loc[m, "p_higher"] == pytest.approx(np.mean(a > b) + 0.5 * np.mean(a == b))
        assert cap.loc[m, "mean"] == pytest.approx(a.mean())
    assert cap.loc["largest_group_final", "mean"] <= 100 < arms.set_index(["arm", "metric"]).loc[
        ("unlimited", "largest_group_final"), "mean"]
    report = (experiment / "report.md").read_text()
    assert "cap_100" in report and "unlimited (baseline)" in report and "timeseries.png" in report
    assert (experiment / "timeseries.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run_dir = experiment / "runs" / "cap_100" / "seed_3"
    assert OmegaConf.load(run_dir / "config.yaml").groups.cap == 100
    assert OmegaConf.load(run_dir / "config.yaml").seed == 3
    assert len(pd.read_csv(run_dir / "timeseries.csv")) == 41


def test_resume_recomputes_only_missing_or_stale_runs(experiment):
    arms_before = (experiment / "arms.csv").read_bytes()
    summaries = sorted(experiment.glob("runs/*/seed_*/summary.json"))
    mtimes = {p: p.stat().st_mtime_ns for p in summaries}
    lost = experiment / "runs" / "cap_100" / "seed_3" / "summary.json"
    lost.unlink()  # as if the process died before this run finished
    stale = experiment / "runs" / "unlimited" / "seed_7"
    (stale / "config.yaml").write_text((stale / "config.yaml").read_text().replace("days: 40", "days: 39"))
    compare.run(small_spec(), BASE, experiment, progress=False)
    changed = {p for p in summaries if p.stat().st_mtime_ns != mtimes[p]}
    assert changed == {lost, stale / "summary.json"}
    assert (experiment / "arms.csv").read_bytes() == arms_before  # same seeds, same results


def test_bad_arm_fails_before_running(tmp_path):
    spec = small_spec(seeds=2)
    spec.arms["typo"] = ["groups.cpa=100"]
    with pytest.raises(runner.ExperimentError, match="arm 'typo'"):
        compare.run(spec, BASE, tmp_path / "x", progress=False)
    assert not (tmp_path / "x" / "runs").exists()


def test_a_failed_run_does_not_lose_the_others(tmp_path, monkeypatch):
    import sim.app.run
    simulate = sim.app.run.simulate

    def fails_in_the_short_arm(cfg, **kwargs):  # a run that fails while it runs (bad input fails before any run)
        if cfg.days == 4:
            raise RuntimeError("boom")
        return simulate(cfg, **kwargs)

    monkeypatch.setattr(sim.app.run, "simulate", fails_in_the_short_arm)
    spec = Comparison(name="f", arms={"ok": [], "broken": ["days=4"]}, baseline="ok", seeds=1, workers=1)
    with pytest.raises(runner.RunsFailed, match=r"(?s)1 of 2 runs failed.*broken/seed_0: RuntimeError: boom"):
        compare.run(spec, ["population.size=500", "days=5"], tmp_path / "f", progress=False)
    assert (tmp_path / "f" / "runs" / "ok" / "seed_0" / "summary.json").exists()
    assert not (tmp_path / "f" / "runs" / "broken" / "seed_0" / "summary.json").exists()


def test_a_failure_midway_leaves_no_manifest_that_the_report_does_not_follow(tmp_path, monkeypatch):
    """experiment.yaml is written last; the aggregates of an earlier definition are removed first."""
    out, base = tmp_path / "caps", ["population.size=300", "days=5"]
    compare.run(small_spec(seeds=2), base, out, progress=False)
    assert OmegaConf.load(out / "experiment.yaml").seeds == 2 and (out / "report.md").is_file()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process were stopped once the runs are done

    monkeypatch.setattr(compare, "plot_arms", killed)
    with pytest.raises(KeyboardInterrupt):
        compare.run(small_spec(seeds=3), base, out, progress=False)  # the definition changed: 3 seeds
    assert not (out / "experiment.yaml").exists()  # the folder is marked unfinished
    assert not (out / "report.md").exists() and not (out / "timeseries.png").exists()  # the 2-seed ones are gone
    monkeypatch.undo()
    compare.run(small_spec(seeds=3), base, out, progress=False)
    assert OmegaConf.load(out / "experiment.yaml").seeds == 3
    assert "over 3 seeds" in (out / "report.md").read_text()
    assert (pd.read_csv(out / "arms.csv")["n"] == 3).all()


def _bands(monkeypatch) -> list[tuple]:
    """Every CI band drawn from now on: (axes, lower, upper)."""
    from matplotlib.axes import Axes
    drawn = []
    monkeypatch.setattr(Axes, "fill_between", lambda ax, x, y1, y2, **kw: drawn.append((ax, y1, y2)))
    return drawn


def test_confidence_bands_stay_within_what_each_series_can_take(tmp_path, monkeypatch):
    """Two seeds far apart: the plain t-interval (t = 12.7) passes 100 % and drops below 0."""
    days = np.arange(8)
    runs = {0: dict(members=[2] * 8, active=[2] * 8, weekly_active=[2] * 8, new_by_referral=[0] * 8,
                    reward_cost=[0] * 8),
            1: dict(members=[60] * 8, active=[1] * 8, weekly_active=[57] * 8, new_by_referral=[9] * 8,
                    reward_cost=[5] * 8)}
    jobs = []
    for seed, cols in runs.items():
        (tmp_path / str(seed)).mkdir()
        pd.DataFrame({"day": days, **cols}).to_csv(tmp_path / str(seed) / "timeseries.csv", index=False)
        jobs.append(runner.Job("a", seed, None, tmp_path / str(seed)))
    drawn = _bands(monkeypatch)
    compare.plot_arms(jobs, ["a"], tmp_path / "t.png")
    bands = {ax.get_title(): (np.asarray(lo), np.asarray(hi)) for ax, lo, hi in drawn}
    assert len(bands) == 5
    for title, (lo, hi) in bands.items():
        assert (lo >= 0).all(), title
        assert (hi <= 100).all() or "%" not in title, title
    assert (bands["weekly active share of members (%)"][1] == 100).all()  # clipped, not merely inside
    assert (bands["members"][0] == 0).all()


def test_case_plot_bands_stay_within_what_each_measure_can_take(tmp_path, monkeypatch):
    from experiments import cases
    from experiments.schema import case_from
    case = case_from("cx", {"targets": [
        {"measure": "weekly_active_share", "kind": "share", "baseline": 0.9, "treatment": 0.9},
        {"measure": "daily_interactions", "kind": "relative", "target": 10}]})
    share, count = case.targets[0].key, case.targets[1].key
    cr = cases.CaseRuns(case, [0, 1])
    for arm in cases.ARMS:
        cr.series[(arm, share)] = np.array([[0.99] * 6, [0.30] * 6])
        cr.series[(arm, count)] = np.array([[1.0] * 6, [90.0] * 6])
        cr.values[(arm, share)], cr.values[(arm, count)] = np.array([0.99, 0.3]), np.array([1.0, 90.0])
    drawn = _bands(monkeypatch)
    cases.plot_case(cr, tmp_path / "cx.png")
    assert len(drawn) == 4
    for ax, lo, hi in drawn:
        if share in ax.get_title():
            assert (np.asarray(lo) == 0).all() and (np.asarray(hi) == 100).all()
        else:
            assert (np.asarray(lo) == 0).all() and (np.asarray(hi) > 90).all()


@pytest.mark.parametrize("name,baseline,arms", [
    ("incentives", "none", ["none", "invite_reward", "points", "status", "value"]),
    ("group_caps", "unlimited", ["unlimited", "cap_200", "cap_500", "split_500", "split_500_interest"]),
    ("cadences", "none", ["none", "three_two_one", "daily_promo", "mix_20_30_50", "mix_70_20_10", "tiered"]),
])
def test_experiment_configs_compose_every_arm(name, baseline, arms, experiment):
    cfg = OmegaConf.load(REPO / "conf" / "experiment" / f"{name}.yaml")
    spec = parse(Comparison, cfg.experiment)
    assert (spec.name, spec.baseline, spec.seeds, list(spec.arms)) == (name, baseline, 20, arms)
    summary_keys = set(pd.read_csv(experiment / "runs.csv").columns)
    assert set(spec.metrics) <= summary_keys, set(spec.metrics) - summary_keys
    spec.seeds = 1
    jobs = compare.compose_jobs(spec, [f"{EXPERIMENT}={name}"], Path("unused"))
    assert [j.arm for j in jobs] == arms
    assert all(j.cfg.population.size == cfg.population.size and j.cfg.days == cfg.days for j in jobs)
    if name == "group_caps":
        caps = {j.arm: (j.cfg.groups.get("cap"), j.cfg.groups.get("rule")) for j in jobs}  # a split has a rule
        assert caps == {"unlimited": (None, None), "cap_200": (200, None), "cap_500": (500, None),
                        "split_500": (500, "random"), "split_500_interest": (500, "interest")}


# ---------------------------------------------------------------- the real command line
SMOKE = """\
# @package _global_
experiment:
  name: smoke
  seeds: 2
  baseline: unlimited
  arms:
    unlimited: [groups=unlimited]
    cap_100: [groups.cap=100]
  metrics: [members_final, active_share, weekly_active_share]
  workers: null
  out_dir: null
population:
  size: 1500
  organic_rate: 0.002
days: 30
"""


def test_growthsim_experiment_end_to_end(tmp_path):
    conf = tmp_path / "myconf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "smoke.yaml").write_text(SMOKE)
    res = forked.run([GROWTHSIM, f"{EXPERIMENT}=smoke", f"hydra.searchpath=[file://{tmp_path / 'myconf'}]",
                      "experiment.seeds=3", "days=25"], cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "outputs" / "smoke"  # a user's experiment goes to the git-ignored outputs/, never to results/
    assert not (tmp_path / "results").exists()
    for name in ("arms.csv", "runs.csv", "report.md", "timeseries.png", "experiment.yaml"):
        assert (out / name).stat().st_size > 0, name
    arms = pd.read_csv(out / "arms.csv")
    assert {"mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"} <= set(arms.columns)
    assert (arms["n"] == 3).all() and arms["ci_low"].notna().all()
    assert arms.loc[arms["arm"] == "cap_100", "diff_ci_low"].notna().all()
    assert sorted(p.parent.name for p in out.glob("runs/*/seed_*/summary.json")) == ["seed_0", "seed_0", "seed_1",
                                                                                       "seed_1", "seed_2", "seed_2"]
    cfg = OmegaConf.load(out / "runs" / "cap_100" / "seed_2" / "config.yaml")  # command line + experiment + arm
    assert (cfg.days, cfg.population.size, cfg.groups.cap, cfg.seed) == (25, 1500, 100, 2)
    summary = json.loads((out / "runs" / "unlimited" / "seed_0" / "summary.json").read_text())
    assert summary["members_final"] == pd.read_csv(out / "runs" / "unlimited" / "seed_0" / "timeseries.csv")[
        "members"].iloc[-1]
    assert "cap_100" in (out / "report.md").read_text()
    assert "outputs: outputs/smoke" in res.stdout


def test_paired_jobs_compose_each_arm_once_and_pair_the_seeds():
    arms = {"plain": ["population.size=300", "days=5"], "by_seed": ["population.size=300", "days=5", "window=${seed}"]}
    jobs = runner.paired_jobs(arms, [3, 4, 5])
    assert [(j.arm, j.seed, j.cfg.seed) for j in jobs] == [(a, s, s) for a in arms for s in (3, 4, 5)]
    assert [j.cfg.window for j in jobs[3:]] == [3, 4, 5]
    assert not runner.interpolates_seed(jobs[0].cfg) and runner.interpolates_seed(jobs[3].cfg)
    assert OmegaConf.to_yaml(jobs[1].cfg) == OmegaConf.to_yaml(runner.compose([*arms["plain"], "seed=4"], "plain"))


# ---------------------------------------------------------------- the experiment schemas
@pytest.mark.parametrize("model,node,message", [
    (Comparison, {"name": "x", "arms": {"a": []}, "baseline": "b", "seeds": 2},
     "experiment.baseline=b is not an arm: choose one of a"),
    (Comparison, {"name": "x", "arms": {"a": []}, "baseline": "a", "seeds": 0},
     "experiment.seeds=0 is out of range: allowed 1 or more (seeds per arm: 0..seeds-1, the same in every arm). "
     "Fix it, e.g. experiment.seeds=20"),
    (Comparison, {"name": "x", "arms": {"a": []}, "baseline": "a", "seeds": 2, "level": 1.5},
     "experiment.level=1.5 is out of range: allowed more than 0 and less than 1"),
    (Comparison, {"name": "x", "arms": {"a b": []}, "baseline": "a b", "seeds": 2},
     "experiment.arms: arm name 'a b' must use only letters, digits and _ . + -"),
    (Comparison, {"name": "x", "arms": {"a": []}, "baseline": "a", "seed": 2},
     "unknown key 'experiment.seed': did you mean 'experiment.seeds'? (docs/experiments.md)"),
    (Comparison, {"arms": {"a": []}, "baseline": "a", "seeds": 2}, "experiment.name is missing: set it"),
    (CaseReproduction, {"name": "cases", "fast": "maybe"}, "experiment.fast=maybe: input should be a valid boolean"),
    (CaseReproduction, {"name": "cases", "driver": "compare"},
     "experiment.driver=compare is not an option: choose one of cases"),
    (Calibration, {"name": "c", "trials": 1, "timeout": 1, "seeds": 1, "params": {"behavior.accept": [0.5, 0.1]}},
     "experiment.params.behavior.accept: must be [low, high] or [low, high, log] with low < high"),
    (Calibration, {"name": "c", "trials": 1, "timeout": 1, "seeds": 1, "params": {"behavior.accept": [0, 1, "log"]}},
     "with low < high (and low > 0 for log)"),
    (Calibration, {"name": "c", "trials": 1, "timeout": 1, "seeds": 1, "params": {"behavior.accept": [0.1, 0.5]},
                   "local": {"behavior.reward_lure": "c05"}},
     "experiment.local: names behavior.reward_lure, not in experiment.params"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_a_bad_experiment_config_is_named_in_one_line(model, node, message):
    with pytest.raises(runner.ExperimentError) as err:
        parse(model, node)
    said = str(err.value)
    assert message in said and "\n" not in said, said


def test_every_experiment_config_of_the_package_passes_its_schema():
    given = {"data": "history.csv", "budget": 1000}  # what the user must give (??? in the config)
    for path in sorted((REPO / "conf" / "experiment").glob("*.yaml")):
        node = OmegaConf.load(path).experiment
        for key in [k for k in node if OmegaConf.is_missing(node, k)]:
            node[key] = given[key]
        model = {"cases": CaseReproduction, "calibrate": Calibration, "facts": Facts,
                 "communities": SeveralCommunities, "ensemble": EnsembleFit,
                 "fit": CommunityFit, "optimize": BudgetPlan}.get(node.get("driver"), Comparison)
        exp = parse(model, node)
        assert exp.name == path.stem
    cal = parse(Calibration, OmegaConf.load(REPO / "conf" / "experiment" / "calibrate.yaml").experiment)
    assert cal.params["population.interest_concentration"] == (0.1, 8.0, True)
    assert cal.params["behavior.participation"] == (0.2, 1.0, False)


# ---------------------------------------------------------------- drivers: entry points, and sim apart from them
def test_a_driver_of_another_package_is_found_by_its_entry_point(monkeypatch, tmp_path, capsys):
    """``experiment.driver=NAME`` runs the entry point NAME of group ``growthsim.drivers``, whichever package
    installed it; ``--help`` lists it."""
    import importlib.metadata as md

    from test_errors import growthsim_inprocess
    (tmp_path / "their_driver.py").write_text("def run(cfg):\n    open('ran', 'w').write(cfg.experiment.name)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    theirs = md.EntryPoint("theirs", "their_driver:run", "growthsim.drivers")
    real = md.entry_points
    monkeypatch.setattr(md, "entry_points", lambda **kw: [*real(**kw), theirs] if kw.get("group") == "growthsim.drivers"
                        else real(**kw))
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "experiment=incentives",
                                      "+experiment.driver=theirs")
    assert status == 0, err
    assert (tmp_path / "ran").read_text() == "incentives"
    from sim.app.cli import usage
    assert "experiment.driver  compare calibrate cases communities ensemble facts fit optimize theirs" in usage()


def test_sim_imports_nothing_from_experiments():
    """Every module of ``sim`` imports, and none of them brings in ``experiments`` (the drivers depend on
    ``sim``, never the other way round)."""
    code = ("import importlib, pkgutil, sys, sim\n"
            "names = [m.name for m in pkgutil.walk_packages(sim.__path__, 'sim.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "assert 'sim.app.cli' in names and len(names) > 15, names\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'experiments'))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
