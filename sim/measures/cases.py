"""Case measures: the quantities the practitioners' case numbers are about, computed from a run.

A case (``conf/case/cNN.yaml``, see docs/cases.md) compares a baseline arm with a treatment arm
and names one or more *measures*. Each measure is defined exactly here and in docs/metrics.md
("Case measures"). A measure is a pure function of a ``Trace``: the per-person, per-day record of
one run (who was a member, who took part, who was silent, who bought, and the RFM layers on the
segmentation day), plus the model's final columns (influence, baseline interest, joining day,
referrer). It returns a ``Value``: the scalar the case target is about and the measure's daily
series (for the figures; NaN on days where it is not defined).

    trace = run_trace(cfg)                    # or Trace(model) and trace.observe(model) after each step
    value = MEASURES["wakeup_rate"](trace)    # Value(value=0.31, series=array([...]))

Days: row t of every matrix is the state at the end of day t (row 0: after set-up), as in
``timeseries.csv``. "Took part in the last k days" on day t means on one of days t-k+1..t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.components.operations import CORE, DORMANT, LAYERS, MONTH, POTENTIAL, declining, rfm_layers


@dataclass
class Value:
    """A measure of one run: the scalar the target is about, and its daily series (index = day)."""
    value: float
    series: np.ndarray


class Trace:
    """Per-person, per-day record of a run, kept as boolean matrices [day, person].

    ``member``: a member at the end of the day; ``active``: took part that day; ``silent``: a
    member silent at the end of the day (``model.silent``: no interaction for ``silent_after``
    days, joining counts as one; the ``silent`` column of the time series); ``silent_start``: a
    member silent at the start of the day, before anyone takes part (what an operator's morning
    list shows, and whom the day's actions for silent members reach); ``bought``: made a purchase that day; ``layers[d]``: the RFM layer of every
    person on day d (0 for non-members; ``sim.components.operations.rfm_layers``, the operator's own
    segmentation) for each d in ``layer_days``.
    """

    def __init__(self, model, layer_days: tuple[int, ...] = ()):
        days, n = int(model.cfg.days), model.n
        self.days, self.n = days, n
        self.member = np.zeros((days + 1, n), dtype=bool)
        self.active = np.zeros((days + 1, n), dtype=bool)
        self.silent = np.zeros((days + 1, n), dtype=bool)
        self.silent_start = np.zeros((days + 2, n), dtype=bool)
        self.bought = np.zeros((days + 1, n), dtype=bool)
        self.layer_days = tuple(int(d) for d in layer_days)
        self.layers: dict[int, np.ndarray] = {}
        self._purchases = model.purchases.copy()
        self.model = model
        self.observe(model)

    def observe(self, model) -> None:
        """Record the state at the end of ``model.day`` (call after set-up and after every step)."""
        t = model.day
        self.member[t] = model.is_member
        self.active[t] = model.active & model.is_member
        m = model.members
        self.silent[t, m[model.silent(m)]] = True
        self.silent_start[t + 1, m[model.last_seen(m) <= t + 1 - model.silent_after]] = True  # tomorrow morning
        self.bought[t] = model.purchases > self._purchases
        self._purchases = model.purchases.copy()
        if t in self.layer_days:
            layer = np.zeros(self.n, dtype=np.int8)
            layer[m] = rfm_layers(model)
            self.layers[t] = layer

    # -- derived columns (final state of the run)
    @property
    def ever(self) -> np.ndarray:
        """Everyone who was a member on at least one day of the run (seeds included)."""
        return self.member.any(axis=0)

    def active_within(self, t: int, k: int) -> np.ndarray:
        """Who took part on at least one of days t-k+1..t (day 0 holds no activity)."""
        return self.active[max(1, t - k + 1): t + 1].any(axis=0)

    def recent_activity(self, k: int) -> np.ndarray:
        """[day, person]: took part on at least one of the k days ending on that day."""
        c = np.concatenate([np.zeros((1, self.n), dtype=np.int32), np.cumsum(self.active, axis=0, dtype=np.int32)])
        lo = np.maximum(np.arange(self.days + 1) - k + 1, 0)
        return (c[1:] - c[lo]) > 0


def run_trace(cfg, layer_days: tuple[int, ...] = ()) -> Trace:
    """Run ``cfg`` for ``cfg.days`` days, recording a ``Trace``."""
    from sim.engine.model import CommunityModel

    model = CommunityModel(cfg)
    trace = Trace(model, layer_days)
    for _ in range(int(cfg.days)):
        model.step()
        trace.observe(model)
    return trace


def _ratio(num, den) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.shape(den), np.nan), where=den > 0)


def _window_mean(series: np.ndarray, window: int) -> float:
    tail = series[1:][-window:]
    tail = tail[np.isfinite(tail)]
    return float(tail.mean()) if len(tail) else float("nan")


def _segment(tr: Trace, layer: str, day: int) -> np.ndarray:
    """Members in RFM ``layer`` on ``day``, or, for ``declining``, members on ``day`` in a trough over the two
    months ending on it (``sim.components.operations.declining``: what the operator's review the next morning sees)."""
    if layer == "declining":
        if day < 2 * MONTH:
            raise ValueError(f"the declining segment compares two months: day {day} must be at least {2 * MONTH}")
        last = tr.active[day - MONTH + 1: day + 1].sum(axis=0)
        before = tr.active[day - 2 * MONTH + 1: day - MONTH + 1].sum(axis=0)
        return tr.member[day] & declining(last, before)
    if day not in tr.layers:
        raise ValueError(f"the trace holds no RFM layers for day {day}: run it with layer_days=({day},)")
    return tr.layers[day] == LAYERS[layer]


# ---------------------------------------------------------------- the measures
def weekly_active_share(tr: Trace, window: int = MONTH) -> Value:
    """Members who took part at least once in the 7 days ending on the day / members; mean over the
    last ``window`` days. (The complement of "silent" in the practitioners' sense: active = took
    part within 7 days.)"""
    recent = tr.recent_activity(7) & tr.member
    series = _ratio(recent.sum(axis=1), tr.member.sum(axis=1))
    return Value(_window_mean(series, window), series)


def daily_interactions(tr: Trace, window: int = MONTH) -> Value:
    """Members taking part per day (each member's day of taking part is one interaction); mean over
    the last ``window`` days."""
    series = tr.active.sum(axis=1).astype(float)
    series[0] = np.nan
    return Value(_window_mean(series, window), series)


def core_participation(tr: Trace, top: float = 0.10, window: int = MONTH) -> Value:
    """Core members = the top ``top`` share of the day-0 members by influence x baseline interest
    (the same people in every arm of a seed). Daily: core members still in who took part that day /
    core members still in; mean over the last ``window`` days."""
    m = tr.model
    seeds = np.flatnonzero(tr.member[0])
    score = m.influence[seeds] * m.interest_base[seeds]
    k = max(1, int(round(top * len(seeds))))
    core = np.zeros(tr.n, dtype=bool)
    core[seeds[np.argsort(-score, kind="stable")[:k]]] = True
    series = _ratio((tr.active & core).sum(axis=1), (tr.member & core).sum(axis=1))
    series[0] = np.nan
    return Value(_window_mean(series, window), series)


def wakeup_rate(tr: Trace, horizon: int = 14, start: int = 14) -> Value:
    """Of the members who fall silent (a silence spell starts on the morning of day d: on the operator's
    silent list that morning, not on it the morning before; the day a weekly action for silent members
    first reaches them), the share who take part on at least one of days d..d+horizon-1 (a member who
    leaves first is not woken). Pooled over the spells starting on d = start..days-horizon+1.
    Series: the day-d share. Counting each spell once (not each day on the list) keeps the measure
    from falling when a campaign wakes the easy members early and leaves the hard ones on the list."""
    # c[d]: days of taking part on d..days; ahead[d]: took part on one of days d..d+horizon-1
    c = np.concatenate([np.cumsum(tr.active[::-1], axis=0, dtype=np.int32)[::-1], np.zeros((1, tr.n), np.int32)])
    days = np.arange(tr.days + 1)
    ahead = (c[days] - c[np.minimum(days + horizon, tr.days + 1)]) > 0
    listed = tr.silent_start[: tr.days + 1]
    starts = listed.copy()
    starts[1:] &= ~listed[:-1]
    n = starts.sum(axis=1)
    woken = (starts & ahead).sum(axis=1)
    series = _ratio(woken, n)
    keep = (days >= start) & (days <= tr.days - horizon + 1)
    series[~keep] = np.nan
    return Value(float(_ratio(woken[keep].sum(), n[keep].sum())), series)


def silent_list_wakeup(tr: Trace, day: int = 57, horizon: int = 14) -> Value:
    """The operator's silent list on the morning of ``day`` (members with no interaction for
    ``silent_after`` days: whom an action for silent members reaches that day): the share who take
    part on at least one of days day..day+horizon-1 (a member who leaves first is not woken). With a
    campaign that starts on ``day`` (``operations.actions[j].start``) both arms share the list.
    Series: the share of the list woken by each day (NaN outside the window)."""
    if not 1 <= day <= tr.days - horizon + 1:
        raise ValueError(f"silent_list_wakeup: day {day} needs {horizon} days after it within {tr.days}")
    listed = tr.silent_start[day]
    woken = np.cumsum(tr.active[day:day + horizon, listed], axis=0) > 0
    series = np.full(tr.days + 1, np.nan)
    series[day:day + horizon] = _ratio(woken.sum(axis=1), np.full(horizon, listed.sum()))
    return Value(float(series[day + horizon - 1]), series)


def _referral_cohort(tr: Trace) -> np.ndarray:
    return tr.ever & (tr.model.referrer >= 0)


def cohort_active_share(tr: Trace, within: int = 1, window: int = MONTH) -> Value:
    """Cohort = members who joined through an invitation during the run. Daily: cohort members still
    in who took part in the ``within`` days ending on the day (1: that day, the activity rate;
    7: the weekly active share) / cohort members still in; mean over the last ``window`` days."""
    cohort = _referral_cohort(tr)
    inn = tr.member & cohort
    series = _ratio((tr.recent_activity(within) & inn).sum(axis=1), inn.sum(axis=1))
    return Value(_window_mean(series, window), series)


def cohort_repurchase(tr: Trace) -> Value:
    """Cohort as in ``cohort_active_share``. Of the cohort members who bought at least once during
    the run, the share who bought at least twice (bought again). Series: the same ratio on the
    purchases up to each day."""
    cohort = _referral_cohort(tr)
    count = np.cumsum(tr.bought[:, cohort], axis=0)
    series = _ratio((count >= 2).sum(axis=1), (count >= 1).sum(axis=1))
    return Value(float(series[-1]), series)


def layer_retention(tr: Trace, layer: str = "core", day: int = MONTH, criterion: str = "layer",
                    window: int = MONTH) -> Value:
    """Segment = members in RFM ``layer`` on ``day``. Retained on a later day t, by ``criterion``:
    ``layer`` (default): still a member and still in that layer on day t (layers reviewed on the
    trace's layer days after ``day``); ``active``: still a member and took part at least once in the
    ``window`` days ending on t. Value: the retained share on the last layer day (``layer``) or
    the last day (``active``). Series: the retained share on each such day."""
    seg = _segment(tr, layer, day)
    series = np.full(tr.days + 1, np.nan)
    if criterion == "layer":
        later = [d for d in sorted(tr.layers) if d > day]
        if not later:
            raise ValueError(f"layer_retention: the trace holds no RFM layers after day {day}")
        for d in later:
            series[d] = float(np.count_nonzero(tr.member[d] & seg & (tr.layers[d] == LAYERS[layer]))) / max(1, seg.sum())
        return Value(float(series[later[-1]]), series)
    if criterion != "active":
        raise ValueError(f"layer_retention: criterion {criterion!r} must be layer or active")
    kept = tr.member & tr.recent_activity(window) & seg
    series = _ratio(kept.sum(axis=1), np.full(tr.days + 1, seg.sum()))
    series[: day + 1] = np.nan
    return Value(float(series[-1]), series)


def layer_conversion(tr: Trace, layer: str = "potential", day: int = MONTH) -> Value:
    """Segment = members in RFM ``layer`` on ``day``. Converted: bought at least once on days
    day+1..last day. Value: converted share of the segment. Series: converted share by each day."""
    seg = _segment(tr, layer, day)
    after = tr.bought[day + 1:, seg]
    done = np.cumsum(after, axis=0) > 0
    series = np.full(tr.days + 1, np.nan)
    series[day + 1:] = _ratio(done.sum(axis=1), np.full(len(done), seg.sum()))
    return Value(float(series[-1]), series)


def segment_monthly_active(tr: Trace, layer: str = "dormant", day: int = MONTH, window: int = MONTH) -> Value:
    """Segment = members in RFM ``layer`` on ``day``. Daily: segment members still in who took part
    at least once in the ``window`` days ending on the day / segment members still in. Value: on
    the last day."""
    seg = _segment(tr, layer, day)
    inn = tr.member & seg
    series = _ratio((tr.recent_activity(window) & inn).sum(axis=1), inn.sum(axis=1))
    series[: day + 1] = np.nan
    return Value(float(series[-1]), series)


def monthly_retention(tr: Trace, month: int = MONTH) -> Value:
    """Retention over a month ending on day t: members on day t-month who are still members on day t
    / members on day t-month. Value: mean over the month ends t = month, 2 month, ... <= days.
    Series: the same ratio for every t >= month."""
    series = np.full(tr.days + 1, np.nan)
    t = np.arange(month, tr.days + 1)
    series[t] = _ratio((tr.member[t - month] & tr.member[t]).sum(axis=1), tr.member[t - month].sum(axis=1))
    ends = np.arange(month, tr.days + 1, month)
    return Value(float(np.nanmean(series[ends])) if len(ends) else float("nan"), series)


def monthly_repurchase(tr: Trace, month: int = MONTH) -> Value:
    """Months k = 1, 2, ...: days (k-1)·month+1 .. k·month. Repurchase in month k: of the members who
    bought in month k-1 and are still members at its end, the share who buy again in month k.
    Value: mean over the whole months k >= 2 of the run. Series: the month-k value on its last day."""
    series = np.full(tr.days + 1, np.nan)
    k_max = tr.days // month
    values = []
    for k in range(2, k_max + 1):
        prev = tr.bought[(k - 2) * month + 1:(k - 1) * month + 1].any(axis=0) & tr.member[(k - 1) * month]
        again = tr.bought[(k - 1) * month + 1:k * month + 1].any(axis=0) & prev
        values.append(float(_ratio(again.sum(), prev.sum())))
        series[k * month] = values[-1]
    return Value(float(np.nanmean(values)) if values else float("nan"), series)


def referrer_share(tr: Trace) -> Value:
    """Everyone who was a member during the run (seeds included): the share who brought in at least
    one new member (an invitation they were credited with was accepted). Series: the same share
    on the people who were members by each day, counting referrals up to that day."""
    m = tr.model
    first = np.full(tr.n, tr.days + 1, dtype=np.int64)  # day of each person's first credited referral
    joined_by_referral = np.flatnonzero(m.referrer >= 0)
    np.minimum.at(first, m.referrer[joined_by_referral], m.joined[joined_by_referral])
    ever_by = np.maximum.accumulate(tr.member, axis=0)
    days = np.arange(tr.days + 1)[:, None]
    series = _ratio((ever_by & (first[None, :] <= days)).sum(axis=1), ever_by.sum(axis=1))
    return Value(float(series[-1]), series)


MEASURES: dict[str, Callable[..., Value]] = {
    "weekly_active_share": weekly_active_share,
    "daily_interactions": daily_interactions,
    "core_participation": core_participation,
    "wakeup_rate": wakeup_rate,
    "silent_list_wakeup": silent_list_wakeup,
    "cohort_active_share": cohort_active_share,
    "cohort_repurchase": cohort_repurchase,
    "layer_retention": layer_retention,
    "layer_conversion": layer_conversion,
    "segment_monthly_active": segment_monthly_active,
    "monthly_retention": monthly_retention,
    "monthly_repurchase": monthly_repurchase,
    "referrer_share": referrer_share,
}

__all__ = ["MEASURES", "MONTH", "Trace", "Value", "run_trace", "CORE", "DORMANT", "POTENTIAL"]
