"""Areas and lengths in metres from the raster transform and CRS, never from pixel counts alone.

Projected CRSs use the linear unit of the CRS; geographic CRSs use geodesic areas on the
CRS's ellipsoid (WGS84 when the CRS does not say).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS, Geod
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from specialists.tiling import Window
from tools.core.artifacts import Quantity
from tools.core.errors import InputError
from tools.geo.raster import crs_to_str

GSD_FIX = ("For an image without georeference (a PNG/JPEG chip), pass `gsd`, its ground sample "
           "distance in metres per pixel (--gsd on the CLI; e.g. gsd 0.5), or give the file a CRS.")
"""The fix every message about a missing CRS names."""

M2_PER_HA = 10_000.0
M2_PER_KM2 = 1_000_000.0
M2_PER_ACRE = 4046.8564224
"""The international acre (exactly)."""
M2_PER_MI2 = 1609.344 ** 2
"""The international square mile (exactly)."""


def _crs(crs: Any) -> CRS:
    return CRS.from_user_input(crs if isinstance(crs, str) else crs.to_wkt())


@lru_cache(maxsize=32)
def _geod(crs_text: str) -> Geod:
    try:
        return CRS.from_user_input(crs_text).get_geod() or Geod(ellps="WGS84")
    except Exception:  # pragma: no cover - unusual CRS definitions
        return Geod(ellps="WGS84")


def require_crs(crs: Any, what: str) -> CRS:
    """Return the CRS or refuse with a message naming ``what`` when it is missing."""
    if not crs:
        raise InputError(f"{what} has no CRS, so areas and lengths in metres cannot be computed. "
                         f"{GSD_FIX}")
    return _crs(crs)


def _linear_factor(crs: CRS) -> float:
    axis = crs.axis_info[0] if crs.axis_info else None
    return float(axis.unit_conversion_factor) if axis else 1.0


def pixel_area_rows_m2(transform: Affine, crs: Any, row_start: int, rows: int) -> np.ndarray:
    """Area in m² of one pixel for each of ``rows`` rows starting at ``row_start``.

    In a projected CRS every row has the same area; in a geographic CRS the area shrinks
    with latitude and is computed geodesically per row.
    """
    c = require_crs(crs, "the raster")
    if not c.is_geographic:
        f = _linear_factor(c)
        return np.full(rows, abs(transform.a * transform.e - transform.b * transform.d) * f * f)
    geod = _geod(c.to_wkt())
    out = np.empty(rows)
    for i in range(rows):
        r = row_start + i
        corners = [transform @ (c, rr) for c, rr in ((0, r), (1, r), (1, r + 1), (0, r + 1))]
        lons, lats = zip(*corners, strict=True)
        area, _ = geod.polygon_area_perimeter(lons, lats)
        out[i] = abs(area)
    return out


def geometry_area_m2(geom: BaseGeometry, crs: Any) -> float:
    """Area in m² of a polygon given in ``crs``."""
    c = require_crs(crs, "the geometry")
    if c.is_geographic:
        area, _ = _geod(c.to_wkt()).geometry_area_perimeter(geom)
        return abs(float(area))
    return float(geom.area) * _linear_factor(c) ** 2


def geometry_length_m(geom: BaseGeometry, crs: Any) -> float:
    """Length in metres of a line, or the long side of a polygon's minimum rotated rectangle.

    For polygons (object outlines, oriented boxes) this is the object's length as an analyst
    means it ("ships longer than 50 m"), not the perimeter.
    """
    c = require_crs(crs, "the geometry")
    if isinstance(geom, Polygon) or geom.geom_type == "MultiPolygon":
        rect = geom.minimum_rotated_rectangle
        coords = list(rect.exterior.coords) if hasattr(rect, "exterior") else list(rect.coords)
        sides = []
        for (x0, y0), (x1, y1) in pairwise(coords):
            if c.is_geographic:
                _, _, d = _geod(c.to_wkt()).inv(x0, y0, x1, y1)
                sides.append(abs(d))
            else:
                sides.append(float(np.hypot(x1 - x0, y1 - y0)) * _linear_factor(c))
        return max(sides) if sides else 0.0
    if c.is_geographic:
        return float(_geod(c.to_wkt()).geometry_length(geom))
    return float(geom.length) * _linear_factor(c)


def area_quantity(area_m2: float) -> Quantity:
    """An area in the unit a person would use: km² from 1 km², ha from 1 ha, else m²."""
    if area_m2 >= M2_PER_KM2:
        return Quantity(value=area_m2 / M2_PER_KM2, unit="km²")
    if area_m2 >= M2_PER_HA:
        return Quantity(value=area_m2 / M2_PER_HA, unit="ha")
    return Quantity(value=area_m2, unit="m²")


class AreaTally:
    """Selected and valid pixels and their areas (m², from the transform and CRS), tile by tile.

    Without a CRS only pixel counts are kept: areas are then None.
    """

    def __init__(self, src: Any) -> None:
        self.transform = src.transform
        self.crs = crs_to_str(src.crs)
        self.selected_px = 0
        self.valid_px = 0
        self.selected_m2 = 0.0
        self.valid_m2 = 0.0
        self._rows: dict[tuple[int, int], np.ndarray] = {}

    def add(self, selected: np.ndarray, valid: np.ndarray, window: Window) -> None:
        """Add a core window's boolean ``selected`` and ``valid`` arrays (rows, cols)."""
        sel = np.asarray(selected, dtype=bool) & np.asarray(valid, dtype=bool)
        val = np.asarray(valid, dtype=bool)
        self.selected_px += int(sel.sum())
        self.valid_px += int(val.sum())
        if self.crs is None:
            return
        key = (int(window.row_off), int(window.height))
        if key not in self._rows:
            self._rows[key] = pixel_area_rows_m2(self.transform, self.crs, *key)
        rows = self._rows[key]
        self.selected_m2 += float((sel.sum(axis=1) * rows).sum())
        self.valid_m2 += float((val.sum(axis=1) * rows).sum())

    @property
    def has_area(self) -> bool:
        """True when areas in m² are known (the raster has a CRS)."""
        return self.crs is not None

    @property
    def share_pct(self) -> float:
        """Selected share of the valid area (of valid pixels without a CRS), in %."""
        if self.has_area:
            return 100.0 * self.selected_m2 / self.valid_m2 if self.valid_m2 else 0.0
        return 100.0 * self.selected_px / self.valid_px if self.valid_px else 0.0


NO_CRS_WARNING = ("{path} has no CRS: areas in m² cannot be computed, so only pixel counts "
                  "and the pixel share are reported. " + GSD_FIX.replace("{", "{{").replace(
                      "}", "}}"))
