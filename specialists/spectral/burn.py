"""Burn severity from a pre-/post-fire pair: dNBR and the USGS FIREMON severity classes.

``dNBR = NBR_pre - NBR_post`` with ``NBR = (NIR - SWIR2) / (NIR + SWIR2)`` of each date. Values
are *unscaled* (about -2 to 2); USGS tables often print dNBR x 1000 (0.27 here is 270 there), and
the classes below are the same ranges divided by 1000, applied to the unscaled value.

Classes (Key, C.H. & Benson, N.C. 2006, "Landscape Assessment (LA): sampling and analysis
methods", in Lutes, D.C. et al., *FIREMON: Fire Effects Monitoring and Inventory System*, USDA
Forest Service Gen. Tech. Rep. RMRS-GTR-164-CD, p. LA-1-55; the USGS / UN-SPIDER table of dNBR
ranges, scaled x 1000 there):

====  =========================  =====================  ====================
code  class                      dNBR (unscaled)        dNBR x 1000 (USGS)
====  =========================  =====================  ====================
1     enhanced regrowth, high    < -0.25                -500 to -251
2     enhanced regrowth, low     -0.25 to < -0.10       -250 to -101
3     unburned                   -0.10 to < 0.10        -100 to +99
4     low severity               0.10 to < 0.27         +100 to +269
5     moderate-low severity      0.27 to < 0.44         +270 to +439
6     moderate-high severity     0.44 to < 0.66         +440 to +659
7     high severity              >= 0.66                +660 to +1300
====  =========================  =====================  ====================

Each class includes its lower edge, so on dNBR x 1000 integers the table is reproduced exactly.
Burned = low severity and above (dNBR >= 0.10). Values outside the table's -0.5 to +1.3 are
classed by the open end classes but usually are not fire (cloud, cloud shadow, water,
misregistration) and are counted. Colours are UN-SPIDER's recommended burn severity palette.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specialists.spectral.indices import normalized_difference

DNBR_FORMULA = "NBR(before) - NBR(image), NBR = (NIR - SWIR2) / (NIR + SWIR2)"
SEVERITY_SOURCE = ("Key & Benson 2006, FIREMON Landscape Assessment (USDA RMRS-GTR-164-CD), "
                   "the USGS dNBR severity table")
BURNED_MIN_DNBR = 0.10
"""Lowest dNBR of a burned pixel: the lower edge of 'low severity' (USGS +100 scaled)."""
TABLE_RANGE = (-0.5, 1.3)
"""dNBR range of the USGS table (-500 to +1300 scaled); values beyond it are rarely fire."""
NODATA_CLASS = 255
"""Class raster value of pixels without a dNBR."""


@dataclass(frozen=True)
class BurnClass:
    """One burn severity class.

    Attributes:
        code: Value in the class raster (1-7).
        key: Short name for number artifacts, e.g. ``moderate_low``.
        name: The class in words.
        lower: Lowest dNBR of the class (unscaled, included); None for the open low end.
        upper: dNBR the class ends below (excluded); None for the open high end.
        rgb: Display colour.
    """

    code: int
    key: str
    name: str
    lower: float | None
    upper: float | None
    rgb: tuple[int, int, int]

    @property
    def range_text(self) -> str:
        """E.g. '0.27 to < 0.44', '< -0.25', '>= 0.66'."""
        if self.lower is None:
            return f"< {self.upper:.2f}"
        if self.upper is None:
            return f">= {self.lower:.2f}"
        return f"{self.lower:.2f} to < {self.upper:.2f}"

    @property
    def burned(self) -> bool:
        """True for low severity and above."""
        return self.lower is not None and self.lower >= BURNED_MIN_DNBR


_EDGES = (-0.25, -0.10, 0.10, 0.27, 0.44, 0.66)
SEVERITY_CLASSES: tuple[BurnClass, ...] = tuple(
    BurnClass(i + 1, key, name, _EDGES[i - 1] if i else None,
              _EDGES[i] if i < len(_EDGES) else None, rgb)
    for i, (key, name, rgb) in enumerate((
        ("regrowth_high", "enhanced regrowth, high", (122, 135, 55)),
        ("regrowth_low", "enhanced regrowth, low", (172, 190, 77)),
        ("unburned", "unburned", (10, 224, 66)),
        ("low", "low severity", (255, 247, 11)),
        ("moderate_low", "moderate-low severity", (255, 175, 56)),
        ("moderate_high", "moderate-high severity", (255, 100, 27)),
        ("high", "high severity", (164, 31, 214)),
    )))


def nbr(nir: np.ndarray, swir2: np.ndarray) -> np.ndarray:
    """Normalized burn ratio ``(NIR - SWIR2) / (NIR + SWIR2)`` (float32, NaN where undefined)."""
    return normalized_difference(nir, swir2)


def dnbr(nbr_pre: np.ndarray, nbr_post: np.ndarray) -> np.ndarray:
    """``NBR_pre - NBR_post``, unscaled, float32; NaN where either date has no NBR."""
    pre = np.asarray(nbr_pre, dtype=np.float32)
    post = np.asarray(nbr_post, dtype=np.float32)
    return np.asarray(pre - post, dtype=np.float32)


def classify_severity(values: np.ndarray) -> np.ndarray:
    """Severity class codes (uint8, 1-7; :data:`NODATA_CLASS` where ``values`` is NaN).

    Edges are compared in float32, the type of the dNBR raster, so a stored value equal to an
    edge falls in the class above it, as in the table.
    """
    v = np.asarray(values, dtype=np.float32)
    valid = np.isfinite(v)
    edges = np.asarray(_EDGES, dtype=np.float32)
    codes = np.searchsorted(edges, np.where(valid, v, 0), side="right") + 1
    return np.where(valid, codes, NODATA_CLASS).astype(np.uint8)


class ClassTally:
    """Pixels and areas (m², when row areas are given) of each severity class, tile by tile."""

    def __init__(self) -> None:
        n = len(SEVERITY_CLASSES) + 1
        self.pixels = np.zeros(n, dtype=np.int64)
        self.area_m2 = np.zeros(n, dtype=np.float64)

    def add(self, codes: np.ndarray, row_area_m2: np.ndarray | None = None) -> None:
        """Add a tile of class codes (rows, cols); ``row_area_m2`` is the pixel area of each
        row in m² (None without a CRS: pixels only)."""
        for cls in SEVERITY_CLASSES:
            per_row = (np.asarray(codes) == cls.code).sum(axis=1)
            self.pixels[cls.code] += int(per_row.sum())
            if row_area_m2 is not None:
                self.area_m2[cls.code] += float((per_row * row_area_m2).sum())

    @property
    def valid_pixels(self) -> int:
        """Pixels with a class."""
        return int(self.pixels.sum())

    @property
    def valid_m2(self) -> float:
        """Area with a class, m²."""
        return float(self.area_m2.sum())
