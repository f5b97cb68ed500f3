"""Daily time series and run summary; exact definitions in docs/metrics.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.effects import member_messages

COLUMNS = ("day", "members", "active", "new_members", "new_by_referral", "new_organic", "new_imported", "invites_sent",
           "left", "silent", "weekly_active", "purchases", "groups", "largest_group",
           "mean_interest", "mean_fatigue", "reward_cost", "events", "actions", "alerts", "merges",
           "messages", "member_messages", "member_content")
FLOWS = ("new_by_referral", "new_organic", "new_imported", "invites_sent", "left", "purchases", "merges")
FLOATS = ("mean_interest", "mean_fatigue", "reward_cost", "messages", "member_messages", "member_content")
CORE_SHARE = 0.2  # the core members: the top fifth by recent interactions (the practitioners' 20%)


def core_members(model) -> np.ndarray:
    """The core members now: the top ``CORE_SHARE`` of the members by recent interactions (``recent``), ties
    in joining order."""
    m = model.members
    return m[np.argsort(-model.recent[m], kind="stable")[:int(round(CORE_SHARE * len(m)))]]


class Recorder:
    """Preallocated rows, one per day (row 0 is the state on day 0, before any step); ``data`` maps each
    column name to its column (a view). For the operators' measures over the last ``window`` days (the
    horizon), it keeps who was core at the horizon's start and everyone's purchases then and a window
    before (``summarize``)."""

    INTS = tuple(c for c in COLUMNS if c not in FLOATS)

    def __init__(self, days: int, window: int):
        self.start = max(0, days - window)          # the horizon's first day
        self.before = max(0, self.start - window)   # the window before it (repurchases)
        self.core = np.zeros(0, dtype=np.int64)
        self.bought_before = self.bought_start = None
        self.rows = 0
        self.ints = np.zeros((days + 1, len(self.INTS)), dtype=np.int64)
        self.floats = np.zeros((days + 1, len(FLOATS)), dtype=np.float64)
        table = {c: self.ints[:, i] for i, c in enumerate(self.INTS)} | {c: self.floats[:, i] for i, c in enumerate(FLOATS)}
        self.data = {c: table[c] for c in COLUMNS}

    def record(self, model) -> None:
        m, flows, today, size = model.members, model.flows, model.today, model.groups.size
        if model.day == self.before:
            self.bought_before = model.purchases.copy()
        if model.day == self.start:
            self.bought_start = model.purchases.copy()
            self.core = core_members(model)
        row = dict.fromkeys(FLOWS, 0) | flows
        row["new_members"] = row["new_by_referral"] + row["new_organic"] + row["new_imported"]
        last_active = model.last_active[m]
        row.update(day=model.day, members=len(m), active=len(model.actives),
                   silent=np.count_nonzero(model.silent(m, last_active)),
                   weekly_active=np.count_nonzero(last_active > max(model.day - 7, 0)),  # -1: never
                   groups=np.count_nonzero(size), largest_group=size.max(initial=0),
                   events=today.events, actions=today.reached, alerts=today.alerts)
        self.ints[self.rows] = [row[c] for c in self.INTS]
        n, b = len(m), model.beh
        members_wrote = member_messages(b, len(model.actives))
        self.floats[self.rows] = (np.add.reduce(model.interest[m], dtype=np.float64) / n if n else np.nan,
                                  np.add.reduce(model.fatigue[m], dtype=np.float64) / n if n else np.nan,
                                  today.cost, (b.msgs_base + today.messages) * row["groups"] + members_wrote,
                                  members_wrote, b.ugc_rate * len(model.actives) + today.member_content)
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
    since = max(model.cfg.launch, 1)  # costs are per member acquired since the levers launched (day 1 without a launch)
    acquired = joined if since == 1 else int(d["new_members"][since:rows].sum())
    bought = total("purchases") if since == 1 else d["purchases"][since:rows].sum()
    spent = cost if since == 1 else float(d["reward_cost"][since:rows].sum())
    retained = int(np.count_nonzero((model.status == 1) & (model.joined >= since)))  # acquired, still in
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
        "imported": int(total("new_imported")),
        "reward_cost": cost,
        "cost_per_acquired": _ratio(spent, acquired),
        "cost_per_retained": _ratio(spent, retained),
        "cost_per_purchase": _ratio(spent, bought),
        "groups_final": int(d["groups"][rows - 1]),
        "largest_group_final": int(d["largest_group"][rows - 1]),
        **operators(model),
    }


def operators(model) -> dict:
    """The operators' measures over the horizon, the last ``window`` days (docs/metrics.md)."""
    rec, d, rows = model.recorder, model.recorder.data, model.recorder.rows
    h = slice(rec.start + 1, rows)  # the horizon's days (the state on its first day is the baseline)
    core = rec.core
    muting = model.mechanisms.get("muting")
    gone = (model.status[core] == 2) | (muting.muted[core] if muting is not None else False)
    buyers = np.zeros(0, dtype=np.int64)
    if rec.bought_before is not None and rec.bought_start is not None:
        buyers = np.flatnonzero(rec.bought_start > rec.bought_before)
    again = np.count_nonzero(model.purchases[buyers] > rec.bought_start[buyers]) if len(buyers) else 0
    return {
        "core_churn": _ratio(np.count_nonzero(gone), len(core)),
        "import_rate": _ratio(d["new_members"][h].sum(), d["members"][min(rec.start, rows - 1)]),
        "repurchase_rate": _ratio(again, len(buyers)),
        "member_content_share": _ratio(d["member_content"][h].sum(), d["member_content"][h].sum()
                                       + d["messages"][h].sum() - d["member_messages"][h].sum()),
        "topic_share": topic_share(model),
    }


def topic_share(model) -> float:
    """The share of a group's members who care about its most common sub-topic, over the groups at the end
    weighted by their size (0 without sub-topics): how alike the groups are in what their members care about."""
    if model.topics is None or not len(model.members):
        return 0.0
    from sim.engine.people import cares

    m = model.members
    counts = np.stack([np.bincount(model.group[m][cares(model.topics, m, k)], minlength=model.groups.count)
                       for k in range(model.cfg.population.topics)])
    return _ratio(counts.max(axis=0).sum(), len(m))
