"""Invariants and reproducibility of the simulation core."""

import numpy as np
import pytest

from conftest import FACEBOOK, small
from sim import simulate
from sim.agents import ChatGroup, Member
from sim.metrics import COLUMNS
from sim.model import MEMBER, CommunityModel


def test_conservation_of_members(base_run):
    ts = base_run.timeseries
    assert (ts["members"].diff().iloc[1:] == (ts["new_members"] - ts["left"]).iloc[1:]).all()
    assert (ts["new_members"] == ts["new_by_referral"] + ts["new_organic"]).all()
    assert ts["new_by_referral"].sum() > 0 and ts["left"].sum() > 0  # both flows actually happen


def test_counts_are_consistent(base_run):
    ts = base_run.timeseries
    assert list(ts.columns) == list(COLUMNS)
    assert (ts["active"] <= ts["members"]).all() and (ts["silent"] <= ts["members"]).all()
    assert (ts["weekly_active"] >= ts["active"]).all() and ts["weekly_active"].iloc[0] == 0  # nobody took part yet
    assert (ts["new_by_referral"] <= ts["invites_sent"]).all()
    assert (ts["largest_group"] <= ts["members"]).all()
    assert not ts.isna().any().any()


def test_state_bounds_and_agents_match_columns():
    model = CommunityModel(small("seed=5", "days=40"))
    for _ in range(40):
        model.step()
        for col in (model.interest, model.fatigue):
            assert col.min() >= 0.0 and col.max() <= 1.0
    members = np.flatnonzero(model.status == MEMBER)
    agents = model.agents_by_type[Member]
    assert sorted(a.person for a in agents) == members.tolist()  # one agent per member, none for leavers
    assert model.groups.size.sum() == len(members)
    assert (np.bincount(model.group[members], minlength=model.groups.count) == model.groups.size).all()
    assert len(model.agents_by_type[ChatGroup]) == model.groups.count
    a = next(iter(agents))
    a.fatigue = 1.7  # writes through to the column, clipped
    assert model.fatigue[a.person] == 1.0 and a.state in {"active", "silent", "quiet"}


def test_same_seed_identical_other_seed_differs():
    a = simulate(small("seed=3", "days=60")).timeseries
    b = simulate(small("seed=3", "days=60")).timeseries
    c = simulate(small("seed=4", "days=60")).timeseries
    assert a.equals(b)
    assert not a.equals(c)


def test_constructible_with_defaults_and_rng_overrides_seed():
    m1 = CommunityModel(small("seed=1", "days=5"), rng=9)
    m2 = CommunityModel(small("seed=9", "days=5"))
    assert np.array_equal(m1.interest, m2.interest)
    assert CommunityModel().n == 10_000


def test_cap_policy_never_exceeds_cap():
    run = simulate(small("groups.cap=40", "seed=2"))
    ts = run.timeseries
    assert ts["largest_group"].max() <= 40
    assert ts["groups"].iloc[-1] >= ts["members"].iloc[-1] / 40


def test_unlimited_keeps_one_group():
    ts = simulate(small("groups=unlimited", "seed=2")).timeseries
    assert ts["groups"].max() == 1 and (ts["largest_group"] == ts["members"]).all()


def test_crowding_lowers_participation():
    """Bigger groups mean more messages and crowding: the mega group is less active than capped ones."""
    mega = simulate(small("groups=unlimited", "population.organic_rate=0.01", "seed=1")).summary
    capped = simulate(small("groups.cap=50", "population.organic_rate=0.01", "seed=1")).summary
    assert capped["active_share"] > mega["active_share"] * 1.2


def test_referrals_follow_the_graph():
    run = simulate(small("seed=6"))
    m = run.model
    referred = np.flatnonzero(m.referrer >= 0)
    assert len(referred) > 0
    for p in referred[:50]:
        assert m.referrer[p] in m.graph.neighbors(p)
    assert m.referrals.sum() == len(referred) == run.timeseries["new_by_referral"].sum()


def test_no_referrals_without_invitations():
    ts = simulate(small("behavior.invite_rate=0", "seed=6")).timeseries
    assert ts["invites_sent"].sum() == 0 and ts["new_by_referral"].sum() == 0


def test_streams_are_independent_of_other_levers():
    """Changing the purchase lever leaves every non-purchase decision, and so the membership path, unchanged."""
    a = simulate(small("seed=8", "days=60")).timeseries
    b = simulate(small("seed=8", "days=60", "behavior.purchase_rate=0.05")).timeseries
    assert a["members"].equals(b["members"]) and a["active"].equals(b["active"])
    assert b["purchases"].sum() > a["purchases"].sum()


@pytest.mark.parametrize("graph", ["barabasi_albert", "watts_strogatz", "erdos_renyi", "complete"])
def test_every_graph_option_runs(graph):
    run = simulate(small(f"graph={graph}", "days=30", "population.size=1500"))
    assert run.model.graph.n == 1500 and run.summary["members_final"] > 0


@pytest.mark.skipif(not FACEBOOK.exists(), reason="shared Facebook data set not present")
def test_real_network_run():
    run = simulate(small("graph=edgelist", f"graph.path={FACEBOOK}", "days=30"))
    assert run.model.graph.n == 4039  # the file fixes the population
    assert run.timeseries["new_by_referral"].sum() > 0
