"""Layers read window by window on one grid: a raster as it is, pixel for pixel, or warped onto
the grid (nearest neighbour), and polygons burnt onto it.

A tool that compares two things pixel by pixel (``assess``: a result against a reference) picks
one grid and reads every input through a layer, so it never holds more than one window.
Every layer's ``read(window)`` returns ``(values, valid)``: float values and a boolean mask of the
pixels that hold data.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.features
import rasterio.warp
import rasterio.windows
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window as RioWindow
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from tools.core.errors import InputError
from tools.geo.pixel_grid import grid_gsd
from tools.geo.raster import alpha_bands, crs_to_str, read_masked, same_grid

Shape = tuple[dict[str, Any], tuple[float, ...], float]
"""A GeoJSON geometry in the grid CRS, its bounds and the value it burns."""


@dataclass(frozen=True)
class Grid:
    """Size, transform and CRS of the grid a comparison reads on (and a name for messages)."""

    width: int
    height: int
    transform: Any
    crs: Any
    name: str


def grid_of(ds: Any) -> Grid:
    """The grid of an open dataset."""
    return Grid(ds.width, ds.height, ds.transform, ds.crs, Path(ds.name).name)


def is_pixel_grid(crs: Any) -> bool:
    """True without a CRS or with the local CRS of a stated gsd: plain pixel coordinates."""
    return not crs or grid_gsd(crs) is not None


class RasterLayer:
    """A raster on the grid: each pixel's largest non-alpha band value (one band for a mask,
    any band of an RGB-coded label); nodata, NaN and alpha 0 are invalid."""

    def __init__(self, ds: Any) -> None:
        self.ds, self.alpha = ds, sorted(alpha_bands(ds))
        self.bands = [b for b in range(1, ds.count + 1) if b not in self.alpha] or [1]

    def read(self, win: RioWindow) -> tuple[np.ndarray, np.ndarray]:
        """Values and validity of one window."""
        values = read_masked(self.ds, win, self.bands).max(axis=0)
        valid = ~np.ma.getmaskarray(values)
        for band in self.alpha:
            valid &= self.ds.read(band, window=win) > 0
        return np.asarray(values.filled(0)), valid


class PolygonLayer:
    """Polygons burnt onto the grid (pixel centres inside; a later polygon wins an overlap);
    every pixel is valid, 0 outside the polygons."""

    def __init__(self, shapes: list[Shape], grid: Grid) -> None:
        self.grid, self.shapes = grid, shapes

    def read(self, win: RioWindow) -> tuple[np.ndarray, np.ndarray]:
        """Burnt values and validity (all True) of one window."""
        out = (int(win.height), int(win.width))
        x0, y0, x1, y1 = rasterio.windows.bounds(win, self.grid.transform)
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        hits = [(g, v) for g, (a, b, c, d), v in self.shapes
                if a <= x1 and c >= x0 and b <= y1 and d >= y0]
        if not hits:
            return np.zeros(out, dtype=np.float32), np.ones(out, dtype=bool)
        burnt = rasterio.features.rasterize(
            hits, out_shape=out, transform=rasterio.windows.transform(win, self.grid.transform),
            fill=0, dtype="float32")
        return np.asarray(burnt), np.ones(out, dtype=bool)


def raster_on_grid(ds: Any, grid: Grid, argument: str, stack: ExitStack,
                   warnings: list[str]) -> RasterLayer:
    """``ds`` read on ``grid``: as it is (same grid), pixel for pixel (no georeference on one
    side, same size), or warped onto it with nearest neighbour (a view ``stack`` closes).

    Raises:
        InputError: Different sizes without georeference to reproject with (names
            ``argument``).
    """
    if same_grid(ds, grid):
        return RasterLayer(ds)
    name = Path(ds.name).name
    if is_pixel_grid(ds.crs) or is_pixel_grid(grid.crs):
        if (ds.width, ds.height) != (grid.width, grid.height):
            raise InputError(
                f"{argument}: {name} ({ds.width}x{ds.height} px) is not on the grid of "
                f"{grid.name} ({grid.width}x{grid.height} px), and without georeference on both "
                f"sides it cannot be reprojected. Pass a {argument} of the same size (a label "
                "PNG of the same chip) or georeferenced rasters.")
        if is_pixel_grid(ds.crs) != is_pixel_grid(grid.crs):
            warnings.append(f"{name} or {grid.name} has no georeference: compared pixel for "
                            "pixel (same size)")
        return RasterLayer(ds)
    vrt = stack.enter_context(WarpedVRT(
        ds, crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height,
        resampling=Resampling.nearest, add_alpha=True))
    warnings.append(f"{argument} {name} is on another grid ({crs_to_str(ds.crs)}, "
                    f"{ds.width}x{ds.height} px): reprojected onto the grid of {grid.name} with "
                    "nearest neighbour")
    return RasterLayer(vrt)


def geometries_to_crs(geoms: list[BaseGeometry], crs: str | None, target: str | None,
                      warnings: list[str], what: str) -> list[BaseGeometry]:
    """``geoms`` (in ``crs``) in the ``target`` CRS; as they are when either is a pixel grid or
    missing (with a warning unless both are the same)."""
    if is_pixel_grid(crs) or is_pixel_grid(target):
        if crs != target:
            warnings.append(f"{what} or the grid lacks a CRS: coordinates assumed to match")
        return geoms
    assert crs is not None and target is not None
    if CRS.from_user_input(crs) == CRS.from_user_input(target):
        return geoms
    return [shape(rasterio.warp.transform_geom(crs, target, mapping(g))) for g in geoms]
