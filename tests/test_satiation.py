"""Satiation (``mechanisms=satiation``, its ``cycle``; docs/model.md, participation): soon after taking part, a member
is less likely to take part again, so activity spreads over the week."""

import numpy as np

from conftest import same_run, small
from sim import load_config
from sim.engine.model import CommunityModel

ACTIVE = ("population.initial_members=1500", "population.seeding=random", "population.interest_mean=0.8",
          "days=42", "behavior.participation=1.0", "behavior.overload_fatigue=0.1", "seed=5")


def _activity(*overrides: str) -> np.ndarray:
    """Who took part on each day (days x people)."""
    model = CommunityModel(small(*ACTIVE, *overrides))
    active = np.zeros((model.cfg.days, model.n), dtype=bool)
    for t in range(model.cfg.days):
        model.step()
        active[t] = model.active
    return active


def test_a_one_day_cycle_holds_nothing_back():
    """min(1, d / 1) is 1 for anyone who took part a day or more ago: the same run as without satiation,
    while a longer cycle holds some back."""
    assert "satiation" not in load_config().mechanisms
    assert same_run(*ACTIVE, change="+mechanisms.satiation.cycle=1")
    assert not same_run(*ACTIVE, change="+mechanisms.satiation.cycle=2")


def test_taking_part_two_days_running_becomes_rarer():
    """With a cycle of 3 days, a member who took part yesterday does so again at a third of the usual chance:
    repeats on consecutive days fall far more than days of activity do."""
    free, sated = _activity(), _activity("+mechanisms.satiation.cycle=3")
    again_free = (free[1:] & free[:-1]).sum() / free[:-1].sum()
    again_sated = (sated[1:] & sated[:-1]).sum() / sated[:-1].sum()
    assert again_free > 0.15
    assert again_sated < 0.55 * again_free


def test_satiation_lowers_daily_activity_more_than_weekly_breadth():
    """The reason for the mechanism: a frequent participant loses some days but seldom a whole week, so the
    weekly active share over daily active share rises (days 15-42, members = anyone active at all)."""
    ratios = {}
    for r, listed in ((0, ()), (3, ("+mechanisms.satiation.cycle=3",))):
        act = _activity(*listed)
        daily = act[14:].sum(axis=1).mean()
        weekly = np.mean([act[t - 6: t + 1].any(axis=0).sum() for t in range(20, 42)])
        ratios[r] = (daily, weekly)
    (d0, w0), (d3, w3) = ratios[0], ratios[3]
    assert d3 < 0.85 * d0  # fewer member-days
    assert w3 / d3 > 1.1 * (w0 / d0)  # spread over more of the week
    assert w3 > 0.85 * w0  # breadth kept
