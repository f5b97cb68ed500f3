"""Several communities on one social graph, and a joint event that imports members across them
(sim/engine/communities.py)."""

import numpy as np
import pytest

import forked

from sim import load_config, simulate
from sim.config import ConfigError
from sim.engine.communities import Communities, JointEvent
from sim.measures.metrics import summarize

A = ["population.size=5000", "days=60", "seed=1", "progress=false", "population.initial_members=200"]
B = ["population.size=5000", "days=60", "seed=2", "progress=false", "population.initial_members=300",
     "groups.cap=100"]


def test_without_a_joint_event_each_runs_as_it_would_alone():
    both = Communities([load_config(A), load_config(B)])
    both.run()
    alone = simulate(load_config(A))
    assert summarize(both.models[0]) == alone.summary
    assert both.models[0].recorder.frame().equals(alone.timeseries)
    assert all(summarize(m)["imported"] == 0 for m in both.models)


def test_a_joint_event_imports_yesterdays_participants_of_the_others_on_its_days():
    days = [10, 20, 30, 40]
    both = Communities([load_config(A), load_config(B)], JointEvent(days=days, rate=0.5, cost=100))
    seen = {}
    while any(m.running for m in both.models):
        both.step()
        for i, m in enumerate(both.models):
            if m.day in days:
                seen[(i, m.day)] = (both.yesterday[1 - i], m.new_today)
    for i, m in enumerate(both.models):
        ts = m.recorder.frame()
        assert set(ts.loc[ts["new_imported"] > 0, "day"]) <= set(days)
        assert summarize(m)["imported"] == ts["new_imported"].sum() > 0
        assert (ts["members"].diff().iloc[1:] == (ts["new_members"] - ts["left"]).iloc[1:]).all()
        assert ts["reward_cost"].sum() == 100 * len(days)
    for (i, day), (others_active, joined) in seen.items():
        imported = both.models[i].recorder.frame().set_index("day").loc[day, "new_imported"]
        assert np.isin(joined[:imported], others_active).all()  # imports join first, before the day's phases


@pytest.mark.parametrize("seed", [0, 1])
def test_more_pull_more_imports(seed):
    def imported(rate):
        both = Communities([load_config([*A, f"seed={seed}"]), load_config(B)], JointEvent(days=[10, 20, 30], rate=rate))
        both.run()
        return sum(summarize(m)["imported"] for m in both.models)

    assert imported(0.0) == 0
    assert imported(0.6) > imported(0.1) > 0


def test_a_community_whose_run_is_over_imports_and_exports_no_one():
    short = load_config([*A, "days=15"])
    both = Communities([short, load_config(B)], JointEvent(days=[10, 20, 30], rate=1.0))
    both.run()
    ts = both.models[1].recorder.frame().set_index("day")
    assert ts.loc[10, "new_imported"] > 0 and ts.loc[20, "new_imported"] == ts.loc[30, "new_imported"] == 0
    assert both.models[0].day == 15


def test_communities_share_one_graph_of_one_size():
    with pytest.raises(ConfigError, match="same population.size"):
        Communities([load_config(A), load_config(["population.size=4000"])])


def test_the_communities_experiment_compares_each_with_and_without_the_joint_event(tmp_path):
    import shutil
    import sys
    from pathlib import Path

    import pandas as pd

    growthsim = shutil.which("growthsim", path=str(Path(sys.executable).parent))
    out = tmp_path / "communities"
    res = forked.run([growthsim, "experiment=communities", "experiment.seeds=2", "population.size=2000", "days=40",
                      "experiment.joint.days=[10,20,30]", "experiment.joint.rate=0.5",
                      f"experiment.out_dir={out}", f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "communities.csv")
    assert len(table) == 2 * 2 * 2  # replicates x arms x communities
    assert (table.loc[table["arm"] == "alone", "imported"] == 0).all()
    assert table.loc[table["arm"] == "joint", "imported"].sum() > 0
    assert (table.loc[table["arm"] == "joint", "reward_cost"] >= 3 * 500).all()
    assert "joint - alone" in (out / "report.md").read_text()
