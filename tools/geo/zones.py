"""Streamed raster statistics for measure, trend and describe_scene: mask regions (count and
area), and pixel statistics of a raster inside zones (a mask, polygons, or the whole grid).

Every function reads one window at a time (``tools.geo.raster.iter_tiles``); areas come from the
transform and CRS (``tools.geo.area``), never from pixel counts alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.features
import rasterio.warp
import rasterio.windows
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from specialists.stats.zonal import StreamingComponents, ZonalAccumulator
from specialists.tiling import Window
from tools.core.errors import InputError
from tools.core.registry import ProgressCallback
from tools.core.untrusted_text import clean
from tools.geo.area import M2_PER_HA, M2_PER_KM2, pixel_area_rows_m2, require_crs
from tools.geo.raster import (
    check_readable,
    crs_to_str,
    iter_tiles,
    open_dataset,
    read_masked,
    rio,
    same_grid,
)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class MaskRegions:
    """What one pass over a mask found.

    Attributes:
        crs: CRS of the mask ('EPSG:n' or WKT; None when missing).
        pixels: Inside pixels (non-zero, not nodata).
        area_m2: Inside area in m² (None without a CRS).
        region_pixels: Pixels of each connected region (4-connectivity), when asked for.
        region_area_m2: Area in m² of each region (None without a CRS), when asked for.
    """

    crs: str | None
    pixels: int = 0
    area_m2: float | None = None
    region_pixels: np.ndarray | None = None
    region_area_m2: np.ndarray | None = None


def mask_regions(
    path: str | Path, *, regions: bool, tile_size: int, argument: str = "source",
    progress: ProgressCallback = _no_progress,
) -> MaskRegions:
    """Inside pixels, area and (optionally) connected regions of band 1 of a mask raster.

    Non-zero valid pixels are inside; nodata and NaN are outside.

    Args:
        path: Mask raster.
        regions: Also label connected regions across tiles.
        tile_size: Window side in pixels.
        argument: Argument name for error messages.
        progress: Progress callback.
    """
    with open_dataset(path, argument) as src:
        check_readable(src, argument)
        crs = crs_to_str(src.crs)
        comps = StreamingComponents(src.width) if regions else None
        pixels, area = 0, 0.0
        tiles = list(iter_tiles(src.width, src.height, tile_size))
        for i, tile in enumerate(tiles):
            row, col = int(tile.core.row_off), int(tile.core.col_off)
            inside = np.asarray(read_masked(src, tile.core, [1])[0].filled(0) != 0)
            row_area = (pixel_area_rows_m2(src.transform, src.crs, row, inside.shape[0])
                        if crs else None)
            pixels += int(inside.sum())
            if row_area is not None:
                area += float((inside.sum(axis=1) * row_area).sum())
            if comps is not None:
                comps.add(inside, row, col, row_area)
            progress("measure mask", i + 1, len(tiles))
    out = MaskRegions(crs=crs, pixels=pixels, area_m2=area if crs else None)
    if comps is not None:
        rp, ra = comps.regions()
        out.region_pixels, out.region_area_m2 = rp, (ra if crs else None)
    return out


def raster_units(src: Any, band: int = 1) -> str | None:
    """Units of a band from the file (band units, then 'units' tags), or None."""
    units = src.units[band - 1] if src.units and len(src.units) >= band else None
    if units:
        return clean(units, 32)
    for tags in (src.tags(band), src.tags()):
        for key in ("units", "UNITS", "unit", "UNIT"):
            if tags.get(key):
                return clean(tags[key], 32)
    return None


def per_area_factor(units: str | None) -> tuple[float, str] | None:
    """For per-area units (``Mg/ha``, ``kg/m2``): the factor from sum(value x pixel m²) to a
    total, and the total's unit (``Mg``); None for other units."""
    if not units or "/" not in units:
        return None
    num, den = (part.strip() for part in units.split("/", 1))
    factor = {"ha": 1 / M2_PER_HA, "m2": 1.0, "m²": 1.0, "km2": 1 / M2_PER_KM2,
              "km²": 1 / M2_PER_KM2}.get(den)
    return (factor, num) if factor is not None and num else None


@dataclass
class ZoneStats:
    """Statistics of raster values inside zones.

    Attributes:
        overall: pixels, sum, mean, min, max, area_m2, weighted_sum over all zones.
        per_zone: The same per zone (arrays, zones 1..n in input order).
        units: Units of the raster band (None when the file does not say).
        crs: CRS of the raster.
        warnings: What the caller should pass on.
    """

    overall: dict[str, float]
    per_zone: dict[str, np.ndarray]
    units: str | None
    crs: str | None
    warnings: list[str] = field(default_factory=list)


def zonal_stats(
    image: str | Path, *, band: int = 1, mask: str | Path | None = None,
    geometries: list[BaseGeometry] | None = None, geometries_crs: str | None = None,
    tile_size: int = 1024, progress: ProgressCallback = _no_progress,
) -> ZoneStats:
    """Statistics of ``image`` band values inside a mask, inside polygons, or everywhere.

    Polygons are rasterised window by window onto the image grid (pixel centres inside; a
    pixel covered by overlapping polygons belongs to the last one). Means are area-weighted
    when the image has a CRS (identical to plain means on projected grids).

    Args:
        image: Raster whose values are summarised.
        band: 1-based band of ``image``.
        mask: Mask raster on the same grid (non-zero = inside); one zone.
        geometries: Polygons, one zone each (ids 1..n in list order).
        geometries_crs: CRS of ``geometries`` (reprojected to the image CRS when different).
        tile_size: Window side in pixels.
        progress: Progress callback.

    Raises:
        InputError: Unreadable files, a band out of range, or a mask on another grid.
    """
    warnings: list[str] = []
    with open_dataset(image, "image") as src:
        check_readable(src, "image")
        if not 1 <= band <= src.count:
            raise InputError(f"band: {image} has {src.count} band(s); pass 1..{src.count}")
        crs = crs_to_str(src.crs)
        if crs is None:
            warnings.append(f"{image} has no CRS: means are per pixel and no totals per area "
                            "can be formed")
        zones = _prepare_geometries(geometries, geometries_crs, crs, warnings)
        acc = ZonalAccumulator(len(zones) if geometries is not None else 1)
        mask_src = open_dataset(mask, "source") if mask is not None else None
        try:
            if mask_src is not None and not same_grid(mask_src, src):
                raise InputError(
                    f"source: the mask {mask} ({mask_src.width}x{mask_src.height}) is not on the "
                    f"grid of image {image} ({src.width}x{src.height}, same CRS and transform "
                    "needed). Pass polygons (e.g. the step's vector) or an image on the mask grid.")
            tiles = list(iter_tiles(src.width, src.height, tile_size))
            for i, tile in enumerate(tiles):
                progress("zonal statistics", i + 1, len(tiles))
                ids = _zone_ids(src, tile.core, mask_src, zones, geometries is not None)
                if ids is None:
                    continue
                data = read_masked(src, tile.core, [band])[0]
                row = int(tile.core.row_off)
                area = (pixel_area_rows_m2(src.transform, src.crs, row, ids.shape[0])[:, None]
                        if crs else None)
                acc.add(ids, np.asarray(data.data), ~np.ma.getmaskarray(data), area)
        finally:
            if mask_src is not None:
                mask_src.close()
        units = raster_units(src, band)
    return ZoneStats(overall=acc.overall(), per_zone=acc.per_zone(), units=units, crs=crs,
                     warnings=warnings)


def _prepare_geometries(
    geometries: list[BaseGeometry] | None, geometries_crs: str | None, image_crs: str | None,
    warnings: list[str],
) -> list[tuple[dict[str, Any], tuple[float, float, float, float]]]:
    if geometries is None:
        return []
    if geometries_crs and image_crs and require_crs(geometries_crs, "source") != require_crs(
            image_crs, "image"):
        shapes = [rasterio.warp.transform_geom(geometries_crs, image_crs, mapping(g))
                  for g in geometries]
    else:
        if bool(geometries_crs) != bool(image_crs):
            warnings.append("the polygons or the image lack a CRS; assumed they share one")
        shapes = [dict(mapping(g)) for g in geometries]
    out = []
    for geom in shapes:
        xs, ys = zip(*_coords(geom["coordinates"]), strict=True)
        out.append((geom, (min(xs), min(ys), max(xs), max(ys))))
    return out


def _coords(obj: Any) -> list[tuple[float, float]]:
    if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], (int, float)):
        return [(float(obj[0]), float(obj[1]))]
    return [c for part in obj for c in _coords(part)]


def _zone_ids(
    src: Any, tile_window: Window, mask_src: Any,
    zones: list[tuple[dict[str, Any], tuple[float, float, float, float]]], polygons: bool,
) -> np.ndarray | None:
    window = rio(tile_window)
    shape = (int(window.height), int(window.width))
    if mask_src is not None:
        inside = read_masked(mask_src, window, [1])[0].filled(0) != 0
        return np.asarray(inside, dtype=np.int32) if inside.any() else None
    if not polygons:
        return np.ones(shape, dtype=np.int32)
    left, bottom, right, top = rasterio.windows.bounds(window, src.transform)
    x0, x1 = min(left, right), max(left, right)
    y0, y1 = min(bottom, top), max(bottom, top)
    hits = [(g, i) for i, (g, (gx0, gy0, gx1, gy1)) in enumerate(zones, start=1)
            if gx0 <= x1 and gx1 >= x0 and gy0 <= y1 and gy1 >= y0]
    if not hits:
        return None
    ids = rasterio.features.rasterize(hits, out_shape=shape,
                                      transform=src.window_transform(window), fill=0,
                                      dtype="int32")
    return np.asarray(ids) if ids.any() else None
