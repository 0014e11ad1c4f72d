"""Vector artifacts for the map: GeoJSON in lon/lat (EPSG:4326) with areas in m².

The file is read the way the tools read vectors (:func:`tools.geo.vector.read_features` for
GeoJSON, pyogrio for GeoPackage / Shapefile / FlatGeobuf), reprojected to EPSG:4326 for
display only; each polygon keeps its properties (``class``, ``confidence`` ...) and gets
``area_m2`` (m², computed in the source CRS: planar in a projected CRS, geodesic in a
geographic one; :func:`tools.geo.area.geometry_area_m2`) and ``area`` (the same as text with
its unit, e.g. "1.20 ha").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.serve.tiles import NOT_GEOREFERENCED, Bounds, Memo, NotDrawable, file_key

POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class VectorLayer:
    """A vector file on the map: its features in lon/lat, their bounds, the source CRS."""

    collection: dict[str, Any]
    bounds: Bounds | None
    crs: str


def _read(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Features (GeoJSON dicts, source coordinates) and the CRS of a vector file."""
    from tools.geo.vector import read_features

    if path.suffix.lower() in (".geojson", ".json"):
        return read_features(path)
    import pyogrio.raw  # other formats: as tools.geo.region reads them
    from shapely import from_wkb
    from shapely.geometry import mapping

    meta, _, wkb, fields = pyogrio.raw.read(path, read_geometry=True)
    names = list(meta.get("fields", []))
    features = []
    for i, geom in enumerate(wkb):
        props = {name: _plain(column[i]) for name, column in zip(names, fields, strict=True)}
        features.append({"type": "Feature", "id": i + 1, "properties": props,
                         "geometry": None if geom is None else mapping(from_wkb(geom))})
    return features, meta.get("crs")


def _plain(value: Any) -> Any:
    """A numpy scalar from pyogrio as plain JSON data."""
    item = value.item() if hasattr(value, "item") else value
    if isinstance(item, float) and not math.isfinite(item):
        return None
    return item if isinstance(item, str | int | float | bool) or item is None else str(item)


def _build(path: Path, fallback_crs: str | None) -> VectorLayer:
    from rasterio.warp import transform_geom
    from shapely.geometry import shape

    from tools.geo.area import area_quantity, geometry_area_m2
    from tools.geo.pixel_grid import grid_gsd

    features, crs = _read(path)
    crs = crs or fallback_crs
    if not crs or grid_gsd(crs) is not None:
        raise NotDrawable(NOT_GEOREFERENCED)
    drawn = [f for f in features if isinstance(f, dict) and f.get("geometry")]
    geometries = [f["geometry"] for f in drawn]
    if crs != "EPSG:4326" and geometries:
        geometries = list(transform_geom(crs, "EPSG:4326", geometries))
    out, west, south, east, north = [], math.inf, math.inf, -math.inf, -math.inf
    for k, (feature, moved) in enumerate(zip(drawn, geometries, strict=True), start=1):
        props = dict(feature.get("properties") or {})
        if feature["geometry"].get("type") in POLYGONS:
            area = geometry_area_m2(shape(feature["geometry"]), crs)
            props["area_m2"] = round(area, 3)
            props["area"] = str(area_quantity(area))
        box = shape(moved).bounds
        if all(map(math.isfinite, box)):
            west, south = min(west, box[0]), min(south, box[1])
            east, north = max(east, box[2]), max(north, box[3])
        out.append({"type": "Feature", "id": feature.get("id", k), "properties": props,
                    "geometry": moved})
    bounds = (west, south, east, north) if out and math.isfinite(west) else None
    return VectorLayer({"type": "FeatureCollection", "features": out}, bounds, crs)


_VECTORS: Memo[VectorLayer] = Memo(16)


def vector_layer(path: Path, fallback_crs: str | None) -> VectorLayer:
    """The features of ``path`` in lon/lat with their areas (cached per file version).

    Args:
        path: A vector file inside the session workspace.
        fallback_crs: The CRS the artifact record names, for a file that names none.

    Raises:
        NotDrawable: No CRS, or a pixel grid (an image without georeference).
    """
    return _VECTORS.get((file_key(path), fallback_crs), lambda: _build(path, fallback_crs))
