"""The regression fingerprint: summary, case measures and a hash of the daily series of a set of configs.

``python tests/fingerprint.py`` prints it as JSON (``> tests/data/fingerprint.json`` records it);
tests/test_fingerprint.py checks that the model still gives exactly these numbers. A refactor
must leave it unchanged; a change of numbers rewrites it in the same commit, with the evidence
(docs/benchmark.md, "Numbers").
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

SMALL = ["population.size=2000", "days=90", "progress=false"]
FITTED = ["+fitted=behavior", "population.seeding=random", "population.size=3000", "population.initial_members=600"]

# name -> (overrides, case measures as (measure, params), RFM layer days)
CONFIGS: dict[str, tuple[list[str], list[tuple[str, dict]], tuple[int, ...]]] = {
    "default": (SMALL, [], ()),
    "invite_reward": (SMALL + ["incentive=invite_reward", "incentive.invitee_reward=20", "incentive.repeat=true"], [], ()),
    "points": (SMALL + ["incentive=points"], [], ()),
    "status": (SMALL + ["incentive=status", "incentive.badge_cost=5"], [], ()),
    "value": (SMALL + ["incentive=value"], [], ()),
    "cadence_tiered": (SMALL + ["cadence=tiered"], [], ()),
    "cadence_mix": (SMALL + ["cadence=mix_70_20_10", "behavior.open_rate=0.6"], [], ()),
    "cadence_daily_promo": (SMALL + ["cadence=daily_promo", "+mechanisms.purchase_cycle.days=30"], [], ()),
    "operations_rfm": (SMALL + ["operations=rfm", "population.initial_members=300"], [], ()),
    "operations_dashboard": (SMALL + ["operations=dashboard", "population.initial_members=300", "groups.cap=100", "+mechanisms.muting.silent=0.3"], [], ()),
    "operations_broadcast": (SMALL + ["operations=broadcast"], [], ()),
    "groups_unlimited": (SMALL + ["groups=unlimited", "+mechanisms.share_on_join.share=0.5"], [], ()),
    "groups_split_interest": (SMALL + ["population.initial_members=600", "groups=split", "groups.cap=200", "groups.rule=interest",
                                       "groups.merge_below=0.05"], [], ()),
    "groups_split_community": (SMALL + ["population.initial_members=700", "groups=split", "groups.cap=300", "groups.rule=community"], [], ()),
    "groups_split_random": (SMALL + ["population.initial_members=400", "groups=split", "groups.cap=150", "graph=watts_strogatz"], [], ()),
    "mechanisms": (SMALL + ["+mechanisms=[posting,muting,silence_norm,crowd_limit,satiation,imitation]",
                            "mechanisms.posting.spread=1.5", "mechanisms.posting.lurker_mute=0.5",
                            "mechanisms.muting.fatigue=0.05", "mechanisms.muting.silent=0.2", "mechanisms.muting.ramp=5",
                            "mechanisms.muting.decay=0.02", "mechanisms.silence_norm.strength=1",
                            "mechanisms.crowd_limit.limit=100", "mechanisms.satiation.cycle=3",
                            "mechanisms.imitation.rate=0.05", "population.seeding=random", "graph=erdos_renyi",
                            "stop_when_still=5"], [], ()),
    "bass": (["reduction=bass", "population.size=2000", "days=60", "progress=false"], [], ()),
    "cascade": (["reduction=cascade", "population.size=3000", "days=60", "progress=false"], [], ()),
    "fitted_c01": (FITTED + ["population.initial_members=1500", "days=56", "groups=split", "groups.cap=500",
                             "progress=false"],
                   [("weekly_active_share", {})], ()),
    "fitted_c06": (FITTED + ["days=84", "operations=rfm", "progress=false",
                             "operations.actions=[{target:all,event:offer,every:28,end:28},{target:core,event:perk,"
                             "every:28,start:29},{target:potential,event:offer,every:28,start:29},"
                             "{target:dormant,event:wakeup,every:28,start:29}]"],
                   [("layer_retention", {"layer": "core", "day": 28}),
                    ("layer_conversion", {"layer": "potential", "day": 28})], (28, 84)),
    "fitted_c08": (FITTED + ["days=84", "operations=none", "operations.mode=accompany", "progress=false",
                             "operations.actions=[{target:declining,event:accompany,every:1,start:57}]"],
                   [("segment_monthly_active", {"layer": "declining", "day": 56})], ()),
    "fitted_silent_push": (FITTED + ["days=84", "cadence=three_two_one", "operations=dashboard",
                                     "incentive=points", "progress=false"],
                           [("wakeup_rate", {}), ("monthly_retention", {}), ("monthly_repurchase", {}),
                            ("cohort_active_share", {}), ("core_participation", {}), ("referrer_share", {})], ()),
}


# the daily columns the fingerprint hashes: those recorded when it was made (columns added later, new
# measures, are not changed numbers)
SERIES = ("day", "members", "active", "new_members", "new_by_referral", "new_organic", "invites_sent", "left",
          "silent", "weekly_active", "purchases", "groups", "largest_group", "mean_interest", "mean_fatigue",
          "reward_cost", "events", "actions", "alerts", "merges")


def _digest(frame) -> str:
    h = hashlib.sha256()
    for col in frame.columns:
        h.update(col.encode())
        h.update(np.ascontiguousarray(frame[col].to_numpy()).tobytes())
    return h.hexdigest()[:16]


def fingerprint(name: str) -> dict:
    """The figures of one config: its summary, its case measures (rounded to 12 digits) and its series' hash."""
    from sim import load_config
    from sim.measures.cases import MEASURES, Trace
    from sim.measures.metrics import summarize
    from sim.engine.model import CommunityModel

    overrides, measures, layer_days = CONFIGS[name]
    model = CommunityModel(load_config(overrides))
    trace = Trace(model, layer_days) if measures else None
    while model.running:
        model.step()
        if trace is not None:
            trace.observe(model)
    out = {"series": _digest(model.recorder.frame()[list(SERIES)]),
           "summary": {k: round(float(v), 12) for k, v in summarize(model).items()}}
    for measure, params in measures:
        out[measure] = round(float(MEASURES[measure](trace, **params).value), 12)
    return out


if __name__ == "__main__":
    names = sys.argv[1:] or list(CONFIGS)
    print(json.dumps({n: fingerprint(n) for n in names}, indent=1, sort_keys=True))
