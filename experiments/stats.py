"""Small, pure statistics for comparing experiment arms over seeds.

Every function takes plain sequences of numbers (one value per seed), ignores non-finite values
(NaN, inf) and returns an ``Estimate``: the point estimate and the bounds of a two-sided ``level``
confidence interval (95% by default). Definitions, as in docs/experiments.md:

* ``mean_ci(x)``: mean of x with the t-interval ``mean +- t(level, n-1) * sd / sqrt(n)``
  (sd: sample standard deviation, n - 1 in the denominator).
* ``paired_diff(a, b)``: the per-seed differences ``d_i = a_i - b_i`` (arm minus baseline, same
  seed i: common random numbers), their mean and its t-interval. Seeds missing in either arm are
  dropped from both.
* ``relative_change(a, b)``: ``100 * (mean(a) / mean(b) - 1)`` in %, with a paired delta-method
  (ratio-estimator) t-interval: ``se = sd(a_i - R b_i) / (sqrt(n) * mean(b))``, ``R = mean(a) / mean(b)``.
  Defined only for ratio-scale metrics: every value >= 0 and mean(b) > 0; NaN otherwise.

With fewer than 2 values the interval is NaN (no spread to estimate).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

# Two-sided 95% t quantiles t(0.975, df) for df = 1..30, used when scipy is missing.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


class Estimate(NamedTuple):
    """A point estimate with the bounds of its confidence interval, and the number of values used."""
    value: float
    low: float
    high: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0 (a difference 'significant' at the level)."""
        return bool(self.low > 0 or self.high < 0)


def t_quantile(df: float, level: float = 0.95) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom, t((1+level)/2, df)."""
    if df < 1:
        return math.nan
    try:
        from scipy.stats import t
        return float(t.ppf((1 + level) / 2, df))
    except ImportError:  # pragma: no cover - scipy comes with mesa
        if level != 0.95:
            raise ValueError("without scipy only level=0.95 is available") from None
        df = int(df)  # conservative: round the degrees of freedom down
        return _T975[df - 1] if df <= len(_T975) else 1.960 + 2.4 / df  # Cornish-Fisher tail, < 0.002 off


def _finite(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def _interval(center: float, sd: float, n: int, level: float, scale: float = 1.0) -> Estimate:
    if n < 2:
        return Estimate(center, math.nan, math.nan, n)
    half = t_quantile(n - 1, level) * sd / (math.sqrt(n) * scale)
    return Estimate(center, center - half, center + half, n)


def mean_ci(x: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean of ``x`` with its t confidence interval."""
    a = _finite(x)
    if len(a) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    return _interval(float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else math.nan, len(a), level)


def _pairs(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples need the same seeds: {a.shape} vs {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def paired_diff(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean of the per-seed differences ``a_i - b_i`` with its t confidence interval."""
    a, b = _pairs(a, b)
    return mean_ci(a - b, level)


def relative_change(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Estimate:
    """Relative change of the mean of ``a`` over the mean of ``b`` in %, paired delta-method interval."""
    a, b = _pairs(a, b)
    n = len(a)
    if n == 0 or (a < 0).any() or (b < 0).any() or b.mean() <= 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    ratio = a.mean() / b.mean()
    sd = float(np.std(a - ratio * b, ddof=1)) if n > 1 else math.nan
    est = _interval(ratio, sd, n, level, scale=float(b.mean()))
    return Estimate(*(100 * (v - 1) for v in est[:3]), n)


def unpaired_diff(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Estimate:
    """Difference of means ``mean(a) - mean(b)`` of independent samples, Welch t-interval."""
    a, b = _finite(a), _finite(b)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return Estimate(a.mean() - b.mean() if na and nb else math.nan, math.nan, math.nan, min(na, nb))
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if se > 0 else na + nb - 2
    center = float(a.mean() - b.mean())
    half = t_quantile(max(1.0, df), level) * se
    return Estimate(center, center - half, center + half, min(na, nb))
