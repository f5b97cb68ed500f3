"""Embeddedness and newcomer fit (sim/components/retention.py): neutral settings equal not listing them,
and each moves who leaves, and when, the way it says."""

import numpy as np

from sim import load_config, simulate
from sim.engine.model import CommunityModel
from sim.measures import facts as F

BASE = ["population.size=6000", "days=150", "progress=false", "seed=3", "population.interest_concentration=1"]


def run(*extra):
    return simulate(load_config([*BASE, *extra]))


def tenures(r):
    t = r.members.to_pandas()
    return F.tenures(t["joined"].to_numpy(), t["left"].to_numpy(), r.model.day)


def test_neutral_settings_are_not_listing_them():
    plain = run().summary
    assert run("+mechanisms=[embeddedness]", "mechanisms.embeddedness.strength=0").summary == plain
    assert run("+mechanisms=[newcomer_fit]", "mechanisms.newcomer_fit.early=0").summary == plain


def test_ties_hold_members_in():
    plain, tied = run(), run("+mechanisms=[embeddedness]", "mechanisms.embeddedness.strength=2")
    assert tied.timeseries["left"].sum() < 0.8 * plain.timeseries["left"].sum()
    # the chance to leave is divided by 1 + strength x member friends, member by member
    model = CommunityModel(load_config([*BASE, "+mechanisms=[embeddedness]", "mechanisms.embeddedness.strength=2"]))
    while model.day < 60:
        model.step()
    m = model.members
    k = model.graph.count_neighbors_in(m, model.is_member)
    assert (k == 0).any() and (k >= 2).any()
    p = np.full(len(m), 0.01)
    assert np.allclose(model.mechanisms["embeddedness"].retention(model, m, p), 0.01 / (1 + 2 * k))


def test_newcomers_who_do_not_fit_leave_early_and_the_hazard_falls_with_tenure():
    plain, fit = run(), run("+mechanisms=[newcomer_fit]", "mechanisms.newcomer_fit.early=0.05")
    (t0, g0), (t1, g1) = tenures(plain), tenures(fit)
    assert F.hazard(t1, g1, 1, 30) > 2 * F.hazard(t0, g0, 1, 30)
    ratio_plain = F.hazard(t0, g0, 91, 150) / F.hazard(t0, g0, 1, 30)
    ratio_fit = F.hazard(t1, g1, 91, 150) / F.hazard(t1, g1, 1, 30)
    assert ratio_fit < 0.5 * ratio_plain
    gone = fit.members.to_pandas()
    gone = gone[gone["left"].notna()]
    left_early = gone[gone["left"] - gone["joined"] <= 14]
    assert left_early["interactions"].mean() <= gone["interactions"].mean()  # those who left early took part little
