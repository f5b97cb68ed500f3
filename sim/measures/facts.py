"""The stylized facts of real online groups, measured on runs (issue 19; docs/facts.md).

Each function takes what a run gives (its member table, ``Run.members``, or counts an observer
kept) and returns plain numbers; ``experiments/facts.py`` runs the model and reports them against
the facts' criteria. None of these is a target of the model: they are checks of what emerges.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats


def top_shares(interactions: np.ndarray, tops=(0.01, 0.10, 0.20)) -> dict[str, float]:
    """Participation inequality: the share of all interactions made by the top 1%, 10%, 20% of the members
    (everyone who was a member, ranked by interactions; a top share of n members is its ceil)."""
    x = np.sort(np.asarray(interactions, dtype=np.float64))[::-1]
    total = x.sum()
    return {f"top_{round(t * 100)}": float(x[:int(np.ceil(t * len(x)))].sum() / total) if total else 0.0
            for t in tops}


def tenures(joined: np.ndarray, left: np.ndarray, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Each member's tenure in days and whether it ended by leaving (else censored at day ``end``);
    ``left``: the day of leaving, or a negative number / NaN while still a member."""
    left = np.asarray(left, dtype=np.float64)
    gone = np.isfinite(left) & (left >= 0)
    t = np.where(gone, left, end) - np.asarray(joined, dtype=np.float64)
    return t, gone


def hazard(t: np.ndarray, gone: np.ndarray, first: int, last: int) -> float:
    """Daily hazard of leaving in tenure days ``first``..``last``: leavers in them / member-days at risk in them."""
    at_risk = np.clip(np.minimum(t, last) - (first - 1), 0, None).sum()
    events = np.count_nonzero(gone & (t >= first) & (t <= last))
    return float(events / at_risk) if at_risk else float("nan")


def tenure_fits(t: np.ndarray, gone: np.ndarray) -> dict[str, float]:
    """AIC of an exponential, a lognormal and a Lomax (power-law tail) fit of the tenures, right-censored
    (maximum likelihood; tenures of 0 days count as half a day)."""
    t = np.maximum(np.asarray(t, dtype=np.float64), 0.5)
    d = np.asarray(gone, dtype=bool)
    n_events = d.sum()
    out = {"exponential": 2 * 1 - 2 * (n_events * np.log(n_events / t.sum()) - n_events) if n_events else np.nan}

    def fit(nll, x0):
        res = optimize.minimize(nll, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-8})
        return 2 * len(x0) + 2 * res.fun

    def lognormal(p):
        mu, log_s = p
        z = (np.log(t) - mu) / np.exp(log_s)
        return -(stats.norm.logpdf(z[d]) - log_s - np.log(t[d])).sum() - stats.norm.logsf(z[~d]).sum()

    def lomax(p):
        log_a, log_l = p
        a, lam = np.exp(log_a), np.exp(log_l)
        return -(np.log(a / lam) - (a + 1) * np.log1p(t[d] / lam)).sum() + (a * np.log1p(t[~d] / lam)).sum()

    logs = np.log(t)
    out["lognormal"] = fit(lognormal, [logs.mean(), np.log(logs.std() + 1e-3)]) if n_events else np.nan
    out["lomax"] = fit(lomax, [0.0, np.log(t.mean())]) if n_events else np.nan
    return out


def tree_sizes(person: np.ndarray, referrer: np.ndarray) -> np.ndarray:
    """Sizes of the referral trees: every member without a referrer (a day-0 or organic member) roots a
    tree of everyone brought in by it, directly or down a chain of referrals."""
    person = np.asarray(person, dtype=np.int64)
    ref = np.asarray(referrer, dtype=np.float64)
    order = np.argsort(person)
    known = np.isfinite(ref)
    at = np.minimum(np.searchsorted(person, np.where(known, ref, -1).astype(np.int64), sorter=order), len(person) - 1)
    parent = np.where(known & (person[order[at]] == np.where(known, ref, -1)), order[at], -1) if len(person) \
        else np.zeros(0, dtype=np.int64)  # the row of each member's referrer, -1 for none (or not a member)
    root = np.arange(len(person))
    todo = np.flatnonzero(parent >= 0)
    root[todo] = parent[todo]
    while True:  # follow each chain to its root (pointer jumping)
        up = parent[root]
        move = up >= 0
        if not move.any():
            break
        root[move] = up[move]
    return np.bincount(root, minlength=len(person))[parent < 0]


def power_fit(exposed: np.ndarray, joined: np.ndarray, ks=range(1, 11)) -> dict[str, float]:
    """The exponent alpha of P(k) = c k^alpha, the daily chance an outsider with k member friends joins,
    by maximum likelihood (joins of the outsiders exposed at each k are binomial), over ``ks``."""
    k = np.array(list(ks), dtype=np.float64)
    n, j = np.asarray(exposed, dtype=np.float64)[list(ks)], np.asarray(joined, dtype=np.float64)[list(ks)]

    def nll(p):
        q = np.clip(np.exp(p[0] + p[1] * np.log(k)), 1e-12, 1 - 1e-12)
        return -(j * np.log(q) + (n - j) * np.log1p(-q)).sum()

    share = j.sum() / max(n.sum(), 1)
    res = optimize.minimize(nll, [np.log(max(share, 1e-6)), 0.5], method="Nelder-Mead")
    return {"alpha": float(res.x[1]), "c": float(np.exp(res.x[0]))}
