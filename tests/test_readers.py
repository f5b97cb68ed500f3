"""Posting propensity: lurkers and frequent posters (behavior.post_spread, behavior.lurker_mute; docs/model.md)."""

import numpy as np

from conftest import small
from sim.engine.model import CommunityModel

MUTE = ("behavior.mute_disinterest=0.1", "behavior.mute_fatigue=0.1", "behavior.mute_silent=0.3",
        "behavior.muted_participation=0.05")


def _run(model, days):
    for _ in range(days):
        model.step()
    return model


def test_post_spread_zero_leaves_every_draw_unchanged():
    cfg = ("population.initial_members=500", "days=25", *MUTE)
    base = _run(CommunityModel(small(*cfg)), 25)
    assert base.posting is None
    same = _run(CommunityModel(small(*cfg, "behavior.post_spread=0", "behavior.lurker_mute=5")), 25)
    assert (same.muted == base.muted).all() and (same.last_active == base.last_active).all()
    assert (same.status == base.status).all() and (same.purchases == base.purchases).all()


def test_posting_propensity_is_a_trait_of_mean_one_apart_from_interest_and_influence():
    plain = CommunityModel(small())
    model = CommunityModel(small("behavior.post_spread=1.5"))
    p = model.posting
    assert abs(p.mean() - 1) < 0.1 and abs(p.std() / p.mean() - 1.5) < 0.2
    assert np.median(p) < 0.5                          # a wide spread: most people are lurkers, a few post a lot
    # drawn from its own stream: interest and influence are the very same draws
    assert (model.interest_base == plain.interest_base).all() and (model.influence == plain.influence).all()
    assert abs(np.corrcoef(p, model.interest_base)[0, 1]) < 0.05


def test_lurkers_take_part_less_and_their_silence_mutes_less():
    cfg = ("population.initial_members=1500", "days=30", "behavior.post_spread=1", "behavior.mute_silent=0.3",
           "behavior.leave_disinterest=0")
    model = CommunityModel(small(*cfg, "behavior.lurker_mute=0"))
    m = model.members
    lurker, poster = m[model.posting[m] < 0.3], m[model.posting[m] > 1.5]
    part = np.zeros(model.n)
    for _ in range(10):
        model.step()
        part += model.active
    assert part[lurker].mean() < 0.4 * part[poster].mean()

    def muted_silent_lurkers(k):
        # every member silent for long and muting only for silence: lurkers are spared by min(1, p) ** lurker_mute
        model = CommunityModel(small(*cfg, "behavior.participation=0", f"behavior.lurker_mute={k}"))
        m = model.members
        model.joined[m] = -100
        model.last_active[m] = -100
        model.step()
        stayed = m[model.is_member[m]]
        low = stayed[model.posting[stayed] < 0.3]
        high = stayed[model.posting[stayed] >= 1]
        return model.muted[low].mean(), model.muted[high].mean()

    low0, high0 = muted_silent_lurkers(0)
    low2, high2 = muted_silent_lurkers(2)
    assert abs(low0 - 0.3) < 0.05 and abs(high0 - 0.3) < 0.05  # lurker_mute 0: silence mutes all alike
    assert low2 < 0.3 * 0.3**2 + 0.01 and abs(high2 - 0.3) < 0.05  # a lurker's silence is habit: mutes far less
