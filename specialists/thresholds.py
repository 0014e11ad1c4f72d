"""Histogram thresholds that can be gathered across tiles (Otsu on a fixed-range histogram)."""

from __future__ import annotations

import numpy as np


class StreamingHistogram:
    """A fixed-range histogram that tiles add to, so a scene-wide threshold never needs the
    whole scene in memory.

    Args:
        low: Lower edge of the range (values below are clipped into the first bin).
        high: Upper edge of the range.
        bins: Number of bins.
    """

    def __init__(self, low: float, high: float, bins: int = 1024) -> None:
        if not high > low:
            raise ValueError(f"histogram range must have high > low (got {low}, {high})")
        self.low, self.high, self.bins = float(low), float(high), int(bins)
        self.counts = np.zeros(self.bins, dtype=np.int64)

    @property
    def edges(self) -> np.ndarray:
        """Bin edges (bins + 1 values)."""
        return np.linspace(self.low, self.high, self.bins + 1)

    @property
    def centres(self) -> np.ndarray:
        """Bin centres."""
        e = self.edges
        centres: np.ndarray = (e[:-1] + e[1:]) / 2.0
        return centres

    def add(self, values: np.ndarray) -> None:
        """Add finite values (any shape; NaN and inf are ignored)."""
        v = np.asarray(values, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        if v.size == 0:
            return
        idx = ((np.clip(v, self.low, self.high) - self.low) / (self.high - self.low) * self.bins)
        self.counts += np.bincount(np.minimum(idx.astype(np.int64), self.bins - 1),
                                   minlength=self.bins)

    @property
    def total(self) -> int:
        """Number of values added."""
        return int(self.counts.sum())

    def otsu(self) -> float:
        """Otsu's threshold (maximises between-class variance)."""
        return otsu_from_histogram(self.counts, self.centres)

    def quantile(self, q: float) -> float:
        """Approximate quantile ``q`` in [0, 1] (bin resolution)."""
        if self.total == 0:
            return float("nan")
        cdf = np.cumsum(self.counts) / self.total
        return float(self.centres[min(int(np.searchsorted(cdf, q)), self.bins - 1)])


def otsu_from_histogram(counts: np.ndarray, centres: np.ndarray) -> float:
    """Otsu's threshold from histogram counts and bin centres.

    Returns:
        The value that best splits the histogram in two (NaN when it is empty).
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts / total
    w0 = np.cumsum(p)
    mu = np.cumsum(p * centres)
    mu_t = mu[-1]
    w1 = 1.0 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu_t * w0 - mu) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1.0
    k = int(np.argmax(between))
    return float((centres[k] + centres[min(k + 1, len(centres) - 1)]) / 2.0)


def otsu(values: np.ndarray, bins: int = 1024) -> float:
    """Otsu's threshold of an in-memory array (finite values only)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return lo
    h = StreamingHistogram(lo, hi, bins)
    h.add(v)
    return h.otsu()
