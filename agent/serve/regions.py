"""Shapes drawn on the map page as region files: checked, then written into the session workspace.

The page sends a region beside a chat message as a GeoJSON geometry, Feature or
FeatureCollection in lon/lat (EPSG:4326, ``[lon, lat]`` positions, RFC 7946), or a box
``[west, south, east, north]`` in lon/lat. :func:`parse_region` checks it (a polygon type,
finite coordinates within [-180, 180] x [-90, 90], rings of at least three distinct positions,
closed when they are not, no crossing edges, at most :data:`MAX_VERTICES` positions) and merges
its polygons into one Polygon or MultiPolygon; every refusal is an
:class:`~tools.core.errors.InputError` (HTTP 400) that starts with ``region:`` and says the
fix.

:func:`write_region` writes it as a one-feature FeatureCollection whose ``crs`` member names
EPSG:4326 (the project's GeoJSON layout, :func:`tools.geo.vector.feature_collection`) to
``regions/region-<n>.geojson`` in the workspace: a temporary file hard-linked onto the first
free ``n``, so a file already written is never replaced, even by a concurrent writer. The file
is then the turn's ``region`` argument, which :func:`tools.geo.region.load_region` reads with its
CRS and reprojects to each scene's CRS, as it does for ``run-tool --region`` with that file.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from tools.core.errors import InputError
from tools.geo.atomic import atomic_path
from tools.geo.vector import feature_collection, read_features

__all__ = ["MAX_VERTICES", "REGIONS_DIR", "parse_region", "read_region", "write_region"]

MAX_VERTICES = 10_000
"""Positions a drawn region may have in all (the page's shapes have a few dozen)."""
MAX_FEATURES = 1_000
REGIONS_DIR = "regions"
_FILE = re.compile(r"^region-(\d+)\.geojson$")
_LON_LAT = ("EPSG:4326", "URN:OGC:DEF:CRS:OGC:1.3:CRS84", "URN:OGC:DEF:CRS:EPSG::4326",
            "OGC:CRS84", "CRS84")
_HINT = ("send a GeoJSON Polygon / MultiPolygon (geometry, Feature or FeatureCollection) in "
         "lon/lat, or a box [west, south, east, north] in degrees")
_AREAL = ("Polygon", "MultiPolygon", "GeometryCollection")
Ring = list[tuple[float, float]]


def _fail(where: str, problem: str, fix: str = _HINT) -> InputError:
    place = f" {where}:" if where else ""
    return InputError(f"region:{place} {problem}; {fix}")


class _Reader:
    """Walks the GeoJSON, counting positions, collecting polygons as rings of (lon, lat)."""

    def __init__(self) -> None:
        self.vertices = 0
        self.polygons: list[list[Ring]] = []

    def position(self, value: Any, where: str) -> tuple[float, float]:
        if not isinstance(value, list | tuple) or len(value) not in (2, 3):
            raise _fail(where, f"a position is [lon, lat] (2 or 3 numbers), got {_show(value)}")
        if not all(_number(v) for v in value):
            raise _fail(where, f"a position holds numbers only, got {_show(value)}")
        lon, lat = float(value[0]), float(value[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise _fail(where, f"coordinates must be finite numbers, got {_show(value)}")
        swapped = " (positions are [lon, lat], longitude first)" if (
            -90 <= lon <= 90 and -180 <= lat <= 180) else ""
        if not -180 <= lon <= 180:
            raise _fail(where, f"longitude {lon:g} is outside [-180, 180]{swapped}",
                        "send lon/lat degrees (EPSG:4326), not projected coordinates")
        if not -90 <= lat <= 90:
            raise _fail(where, f"latitude {lat:g} is outside [-90, 90]{swapped}",
                        "send lon/lat degrees (EPSG:4326), not projected coordinates")
        self.vertices += 1
        if self.vertices > MAX_VERTICES:
            raise _fail("", f"more than {MAX_VERTICES} positions",
                        "simplify the shape or draw a box")
        return lon, lat

    def ring(self, value: Any, where: str) -> Ring:
        if not isinstance(value, list):
            raise _fail(where, f"a ring is a list of positions, got {_show(value)}")
        ring = [self.position(p, f"{where}[{i}]") for i, p in enumerate(value)]
        if len(set(ring)) < 3:
            raise _fail(where, f"a ring needs at least 3 distinct positions, got "
                        f"{len(set(ring))}", "draw a polygon with 3 or more corners")
        if ring[0] != ring[-1]:
            ring.append(ring[0])  # the page may leave the ring open: close it
        return ring

    def polygon(self, coords: Any, where: str) -> None:
        if not isinstance(coords, list) or not coords:
            raise _fail(where, "a Polygon's coordinates are a non-empty list of rings "
                        f"(the outer ring first), got {_show(coords)}")
        self.polygons.append([self.ring(r, f"{where}[{i}]") for i, r in enumerate(coords)])

    def geometry(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise _fail(where, f"a geometry is a JSON object, got {_show(value)}")
        _check_crs(value, where)
        kind, coords = value.get("type"), value.get("coordinates")
        inner = f"{where}.coordinates" if where else "coordinates"
        if kind == "Polygon":
            self.polygon(coords, inner)
        elif kind == "MultiPolygon":
            if not isinstance(coords, list) or not coords:
                raise _fail(inner, "a MultiPolygon's coordinates are a non-empty list of "
                            f"polygons, got {_show(coords)}")
            for i, polygon in enumerate(coords):
                self.polygon(polygon, f"{inner}[{i}]")
        elif kind == "GeometryCollection":
            parts = value.get("geometries")
            if not isinstance(parts, list) or not parts:
                raise _fail(where, "a GeometryCollection needs a non-empty `geometries` list")
            for i, part in enumerate(parts):
                self.geometry(part, f"{where}.geometries[{i}]".lstrip("."))
        elif kind in ("Point", "MultiPoint", "LineString", "MultiLineString"):
            raise _fail(where, f"a {kind} has no area",
                        "send a polygon (the page draws a small polygon around a clicked "
                        "point) or a box [west, south, east, north]")
        else:
            raise _fail(where, f"unknown GeoJSON type {_show(kind)}")

    def feature(self, value: Any, where: str) -> None:
        if not isinstance(value, dict) or value.get("type") != "Feature":
            raise _fail(where, f"expected a Feature object, got {_show(value)}")
        _check_crs(value, where)
        if value.get("geometry") is None:
            raise _fail(where, "the Feature has no geometry")
        self.geometry(value["geometry"], f"{where}.geometry".lstrip("."))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_crs(value: dict[str, Any], where: str) -> None:
    crs = value.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or name.strip().upper() not in _LON_LAT:
        raise _fail(where, f"the shape's crs {_show(name if name else crs)} is not lon/lat",
                    "send it in EPSG:4326 (lon/lat degrees) without a `crs` member")


def _box(values: list[Any]) -> list[list[Ring]]:
    if len(values) != 4 or not all(_number(v) for v in values):
        raise _fail("", f"a box is 4 numbers [west, south, east, north], got {_show(values)}")
    west, south, east, north = (float(v) for v in values)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise _fail("", f"a box holds finite numbers, got {_show(values)}")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90
            and -90 <= north <= 90):
        raise _fail("", f"the box {_show(values)} is not in lon/lat degrees "
                    "(longitudes within [-180, 180], latitudes within [-90, 90])")
    if not (west < east and south < north):
        raise _fail("", f"the box {_show(values)} needs west < east and south < north",
                    "give [west, south, east, north] (boxes across the antimeridian are not "
                    "supported: send two polygons)")
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return [[ring]]


def parse_region(value: Any) -> dict[str, Any]:
    """The drawn region ``value`` (GeoJSON in lon/lat, or a lon/lat box) as one GeoJSON
    Polygon or MultiPolygon in lon/lat (rings closed, outer rings counter-clockwise).

    Raises:
        InputError: Not a polygon or box, a position that is not finite lon/lat, a ring with
            fewer than 3 distinct positions, crossing edges, no area, a ``crs`` other than
            lon/lat, or more than :data:`MAX_VERTICES` positions (the message starts with
            ``region:`` and says the fix).
    """
    reader = _Reader()
    if isinstance(value, list | tuple):
        polygons = _box(list(value))
    elif isinstance(value, dict):
        kind = value.get("type")
        if kind == "FeatureCollection":
            _check_crs(value, "")
            features = value.get("features")
            if not isinstance(features, list) or not features:
                raise _fail("", "the FeatureCollection has no features")
            if len(features) > MAX_FEATURES:
                raise _fail("", f"more than {MAX_FEATURES} features", "merge the shapes")
            for i, feature in enumerate(features):
                reader.feature(feature, f"features[{i}]")
        elif kind == "Feature":
            reader.feature(value, "")
        else:
            reader.geometry(value, "")
        polygons = reader.polygons
    else:
        raise _fail("", f"got {_show(value)}")
    shapes = []
    for i, rings in enumerate(polygons):
        poly = Polygon(rings[0], rings[1:])
        if not poly.is_valid:
            where = f"polygon {i + 1}: " if len(polygons) > 1 else ""
            raise _fail("", f"{where}the shape is not a valid polygon ({explain_validity(poly)})",
                        "draw it again without crossing edges")
        if poly.area <= 0:
            raise _fail("", "the shape has no area", "draw a polygon or box with an area")
        shapes.append(orient(poly, 1.0))
    geometry = shapes[0] if len(shapes) == 1 else MultiPolygon(shapes)
    out: dict[str, Any] = json.loads(json.dumps(mapping(geometry)))  # tuples as lists
    return out


def _next_free(folder: Path) -> int:
    taken = [int(m.group(1)) for m in (_FILE.match(p.name) for p in folder.iterdir()) if m]
    return max(taken, default=0) + 1


def write_region(workspace: Path, geometry: dict[str, Any]) -> Path:
    """Write ``geometry`` (lon/lat, from :func:`parse_region`) to
    ``<workspace>/regions/region-<n>.geojson`` (n: the next free number; nothing is
    overwritten) as a FeatureCollection naming EPSG:4326; the file written.

    Raises:
        InputError: The regions folder resolves outside the workspace.
    """
    root = workspace.resolve()
    folder = root / REGIONS_DIR
    folder.mkdir(exist_ok=True)
    if not folder.resolve().is_relative_to(root):
        raise InputError("region: the session's regions folder lies outside its workspace")
    feature = {"type": "Feature", "properties": {"source": "drawn on the map"},
               "geometry": geometry}
    text = json.dumps(feature_collection([feature], "EPSG:4326"))
    number = _next_free(folder)
    while True:
        dest = folder / f"region-{number}.geojson"
        try:
            with atomic_path(dest, "tmp", replace=False) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except FileExistsError:  # another request took this number meanwhile
            number += 1
            continue
        return dest


def read_region(path: Path) -> dict[str, Any] | None:
    """The lon/lat geometry of a region file written by :func:`write_region` (None when the
    file is gone, unreadable or not in lon/lat)."""
    try:
        features, crs = read_features(path)
    except (OSError, ValueError, AttributeError):
        return None
    geometries = [f.get("geometry") for f in features if isinstance(f, dict)]
    if crs != "EPSG:4326" or len(geometries) != 1 or not isinstance(geometries[0], dict):
        return None
    return geometries[0]
