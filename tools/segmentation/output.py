"""Outputs of ``segment``: the instance-id mask GeoTIFF on the source grid (painted block by
block from small mask crops) and one polygon per object in the scene CRS with its area in m².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio.features
from affine import Affine
from shapely.geometry import MultiPolygon, mapping, shape

from specialists.segmentation.sam_tiles import Piece, paint, resolve_overlaps
from tools.core.registry import ToolContext
from tools.geo.area import geometry_area_m2
from tools.geo.geotiff import grid_writer
from tools.geo.raster import RasterInfo, iter_tiles, rio
from tools.geo.vector import write_geojson

BLOCK = 1024
"""Side in pixels of the mask blocks painted at once."""


@dataclass
class Written:
    """What :func:`write_outputs` wrote."""

    count: int
    pixels: int
    area_m2: float | None
    warnings: list[str] = field(default_factory=list)


def _buckets(pieces: list[Piece]) -> dict[tuple[int, int], list[int]]:
    out: dict[tuple[int, int], list[int]] = {}
    for k, p in enumerate(pieces):
        r0, c0, r1, c1 = p.bounds
        for r in range(r0 // BLOCK, (r1 - 1) // BLOCK + 1):
            for c in range(c0 // BLOCK, (c1 - 1) // BLOCK + 1):
                out.setdefault((r, c), []).append(k)
    return out


def _polygon(p: Piece, transform: Affine) -> Any:
    t = transform @ Affine.translation(p.col, p.row)
    parts = [shape(g) for g, _ in rasterio.features.shapes(
        p.mask.astype(np.uint8), mask=p.mask, transform=t)]
    # shapes() gives disjoint 4-connected regions (touching at most at corners): no union needed
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def write_outputs(like: Any, info: RasterInfo, pieces: list[Piece], ctx: ToolContext,
                  wgs84: bool = False) -> Written:
    """Make masks disjoint (best score wins), write the mask and the polygons, record them.

    Args:
        like: Open source dataset (its grid is the mask's grid).
        info: Its metadata.
        pieces: Object masks in scene pixels.
        ctx: Tool context (artifacts are recorded on it).
        wgs84: Also write the polygons in EPSG:4326.
    """
    objs = resolve_overlaps(pieces)
    dtype = "uint16" if len(objs) < 65535 else "uint32"
    ids = list(range(1, len(objs) + 1))
    buckets = _buckets(objs)
    dest = ctx.output_path("segment_mask.tif")
    with grid_writer(dest, like, dtype=dtype, tags={"units": "instance id",
                                                    "background": "0"}) as dst:
        for tile in iter_tiles(like.width, like.height, BLOCK):
            key = (tile.core.row_off // BLOCK, tile.core.col_off // BLOCK)
            members = buckets.get(key)
            if not members:
                continue
            arr = paint([objs[k] for k in members], [ids[k] for k in members], tile.core, dtype)
            if arr is not None:
                dst.write(arr, 1, window=rio(tile.core))
    transform = Affine(*info.transform)
    features, total = [], 0.0
    for ident, p in zip(ids, objs, strict=True):
        geom = _polygon(p, transform)
        props: dict[str, Any] = {"id": ident, "score": round(p.score, 4), "pixels": p.pixels,
                                 **p.props}
        if info.crs:
            props["area_m2"] = round(geometry_area_m2(geom, info.crs), 3)
            total += props["area_m2"]
        features.append({"type": "Feature", "id": ident, "properties": props,
                         "geometry": mapping(geom)})
    ctx.artifact("instance_mask", "mask", dest, units="instance id", crs=info.crs,
                 transform=info.transform,
                 description=f"{dtype} instance ids 1..{len(objs)} (0 = background)")
    for path in write_geojson(ctx.output_path("segments.geojson"), features, info.crs, wgs84):
        wgs = path.name.endswith(".4326.geojson")
        ctx.artifact("segments_4326" if wgs else "segments", "vector", path, units="m²",
                     crs="EPSG:4326" if wgs else info.crs,
                     description=f"{len(objs)} object polygons with id, score, area_m2")
    warnings = [] if info.crs else ["the scene has no CRS: areas are not computed"]
    return Written(count=len(objs), pixels=sum(p.pixels for p in objs),
                   area_m2=total if info.crs else None, warnings=warnings)
