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

With fewer than 2 values the interval is NaN (no spread to estimate). The t quantile is scipy's
(``scipy.stats.t``); its ``t.interval`` is not used because its bounds differ from ``mean +- half``
in the last bits, and the committed tables were computed as ``mean +- half``.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
from scipy.stats import t as student_t


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
    return float(student_t.ppf((1 + level) / 2, df)) if df >= 1 else math.nan


def half_width(sd, n: int, level: float = 0.95, scale=1.0):
    """Half the width of the t-interval of a mean of ``n`` values with sample standard deviation ``sd``
    (a number or an array: one interval per element), ``t(n-1) * sd / (sqrt(n) * scale)``; the one
    definition behind every interval of the experiments, their figures' bands and the validation's."""
    return t_quantile(n - 1, level) * sd / (math.sqrt(n) * scale)


def _finite(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def _interval(center: float, sd: float, n: int, level: float, scale: float = 1.0) -> Estimate:
    if n < 2:
        return Estimate(center, math.nan, math.nan, n)
    half = half_width(sd, n, level, scale)
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
    """Difference of means ``mean(a) - mean(b)`` of independent samples, Welch t-interval
    (``scipy.stats.ttest_ind``)."""
    from scipy.stats import ttest_ind

    a, b = _finite(a), _finite(b)
    n = min(len(a), len(b))
    center = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
    if n < 2:
        return Estimate(center, math.nan, math.nan, n)
    ci = ttest_ind(a, b, equal_var=False).confidence_interval(level)
    return Estimate(center, float(ci.low), float(ci.high), n)
