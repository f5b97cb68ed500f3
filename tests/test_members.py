"""The member table (members.parquet) and the operators' measures (docs/metrics.md)."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim import load_config, simulate
from sim.app.sweep import gather_sweep, members_asked
from sim.engine.graph import load_edgelist
from sim.engine.model import CommunityModel
from sim.measures.metrics import CORE_SHARE, summarize

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))
FACEBOOK = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_combined.txt"
SMALL = ["population.size=3000", "days=90", "progress=false"]


@pytest.fixture(scope="module")
def run():
    return simulate(load_config([*SMALL, "+mechanisms=[muting]", "incentive=invite_reward", "seed=2"]))


def test_one_row_per_person_ever_a_member_and_columns_agree_with_the_run(run):
    t, m, ts = run.members.to_pandas(), run.model, run.timeseries
    assert len(t) == run.summary["ever_members"] and t["person"].is_monotonic_increasing
    assert (t["joined"] >= 0).all()
    gone = t["left"].notna()
    assert gone.sum() == ts["left"].sum() > 0
    assert (t.loc[gone, "left"] >= t.loc[gone, "joined"]).all()
    assert (t["muted"] & gone).sum() == 0 and t["muted"].sum() == np.count_nonzero(m.mechanisms["muting"].muted
                                                                                   & (m.status == 1))
    assert t["referrer"].notna().sum() == t["referrals"].sum() == ts["new_by_referral"].sum()
    assert t["purchases"].sum() == ts["purchases"].sum()
    # one interaction a day at most; `active` leaves out who took part on the day they left
    assert ts["active"].sum() <= t["interactions"].sum() <= ts["active"].sum() + ts["left"].sum()
    stay = t[~gone]
    assert (stay["group"].to_numpy() == m.group[stay["person"]]).all() and (t["group"] >= 0).all()
    assert t["file_id"].isna().all()  # a generated graph has no file ids


def test_a_graph_read_from_a_file_gives_the_file_ids():
    run = simulate(load_config(["graph=edgelist", f"graph.path={FACEBOOK}", "days=10", "progress=false"]))
    t = run.members.to_pandas()
    assert (t["file_id"].to_numpy() == load_edgelist(FACEBOOK)[1][t["person"]]).all()


def test_every_run_writes_it_and_a_sweep_gathers_it_when_asked(tmp_path):
    sweep = tmp_path / "sweep"
    subprocess.run([GROWTHSIM, "-m", "seed=0,1", "population.size=300", "days=10", f"hydra.sweep.dir={sweep}",
                    "hydra.callbacks.runs_table.members=true"], check=True, capture_output=True, cwd=tmp_path)
    table = pq.read_table(sweep / "members.parquet").to_pandas()
    for job in (0, 1):
        own = pq.read_table(sweep / str(job) / "members.parquet").to_pandas()  # every run writes its own
        assert len(own) > 0
        assert table[table["job"] == job].drop(columns="job").reset_index(drop=True).equals(own)
    # not asked: the sweep's own multirun.yaml says so, and gathering leaves the members out
    multirun = sweep / "multirun.yaml"
    multirun.write_text(multirun.read_text().replace("members: true", "members: false"))
    (sweep / "members.parquet").unlink()
    assert not members_asked(sweep)
    gather_sweep(sweep)
    assert (sweep / "runs.parquet").exists() and not (sweep / "members.parquet").exists()


def test_operators_measures_follow_their_definitions():
    """The horizon's measures recomputed from snapshots of the model taken by the test itself."""
    cfg = load_config([*SMALL, "+mechanisms=[muting]", "behavior.leave_base=0.01", "seed=5"])
    model = CommunityModel(cfg)
    start, before = cfg.days - cfg.window, cfg.days - 2 * cfg.window
    while model.running:
        model.step()
        if model.day == before:
            bought_before = model.purchases.copy()
        if model.day == start:
            bought_start, members0 = model.purchases.copy(), len(model.members)
            m = model.members
            core = m[np.argsort(-model.recent[m], kind="stable")][:round(CORE_SHARE * len(m))]
    s, ts = summarize(model), model.recorder.frame()
    horizon = ts[ts["day"] > start]
    assert s["import_rate"] == pytest.approx(horizon["new_members"].sum() / members0)
    operator_posts = horizon["messages"].sum() - horizon["member_messages"].sum()
    assert s["member_content_share"] == pytest.approx(horizon["member_content"].sum()
                                                      / (horizon["member_content"].sum() + operator_posts))
    gone = (model.status[core] == 2) | model.mechanisms["muting"].muted[core]
    assert s["core_churn"] == pytest.approx(gone.mean()) and 0 < s["core_churn"] < 1
    buyers = np.flatnonzero(bought_start > bought_before)
    assert len(buyers) > 0
    assert s["repurchase_rate"] == pytest.approx(np.mean(model.purchases[buyers] > bought_start[buyers]))


def test_core_churn_rises_with_leaving_and_member_content_with_member_posts():
    def summary(*extra):
        return simulate(load_config([*SMALL, "seed=3", *extra])).summary

    base = summary()
    assert summary("behavior.leave_fatigue=0.3")["core_churn"] > base["core_churn"]
    assert summary("behavior.msgs_base=20")["member_content_share"] < base["member_content_share"]
