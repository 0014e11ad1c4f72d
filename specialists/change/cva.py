"""Change vector analysis (CVA): per-pixel magnitude of the before/after difference vector.

Pure numpy. Callers feed windows of a co-registered pair one at a time:

1. :class:`DifferenceMoments` gathers per-band mean, standard deviation and range of the
   difference ``after - before`` (from every window, or from a sample of windows), which gives
   the optional per-band standardisation and an upper bound of the magnitude.
2. :func:`change_magnitude` turns a window pair into the Euclidean norm of the (optionally
   standardised) difference vector.
3. :class:`MagnitudeQuantiser` codes magnitudes as uint16 (one code = one histogram bin) and
   gathers the scene-wide histogram, so that Otsu's threshold needs no second read of the pair
   and the codes can be thresholded later (:func:`change_mask`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter

from specialists.stats.thresholds import Bimodality, StreamingHistogram, bimodality

NODATA_CODE = 65535
"""uint16 code of pixels without a valid magnitude (nodata in either scene)."""
LEVELS = 65535
"""Number of magnitude codes (0 .. LEVELS - 1); each is one histogram bin."""
MASK_NODATA = 255
"""Value of nodata pixels in a change mask (1 = change, 0 = no change)."""


def valid_pixels(data: np.ndarray, nodata: float | None = None) -> np.ndarray:
    """Pixels whose every band is finite and differs from ``nodata``.

    Args:
        data: Window (bands, rows, cols) of any numeric dtype.
        nodata: Nodata value of the scene (None or NaN: only non-finite values are invalid).

    Returns:
        Boolean array (rows, cols).
    """
    valid = np.ones(data.shape[1:], dtype=bool)
    floating = np.issubdtype(data.dtype, np.floating)
    has_nodata = nodata is not None and not math.isnan(nodata)
    for band in data:
        if floating:
            valid &= np.isfinite(band)
        if has_nodata:
            valid &= band != nodata
    return valid


class DifferenceMoments:
    """Per-band count, mean, standard deviation and range of ``after - before``.

    Args:
        bands: Number of bands of both scenes.
    """

    def __init__(self, bands: int) -> None:
        self.bands = int(bands)
        self.count = 0
        self._sum = np.zeros(self.bands)
        self._sumsq = np.zeros(self.bands)
        self.low = np.full(self.bands, np.inf)
        self.high = np.full(self.bands, -np.inf)

    def add(self, before: np.ndarray, after: np.ndarray, valid: np.ndarray) -> None:
        """Add one window pair.

        Args:
            before: Window (bands, rows, cols) of the earlier scene.
            after: The same window of the later scene on the same grid.
            valid: Boolean (rows, cols): pixels valid in both scenes.
        """
        n = int(valid.sum())
        if n == 0:
            return
        self.count += n
        for b in range(self.bands):
            d = np.subtract(after[b][valid], before[b][valid], dtype=np.float64)
            self._sum[b] += d.sum()
            self._sumsq[b] += np.dot(d, d)
            self.low[b] = min(self.low[b], float(d.min()))
            self.high[b] = max(self.high[b], float(d.max()))

    def merge(self, other: DifferenceMoments) -> None:
        """Add the pixels another accumulator gathered (e.g. from another window)."""
        self.count += other.count
        self._sum += other._sum
        self._sumsq += other._sumsq
        self.low = np.minimum(self.low, other.low)
        self.high = np.maximum(self.high, other.high)

    @property
    def mean(self) -> np.ndarray:
        """Mean difference per band (pixel value units; NaN before any pixel was added)."""
        if self.count == 0:
            return np.full(self.bands, np.nan)
        return np.asarray(self._sum / self.count)

    @property
    def std(self) -> np.ndarray:
        """Standard deviation of the difference per band (pixel value units)."""
        if self.count == 0:
            return np.full(self.bands, np.nan)
        var = self._sumsq / self.count - self.mean**2
        return np.asarray(np.sqrt(np.maximum(var, 0.0)))

    def scaling(self, standardize: bool) -> tuple[np.ndarray, np.ndarray]:
        """Offset and scale per band so that ``(d - offset) * scale`` is the vector used.

        Standardising subtracts each band's mean difference (a global radiometric shift is not
        change) and divides by its standard deviation (every band weighs the same). Bands with
        no spread keep a scale of 1.
        """
        if not standardize or self.count == 0:
            return np.zeros(self.bands), np.ones(self.bands)
        std = self.std
        scale = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
        return self.mean, scale

    def magnitude_bound(self, offset: np.ndarray, scale: np.ndarray) -> float:
        """Largest magnitude the added pixels can have under ``offset`` and ``scale``.

        Returns:
            The bound (0.0 before any pixel was added).
        """
        if self.count == 0:
            return 0.0
        reach = np.maximum(np.abs(self.low - offset), np.abs(self.high - offset)) * scale
        return float(np.sqrt(np.sum(reach**2)))


def neighbourhood_range(data: np.ndarray, valid: np.ndarray,
                        radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-band minimum and maximum of the valid pixels within ``radius`` pixels (a square of
    side ``2 radius + 1``): the values a resampling of ``data`` by up to ``radius`` pixels can
    produce (nearest and bilinear interpolation never leave the range of the pixels they
    mix).

    Args:
        data: Window (bands, rows, cols).
        valid: Boolean (rows, cols) or (bands, rows, cols): pixels that take part.
        radius: Neighbourhood radius in pixels (0: the pixel itself).

    Returns:
        float32 arrays (bands, rows, cols): low and high ends (+inf / -inf where no valid
        pixel is near).
    """
    size = 2 * int(radius) + 1
    lo = np.empty(data.shape, dtype=np.float32)
    hi = np.empty(data.shape, dtype=np.float32)
    for b in range(data.shape[0]):
        band = data[b].astype(np.float32)
        ok = valid[b] if valid.ndim == 3 else valid
        lo[b] = minimum_filter(np.where(ok, band, np.inf), size=size, mode="nearest")
        hi[b] = maximum_filter(np.where(ok, band, -np.inf), size=size, mode="nearest")
    return lo, hi


def change_magnitude(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray | None = None,
    offset: np.ndarray | None = None, scale: np.ndarray | None = None,
    envelope: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Euclidean norm of the per-pixel difference vector ``(after - before - offset) * scale``.

    With ``envelope`` (the before scene's :func:`neighbourhood_range`), a band's difference is
    how far ``after - offset`` lies outside the before values around the pixel (0 inside):
    what a resampling of the same content could produce is not counted as change.

    Args:
        before: Window (bands, rows, cols) of the earlier scene (any numeric dtype).
        after: The same window of the later scene.
        valid: Boolean (rows, cols); invalid pixels get NaN (default: all valid).
        offset: Per-band offset subtracted from the difference (default 0).
        scale: Per-band factor applied after the offset (default 1).
        envelope: Low and high ends (bands, rows, cols) of the before values around each
            pixel, or None for the plain difference.

    Returns:
        float32 array (rows, cols) in the units of the (scaled) pixel values.
    """
    if before.shape != after.shape:
        raise ValueError(f"before and after windows differ in shape: {before.shape} vs "
                         f"{after.shape}")
    acc = np.zeros(before.shape[1:], dtype=np.float32)
    d = np.empty(before.shape[1:], dtype=np.float32)
    for b in range(before.shape[0]):
        if envelope is not None:
            a = after[b].astype(np.float32)
            if offset is not None and offset[b] != 0:
                a -= np.float32(offset[b])
            with np.errstate(invalid="ignore"):
                np.subtract(a, np.clip(a, envelope[0][b], envelope[1][b]), out=d)
        else:
            np.subtract(after[b], before[b], out=d, dtype=np.float32, casting="unsafe")
            if offset is not None and offset[b] != 0:
                d -= np.float32(offset[b])
        if scale is not None and scale[b] != 1:
            d *= np.float32(scale[b])
        np.multiply(d, d, out=d)
        acc += d
    np.sqrt(acc, out=acc)
    if valid is not None:
        acc[~valid] = np.nan
    return acc


class MagnitudeQuantiser:
    """Code magnitudes in ``[0, high]`` as uint16 histogram bins and gather their histogram.

    Magnitudes above ``high`` fall into the top bin; NaN becomes :data:`NODATA_CODE`.

    Args:
        high: Upper end of the coded range (> 0), e.g. a :meth:`DifferenceMoments.magnitude_bound`.
        levels: Number of codes (at most :data:`LEVELS`).
    """

    def __init__(self, high: float, levels: int = LEVELS) -> None:
        if not (high > 0 and math.isfinite(high)):
            raise ValueError(f"magnitude range must be a finite value > 0 (got {high})")
        if not 2 <= levels <= LEVELS:
            raise ValueError(f"levels must be in 2..{LEVELS} (got {levels})")
        self.high = float(high)
        self.levels = int(levels)
        self.step = self.high / self.levels
        self.histogram = StreamingHistogram(0.0, self.high, self.levels)

    def encode(self, magnitude: np.ndarray) -> np.ndarray:
        """uint16 codes of ``magnitude`` (NaN -> :data:`NODATA_CODE`)."""
        scaled = magnitude * np.float32(1.0 / self.step)
        np.clip(scaled, 0, self.levels - 1, out=scaled)
        with np.errstate(invalid="ignore"):
            codes = scaled.astype(np.uint16)
        codes[np.isnan(magnitude)] = NODATA_CODE
        return codes

    def counts(self, codes: np.ndarray) -> np.ndarray:
        """Histogram counts of coded pixels (nodata codes left out); changes no state."""
        return np.bincount(codes.ravel(), minlength=NODATA_CODE + 1)[: self.levels]

    def add(self, codes: np.ndarray) -> None:
        """Add coded pixels to the histogram (nodata codes are left out)."""
        self.add_counts(self.counts(codes))

    def add_counts(self, counts: np.ndarray) -> None:
        """Add counts made by :meth:`counts` (e.g. in another thread)."""
        self.histogram.counts += counts

    def otsu(self) -> float:
        """Otsu's threshold of the gathered magnitudes (NaN when none were added)."""
        return self.histogram.otsu()

    def bimodality(self, threshold: float, bins: int = 1024) -> Bimodality:
        """Bimodality of the magnitude histogram split at ``threshold`` (the two-Gaussian fit
        runs on ``bins`` merged bins: the codes' 65535 bins would only make it slower)."""
        counts, centres = self.histogram.counts, self.histogram.centres
        starts = np.arange(0, counts.size, max(1, -(-counts.size // bins)))
        widths = np.diff(np.append(starts, counts.size))
        return bimodality(np.add.reduceat(counts, starts),
                          np.add.reduceat(centres, starts) / widths, threshold)

    def code_of(self, threshold: float) -> int:
        """The first code counted as change for ``threshold`` (code >= it means change)."""
        return int(min(max(math.ceil(threshold / self.step - 1e-9), 0), self.levels))


def change_mask(codes: np.ndarray, first_change_code: int) -> np.ndarray:
    """uint8 change mask from magnitude codes: 1 change, 0 none, :data:`MASK_NODATA` nodata."""
    mask = (codes >= first_change_code).view(np.uint8)
    mask[codes == NODATA_CODE] = MASK_NODATA
    return mask


def mask_from_magnitude(magnitude: np.ndarray, threshold: float) -> np.ndarray:
    """uint8 change mask from magnitudes: 1 where ``magnitude >= threshold``, 255 where NaN."""
    with np.errstate(invalid="ignore"):
        mask = (magnitude >= threshold).view(np.uint8)
    mask[np.isnan(magnitude)] = MASK_NODATA
    return mask


class AreaTotals:
    """Changed, valid and total area (m²) of change masks fed window by window."""

    def __init__(self) -> None:
        self.changed_m2 = 0.0
        self.valid_m2 = 0.0
        self.grid_m2 = 0.0

    def add(self, mask: np.ndarray, row_area_m2: np.ndarray) -> None:
        """Add one window of a change mask.

        Args:
            mask: uint8 (rows, cols): 1 change, 0 none, :data:`MASK_NODATA` nodata.
            row_area_m2: Area in m² of one pixel of each row of the window.
        """
        self.changed_m2 += float(np.dot(np.count_nonzero(mask == 1, axis=1), row_area_m2))
        self.valid_m2 += float(np.dot(np.count_nonzero(mask != MASK_NODATA, axis=1),
                                      row_area_m2))
        self.grid_m2 += float(row_area_m2.sum()) * mask.shape[1]
