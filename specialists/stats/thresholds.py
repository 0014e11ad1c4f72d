"""Histogram thresholds that can be gathered across tiles (Otsu on a fixed-range histogram), and
how clearly a histogram is bimodal (Ashman's D of a two-Gaussian fit)."""

from __future__ import annotations

from dataclasses import dataclass

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


ASHMAN_D_MIN = 2.0
"""Ashman et al. (1994): a mixture of two Gaussians is cleanly separated (bimodal) when D > 2."""


@dataclass(frozen=True)
class Bimodality:
    """How clearly a histogram splits into two populations.

    Attributes:
        d: Ashman's D of a two-Gaussian fit, ``sqrt(2) |m1 - m2| / sqrt(s1² + s2²)``
            (Ashman, Bird & Zepf 1994); above :data:`ASHMAN_D_MIN` the two modes are cleanly
            separated. 0 when the histogram has a single occupied side.
        separability: Otsu's (1979) separability at the threshold, between-class variance over
            total variance (0-1). A single Gaussian split at its mean already gives 0.64, so it
            is reported for information, not used to decide.
        means: Means of the low and high components (histogram units).
        sds: Standard deviations of the low and high components.
        weights: Shares (0-1) of the low and high components.
    """

    d: float
    separability: float
    means: tuple[float, float]
    sds: tuple[float, float]
    weights: tuple[float, float]

    @property
    def bimodal(self) -> bool:
        """True when Ashman's D exceeds :data:`ASHMAN_D_MIN`."""
        return self.d > ASHMAN_D_MIN


def _side_moments(c: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    w = float(c.sum())
    mu = float((c * x).sum() / w)
    return w, mu, float((c * (x - mu) ** 2).sum() / w)


def bimodality(counts: np.ndarray, centres: np.ndarray, threshold: float,
               iterations: int = 500) -> Bimodality:
    """Ashman's D of a two-Gaussian mixture fitted to a histogram, and Otsu's separability.

    D is a property of a two-component mixture, so it is computed on a mixture fitted by
    expectation-maximisation to the binned counts (started from the two sides of
    ``threshold``), not on the two sides themselves: cutting a single Gaussian at its mean
    gives truncated halves with D = 2.65, which would call every histogram bimodal.

    Args:
        counts: Histogram counts.
        centres: Bin centres.
        threshold: The split (e.g. Otsu's threshold) the fit starts from.
        iterations: Most EM iterations (it stops earlier once the log-likelihood settles).
    """
    c = np.asarray(counts, dtype=np.float64)
    x = np.asarray(centres, dtype=np.float64)
    low = x < threshold
    if c[low].sum() == 0 or c[~low].sum() == 0:
        return Bimodality(0.0, 0.0, (float("nan"),) * 2, (float("nan"),) * 2, (float("nan"),) * 2)
    (w0, m0, v0), (w1, m1, v1) = _side_moments(c[low], x[low]), _side_moments(c[~low], x[~low])
    total = w0 + w1
    var_t = _side_moments(c, x)[2]
    separability = (w0 * w1 / total**2) * (m0 - m1) ** 2 / var_t if var_t > 0 else 0.0
    floor = (float(np.median(np.diff(x))) if x.size > 1 else 1.0) ** 2 / 12.0
    keep = c > 0
    c, x = c[keep], x[keep]
    w = np.array([w0, w1]) / total
    mu = np.array([m0, m1])
    var = np.maximum(np.array([v0, v1]), floor)
    previous = -np.inf
    for _ in range(iterations):
        dens = w[:, None] * np.exp(-((x[None] - mu[:, None]) ** 2) / (2 * var[:, None]))
        dens /= np.sqrt(2 * np.pi * var[:, None])
        mix = np.maximum(dens.sum(axis=0), 1e-300)
        resp = dens / mix
        nk = np.maximum((resp * c).sum(axis=1), 1e-12)
        w = nk / nk.sum()
        mu = (resp * c * x).sum(axis=1) / nk
        var = np.maximum((resp * c * (x[None] - mu[:, None]) ** 2).sum(axis=1) / nk, floor)
        loglik = float((c * np.log(mix)).sum())
        if loglik - previous < 1e-9 * abs(loglik):
            break
        previous = loglik
    order = np.argsort(mu)
    mu, sd, w = mu[order], np.sqrt(var[order]), w[order]
    d = float(np.sqrt(2.0) * abs(mu[1] - mu[0]) / np.sqrt(var.sum()))
    return Bimodality(d, float(separability), (float(mu[0]), float(mu[1])),
                      (float(sd[0]), float(sd[1])), (float(w[0]), float(w[1])))
