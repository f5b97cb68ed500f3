"""Daily time series and run summary; exact definitions in docs/metrics.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("day", "members", "active", "new_members", "new_by_referral", "new_organic", "invites_sent",
           "left", "silent", "weekly_active", "purchases", "groups", "largest_group",
           "mean_interest", "mean_fatigue", "reward_cost", "events", "actions", "alerts", "merges")
FLOWS = ("new_by_referral", "new_organic", "invites_sent", "left", "purchases", "merges")
FLOATS = ("mean_interest", "mean_fatigue", "reward_cost")


class Recorder:
    """Preallocated columns, one row per day (row 0 is the state on day 0, before any step)."""

    def __init__(self, days: int):
        self.rows = 0
        self.data = {c: np.zeros(days + 1, dtype=np.float64 if c in FLOATS else np.int64) for c in COLUMNS}

    def record(self, model) -> None:
        d, t = self.data, self.rows
        m = model.members
        d["day"][t] = model.day
        d["members"][t] = len(m)
        d["active"][t] = len(model.actives)
        for key in FLOWS:
            d[key][t] = model.flows.get(key, 0)
        d["new_members"][t] = d["new_by_referral"][t] + d["new_organic"][t]
        d["silent"][t] = np.count_nonzero(model.silent(m))
        d["weekly_active"][t] = np.count_nonzero(model.last_active[m] > max(model.day - 7, 0))  # -1: never
        d["groups"][t] = np.count_nonzero(model.groups.size)
        d["largest_group"][t] = model.groups.size.max(initial=0)
        d["mean_interest"][t] = np.add.reduce(model.interest[m], dtype=np.float64) / len(m) if len(m) else np.nan
        d["mean_fatigue"][t] = np.add.reduce(model.fatigue[m], dtype=np.float64) / len(m) if len(m) else np.nan
        d["reward_cost"][t] = model.today.cost
        d["events"][t] = model.today.events
        d["actions"][t] = model.today.reached
        d["alerts"][t] = model.today.alerts
        self.rows += 1

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: v[: self.rows] for c, v in self.data.items()})


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def summarize(model) -> dict:
    """Run summary from the recorder's columns; the trailing averages use the last ``window`` days (all if fewer)."""
    d, rows = model.recorder.data, model.recorder.rows
    w = slice(max(1, rows - model.cfg.window), rows)  # the trailing window, day 0 excluded
    members = d["members"][w].astype(np.float64)

    def share(col: str) -> float:
        return float(np.mean(np.divide(d[col][w], members, out=np.zeros(len(members)), where=members > 0)))

    def total(col: str) -> float:  # day 0 included (a split at set-up can lose members)
        return d[col][:rows].sum()

    seeds, final = int(d["members"][0]), int(d["members"][rows - 1])
    joined = int(total("new_members"))
    ever = seeds + joined
    cost = float(total("reward_cost"))
    retained = int(np.count_nonzero((model.status == 1) & (model.joined > 0)))  # joined during the run, still in
    return {
        "members_final": final,
        "members_peak": int(d["members"][:rows].max()),
        "ever_members": ever,
        "active_share": share("active"),
        "weekly_active_share": share("weekly_active"),
        "silent_share": share("silent"),
        "referral_share": _ratio(total("new_by_referral"), joined),
        "k_factor": _ratio(total("new_by_referral"), ever),
        "referrer_share": _ratio(np.count_nonzero(model.referrals), ever),
        "invite_acceptance": _ratio(total("new_by_referral"), total("invites_sent")),
        "churn_rate": _ratio(d["left"][w].sum(), members.mean() if len(members) else 0.0),
        "purchases_per_member": _ratio(total("purchases"), ever),
        "reward_cost": cost,
        "cost_per_acquired": _ratio(cost, joined),
        "cost_per_retained": _ratio(cost, retained),
        "groups_final": int(d["groups"][rows - 1]),
        "largest_group_final": int(d["largest_group"][rows - 1]),
    }
