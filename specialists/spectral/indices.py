"""Spectral indices as pure numpy: formulas, the band roles each needs, reflectance scaling,
and running statistics that tiles add to.

Every index returns float32 with NaN where any input is NaN or the denominator is zero, so
nodata never turns into a number and no division warning is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

IndexFn = Callable[[Mapping[str, np.ndarray]], np.ndarray]

SAVI_L = 0.5
"""Soil-brightness correction of SAVI (Huete 1988), dimensionless."""
EVI_G, EVI_C1, EVI_C2, EVI_L = 2.5, 6.0, 7.5, 1.0
"""Gain, aerosol coefficients and canopy background of EVI (Huete et al. 2002), MODIS values."""

DN_REFLECTANCE_SCALE = 1.0e-4
"""Integer reflectance products (Sentinel-2 L1C/L2A, Landsat Collection-1 SR) store
reflectance x 10000."""


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float32 with NaN where ``den`` is 0 or either side is not finite."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    ok = np.isfinite(num) & np.isfinite(den) & (den != 0)
    out = np.full(np.broadcast(num, den).shape, np.nan, dtype=np.float64)
    np.divide(num, den, out=out, where=ok)
    return out.astype(np.float32)


def normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a - b) / (a + b)`` (NaN where ``a + b`` is 0)."""
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    return _ratio(a64 - b64, a64 + b64)


def savi(nir: np.ndarray, red: np.ndarray, soil: float = SAVI_L) -> np.ndarray:
    """Soil-adjusted vegetation index ``(1 + L)(NIR - red) / (NIR + red + L)`` on reflectance."""
    n = np.asarray(nir, dtype=np.float64)
    r = np.asarray(red, dtype=np.float64)
    return _ratio((1.0 + soil) * (n - r), n + r + soil)


def evi(nir: np.ndarray, red: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Enhanced vegetation index ``G (NIR - red) / (NIR + C1 red - C2 blue + L)`` on reflectance."""
    n = np.asarray(nir, dtype=np.float64)
    r = np.asarray(red, dtype=np.float64)
    b = np.asarray(blue, dtype=np.float64)
    return _ratio(EVI_G * (n - r), n + EVI_C1 * r - EVI_C2 * b + EVI_L)


@dataclass(frozen=True)
class IndexSpec:
    """One spectral index.

    Attributes:
        name: Upper-case name (NDVI, MNDWI...).
        roles: Band roles it reads, in formula order.
        formula: The formula in words, e.g. ``(NIR - red) / (NIR + red)``.
        compute: Function of a role -> array mapping.
        needs_reflectance: True when the index is not scale-invariant (SAVI, EVI), so integer
            DN-style reflectance must be scaled to 0-1 first.
        meaning: What high values mean.
    """

    name: str
    roles: tuple[str, ...]
    formula: str
    compute: IndexFn
    needs_reflectance: bool
    meaning: str


def _nd(a: str, b: str) -> IndexFn:
    return lambda bands: normalized_difference(bands[a], bands[b])


INDICES: dict[str, IndexSpec] = {
    "NDVI": IndexSpec("NDVI", ("nir", "red"), "(NIR - red) / (NIR + red)", _nd("nir", "red"),
                      False, "green vegetation (Rouse et al. 1974)"),
    "NDWI": IndexSpec("NDWI", ("green", "nir"), "(green - NIR) / (green + NIR)",
                      _nd("green", "nir"), False, "open water (McFeeters 1996)"),
    "MNDWI": IndexSpec("MNDWI", ("green", "swir1"), "(green - SWIR1) / (green + SWIR1)",
                       _nd("green", "swir1"), False, "open water, built-up suppressed (Xu 2006)"),
    "NBR": IndexSpec("NBR", ("nir", "swir2"), "(NIR - SWIR2) / (NIR + SWIR2)",
                     _nd("nir", "swir2"), False, "healthy vegetation; low after fire (Key & "
                     "Benson 2006)"),
    "NDSI": IndexSpec("NDSI", ("green", "swir1"), "(green - SWIR1) / (green + SWIR1)",
                      _nd("green", "swir1"), False, "snow and ice (Hall et al. 1995)"),
    "NDBI": IndexSpec("NDBI", ("swir1", "nir"), "(SWIR1 - NIR) / (SWIR1 + NIR)",
                      _nd("swir1", "nir"), False, "built-up and bare surfaces (Zha et al. 2003)"),
    "SAVI": IndexSpec("SAVI", ("nir", "red"), f"(1 + {SAVI_L}) (NIR - red) / (NIR + red + "
                      f"{SAVI_L})", lambda b: savi(b["nir"], b["red"]), True,
                      "vegetation with soil-brightness correction (Huete 1988)"),
    "EVI": IndexSpec("EVI", ("nir", "red", "blue"), f"{EVI_G} (NIR - red) / (NIR + {EVI_C1:g} "
                     f"red - {EVI_C2:g} blue + {EVI_L:g})",
                     lambda b: evi(b["nir"], b["red"], b["blue"]), True,
                     "vegetation, less saturated over dense canopy (Huete et al. 2002)"),
    "NDMI": IndexSpec("NDMI", ("nir", "swir1"), "(NIR - SWIR1) / (NIR + SWIR1)",
                      _nd("nir", "swir1"), False, "vegetation water content (Gao 1996; Wilson & "
                      "Sader 2002)"),
    "GNDVI": IndexSpec("GNDVI", ("nir", "green"), "(NIR - green) / (NIR + green)",
                       _nd("nir", "green"), False, "chlorophyll of green vegetation (Gitelson "
                       "et al. 1996)"),
    "NDRE": IndexSpec("NDRE", ("nir", "rededge1"), "(NIR - red edge) / (NIR + red edge)",
                      _nd("nir", "rededge1"), False, "canopy chlorophyll, less saturated over "
                      "dense crops (Barnes et al. 2000)"),
    "NDCI": IndexSpec("NDCI", ("rededge1", "red"), "(red edge - red) / (red edge + red)",
                      _nd("rededge1", "red"), False, "chlorophyll-a in turbid and productive "
                      "water (Mishra & Mishra 2012)"),
    "NDTI": IndexSpec("NDTI", ("red", "green"), "(red - green) / (red + green)",
                      _nd("red", "green"), False, "turbid water (Lacaux et al. 2007)"),
}


def index_spec(name: str) -> IndexSpec:
    """The spec of index ``name`` (case-insensitive).

    Raises:
        KeyError: Unknown index; the message lists the known ones.
    """
    try:
        return INDICES[name.upper()]
    except KeyError:
        raise KeyError(f"unknown index {name!r}; known: {', '.join(INDICES)}") from None


def compute_index(name: str, bands: Mapping[str, np.ndarray]) -> np.ndarray:
    """Compute index ``name`` from role arrays (NaN marks nodata) as float32."""
    spec = index_spec(name)
    return spec.compute({r: np.asarray(bands[r], dtype=np.float32) for r in spec.roles})


@dataclass(frozen=True)
class ReflectanceScale:
    """How stored values become reflectance: ``value * scale + offset``.

    Attributes:
        scale: Multiplier (1.0 when values already are reflectance).
        offset: Added after scaling.
        reason: Why, in words (empty when nothing was done).
    """

    scale: float = 1.0
    offset: float = 0.0
    reason: str = ""

    @property
    def identity(self) -> bool:
        """True when values are used as stored."""
        return self.scale == 1.0 and self.offset == 0.0

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Stored values to reflectance (float32)."""
        if self.identity:
            return np.asarray(values, dtype=np.float32)
        return (np.asarray(values, dtype=np.float32) * np.float32(self.scale)
                + np.float32(self.offset)).astype(np.float32)


def detect_reflectance_scale(
    dtype: str, sample: np.ndarray | None = None,
    scales: Sequence[float] = (), offsets: Sequence[float] = (),
) -> ReflectanceScale:
    """Decide how to turn stored values into 0-1 reflectance.

    Evidence, in order: scale/offset declared in the file (GDAL band metadata, e.g. Landsat
    Collection-2 0.0000275 / -0.2); an integer pixel type (DN-style reflectance x 10000, as in
    Sentinel-2 L1C/L2A and Landsat Collection-1 SR); floats whose 99th percentile exceeds 2,
    which no reflectance reaches, are taken as x 10000 too.

    Args:
        dtype: Pixel type name of the file.
        sample: Valid values of the bands (any shape) used for the float check.
        scales: Per-band scale factors from the file (first one used).
        offsets: Per-band offsets from the file.
    """
    scale = float(scales[0]) if scales else 1.0
    offset = float(offsets[0]) if offsets else 0.0
    if scale != 1.0 or offset != 0.0:
        return ReflectanceScale(scale, offset, f"reflectance = value x {scale:g} + {offset:g} "
                                "(scale and offset declared in the file)")
    if np.issubdtype(np.dtype(dtype), np.integer):
        return ReflectanceScale(DN_REFLECTANCE_SCALE, 0.0, f"{dtype} values taken as reflectance "
                                "x 10000 (Sentinel-2 / Landsat SR convention) and divided by "
                                "10000")
    if sample is not None:
        v = np.asarray(sample, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size and float(np.percentile(v, 99)) > 2.0:
            return ReflectanceScale(DN_REFLECTANCE_SCALE, 0.0, "float values above 2 are not "
                                    "reflectance; taken as reflectance x 10000 and divided by "
                                    "10000")
    return ReflectanceScale()


class RunningStats:
    """Count, sum, minimum and maximum of the finite values that tiles add."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = float("inf")
        self.maximum = float("-inf")

    def add(self, values: np.ndarray) -> None:
        """Add the finite values of an array of any shape."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return
        self.count += int(v.size)
        self.total += float(v.sum())
        self.minimum = min(self.minimum, float(v.min()))
        self.maximum = max(self.maximum, float(v.max()))

    @property
    def mean(self) -> float:
        """Mean of the values added (NaN when none)."""
        return self.total / self.count if self.count else float("nan")
