"""Group size acting on members (docs/model.md): crowding with its limit (``mechanisms=crowd_limit``) and silence
as the norm of a big group (``mechanisms=silence_norm``)."""

import pytest

from conftest import same_run
from sim import load_config
from sim.engine.model import CommunityModel

# one group (the mega group) of a given size; every member equally influential and fully interested
GROUP = ("groups=unlimited", "population.seeding=random", "population.size=6000", "population.interest_mean=0.99",
         "population.interest_concentration=1000", "population.influence_max=1", "behavior.participation=0.8",
         "behavior.crowd_size=500", "behavior.overload_fatigue=0", "days=10")


def _first_day_share(size: int, *overrides: str) -> float:
    """The share of the members who take part on day 1 (before anyone has posted: no fatigue)."""
    model = CommunityModel(load_config([*GROUP, f"population.initial_members={size}", "seed=3", *overrides]))
    model.step()
    return model.active[model.members].mean()


def test_a_limit_above_every_group_is_the_run_without_a_limit():
    assert "crowd_limit" not in load_config().mechanisms
    group = ("groups=unlimited", "population.initial_members=800", "seed=4")
    assert same_run(*group, change="+mechanisms.crowd_limit.limit=5000")
    assert not same_run(*group, change="+mechanisms.crowd_limit.limit=200")  # a limit below the group's size acts


def test_crowding_stops_growing_at_the_limit():
    """Chance 0.8 / (1 + size / 500): 0.4 at 500 members, 0.16 at 2,000; with a limit of 500 both 0.4.
    Tolerance: 4 binomial standard errors of the smaller group (500 members: 0.09)."""
    free = {n: _first_day_share(n) for n in (500, 2000)}
    capped = {n: _first_day_share(n, "+mechanisms.crowd_limit.limit=500") for n in (500, 2000)}
    assert free[500] == pytest.approx(0.4, abs=0.09) and free[2000] == pytest.approx(0.16, abs=0.04)
    assert capped[2000] == pytest.approx(0.4, abs=0.05)
    assert capped[500] == free[500]  # at or below the limit: the very same draws


def _muted_on_first_silent_day(size: int, *overrides: str) -> float:
    """Nobody takes part, so everyone turns silent on day ``silent_after`` (7) and mutes that day with chance
    muting.silent x (1 + size / crowd_size)^-silence_norm.strength; the share muted after day 7."""
    model = CommunityModel(load_config([*GROUP, f"population.initial_members={size}", "seed=5",
                                        "behavior.participation=0", "+mechanisms.muting.silent=0.6",
                                        "behavior.leave_disinterest=0", "behavior.leave_base=0", *overrides]))
    muted = model.mechanisms["muting"].muted
    for _ in range(6):
        model.step()
    assert not muted.any()  # not silent yet
    model.step()
    return muted[model.members].mean()


def test_silence_mutes_less_in_a_big_group_with_a_silence_norm():
    """0.6 in any group without the norm; with silence_norm 1: 0.6 / 2 at 500 members and 0.6 / 5 at 2,000,
    whatever the crowd limit (the norm counts every member). Tolerance: 4 standard errors (0.09 at 500)."""
    assert "silence_norm" not in load_config().mechanisms
    assert _muted_on_first_silent_day(2000) == pytest.approx(0.6, abs=0.05)
    norm = {n: _muted_on_first_silent_day(n, "+mechanisms.silence_norm.strength=1") for n in (500, 2000)}
    assert norm[500] == pytest.approx(0.3, abs=0.09)
    assert norm[2000] == pytest.approx(0.12, abs=0.03)
    limited = _muted_on_first_silent_day(2000, "+mechanisms.silence_norm.strength=1",
                                         "+mechanisms.crowd_limit.limit=500")
    assert limited == norm[2000]
    # a norm of strength 0 weighs silence by 1: the very draws of no norm
    assert _muted_on_first_silent_day(2000, "+mechanisms.silence_norm.strength=0") == _muted_on_first_silent_day(2000)


def test_a_big_group_keeps_more_members_active_with_either():
    """The reason for the two (docs/cases.md, C01): in a group of 2,000 members where most are silent for a week
    (participation 0.3), muting for silence empties the group; a limited crowd lets more take part, silence as
    the norm lets fewer mute, and the two add up (weekly active share on day 42; seed 6: 22%, 40%, 28%, 63%)."""
    def weekly(*overrides):
        model = CommunityModel(load_config([*GROUP, "population.initial_members=2000", "seed=6", "days=42",
                                            "behavior.participation=0.3", "+mechanisms=muting",
                                            "mechanisms.muting.silent=0.5", "mechanisms.muting.ramp=7", *overrides]))
        model.run()
        m = model.members
        return (model.last_active[m] > model.day - 7).mean()
    plain = weekly()
    limited = weekly("+mechanisms.crowd_limit.limit=500")
    norm = weekly("+mechanisms.silence_norm.strength=2")
    both = weekly("+mechanisms.crowd_limit.limit=500", "+mechanisms.silence_norm.strength=2")
    assert limited > plain + 0.1 and norm > plain + 0.03
    assert both > max(limited, norm) + 0.1
