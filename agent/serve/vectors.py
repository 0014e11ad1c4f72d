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
MAX_FEATURES = 20_000
"""Features a layer sends to the browser at most (the largest polygons first); the file keeps
all of them (its download link)."""


@dataclass(frozen=True)
class VectorLayer:
    """A vector file on the map: its features in lon/lat, their bounds, the source CRS."""

    collection: dict[str, Any]
    bounds: Bounds | None
    crs: str
    total: int = 0

    @property
    def note(self) -> str | None:
        """What the map leaves out, if anything."""
        shown = len(self.collection["features"])
        if self.bounds is None:
            return "no features to draw"
        if shown < self.total:
            return (f"showing the {shown:,} largest of {self.total:,} features; the download "
                    "has them all")
        return None


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
    total = len(drawn)
    if total > MAX_FEATURES:  # the largest first: what an analyst looks at on a map
        areas = [geometry_area_m2(shape(f["geometry"]), crs)
                 if f["geometry"].get("type") in POLYGONS else 0.0 for f in drawn]
        order = sorted(range(total), key=lambda i: -areas[i])[:MAX_FEATURES]
        drawn = [drawn[i] for i in sorted(order)]
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
    return VectorLayer({"type": "FeatureCollection", "features": out}, bounds, crs, total)


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
