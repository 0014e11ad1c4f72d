"""Areas of interest (``region``): a bbox, a vector file or an earlier result, and the scene
read inside it.

A region is loaded once per call (:func:`load_region`) and then cut out of each scene the call
reads (:func:`clip_to_region`): only the window of the scene that the region's bounds touch is
read, pixels outside the region's polygons become nodata (or masked), and the clip is a GeoTIFF
on the scene's own grid and CRS, so every tool works on it unchanged and its numbers are
"inside the region".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
from rasterio.windows import Window as RioWindow
from shapely import box, from_wkb
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tools.core.errors import InputError
from tools.core.sources import load_source
from tools.geo.area import pixel_area_rows_m2
from tools.geo.atomic import atomic_path
from tools.geo.pixel_grid import grid_gsd
from tools.geo.raster import crs_to_str, open_dataset
from tools.geo.vector import polygonize_mask, read_features

VECTOR_SUFFIXES = (".geojson", ".gpkg", ".shp", ".fgb", ".gml", ".kml")
_ROWS = 1024  # rows read and written at a time


@dataclass
class Region:
    """An area of interest: polygons in ``crs`` (None: a bbox in the scene's own CRS, or in
    lon/lat when it lies there), and what it is in words."""

    geometry: BaseGeometry
    crs: str | None
    what: str
    bbox: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Clip:
    """A scene cut to a region: the clip file, the region's area inside the scene, notes."""

    path: Path
    area_m2: float | None
    pixels: int
    notes: list[str] = field(default_factory=list)


def _polygons(geom: BaseGeometry, what: str) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon",
                                                                            "MultiPolygon")]
    if not parts:
        raise InputError(f"region: {what} holds no polygon ({geom.geom_type}); a region must be "
                         "an area: pass polygons, a mask or a bbox (buffer points or lines first)")
    return unary_union(parts)


def _bbox(values: list[float]) -> Region:
    if len(values) != 4 or not all(math.isfinite(float(v)) for v in values):
        raise InputError(f"region: a bbox is 4 finite numbers [minx, miny, maxx, maxy]; got "
                         f"{values!r}")
    x0, y0, x1, y1 = (float(v) for v in values)
    if x0 == x1 or y0 == y1:
        raise InputError(f"region: the bbox {values!r} has no area (minx == maxx or miny == "
                         "maxy); give [minx, miny, maxx, maxy]")
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    text = f"bbox [{x0:g}, {y0:g}, {x1:g}, {y1:g}]"
    return Region(box(x0, y0, x1, y1), None, text, bbox=True)


def _vector_file(path: Path, layer: str | None) -> Region:
    if path.suffix.lower() in (".geojson", ".json"):
        features, crs = read_features(path)
        geoms = [shape(f["geometry"]) for f in features if f.get("geometry")]
    else:
        import pyogrio.raw  # a third-party library, loaded for vector files only

        try:
            meta, _, wkb, _ = pyogrio.raw.read(path, layer=layer, read_geometry=True)
        except Exception as exc:  # pyogrio's errors name the problem (no such layer...)
            raise InputError(f"region: cannot read {path.name}"
                             f"{f' layer {layer!r}' if layer else ''}: {exc}") from exc
        crs = meta.get("crs")
        geoms = [from_wkb(g) for g in wkb if g is not None]
    if not geoms:
        raise InputError(f"region: {path.name} holds no geometry; pass a file with polygons")
    what = f"{path.name}" + (f" layer {layer}" if layer else "")
    return Region(_polygons(unary_union(geoms), what), crs, f"the polygons of {what}")


def load_region(value: str | list[float]) -> Region:
    """Load a ``region`` argument: a bbox (4 numbers), a vector file (``file.gpkg#layer`` names
    a layer), an earlier step's result (its polygons, else its mask) or a mask raster.

    Raises:
        InputError: Not 4 numbers, no such file, or nothing with an area in it.
    """
    if isinstance(value, list):
        return _bbox(value)
    path, layer = Path(value), None
    if not path.exists() and "#" in value:
        head, layer = value.rsplit("#", 1)
        path = Path(head)
    if not path.exists():
        raise InputError(f"region: file not found: {path}. Pass a bbox [minx, miny, maxx, "
                         "maxy], a GeoJSON / GeoPackage / Shapefile, or an earlier step ($s1)")
    if path.suffix.lower() in VECTOR_SUFFIXES:
        return _vector_file(path, layer)
    src = load_source(path, "region")
    if src.vector is not None:
        return _vector_file(src.vector, None)
    mask = src.require("mask", "region")
    with open_dataset(mask, "region") as ds:
        features = polygonize_mask(ds)
        crs = crs_to_str(ds.crs)
    if not features:
        raise InputError(f"region: the mask {mask.name} selects no pixel; pass a mask with an "
                         "area in it")
    geom = unary_union([shape(f["geometry"]) for f in features])
    return Region(geom, crs, f"the mask {mask.name}")


def _in_scene_crs(region: Region, src: Any, argument: str) -> tuple[BaseGeometry, list[str]]:
    """The region's polygons in the scene's CRS (a bbox: in the scene CRS when it overlaps the
    scene there, else read as lon/lat)."""
    scene = box(*_bounds(src))
    if region.crs is None:
        if region.geometry.intersects(scene):
            return region.geometry, []
        lon_lat = region.geometry.bounds
        if src.crs and grid_gsd(src.crs) is None and -180 <= lon_lat[0] <= lon_lat[2] <= 180 \
                and -90 <= lon_lat[1] <= lon_lat[3] <= 90:
            geom = shape(rasterio.warp.transform_geom("EPSG:4326", src.crs,
                                                      mapping(region.geometry)))
            if geom.intersects(scene):
                return geom, [f"region: the {region.what} was read as lon/lat (EPSG:4326)"]
        raise InputError(
            f"region: the {region.what} does not overlap {argument} ({src.name}: bounds "
            f"{_text(_bounds(src))} in {crs_to_str(src.crs) or 'pixel coordinates'}); give the "
            "bbox in the scene CRS or in lon/lat")
    if not src.crs or grid_gsd(src.crs) is not None:
        if grid_gsd(region.crs) is not None and region.crs == crs_to_str(src.crs):
            return region.geometry, []
        raise InputError(f"region: {argument} ({src.name}) has no georeference, so the "
                         f"{region.what} cannot be placed on it; give a bbox in pixel "
                         "coordinates instead")
    if region.crs == crs_to_str(src.crs):
        return region.geometry, []
    geom = shape(rasterio.warp.transform_geom(region.crs, src.crs, mapping(region.geometry)))
    return geom, []


def _bounds(src: Any) -> tuple[float, float, float, float]:
    left, bottom, right, top = src.bounds
    return min(left, right), min(bottom, top), max(left, right), max(bottom, top)


def _text(bounds: tuple[float, ...]) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in bounds) + "]"


def _window(geom: BaseGeometry, src: Any) -> RioWindow | None:
    """The pixel window of the scene that the geometry's bounds touch (None: no overlap)."""
    x0, y0, x1, y1 = geom.bounds
    inverse = ~src.transform
    cols, rows = zip(*(inverse * (x, y) for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))),
                     strict=True)
    c0, c1 = max(0, math.floor(min(cols))), min(src.width, math.ceil(max(cols)))
    r0, r1 = max(0, math.floor(min(rows))), min(src.height, math.ceil(max(rows)))
    if c1 <= c0 or r1 <= r0:
        return None
    return RioWindow(c0, r0, c1 - c0, r1 - r0)


def clip_to_region(path: str, region: Region, dest: Path, argument: str = "image") -> Clip:
    """Cut ``path`` to ``region``: read only the window the region touches, write it to
    ``dest`` (GeoTIFF, the scene's grid and CRS, band names, tags and colours kept) with the
    pixels outside the polygons as nodata (NaN for float scenes without nodata; 0 and a GDAL
    mask for integer scenes without nodata).

    Raises:
        InputError: The region does not overlap the scene.
    """
    with open_dataset(path, argument) as src:
        geom, notes = _in_scene_crs(region, src, argument)
        win = _window(geom, src)
        if win is None:
            raise InputError(f"region: the {region.what} does not overlap {argument} ({path})")
        transform = src.window_transform(win)
        floating = np.dtype(src.dtypes[0]).kind == "f"
        nodata = src.nodata if src.nodata is not None else (math.nan if floating else None)
        profile = {"driver": "GTiff", "width": int(win.width), "height": int(win.height),
                   "count": src.count, "dtype": src.dtypes[0], "crs": src.crs,
                   "transform": transform, "nodata": nodata, "tiled": True,
                   "blockxsize": 256, "blockysize": 256, "compress": "deflate",
                   "BIGTIFF": "IF_SAFER"}
        inside_px, area = 0, 0.0
        with atomic_path(dest, "part") as tmp, rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), \
                rasterio.open(tmp, "w", **profile) as dst:
            _copy_metadata(src, dst)
            for r in range(0, int(win.height), _ROWS):
                rows = min(_ROWS, int(win.height) - r)
                part = RioWindow(win.col_off, win.row_off + r, win.width, rows)
                data = src.read(window=part, masked=False)
                inside = rasterio.features.geometry_mask(
                    [geom], out_shape=(rows, int(win.width)), invert=True,
                    transform=src.window_transform(part))
                inside_px += int(inside.sum())
                if src.crs:
                    area += float((inside.sum(axis=1) * pixel_area_rows_m2(
                        src.transform, src.crs, int(part.row_off), rows)).sum())
                out = RioWindow(0, r, win.width, rows)
                if nodata is not None:
                    data[:, ~inside] = nodata
                else:  # zero too, for readers of raw values (a 0/1 mask counts nothing)
                    data[:, ~inside] = 0
                    dst.write_mask(np.where(inside, 255, 0).astype(np.uint8), window=out)
                dst.write(data, window=out)
        if not inside_px:
            dest.unlink(missing_ok=True)
            raise InputError(f"region: the {region.what} covers no pixel centre of {argument} "
                             f"({path}); pass a larger region")
        return Clip(dest, area if src.crs else None, inside_px, notes)


def _copy_metadata(src: Any, dst: Any) -> None:
    dst.update_tags(**src.tags())
    for i in range(1, src.count + 1):
        if src.descriptions[i - 1]:
            dst.set_band_description(i, src.descriptions[i - 1])
        if src.tags(i):
            dst.update_tags(i, **src.tags(i))
    dst.colorinterp = src.colorinterp
