"""Objects (GeoJSON features) with areas and lengths from their geometry and CRS, class names
in canonical form, and the filters ``measure`` applies (classes, confidence, area, length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyproj import CRS
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from prompts.classes import canonical_class
from tools.core.errors import InputError
from tools.geo.area import geometry_area_m2, geometry_length_m, require_crs
from tools.geo.vector import read_features, write_geojson

_CLASS_KEYS = ("class", "label", "class_name", "category")
_CONFIDENCE_KEYS = ("confidence", "score")


@dataclass
class Obj:
    """A feature, its shapely geometry, and its area / length once computed."""

    feature: dict[str, Any]
    geom: BaseGeometry
    area_m2: float | None = None
    length_m: float | None = None


def _norm_crs(crs: str | None) -> str | None:
    if not crs:
        return None
    try:
        epsg = CRS.from_user_input(crs).to_epsg()
    except Exception:
        return crs
    return f"EPSG:{epsg}" if epsg else crs


def load_objects(path: Path) -> tuple[list[Obj], str | None, list[str]]:
    """Read a GeoJSON's features as objects.

    Returns:
        The objects, the CRS ('EPSG:n' when it has a code; GeoJSON without a ``crs`` member is
        EPSG:4326) and warnings about skipped features.

    Raises:
        InputError: The file is not a readable FeatureCollection.
    """
    try:
        features, crs = read_features(path)
    except (ValueError, OSError, AttributeError) as exc:
        raise InputError(f"source: {path} is not a readable GeoJSON FeatureCollection ({exc}). "
                         "Pass a GeoJSON, a mask raster or an earlier step.") from exc
    objs, skipped = [], 0
    for f in features:
        try:
            objs.append(Obj(feature=f, geom=shape(f["geometry"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped += 1
    warnings = [f"{skipped} feature(s) of {path} have no usable geometry and were skipped"
                ] if skipped else []
    return objs, _norm_crs(crs), warnings


def number(raw: Any) -> float | None:
    """``raw`` as a finite float, or None."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def class_of(obj: Obj) -> str | None:
    """Canonical class of an object (property class, label, class_name or category)."""
    props = obj.feature.get("properties") or {}
    for key in _CLASS_KEYS:
        if props.get(key) not in (None, ""):
            return canonical_class(str(props[key]))
    return None


def object_area_m2(obj: Obj, crs: str | None, where: str) -> float:
    """Area in m² of the object (cached); ``where`` names the file when the CRS is missing."""
    if obj.area_m2 is None:
        obj.area_m2 = geometry_area_m2(obj.geom, require_crs(crs, where))
    return obj.area_m2


def object_length_m(obj: Obj, crs: str | None, where: str) -> float:
    """Length in m of the object: long side of its minimum rotated rectangle (cached)."""
    if obj.length_m is None:
        obj.length_m = geometry_length_m(obj.geom, require_crs(crs, where))
    return obj.length_m


def filter_objects(
    objs: list[Obj], crs: str | None, where: str, warnings: list[str], *,
    classes: list[str] | None = None, min_confidence: float | None = None,
    min_area_m2: float | None = None, max_area_m2: float | None = None,
    min_length_m: float | None = None,
) -> list[Obj]:
    """Objects that pass the filters (classes, confidence, area and length bounds).

    Raises:
        InputError: A class filter on features without classes, or areas without a CRS.
    """
    if classes:
        wanted = {canonical_class(c) for c in classes}
        if not any(class_of(o) for o in objs) and objs:
            raise InputError(f"classes: the features of {where} carry no class (properties "
                             f"{', '.join(_CLASS_KEYS)}); drop the classes filter or pass "
                             "detections.")
        objs = [o for o in objs if class_of(o) in wanted]
    if min_confidence is not None:
        scored = [(o, next((v for k in _CONFIDENCE_KEYS if (v := number(
            (o.feature.get("properties") or {}).get(k))) is not None), None)) for o in objs]
        if all(c is None for _, c in scored):
            warnings.append("min_confidence ignored: the features carry no confidence or score")
        else:
            objs = [o for o, c in scored if c is not None and c >= min_confidence]
    if min_area_m2 is not None:
        objs = [o for o in objs if object_area_m2(o, crs, where) >= min_area_m2]
    if max_area_m2 is not None:
        objs = [o for o in objs if object_area_m2(o, crs, where) <= max_area_m2]
    if min_length_m is not None:
        objs = [o for o in objs if object_length_m(o, crs, where) >= min_length_m]
    return objs


def attr_units(attr: str) -> str:
    """Units of a property guessed from its name (``width_m`` -> m); else 'units of NAME'."""
    low = attr.lower()
    for suffix, unit in (("_km2", "km²"), ("_m2", "m²"), ("_mg_ha", "Mg/ha"), ("_ha", "ha"),
                         ("_m", "m"), ("_mg", "Mg")):
        if low.endswith(suffix):
            return unit
    if low in _CONFIDENCE_KEYS:
        return "1"
    return f"units of {attr}"


def attr_values(objs: list[Obj], attr: str, crs: str | None, where: str,
                warnings: list[str]) -> list[float]:
    """Numeric values of ``attr`` (area_m2 and length_m come from the geometry).

    Raises:
        InputError: No object has a numeric value of ``attr`` (the message lists those that do).
    """
    if attr == "area_m2":
        return [object_area_m2(o, crs, where) for o in objs]
    if attr == "length_m":
        return [object_length_m(o, crs, where) for o in objs]
    found = [number((o.feature.get("properties") or {}).get(attr)) for o in objs]
    values = [v for v in found if v is not None]
    missing = len(found) - len(values)
    if missing:
        warnings.append(f"{missing} feature(s) have no numeric {attr!r} and were left out")
    if objs and not values:
        props = sorted({k for o in objs for k, v in (o.feature.get("properties") or {}).items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool)})
        raise InputError(f"attribute: no feature of {where} has a numeric {attr!r}. Numeric "
                         f"properties: {', '.join(props) or 'none'} (area_m2 and length_m are "
                         "computed from the geometry).")
    return values


def write_objects(dest: Path, objs: list[Obj], crs: str | None) -> Path:
    """Write objects as GeoJSON with their computed area_m2 / length_m properties."""
    features = []
    for o in objs:
        props = dict(o.feature.get("properties") or {})
        for key, val in (("area_m2", o.area_m2), ("length_m", o.length_m)):
            if val is not None:
                props[key] = round(val, 3)
        features.append({**o.feature, "properties": props})
    return write_geojson(dest, features, crs)[0]
