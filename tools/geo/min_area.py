"""The minimum mapping unit (``min_area_m2``) of the mask tools map_water and detect_changes.

Without a minimum a tool writes its mask (1 inside, 0 outside, 255 nodata) at the final path
and the polygons are made from it; nothing else changes. With ``min_area_m2 > 0`` the tool
writes the mask to a hidden staging file beside the final path (:func:`staging_path`, a plain
tiled GeoTIFF, renamed into place when complete), and :func:`mask_polygons`:

1. polygonises the staged mask window by window; polygons cut by window borders are dissolved
   across them, so a region that spans tiles is measured whole (its ``area_m2`` from the CRS,
   geodesic in a geographic CRS);
2. splits the polygons at ``min_area_m2`` and sets the pixels of every smaller region to 0,
   window by window (its polygon rasterised on the window; nodata stays 255), while the
   caller tallies each cleaned window;
3. publishes the cleaned mask as a COG at the final path by rename and removes the staging
   file (also on errors: nothing half-written is left behind).

The polygons, the mask and the areas computed from the mask then describe the same regions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from specialists.tiling import Window
from tools.core.registry import ToolContext
from tools.geo.area import pixel_area_rows_m2
from tools.geo.atomic import sibling_temp
from tools.geo.geotiff import publish_cog
from tools.geo.raster import iter_tiles, open_dataset, rio
from tools.geo.vector import polygonize_mask

WindowTally = Callable[[Window, np.ndarray], None]
"""Called with each window of the cleaned mask and its uint8 pixels (1 / 0 / 255)."""


@dataclass
class MaskPolygons:
    """The polygons of a mask after the minimum mapping unit.

    Attributes:
        features: GeoJSON features kept (each with ``area_m2`` when the CRS is known).
        dropped: Regions smaller than ``min_area_m2``, removed from the polygons and the mask.
            When it is above 0 the tally was called for every window of the cleaned mask.
    """

    features: list[dict[str, Any]]
    dropped: int = 0


def staging_path(final: Path, min_area_m2: float) -> Path:
    """Where a mask tool writes its mask: ``final`` without a minimum mapping unit, else a
    hidden staging file beside it that :func:`mask_polygons` cleans and publishes as ``final``.

    Args:
        final: The mask's final path.
        min_area_m2: The tool's ``min_area_m2``.
    """
    if min_area_m2 <= 0:
        return final
    return sibling_temp(final, "raw")


def mask_polygons(mask_path: Path, final: Path, *, min_area_m2: float, ctx: ToolContext,
                  properties: dict[str, Any], tally: WindowTally) -> MaskPolygons:
    """Polygons of a written mask with the minimum mapping unit applied to polygons and mask.

    Args:
        mask_path: Where the tool wrote the mask (``staging_path(final, min_area_m2)``).
        final: The mask's final path.
        min_area_m2: Regions smaller than this (m²) are dropped; 0 keeps every region.
        ctx: Tool context (tile size, progress).
        properties: Properties added to every feature.
        tally: Called for each window of the cleaned mask when a region was dropped.

    Returns:
        The kept features and how many regions were dropped.
    """
    tile_size = ctx.settings.tile_size
    if mask_path == final:
        if min_area_m2 > 0:
            raise ValueError("min_area_m2 > 0 needs the mask written to staging_path()")
        with open_dataset(final, "mask") as ds:
            features = polygonize_mask(ds, tile_size=tile_size, properties=properties)
        ctx.progress("polygons", 1, 1)
        return MaskPolygons(features)
    try:
        small: list[BaseGeometry] = []
        with open_dataset(mask_path, "mask") as ds:
            features = polygonize_mask(ds, tile_size=tile_size, properties=properties,
                                       min_pixels=_min_pixels(ds, min_area_m2), dropped=small)
        kept = [f for f in features if f["properties"].get("area_m2", 0.0) >= min_area_m2]
        small += [shape(f["geometry"]) for f in features
                  if f["properties"].get("area_m2", 0.0) < min_area_m2]
        ctx.progress("polygons", 1, 1)
        _erase(mask_path, small, min_area_m2, ctx, tally)
        publish_cog(mask_path, final)
    finally:
        mask_path.unlink(missing_ok=True)
    return MaskPolygons(kept, len(small))


def _min_pixels(ds: Any, min_area_m2: float) -> int:
    """Regions of fewer pixels are certainly below ``min_area_m2`` (a cheap pre-filter that
    spares their exact areas; they are still erased). The largest pixel is in the first or
    last row, or in the row nearest the equator (geographic CRS)."""
    t, last = ds.transform, ds.height - 1
    rows = {0, last}
    if t.e:
        rows.add(int(min(max(round(-t.f / t.e), 0), last)))
    largest = max(float(pixel_area_rows_m2(t, ds.crs, r, 1)[0]) for r in rows)
    return max(1, int(min_area_m2 / largest * (1 - 1e-9)))


def _erase(path: Path, small: list[BaseGeometry], min_area_m2: float, ctx: ToolContext,
           tally: WindowTally) -> None:
    """Set the inside pixels of ``small`` to 0 in the staged mask, window by window."""
    bounds = shapely.bounds(np.asarray(small, dtype=object)) if small else np.empty((0, 4))
    with rasterio.open(path, "r+") as ds:
        ds.update_tags(min_area_m2=f"{min_area_m2:g}")
        if not small:
            return
        tiles = list(iter_tiles(ds.width, ds.height, ctx.settings.tile_size, 0))
        for i, tile in enumerate(tiles, start=1):
            win = rio(tile.core)
            data = ds.read(1, window=win)
            left, bottom, right, top = rasterio.windows.bounds(win, ds.transform)
            hit = np.flatnonzero((bounds[:, 0] < right) & (bounds[:, 2] > left)
                                 & (bounds[:, 1] < top) & (bounds[:, 3] > bottom))
            if hit.size:
                burn = rasterio.features.rasterize(
                    ((small[j], 1) for j in hit), out_shape=data.shape, fill=0,
                    transform=ds.window_transform(win), dtype="uint8")
                erase = (burn == 1) & (data == 1)
                if erase.any():
                    data[erase] = 0
                    ds.write(data, 1, window=win)
            tally(tile.core, data)
            ctx.progress("minimum mapping unit", i, len(tiles))
