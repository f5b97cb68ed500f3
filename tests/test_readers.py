"""Posting propensity: lurkers and frequent posters (``mechanisms=posting``: spread, lurker_mute; docs/model.md)."""

import numpy as np

from conftest import small
from sim.engine.model import CommunityModel

MUTE = ("mechanisms.muting.disinterest=0.1", "mechanisms.muting.fatigue=0.1", "mechanisms.muting.silent=0.3",
        "mechanisms.muting.reopen=0.05")


def _run(model, days):
    for _ in range(days):
        model.step()
    return model


def _same(a, b) -> bool:
    """Whether two runs made the same decisions: muting, members, days of taking part, purchases."""
    return ((a.mechanisms["muting"].muted == b.mechanisms["muting"].muted).all() and (a.status == b.status).all()
            and (a.last_active == b.last_active).all() and (a.purchases == b.purchases).all())


def test_a_spread_too_small_to_matter_is_the_run_without_posting():
    """The propensity is drawn from its own stream, and acts only through its two terms: with everyone's
    propensity 1 (to within 1e-5), even with a strong lurker_mute, the same draws and numbers as not listed."""
    cfg = ("population.initial_members=500", "days=25", *MUTE)
    base = _run(CommunityModel(small("+mechanisms=muting", *cfg)), 25)
    assert "posting" not in base.mechanisms
    same = _run(CommunityModel(small("+mechanisms=[muting,posting]", *cfg, "mechanisms.posting.spread=1e-6",
                                     "mechanisms.posting.lurker_mute=5")), 25)
    assert np.allclose(same.mechanisms["posting"].posting, 1, atol=1e-5) and _same(same, base)
    spread = _run(CommunityModel(small("+mechanisms=[muting,posting]", *cfg, "mechanisms.posting.spread=1")), 25)
    assert not _same(spread, base)


def test_posting_propensity_is_a_trait_of_mean_one_apart_from_interest_and_influence():
    plain = CommunityModel(small())
    model = CommunityModel(small("+mechanisms.posting.spread=1.5"))
    p = model.mechanisms["posting"].posting
    assert abs(p.mean() - 1) < 0.1 and abs(p.std() / p.mean() - 1.5) < 0.2
    assert np.median(p) < 0.5                          # a wide spread: most people are lurkers, a few post a lot
    # drawn from its own stream: interest and influence are the very same draws
    assert (model.interest_base == plain.interest_base).all() and (model.influence == plain.influence).all()
    assert abs(np.corrcoef(p, model.interest_base)[0, 1]) < 0.05


def test_lurkers_take_part_less_and_their_silence_mutes_less():
    cfg = ("population.initial_members=1500", "days=30", "+mechanisms=[posting,muting]", "mechanisms.posting.spread=1",
           "mechanisms.muting.silent=0.3", "behavior.leave_disinterest=0")
    model = CommunityModel(small(*cfg, "mechanisms.posting.lurker_mute=0"))
    m, posting = model.members, model.mechanisms["posting"].posting
    lurker, poster = m[posting[m] < 0.3], m[posting[m] > 1.5]
    part = np.zeros(model.n)
    for _ in range(10):
        model.step()
        part += model.active
    assert part[lurker].mean() < 0.4 * part[poster].mean()

    def muted_silent_lurkers(k):
        # every member silent for long and muting only for silence: lurkers are spared by min(1, p) ** lurker_mute
        model = CommunityModel(small(*cfg, "behavior.participation=0", f"mechanisms.posting.lurker_mute={k}"))
        m, posting, muted = model.members, model.mechanisms["posting"].posting, model.mechanisms["muting"].muted
        model.joined[m] = -100
        model.last_active[m] = -100
        model.step()
        stayed = m[model.is_member[m]]
        low = stayed[posting[stayed] < 0.3]
        high = stayed[posting[stayed] >= 1]
        return muted[low].mean(), muted[high].mean()

    low0, high0 = muted_silent_lurkers(0)
    low2, high2 = muted_silent_lurkers(2)
    assert abs(low0 - 0.3) < 0.05 and abs(high0 - 0.3) < 0.05  # lurker_mute 0: silence mutes all alike
    assert low2 < 0.3 * 0.3**2 + 0.01 and abs(high2 - 0.3) < 0.05  # a lurker's silence is habit: mutes far less
