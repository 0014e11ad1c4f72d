"""Prompts for ``segment`` in scene pixels: boxes from a detect_objects result or a GeoJSON (in
any CRS), points given in the scene CRS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio.warp
from affine import Affine
from pyproj import CRS
from shapely.affinity import affine_transform
from shapely.geometry import shape

from tools.core.errors import InputError
from tools.core.sources import load_source
from tools.geo.objects import class_of, load_objects, number
from tools.geo.raster import RasterInfo

BOX_CONTEXT_PX = 8
"""Pixels around a box that its window must also show."""
POINT_CONTEXT_PX = 64
"""Pixels around a point that its window must also show."""


@dataclass
class Prompts:
    """Prompts in scene pixels.

    Attributes:
        kind: ``boxes`` (coords ``x0, y0, x1, y1``) or ``points`` (coords ``x, y``).
        coords: ``(N, 4)`` or ``(N, 2)`` float pixel coordinates (column, row order).
        needs: ``(N, 4)`` region each prompt's window must contain.
        props: Properties carried to each object (class, confidence, source feature id).
    """

    kind: str
    coords: np.ndarray
    needs: np.ndarray
    props: list[dict[str, Any]] = field(default_factory=list)


def _same_crs(a: str, b: str) -> bool:
    try:
        return bool(CRS.from_user_input(a) == CRS.from_user_input(b))
    except Exception:
        return a == b


def box_prompts(value: str, info: RasterInfo, warnings: list[str],
                argument: str = "boxes") -> Prompts:
    """Pixel boxes (the axis-aligned envelope, in pixels, of each feature) from an earlier
    result or a GeoJSON; features outside the scene are dropped with a warning.

    Raises:
        InputError: The source holds no vector, or its CRS is unknown while the scene has one.
    """
    src = load_source(value, argument)
    path = src.require("vector", argument)
    objs, crs, skipped = load_objects(path)
    warnings.extend(skipped)
    if info.crs and not crs:
        raise InputError(f"{argument}: {path} names no CRS; boxes must be georeferenced "
                         f"(write them in the scene CRS {info.crs})")
    inv = ~Affine(*info.transform)
    params = [inv.a, inv.b, inv.d, inv.e, inv.c, inv.f]
    boxes, props, outside = [], [], 0
    for obj in objs:
        geom = obj.geom
        if crs and info.crs and not _same_crs(crs, info.crs):
            geom = shape(rasterio.warp.transform_geom(crs, info.crs, obj.feature["geometry"]))
        x0, y0, x1, y1 = affine_transform(geom, params).bounds
        x0, x1 = max(0.0, x0), min(float(info.width), x1)
        y0, y1 = max(0.0, y0), min(float(info.height), y1)
        if x1 - x0 < 1 or y1 - y0 < 1:
            outside += 1
            continue
        fprops = obj.feature.get("properties") or {}
        p: dict[str, Any] = {"source_id": obj.feature.get("id", fprops.get("id"))}
        cls = class_of(obj)
        if cls:
            p["class"] = cls
        conf = number(fprops.get("confidence", fprops.get("score")))
        if conf is not None:
            p["confidence"] = conf
        boxes.append((x0, y0, x1, y1))
        props.append(p)
    if outside:
        warnings.append(f"{outside} box(es) of {path} lie outside the scene (or are under "
                        "1 px) and were not segmented")
    coords = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    pad = np.array([-BOX_CONTEXT_PX, -BOX_CONTEXT_PX, BOX_CONTEXT_PX, BOX_CONTEXT_PX])
    needs = np.clip(coords + pad, 0, [info.width, info.height] * 2)
    return Prompts("boxes", coords, needs, props)


def point_prompts(points: list[list[float]], info: RasterInfo, warnings: list[str]) -> Prompts:
    """Pixel points from ``[x, y]`` pairs in the scene CRS.

    Raises:
        InputError: A point is not a pair, or no point lies inside the scene.
    """
    inv = ~Affine(*info.transform)
    coords, props = [], []
    for k, pt in enumerate(points):
        if len(pt) != 2:
            raise InputError(f"points: point {k} is {pt}; give [x, y] in the scene CRS "
                             f"({info.crs})")
        col, row = inv @ (float(pt[0]), float(pt[1]))
        if 0 <= col < info.width and 0 <= row < info.height:
            coords.append((col, row))
            props.append({"point": [float(pt[0]), float(pt[1])]})
    if not coords:
        left, bottom, right, top = info.bounds
        raise InputError(f"points: none of the {len(points)} point(s) lies inside the scene "
                         f"(x {left:.6g} to {right:.6g}, y {bottom:.6g} to {top:.6g} in "
                         f"{info.crs}); give points in the scene CRS")
    if len(coords) < len(points):
        warnings.append(f"{len(points) - len(coords)} point(s) outside the scene were ignored")
    arr = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    needs = np.clip(np.hstack([arr - POINT_CONTEXT_PX, arr + POINT_CONTEXT_PX]), 0,
                    [info.width, info.height] * 2)
    return Prompts("points", arr, needs, props)
