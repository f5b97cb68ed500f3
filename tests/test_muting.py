"""Muting (``mechanisms=muting``), reading the group, targeted pushes and action start/end days (docs/model.md)."""

import numpy as np

from conftest import small
from sim.engine.effects import readers
from sim.engine.model import CommunityModel

MUTING = "+mechanisms=muting"
MUTE = (MUTING, "mechanisms.muting.disinterest=0.3", "mechanisms.muting.fatigue=0.3", "mechanisms.muting.silent=0.3")


def _run(model, days):
    for _ in range(days):
        model.step()
    return model


def _muting(model):
    """The muting component of ``model`` (its columns ``muted``, ``muted_on``)."""
    return model.mechanisms["muting"]


def _same(a, b) -> bool:
    """Whether two models made the same decisions: the same members, days of taking part and purchases."""
    return ((a.status == b.status).all() and (a.last_active == b.last_active).all()
            and (a.purchases == b.purchases).all())


def test_muting_listed_with_no_chance_of_muting_is_the_run_without_it():
    cfg = ("population.initial_members=500", "days=20")
    off = _run(CommunityModel(small(*cfg)), 20)
    assert "muting" not in off.mechanisms
    # listed, every chance of muting 0 (the defaults): nobody mutes, the same draws and numbers
    idle = _run(CommunityModel(small(*cfg, MUTING)), 20)
    assert not _muting(idle).muted.any() and _same(idle, off)
    assert idle.recorder.frame().equals(off.recorder.frame())
    model = _run(CommunityModel(small(*cfg, *MUTE)), 20)
    m, muted = model.members, _muting(model).muted
    assert 0 < muted[m].sum() < len(m) and not _same(model, off)
    # muting comes from low interest: muted members are less interested than the others
    assert model.interest[m][muted[m]].mean() < model.interest[m][~muted[m]].mean()


def test_muted_members_take_part_far_less():
    # (reopen scales the uncrowded chance: a reader of these groups of 500 is crowded to about half)
    model = CommunityModel(small("population.initial_members=1000", "days=30", MUTING, "mechanisms.muting.reopen=0.02"))
    m, muted = model.members, _muting(model).muted
    muted[m[::2]] = True  # half the members muted by hand, the other half reading
    silenced, reading = m[::2], m[1::2]
    part = np.zeros(model.n)
    for _ in range(10):
        model.step()
        part += model.active
    # nobody mutes or unmutes by chance (every chance of muting 0), except a muted member who takes part
    rate_muted = part[silenced].mean() / 10
    rate_reading = part[reading].mean() / 10
    assert rate_muted < 0.15 * rate_reading
    assert muted[silenced].mean() > 0.8 and not muted[reading].any()


def test_taking_part_unmutes():
    model = CommunityModel(small("population.initial_members=1000", "days=30", MUTING, "mechanisms.muting.reopen=1.0"))
    m, muted = model.members, _muting(model).muted
    muted[m] = True
    model.step()
    assert len(model.actives) > 0 and not muted[model.actives].any()
    stayed = m[model.is_member[m]]  # (one who took part and then left is no longer among the actives)
    assert muted[np.setdiff1d(stayed, model.actives)].all()


def test_muted_members_read_no_group_posts_and_feel_no_overload():
    model = CommunityModel(small("population.initial_members=1000", "days=5", "behavior.overload_fatigue=0.5",
                                 "behavior.read_capacity=1", "behavior.open_rate=1", MUTING))
    m, muted = model.members, _muting(model).muted
    muted[m[::2]] = True
    model.step()
    assert (model.fatigue[m[::2]] == 0).all() and (model.fatigue[m[1::2]] > 0).all()
    read = readers(model, m, model.day + 1)
    assert not muted[read].any() and len(read) > 0


def test_group_posts_act_only_on_readers():
    cfg = ("population.initial_members=800", "days=20", "behavior.open_rate=0.3", "cadence=daily_promo")
    model = _run(CommunityModel(small(*cfg)), 5)
    m, b = model.members, model.beh
    volume = b.msgs_base + b.msgs_per_active * model.groups.active[model.group[m]]
    p = 0.3 * (1 - model.fatigue[m]) * np.minimum(1, b.read_capacity / volume)
    read = readers(model, m, model.day + 1)
    assert abs(len(read) - p.sum()) < 4 * np.sqrt(p.sum())
    # tomorrow's promotion (a Mesa event run before the day) raises the purchase multiplier of the readers only
    model._advance_time(model.time + 0.75)
    raised = np.flatnonzero(model.today.purchase > 1)
    assert set(raised) == set(read)


def test_a_targeted_push_unmutes_and_a_group_post_does_not():
    push = ("operations=none", "operations.mode=x", "operations.actions=[{target:silent,event:benefit_push,every:1}]")
    post = ("operations=none", "operations.mode=x", "operations.actions=[{target:all,event:benefit_push,every:1}]")
    out = {}
    for name, ops in (("push", push), ("post", post)):
        model = CommunityModel(small("population.initial_members=1000", "days=30", MUTING,
                                     "mechanisms.muting.unmute_push=0.5", "mechanisms.muting.reopen=0.0", *ops))
        m, muted = model.members, _muting(model).muted
        muted[m] = True
        model.joined[m] = model.last_active[m] = -10  # everyone silent from day 1
        model.step()
        out[name] = muted[m].mean()
    assert out["post"] == 1.0                     # a post in the group never reaches a muted member
    assert abs(out["push"] - 0.5) < 0.06          # a private push brings half of them back


def test_an_action_reaches_nobody_before_its_start_day_or_after_its_end_day():
    ops = ("operations=none", "operations.mode=x",
           "operations.actions=[{target:all,event:perk,every:1,start:5,end:8}]")
    model = CommunityModel(small("population.initial_members=300", "days=12", *ops))
    model.run()
    reached = model.recorder.frame()["actions"].to_numpy()
    assert (reached[1:5] == 0).all() and (reached[5:9] > 0).all() and (reached[9:] == 0).all()


def test_a_muted_members_return_is_not_crowded_out():
    # crowding (the loud members of a big group) holds back readers; a muted member opens the group of
    # their own accord at participation x interest x (1 - fatigue) x reopen, whatever the crowd
    took = {}
    for crowd in ("behavior.crowd_size=1e-3", "behavior.crowd_size=1e9"):
        model = CommunityModel(small("population.initial_members=1000", "days=5", MUTING,
                                     "mechanisms.muting.reopen=0.5", "mechanisms.muting.silent=0.01", crowd))
        m = model.members
        _muting(model).muted[m[::2]] = True
        model.step()
        took[crowd] = (set(model.actives) & set(m[::2]), set(model.actives) & set(m[1::2]))
    crowded, roomy = took["behavior.crowd_size=1e-3"], took["behavior.crowd_size=1e9"]
    assert crowded[0] == roomy[0] and len(roomy[0]) > 0   # the same muted members come back
    assert len(crowded[1]) < 0.1 * len(roomy[1])          # while the crowd silences the readers


def test_long_muted_members_come_back_less_often_with_decay():
    # habituation: the return chance of a muted member falls by exp(-decay x days since muting)
    def returns(decay, muted_days_ago):
        model = CommunityModel(small("population.initial_members=1000", "days=30", MUTING,
                                     "mechanisms.muting.reopen=0.5", f"mechanisms.muting.decay={decay}"))
        m, muting = model.members, _muting(model)
        muting.muted[m] = True
        muting.muted_on[m] = -muted_days_ago
        model.step()
        return np.isin(model.actives, m).sum()
    fresh, old = returns(0.1, 0), returns(0.1, 20)
    assert old < 0.3 * fresh                          # exp(-0.1 x 20) ~ 0.14 of the fresh chance
    # with the default 0 how long one has been muted does not matter: the same members come back
    assert returns(0.0, 0) == returns(0.0, 20) > 0


def test_muting_records_the_day_and_no_decay_is_the_limit_of_a_tiny_one():
    cfg = ("population.initial_members=500", "days=25", *MUTE, "mechanisms.muting.reopen=0.05")
    model = _run(CommunityModel(small(*cfg)), 25)
    m, muting = model.members, _muting(model)
    assert muting.muted[m].any() and (muting.muted_on[m][muting.muted[m]] >= 1).all()  # set on the day of muting
    # decay 0 skips the habituation term; a decay too small to matter (exp(-1e-12 x days)) computes it:
    # the same draws and numbers, while a real decay changes who comes back
    tiny = _run(CommunityModel(small(*cfg, "mechanisms.muting.decay=1e-12")), 25)
    assert (_muting(tiny).muted == muting.muted).all() and _same(tiny, model)
    decayed = _run(CommunityModel(small(*cfg, "mechanisms.muting.decay=0.2")), 25)
    assert not (decayed.last_active == model.last_active).all()


def test_a_ramp_lets_a_recent_silence_mute_less_than_a_long_one():
    # the silence term of muting rises over `ramp` days: silent x min(1, (days silent - silent_after + 1) / ramp)
    def muted(ramp):
        model = CommunityModel(small("population.initial_members=1500", "days=5", "behavior.participation=0",
                                     "behavior.leave_disinterest=0", MUTING, "mechanisms.muting.silent=1",
                                     f"mechanisms.muting.ramp={ramp}"))
        m = model.members
        model.joined[m] = -100
        silent_days = np.repeat([6, 7, 100], len(m) // 3 + 1)[:len(m)]   # on day 1, when the leaving phase draws
        model.last_active[m] = 1 - silent_days
        model.step()
        stayed = model.is_member[m]
        return [_muting(model).muted[m][stayed & (silent_days == d)].mean() for d in (6, 7, 100)]
    not_yet, recent, long = muted(10)
    assert not_yet == 0 and long == 1.0               # not silent yet: no silence term; long silent: the full chance
    assert 0.04 < recent < 0.18                       # silent_after days: 1/10 of it
    assert muted(0) == muted(1) == [0.0, 1.0, 1.0]    # 0 (the default) and 1: the full chance from silent_after days on


def test_a_ramp_of_one_is_the_run_without_a_ramp():
    """Ramp 0 skips the ramp (silent or not); ramp 1 computes min(1, days silent - silent_after + 1), which is
    the same: the same draws and numbers, while a longer ramp mutes fewer."""
    cfg = ("population.initial_members=500", "days=25", *MUTE, "mechanisms.muting.reopen=0.05")
    base = _run(CommunityModel(small(*cfg)), 25)
    one = _run(CommunityModel(small(*cfg, "mechanisms.muting.ramp=1")), 25)
    assert (_muting(one).muted == _muting(base).muted).all() and _same(one, base)
    ramped = _run(CommunityModel(small(*cfg, "mechanisms.muting.ramp=20")), 25)
    assert _muting(ramped).muted.sum() < _muting(base).muted.sum()  # a ramp only lowers the chance of muting
