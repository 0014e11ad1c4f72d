"""Trend statistics of a short time series: OLS slope, Mann-Kendall test, Sen's slope.

Pure numpy / math. Times are decimal years (or any unit: slopes come out per that unit).
The Mann-Kendall p value uses the normal approximation with the tie-corrected variance and a
continuity correction; for fewer than about 10 dates it is approximate (and with 3 or fewer
dates no p value below 0.05 is reachable at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Series = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class OLSFit:
    """Ordinary least-squares line ``y = intercept + slope * t``.

    Attributes:
        slope: Change of ``y`` per unit of ``t``.
        intercept: ``y`` at ``t = 0``.
        slope_stderr: Standard error of the slope (None with 2 points: no residual freedom).
        r2: Coefficient of determination (None when ``y`` is constant).
    """

    slope: float
    intercept: float
    slope_stderr: float | None
    r2: float | None


@dataclass(frozen=True)
class MannKendall:
    """Mann-Kendall trend test.

    Attributes:
        s: The S statistic (sum of signs of all later-minus-earlier differences).
        var_s: Variance of S under no trend, corrected for tied values.
        z: Standardised statistic with continuity correction.
        p: Two-sided p value (normal approximation).
        tau: Kendall's tau-a, ``S / (n (n - 1) / 2)``.
    """

    s: int
    var_s: float
    z: float
    p: float
    tau: float


@dataclass(frozen=True)
class TrendStats:
    """Everything :func:`analyse` computes for one series."""

    n: int
    ols: OLSFit
    mk: MannKendall
    sen_slope: float
    sen_intercept: float


def _as_arrays(t: Series, y: Series) -> tuple[np.ndarray, np.ndarray]:
    ta, ya = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if ta.shape != ya.shape or ta.ndim != 1:
        raise ValueError(f"times and values must be 1-D and equally long ({ta.shape}, {ya.shape})")
    if ta.size < 2:
        raise ValueError(f"a trend needs at least 2 points (got {ta.size})")
    if not (np.all(np.isfinite(ta)) and np.all(np.isfinite(ya))):
        raise ValueError("times and values must be finite numbers")
    if np.unique(ta).size != ta.size:
        raise ValueError("times must be distinct")
    return ta, ya


def ols(t: Series, y: Series) -> OLSFit:
    """Least-squares line through ``(t, y)`` with the standard error of its slope.

    Args:
        t: Times (distinct).
        y: Values.

    Returns:
        The fit; ``slope_stderr`` is None for 2 points.
    """
    ta, ya = _as_arrays(t, y)
    n = ta.size
    tm, ym = ta.mean(), ya.mean()
    sxx = float(np.sum((ta - tm) ** 2))
    slope = float(np.sum((ta - tm) * (ya - ym)) / sxx)
    intercept = float(ym - slope * tm)
    resid = ya - (intercept + slope * ta)
    sse = float(np.sum(resid**2))
    sst = float(np.sum((ya - ym) ** 2))
    stderr = math.sqrt(sse / (n - 2) / sxx) if n > 2 else None
    r2 = 1.0 - sse / sst if sst > 0 else None
    return OLSFit(slope=slope, intercept=intercept, slope_stderr=stderr, r2=r2)


def mann_kendall(y: Series) -> MannKendall:
    """Mann-Kendall test for a monotonic trend in ``y`` (in time order).

    Args:
        y: Values ordered by time.

    Returns:
        S, its tie-corrected variance, Z (continuity-corrected) and the two-sided p value.
    """
    ya = np.asarray(y, dtype=float)
    n = ya.size
    if n < 2:
        raise ValueError(f"Mann-Kendall needs at least 2 values (got {n})")
    diff = ya[np.newaxis, :] - ya[:, np.newaxis]  # diff[i, j] = y[j] - y[i]
    s = int(np.sum(np.sign(diff[np.triu_indices(n, k=1)])))
    _, ties = np.unique(ya, return_counts=True)
    tie_term = float(np.sum(ties * (ties - 1) * (2 * ties + 5)))
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    z = 0.0 if var_s <= 0 or s == 0 else (s - 1 if s > 0 else s + 1) / math.sqrt(var_s)
    p = math.erfc(abs(z) / math.sqrt(2.0))
    tau = s / (n * (n - 1) / 2.0)
    return MannKendall(s=s, var_s=var_s, z=z, p=min(1.0, p), tau=tau)


def sens_slope(t: Series, y: Series) -> tuple[float, float]:
    """Sen's (Theil-Sen) slope: the median of all pairwise slopes, and its intercept.

    Args:
        t: Times (distinct).
        y: Values.

    Returns:
        ``(slope, intercept)`` with intercept = median(y - slope * t).
    """
    ta, ya = _as_arrays(t, y)
    i, j = np.triu_indices(ta.size, k=1)
    slopes = (ya[j] - ya[i]) / (ta[j] - ta[i])
    slope = float(np.median(slopes))
    return slope, float(np.median(ya - slope * ta))


def analyse(t: Series, y: Series) -> TrendStats:
    """OLS, Mann-Kendall and Sen's slope of a series sorted by time.

    Args:
        t: Times (distinct; sorted into order here).
        y: Values aligned with ``t``.
    """
    ta, ya = _as_arrays(t, y)
    order = np.argsort(ta)
    ta, ya = ta[order], ya[order]
    slope, intercept = sens_slope(ta, ya)
    return TrendStats(n=int(ta.size), ols=ols(ta, ya), mk=mann_kendall(ya), sen_slope=slope,
                      sen_intercept=intercept)


def direction_text(stats: TrendStats, alpha: float = 0.05) -> str:
    """Plain words for the trend, e.g. ``"decreasing, significant at 5 %"``.

    The direction is the sign of the Mann-Kendall S (the sign of Sen's slope when S is 0).

    Args:
        stats: Result of :func:`analyse`.
        alpha: Significance level.
    """
    s = stats.mk.s
    sign = s if s != 0 else (np.sign(stats.sen_slope) if stats.sen_slope else 0)
    if sign == 0:
        return f"no trend (Mann-Kendall S = 0, p = {stats.mk.p:.2f})"
    word = "increasing" if sign > 0 else "decreasing"
    level = f"{alpha * 100:g} %"
    if stats.mk.p < alpha:
        return f"{word}, significant at {level} (Mann-Kendall p = {stats.mk.p:.3g})"
    return f"{word} but not significant at {level} (Mann-Kendall p = {stats.mk.p:.2f})"
