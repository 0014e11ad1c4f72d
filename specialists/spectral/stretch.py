"""Contrast stretches to 8 bits whose statistics can be gathered tile by tile.

A stretch needs scene-wide limits (a 2-98 % percentile range or the min/max) but a tile sees
only its own pixels, so the limits come from accumulators that tiles add to:
:class:`StreamingMoments` (count, mean, standard deviation, min, max per channel) and
:class:`specialists.stats.thresholds.StreamingHistogram` (one per channel) for percentiles.

Histogram ranges are decided before the histogram pass, from the data type (integers:
one bin per value, exact) or from the moments (floats: mean +/- 8 standard deviations, which
by Chebyshev's inequality always contains the 2 % and 98 % quantiles).

Output convention: valid pixels map to 1..255 and 0 is reserved for nodata.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from specialists.stats.thresholds import StreamingHistogram

LOW_PERCENT = 2.0
"""Lower percentile (%) of the default robust stretch."""
HIGH_PERCENT = 98.0
"""Upper percentile (%) of the default robust stretch."""
CHEBYSHEV_K = 8.0
"""Half-width of float histogram ranges in standard deviations (1/k^2 < 2 %)."""
FLOAT_BINS = 65536
"""Bins of a histogram over a float range."""

HistRange = tuple[float, float, int]
"""``(low, high, bins)`` of one channel's histogram."""


class StreamingMoments:
    """Per-channel count, mean, standard deviation, min and max, added to tile by tile.

    Sums are kept in float64 around a shift (the first tile's mean) so that the variance
    does not suffer from cancellation.

    Args:
        channels: Number of channels.
    """

    def __init__(self, channels: int) -> None:
        self.channels = int(channels)
        self.count = np.zeros(self.channels, dtype=np.int64)
        self._shift = np.full(self.channels, np.nan)
        self._sum = np.zeros(self.channels)
        self._sumsq = np.zeros(self.channels)
        self.min = np.full(self.channels, np.inf)
        self.max = np.full(self.channels, -np.inf)

    def add(self, values: np.ndarray) -> None:
        """Add a ``(channels, ...)`` array; NaN and inf are ignored."""
        v = np.asarray(values, dtype=np.float64).reshape(self.channels, -1)
        for c in range(self.channels):
            x = v[c][np.isfinite(v[c])]
            if x.size == 0:
                continue
            if not np.isfinite(self._shift[c]):
                self._shift[c] = float(x.mean())
            d = x - self._shift[c]
            self.count[c] += x.size
            self._sum[c] += float(d.sum())
            self._sumsq[c] += float(np.dot(d, d))
            self.min[c] = min(self.min[c], float(x.min()))
            self.max[c] = max(self.max[c], float(x.max()))

    @property
    def mean(self) -> np.ndarray:
        """Mean per channel (NaN where a channel has no values)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = self._shift + self._sum / self.count
        return out

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation per channel (NaN where a channel has no values)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            m = self._sum / self.count
            var = np.maximum(self._sumsq / self.count - m * m, 0.0)
        out: np.ndarray = np.sqrt(var)
        return out


def _nice_floor(x: float, step: float) -> float:
    return math.floor(x / step) * step


def _nice_ceil(x: float, step: float) -> float:
    return math.ceil(x / step) * step


def nice_range(low: float, high: float) -> tuple[float, float]:
    """Widen ``[low, high]`` outwards to multiples of a round step (about 1/1000 of its width).

    Rounding makes the range (and so the histogram bins) identical when it is computed from
    sums taken in a different order, e.g. over another tiling.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"range must be finite (got {low}, {high})")
    if high <= low:
        pad = max(abs(low) * 1e-3, 1e-6)
        low, high = low - pad, high + pad
    step = 10.0 ** math.floor(math.log10((high - low) / 1000.0))
    return _nice_floor(low, step), _nice_ceil(high, step)


def moment_ranges(moments: StreamingMoments, k: float = CHEBYSHEV_K,
                  bins: int = FLOAT_BINS) -> list[HistRange]:
    """Histogram ranges from moments: ``[mean - k*std, mean + k*std]`` clipped to min/max.

    Chebyshev's inequality puts at most ``1/k**2`` of the values outside the range, so for
    ``k = 8`` (1.6 %) the 2 % and 98 % quantiles always fall inside it.

    Raises:
        ValueError: A channel has no finite values.
    """
    out = []
    for c in range(moments.channels):
        if moments.count[c] == 0:
            raise ValueError(f"channel {c + 1} has no valid values")
        mean, std = float(moments.mean[c]), float(moments.std[c])
        low = max(float(moments.min[c]), mean - k * std)
        high = min(float(moments.max[c]), mean + k * std)
        lo, hi = nice_range(low, high)
        out.append((lo, hi, bins))
    return out


def integer_range(dtype: str | np.dtype[np.generic]) -> HistRange | None:
    """One bin per integer value for 8- and 16-bit integer types (exact quantiles), else None."""
    dt = np.dtype(dtype)
    if dt.kind not in "iu" or dt.itemsize > 2:
        return None
    info = np.iinfo(dt)
    return float(info.min) - 0.5, float(info.max) + 0.5, int(info.max) - int(info.min) + 1


def new_histograms(ranges: Sequence[HistRange]) -> list[StreamingHistogram]:
    """One empty histogram per channel."""
    return [StreamingHistogram(lo, hi, bins) for lo, hi, bins in ranges]


def add_to_histograms(hists: Sequence[StreamingHistogram], values: np.ndarray) -> None:
    """Add a ``(channels, ...)`` array to the per-channel histograms (NaN ignored)."""
    for c, h in enumerate(hists):
        h.add(values[c])


def percentile_limits(hists: Sequence[StreamingHistogram], low_pct: float = LOW_PERCENT,
                      high_pct: float = HIGH_PERCENT) -> list[tuple[float, float]]:
    """``(low, high)`` per channel at the given percentiles (in %, bin resolution)."""
    return [(h.quantile(low_pct / 100.0), h.quantile(high_pct / 100.0)) for h in hists]


def scale_to_uint8(values: np.ndarray, limits: Sequence[tuple[float, float]]) -> np.ndarray:
    """Map ``(channels, rows, cols)`` values linearly from ``[low, high]`` to 1..255.

    Values outside the limits saturate at 1 or 255. A pixel that is NaN in any channel is 0
    in every channel. A channel whose limits are equal maps to 128.

    Returns:
        uint8 array of the same shape.
    """
    v = np.asarray(values, dtype=np.float64)
    invalid = ~np.isfinite(v).all(axis=0)
    out = np.empty(v.shape, dtype=np.uint8)
    for c, (low, high) in enumerate(limits):
        if not high > low:
            out[c] = 128
            continue
        with np.errstate(invalid="ignore"):
            scaled = 1.0 + (v[c] - low) * (254.0 / (high - low))
        out[c] = np.clip(np.rint(np.nan_to_num(scaled, nan=1.0)), 1, 255).astype(np.uint8)
    out[:, invalid] = 0
    return out


def clip_to_uint8(values: np.ndarray) -> np.ndarray:
    """No stretch: round values and clip them to 1..255 (NaN in any channel -> 0)."""
    v = np.asarray(values, dtype=np.float64)
    invalid = ~np.isfinite(v).all(axis=0)
    out = np.clip(np.rint(np.nan_to_num(v, nan=1.0)), 1, 255).astype(np.uint8)
    out[:, invalid] = 0
    return out


def percentile_stretch(
    values: np.ndarray, low_pct: float = LOW_PERCENT, high_pct: float = HIGH_PERCENT
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """In-memory percentile stretch of a small ``(channels, rows, cols)`` array.

    Uses ``np.nanpercentile`` per channel over pixels valid in every channel; meant for
    arrays that fit in memory (previews, tests). Tools use the streaming accumulators.

    Returns:
        The uint8 image and the ``(low, high)`` limits per channel.
    """
    v = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(v).all(axis=0)
    limits = []
    for c in range(v.shape[0]):
        x = v[c][valid]
        if x.size == 0:
            limits.append((0.0, 0.0))
            continue
        lo, hi = np.percentile(x, [low_pct, high_pct])
        limits.append((float(lo), float(hi)))
    return scale_to_uint8(v, limits), limits
