"""Property-based tests (hypothesis): random valid configs never crash and keep the invariants."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import small
from sim import simulate
from sim.components.groups import Cap

OPTION_SETS = {
    "graph": ["graph=barabasi_albert", "graph=watts_strogatz", "graph=erdos_renyi", "graph=complete"],
    "groups": ["groups=unlimited", "groups=cap", "groups=split", "groups=split groups.rule=interest",
               "groups=split groups.rule=community", "groups=cap groups.merge_below=0.3"],
    "incentive": ["incentive=none", "incentive=invite_reward", "incentive=points", "incentive=status",
                  "incentive=value"],
    "cadence": ["cadence=none", "cadence=three_two_one", "cadence=daily_promo", "cadence=tiered",
                "cadence=mix_70_20_10"],
    "operations": ["operations=none", "operations=dashboard", "operations=rfm", "operations=broadcast"],
    "mechanisms": ["", "+mechanisms=[muting,silence_norm,posting] mechanisms.muting.silent=0.3 "
                   "mechanisms.muting.ramp=3 mechanisms.muting.decay=0.05",
                   "+mechanisms=[satiation,crowd_limit,purchase_cycle] mechanisms.crowd_limit.limit=50 "
                   "mechanisms.purchase_cycle.days=30", "+mechanisms=[imitation,share_on_join]"],
}
CUMULATIVE = ("new_members", "new_by_referral", "new_organic", "invites_sent", "left", "purchases", "reward_cost")


@st.composite
def configs(draw):
    overrides = [o for group in OPTION_SETS.values() for o in draw(st.sampled_from(group)).split()]
    size = draw(st.integers(50, 800))
    cap = draw(st.integers(2, 120))
    overrides += [
        f"population.size={size}", f"days={draw(st.integers(1, 40))}", f"seed={draw(st.integers(0, 10**6))}",
        f"population.initial_members={draw(st.integers(0, size))}",
        f"population.organic_rate={draw(st.floats(0, 0.05))}",
        f"behavior.invite_rate={draw(st.floats(0, 1))}", f"behavior.accept={draw(st.floats(0, 1))}",
        f"behavior.leave_base={draw(st.floats(0, 0.2))}", f"behavior.participation={draw(st.floats(0, 1))}",
        f"graph.homophily={draw(st.floats(0, 1))}",
    ]
    if "groups=unlimited" not in overrides:
        overrides.append(f"groups.cap={cap}")
    return small(*overrides)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs())
def test_random_valid_configs_keep_the_invariants(cfg):
    run = simulate(cfg, progress=False)
    ts, m = run.timeseries, run.model
    assert not ts.isna().drop(columns=["mean_interest", "mean_fatigue"]).any().any()
    assert not ts.loc[ts["members"] > 0, ["mean_interest", "mean_fatigue"]].isna().any().any()
    assert all(np.isfinite(v) for v in run.summary.values())
    assert (ts["members"].diff().iloc[1:] == (ts["new_members"] - ts["left"]).iloc[1:]).all()
    for col in CUMULATIVE:  # flows are never negative, so their running totals never decrease
        assert (ts[col] >= 0).all(), col
    for col in (m.interest, m.fatigue):
        assert col.min() >= 0 and col.max() <= 1
    if isinstance(m.policy, Cap):  # cap, and split (which divides a group that reaches cap)
        assert ts["largest_group"].max() <= cfg.groups.cap
    assert m.groups.size.sum() == ts["members"].iloc[-1] == len(m.members)
