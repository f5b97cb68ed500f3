"""Invariants and reproducibility of the simulation core."""

import numpy as np
import pytest

from conftest import FACEBOOK, small
from sim import simulate
from sim.engine.agents import ChatGroup, Member
from sim.measures.metrics import COLUMNS
from sim.engine.model import MEMBER, CommunityModel


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


def test_draws_made_ahead_are_the_draws_made_one_by_one():
    """A decision's number for a person and day does not depend on how it is computed: drawn ahead with
    others for the same members (one pass), or alone; and it depends on the person, not on who else draws."""
    from sim.engine.rng import Streams
    persons = np.array([3, 17, 4, 900, 12], dtype=np.int64)
    ahead, alone = Streams(11), Streams(11)
    ahead.draw_ahead(("participation", "leave"), persons, 5)
    for name in ("participation", "leave"):
        u = ahead.uniform(name, persons, 5)
        assert np.array_equal(u, alone.uniform(name, persons, 5)) and ((u >= 0) & (u < 1)).all()
        assert np.array_equal(u[1:3], alone.uniform(name, persons[1:3], 5))
    assert not np.array_equal(ahead.uniform("leave", persons, 6), alone.uniform("leave", persons, 5))
    assert not np.array_equal(ahead.uniform("purchase", persons, 5), alone.uniform("leave", persons, 5))


@pytest.mark.parametrize("graph", ["barabasi_albert", "watts_strogatz", "erdos_renyi", "complete"])
def test_every_graph_option_runs(graph):
    run = simulate(small(f"graph={graph}", "days=30", "population.size=1500"))
    assert run.model.graph.n == 1500 and run.summary["members_final"] > 0


@pytest.mark.skipif(not FACEBOOK.exists(), reason="shared Facebook data set not present")
def test_real_network_run():
    run = simulate(small("graph=edgelist", f"graph.path={FACEBOOK}", "days=30"))
    assert run.model.graph.n == 4039  # the file fixes the population
    assert run.timeseries["new_by_referral"].sum() > 0


def _registry(model):
    """What Mesa knows of the model's members: (unique_id, person) in registration order, and the id counter."""
    return [(a.unique_id, a.person) for a in model.agents_by_type[Member]], model.agent_id_counter


def test_bulk_member_registration_matches_mesas_own():
    """Agents are made when first looked at and registered in bulk, unless something observes Mesa's agent
    signals; then one by one. Both paths leave Mesa's registry (ids, order, agent sets) the same, however
    often it is looked at, with groups opening mid-run; removal works on both."""
    from mesa.experimental.mesa_signals.signal_types import ModelSignals
    overrides = ("seed=4", "days=30", "population.initial_members=200", "groups=split", "groups.cap=60")
    bulk, observed = CommunityModel(small(*overrides)), CommunityModel(small(*overrides))
    seen = []

    class Dashboard:  # Mesa holds handlers weakly: keep this one alive for the whole test
        def on_agents(self, signal):
            seen.append(signal)

    dashboard = Dashboard()
    left_before = np.count_nonzero(observed.status == 2)  # split off and lost at set-up, before anyone watched
    observed.observe("agents", ModelSignals.AGENT_ADDED, dashboard.on_agents)
    observed.observe("agents", ModelSignals.AGENT_REMOVED, dashboard.on_agents)
    for day in range(30):
        bulk.step()
        observed.step()
        if day in (3, 4, 17):  # looked at now and then: made in several batches
            assert len(bulk.agents) == len(observed.agents)
    assert observed.groups.count > 5  # groups were split off while members joined
    assert _registry(bulk) == _registry(observed)
    assert len(bulk.agents) == len(observed.agents) == len(bulk.members) + bulk.groups.count
    everyone = [[(type(a), a.unique_id) for a in m.agents] for m in (bulk, observed)]
    assert everyone[0] == everyone[1]  # members and groups in the same order, made on the spot or when looked at
    assert bulk.agent_types == observed.agent_types
    joined_later = np.count_nonzero(observed.joined > 0)
    left = np.count_nonzero(observed.status == 2) - left_before
    assert joined_later > 0 and left > 0
    assert len(seen) >= joined_later + left  # the observer saw every member added and removed
    assert sorted(bulk.member_agent) == sorted(bulk.members.tolist())
    assert all(bulk.member_agent[p].person == p for p in bulk.members)


def test_phases_left_out_are_skipped():
    """A phase not in ``phases`` does not run: its state stays as it is."""
    full = simulate(small("seed=7", "days=40")).timeseries
    no_leaving = simulate(small("seed=7", "days=40", "phases=[exposure,participation,drift,referral,organic,purchase]"))
    assert full["left"].sum() > 0 and no_leaving.timeseries["left"].sum() == 0
    quiet = simulate(small("seed=7", "days=40", "phases=[referral,organic]")).model
    assert not quiet.active.any() and quiet.fatigue.max() == 0 and quiet.purchases.sum() == 0
    assert np.array_equal(quiet.interest, quiet.interest_base)


def test_a_given_graph_is_used_as_is():
    """simulate(cfg, graph=g) on the graph cfg would build gives the same run; a graph of the wrong size is refused."""
    from sim.engine.graph import GraphError, build_graph
    from sim.engine.rng import Streams
    cfg = small("seed=12", "days=30")
    g = build_graph(cfg.graph, cfg.population.size, Streams(12)["graph"])
    assert simulate(cfg, graph=g).timeseries.equals(simulate(cfg).timeseries)
    with pytest.raises(GraphError, match="graph given has 3000 people but population.size=2000"):
        simulate(small("population.size=2000"), graph=g)


def test_finished_models_are_freed():
    """A sweep runs many models in one process: a finished one must not outlive its last reference
    (model <-> agent cycles held through a numpy object column are invisible to the garbage collector)."""
    import gc
    import weakref
    run = simulate(small("seed=1", "days=20", "groups=split", "groups.cap=40", "cadence=three_two_one"))
    assert run.model.member_agent and run.model.group_agents
    model = weakref.ref(run.model)
    del run
    gc.collect()
    assert model() is None


def test_mesa_run_model_stops_after_days():
    """The model ends itself (Mesa's ``running``): Mesa's own ``run_model`` runs exactly ``days`` days."""
    model = CommunityModel(small("seed=2", "days=12"))
    model.run_model()
    assert model.day == 12 and not model.running and model.recorder.rows == 13
