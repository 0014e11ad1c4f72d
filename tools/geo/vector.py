"""GeoJSON vectors in the scene CRS (and EPSG:4326 on request), written atomically.

Masks are polygonised window by window; polygons cut by a window border are dissolved
across the border so that one water body or building is one feature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.features
import rasterio.warp
import shapely
from affine import Affine
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tools.geo.area import geometry_area_m2
from tools.geo.atomic import write_json_atomic
from tools.geo.pixel_grid import grid_gsd
from tools.geo.raster import crs_to_str, iter_tiles, rio


def feature_collection(features: list[dict[str, Any]], crs: str | None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection that names its CRS (GDAL and QGIS read the ``crs`` member)."""
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return fc


def write_geojson(
    dest: str | Path, features: list[dict[str, Any]], crs: str | None, wgs84: bool = False
) -> list[Path]:
    """Write features in ``crs`` to ``dest`` and, when ``wgs84``, a ``.4326.geojson`` copy.

    Returns:
        The paths written (scene CRS first).
    """
    dest = Path(dest)
    paths = [write_json_atomic(dest, feature_collection(features, crs))]
    if wgs84 and crs and grid_gsd(crs) is None:  # a pixel grid has no place on Earth
        reprojected = [
            {**f, "geometry": rasterio.warp.transform_geom(crs, "EPSG:4326", f["geometry"])}
            for f in features
        ]
        paths.append(write_json_atomic(dest.with_suffix(".4326.geojson"),
                                       feature_collection(reprojected, "EPSG:4326")))
    return paths


def read_features(path: str | Path) -> tuple[list[dict[str, Any]], str | None]:
    """Read a GeoJSON written by EarthSight (or any FeatureCollection) and its CRS name."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    crs = data.get("crs", {}).get("properties", {}).get("name")
    if crs and crs.upper().startswith("URN:OGC:DEF:CRS:OGC:1.3:CRS84"):
        crs = "EPSG:4326"
    return list(data.get("features", [])), crs or ("EPSG:4326" if "crs" not in data else None)


def polygonize_mask(
    src: Any, band: int = 1, tile_size: int = 1024, min_pixels: int = 1,
    properties: dict[str, Any] | None = None, dropped: list[BaseGeometry] | None = None,
) -> list[dict[str, Any]]:
    """Polygonise the non-zero pixels of a mask raster, window by window.

    Args:
        src: Open mask dataset (non-zero and not nodata = inside).
        band: Band to read.
        tile_size: Window side in pixels.
        min_pixels: Drop polygons smaller than this many pixels (speckle).
        properties: Properties added to every feature.
        dropped: When given, the polygons dropped by ``min_pixels`` are appended to it (in
            the mask's CRS), e.g. to erase them from the mask.

    Returns:
        GeoJSON features in the mask's CRS, each with ``area_m2`` when the CRS is known.
    """
    crs = crs_to_str(src.crs)
    interior: list[BaseGeometry] = []
    border: list[BaseGeometry] = []
    small: list[BaseGeometry] | None = [] if dropped is not None else None
    # Shapes are traced in pixel coordinates of the whole grid: a border shared by two tiles
    # has the same (integer) coordinates on both sides, so the dissolve joins them exactly
    # (CRS coordinates from two window transforms can differ in the last bit).
    for tile in iter_tiles(src.width, src.height, tile_size, 0):
        data = src.read(band, window=rio(tile.core))
        mask = data != 0
        if src.nodata is not None:  # nodata (e.g. 255 in a 0/1 mask) is outside, not inside
            mask &= data != src.nodata
        if not mask.any():
            continue
        c0, r0 = int(tile.core.col_off), int(tile.core.row_off)
        c1, r1 = c0 + int(tile.core.width), r0 + int(tile.core.height)
        for geom, _ in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                transform=Affine.translation(c0, r0)):
            poly = shape(geom)
            x0, y0, x1, y1 = poly.bounds
            if x0 <= c0 or x1 >= c1 or y0 <= r0 or y1 >= r1:
                border.append(poly)
            else:  # area in pixel units is the pixel count
                _keep_or_drop(poly, poly.area >= min_pixels, interior, small)
    if border:
        merged = unary_union(border)
        for part in getattr(merged, "geoms", [merged]):
            _keep_or_drop(part, part.area >= min_pixels, interior, small)
    if dropped is not None and small:
        dropped.extend(_pixels_to_crs(small, src.transform))
    return geometries_to_features(_pixels_to_crs(interior, src.transform), crs, properties)


def _pixels_to_crs(geoms: list[BaseGeometry], transform: Affine) -> list[BaseGeometry]:
    """Geometries in pixel coordinates (column, row) moved to the CRS by ``transform``."""
    if not geoms:
        return []
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    matrix = np.array([[transform.a, transform.b], [transform.d, transform.e]])
    offset = np.array([transform.c, transform.f])
    return list(shapely.transform(arr, lambda xy: xy @ matrix.T + offset))


def _keep_or_drop(geom: BaseGeometry, keep: bool, kept: list[BaseGeometry],
                  dropped: list[BaseGeometry] | None) -> None:
    if keep:
        kept.append(geom)
    elif dropped is not None:
        dropped.append(geom)


def geometries_to_features(
    geoms: Iterable[BaseGeometry], crs: str | None, properties: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Features with an ``id`` and ``area_m2`` (when the CRS is known) for each geometry."""
    features = []
    for i, geom in enumerate(geoms, start=1):
        props: dict[str, Any] = {"id": i, **(properties or {})}
        if crs:
            props["area_m2"] = round(geometry_area_m2(geom, crs), 3)
        features.append({"type": "Feature", "id": i, "properties": props,
                         "geometry": mapping(geom)})
    return features
