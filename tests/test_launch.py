"""A campaign launched on a running community (``launch``, ``before``: sim/engine/model.py): until the launch
the usual practice acts, exactly as a run of the practice alone; from the launch the run's own levers act."""

import numpy as np
import pandas as pd
import pytest

from sim import load_config
from sim.app.run import simulate
from sim.config import ConfigError

COMMUNITY = ["population.size=3000", "days=60", "population.initial_members=100"]
LAUNCH = 31
PRACTICE = ["cadence=three_two_one"]
CAMPAIGN = ["incentive=invite_reward", "cadence=tiered"]
BEFORE = [f"launch={LAUNCH}", "+incentive@before.incentive=none", "+cadence@before.cadence=three_two_one"]


def run(*overrides: str):
    return simulate(load_config([*COMMUNITY, "progress=false", *overrides]), progress=False)


def test_the_practice_acts_until_the_launch_and_the_campaign_from_it():
    practice = run(*PRACTICE)
    launched = run(*CAMPAIGN, *BEFORE)
    before, after = slice(0, LAUNCH), slice(LAUNCH, None)
    pd.testing.assert_frame_equal(launched.timeseries.iloc[before], practice.timeseries.iloc[before])
    assert not launched.timeseries.iloc[after].equals(practice.timeseries.iloc[after])
    assert launched.timeseries.reward_cost.iloc[after].sum() > practice.timeseries.reward_cost.iloc[after].sum()
    # the practice's content events stop at the launch and the campaign's start there (two weekly plans)
    events = pd.DataFrame(launched.model.event_log, columns=["day", "event"])
    plan = {e for _, e in practice.model.event_log}
    assert set(events[events.day < LAUNCH].event) <= plan
    assert [e for d, e in practice.model.event_log if d < LAUNCH] == events[events.day < LAUNCH].event.tolist()
    assert not events[events.day >= LAUNCH].empty
    assert events[events.day >= LAUNCH].values.tolist() != [[d, e] for d, e in practice.model.event_log if d >= LAUNCH]


def test_costs_count_what_was_spent_and_acquired_since_the_launch():
    launched = run(*CAMPAIGN, *BEFORE)
    ts, s = launched.timeseries, launched.summary
    acquired = ts.new_members.iloc[LAUNCH:].sum()
    assert 0 < acquired < ts.new_members.sum()
    spent = ts.reward_cost.iloc[LAUNCH:].sum()
    assert 0 < spent < s["reward_cost"]  # the practice spent before the launch too: not the campaign's cost
    assert s["cost_per_acquired"] == pytest.approx(spent / acquired)
    assert s["cost_per_purchase"] == pytest.approx(spent / ts.purchases.iloc[LAUNCH:].sum())
    joined = launched.model.joined[launched.model.status == 1]
    assert s["cost_per_retained"] == pytest.approx(spent / np.count_nonzero(joined >= LAUNCH))


@pytest.mark.parametrize("overrides,said", [
    (["launch=10", "+groups@before.groups=split"], "before.groups: only the levers incentive, cadence"),
    (["+incentive@before.incentive=none"], "but launch=0: set launch to the first day of the campaign"),
])
def test_a_launch_that_cannot_be_is_refused_with_the_fix(overrides, said):
    with pytest.raises(ConfigError, match=said):
        load_config([*COMMUNITY, *overrides])


def test_a_reward_scheme_launched_late_pays_only_for_referrals_made_after_it():
    model = run(*CAMPAIGN, *BEFORE).model
    scheme = model.components[1]
    since = model.referrals - scheme.before
    assert (scheme.before >= 3).any()  # people who had brought in three friends before the launch ...
    assert (scheme.earned[(scheme.before >= 3) & (since < 3)] == 0).all()  # ... are not paid for them
    assert (since[scheme.earned > 0] >= 3).all() and scheme.earned.any()
