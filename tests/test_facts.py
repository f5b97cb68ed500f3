"""The stylized facts' estimators (sim/measures/facts.py) on data of known shape, and the facts experiment
end to end (experiments/facts.py)."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forked

from sim.measures import facts as F

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))


def test_top_shares_by_hand():
    x = np.r_[np.zeros(90), np.ones(9), 91.0]  # 100 members, 100 interactions
    assert F.top_shares(x) == {"top_1": 0.91, "top_10": 1.0, "top_20": 1.0}
    assert F.top_shares(np.ones(50)) == {"top_1": 0.02, "top_10": 0.1, "top_20": 0.2}


def test_tree_sizes_by_hand():
    # 0 brings 1 and 2, 1 brings 3; 4 alone; 5 brings 6
    sizes = F.tree_sizes(np.arange(7), np.array([np.nan, 0, 0, 1, np.nan, np.nan, 5]))
    assert sorted(sizes.tolist()) == [1, 2, 4]


@pytest.mark.parametrize("seed", [0, 1])
def test_exponential_tenures_have_a_flat_hazard_and_no_heavy_tail(seed):
    t = np.random.default_rng(seed).exponential(60, 20_000)
    obs, gone = np.minimum(t, 180), t <= 180
    ratio = F.hazard(obs, gone, 91, 180) / F.hazard(obs, gone, 1, 30)
    assert abs(ratio - 1) < 0.1  # the hazard 1/60 a day throughout (standard error about 4%)
    fits = F.tenure_fits(obs, gone)
    assert min(fits["lognormal"], fits["lomax"]) - fits["exponential"] > -4


@pytest.mark.parametrize("seed", [0, 1])
def test_lognormal_tenures_have_a_falling_hazard_and_a_heavy_tail(seed):
    t = np.random.default_rng(seed).lognormal(3.0, 1.5, 20_000)
    obs, gone = np.minimum(t, 180), t <= 180
    assert F.hazard(obs, gone, 91, 180) < 0.5 * F.hazard(obs, gone, 1, 30)
    fits = F.tenure_fits(obs, gone)
    assert fits["lognormal"] < fits["exponential"] - 100


@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_power_fit_recovers_the_exponent(alpha):
    rng = np.random.default_rng(2)
    k = np.arange(12)
    exposed = np.full(12, 200_000)
    joined = rng.binomial(exposed, 0.002 * np.maximum(k, 1) ** alpha)
    assert F.power_fit(exposed, joined)["alpha"] == pytest.approx(alpha, abs=0.05)


def test_the_facts_experiment_writes_its_report(tmp_path):
    out = tmp_path / "facts"
    res = forked.run([GROWTHSIM, "experiment=facts", "experiment.seeds=1", "experiment.size=1500",
                      "experiment.days=100", "experiment.group_sizes=[50,200]", f"experiment.out_dir={out}",
                      f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "facts.csv")
    assert list(table["behavior"]) == ["default", "fitted", "candidate", "ensemble"]
    for col in ("top_1", "top_10", "top_20", "hazard_ratio", "heavy_tail_aic", "alpha", "largest_tree", "trees_10",
                "core_change"):
        assert table[col].notna().all(), col
    assert ((table["top_1"] <= table["top_10"]) & (table["top_10"] <= table["top_20"]) & (table["top_20"] <= 1)).all()
    report = (out / "report.md").read_text()
    assert "criteria met" in report and (out / "facts.png").stat().st_size > 10_000


def test_a_missing_facebook_graph_is_bad_input(tmp_path):
    res = forked.run([GROWTHSIM, "experiment=facts", f"experiment.graph_path={tmp_path / 'none.txt'}",
                      f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)
    assert res.returncode == 2 and "experiment.graph_path: no file" in res.stderr and "Traceback" not in res.stderr


def test_ensemble_sets_spread_over_the_ensemble(tmp_path):
    from sim.config import ConfigError, ensemble_sets

    path = tmp_path / "e.parquet"
    pd.DataFrame({"behavior.participation": [0.1, 0.2, 0.3, 0.4, 0.5], "weight": 0.2}).to_parquet(path)
    assert ensemble_sets(path, 3) == [["behavior.participation=0.1"], ["behavior.participation=0.3"],
                                      ["behavior.participation=0.5"]]
    with pytest.raises(ConfigError, match="no file"):
        ensemble_sets(tmp_path / "missing.parquet", 3)
