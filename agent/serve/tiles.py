"""Map tiles of rasters: 256 x 256 RGBA PNGs in web mercator (EPSG:3857, XYZ scheme).

A tile is read, never the whole raster:

* its EPSG:3857 bounds are compared with the raster's footprint first; a tile off the data is
  the transparent PNG at once, without opening the file;
* the overview whose pixels are closest to the tile's (never coarser) is chosen, and the file
  is opened at that level (GDAL's ``OVERVIEW_LEVEL``), as ``gdalwarp -ovr AUTO`` does;
* a :class:`~rasterio.vrt.WarpedVRT` whose grid *is* the tile (CRS EPSG:3857, the tile's
  transform, 256 x 256 px) is read, so GDAL reads only the source blocks under the tile;
  nearest resampling for class values, bilinear for continuous values.

The source CRS is kept for everything but display. Facts about a file (size, CRS, footprint,
overviews) and its style are computed once per (file, modification time, size) and kept in
memory.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from agent.serve.styles import LayerStyle

TILE_PX = 256
MAX_ZOOM = 30
HALF_WORLD_M = math.pi * 6378137.0
"""Half the width of the web mercator world (metres of EPSG:3857)."""
MAX_LAT = 85.0511287798066
"""The latitude web mercator ends at (degrees)."""
WEB_MERCATOR = "EPSG:3857"
NOT_GEOREFERENCED = "no georeference: not drawn on the map"

Bounds = tuple[float, float, float, float]
V = TypeVar("V")


class NotDrawable(Exception):
    """The raster cannot be placed on the map (no CRS, or a pixel grid)."""


class Memo(Generic[V]):
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value of ``key``, made by ``make()`` on the first call (an exception is not
        kept: the next call tries again)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def file_key(path: Path) -> tuple[str, int, int]:
    """(path, modification time in ns, size in bytes): a file's identity in the caches."""
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


@dataclass(frozen=True)
class Footprint:
    """Where a georeferenced raster lies."""

    lon_lat: Bounds
    """[west, south, east, north] in degrees (EPSG:4326)."""
    mercator: Bounds
    """The same in EPSG:3857 metres, latitudes clipped to web mercator's."""
    pixel_m: float
    """The source pixel size in EPSG:3857 metres (approximate: the finer axis)."""


@dataclass(frozen=True)
class RasterFacts:
    """A raster file's header facts."""

    width: int
    height: int
    count: int
    crs: str | None
    footprint: Footprint | None
    overviews: tuple[int, ...]
    """Decimation factors of band 1's overviews, increasing."""


def _footprint(src: Any) -> Footprint | None:
    from rasterio.warp import transform_bounds

    from tools.geo.pixel_grid import grid_gsd

    if not src.crs or grid_gsd(src.crs) is not None:
        return None
    try:
        west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds,
                                                    densify_pts=21)
        low, high = max(south, -MAX_LAT), min(north, MAX_LAT)
        if not all(map(math.isfinite, (west, south, east, north))) or high <= low:
            return None
        mercator = transform_bounds("EPSG:4326", WEB_MERCATOR, west, low, east, high,
                                    densify_pts=21)
    except Exception:  # a CRS PROJ cannot transform: the raster is not drawn
        return None
    pixel = min((mercator[2] - mercator[0]) / src.width, (mercator[3] - mercator[1]) / src.height)
    return Footprint((west, south, east, north), tuple(mercator), max(pixel, 1e-9))


def _read_facts(path: Path) -> RasterFacts:
    import rasterio

    from tools.geo.raster import crs_to_str

    with rasterio.open(path) as src:
        return RasterFacts(src.width, src.height, src.count, crs_to_str(src.crs),
                           _footprint(src), tuple(sorted(src.overviews(1))))


_FACTS: Memo[RasterFacts] = Memo(2048)


def raster_facts(path: Path) -> RasterFacts:
    """The header facts of ``path`` (cached per file version).

    Raises:
        rasterio.errors.RasterioIOError: Not a raster GDAL can read.
    """
    return _FACTS.get(file_key(path), lambda: _read_facts(path))


_STYLES: Memo[LayerStyle] = Memo(512)


def cached_style(path: Path, extra: Hashable, make: Callable[[Any], LayerStyle]) -> LayerStyle:
    """The style ``make(open dataset)`` of ``path``, computed once per file version and
    ``extra`` (what else the style depends on: the artifact record, the style file's
    version)."""
    import rasterio

    def build() -> LayerStyle:
        with rasterio.open(path) as src:
            return make(src)

    return _STYLES.get((file_key(path), extra), build)


# --- tile geometry --------------------------------------------------------------------------


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse (ValueError) a tile outside the XYZ pyramid."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise ValueError(f"no tile {z}/{x}/{y}: zoom 0-{MAX_ZOOM}, x and y 0 to 2^zoom - 1")


def tile_bounds(z: int, x: int, y: int) -> Bounds:
    """[west, south, east, north] of XYZ tile ``z/x/y`` in EPSG:3857 metres (y = 0 is the
    northern row)."""
    size = 2.0 * HALF_WORLD_M / 2**z
    west = -HALF_WORLD_M + x * size
    north = HALF_WORLD_M - y * size
    return west, north - size, west + size, north


def intersects(a: Bounds, b: Bounds) -> bool:
    """Whether two boxes share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def overview_level(facts: RasterFacts, bounds: Bounds) -> int | None:
    """The 0-based overview level to read a tile of ``bounds`` from: the coarsest overview
    whose pixels are not coarser than the tile's (None: full resolution)."""
    if facts.footprint is None:
        return None
    wanted = (bounds[2] - bounds[0]) / TILE_PX / facts.footprint.pixel_m
    level = None
    for k, factor in enumerate(facts.overviews):
        if factor <= wanted:
            level = k
    return level


# --- rendering ------------------------------------------------------------------------------


def png(rgba: np.ndarray) -> bytes:
    """``rgba`` (rows, cols, 4; uint8) as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=1)
def transparent_tile() -> bytes:
    """The PNG of a fully transparent tile."""
    return png(np.zeros((TILE_PX, TILE_PX, 4), dtype="uint8"))


def _valid(vrt: Any, data: np.ndarray, nodata: float | None, alpha: bool) -> np.ndarray:
    """Pixels of the tile that hold data: covered by the raster (the warped alpha band, or
    not nodata in some band) and finite."""
    valid: np.ndarray = np.isfinite(data).any(axis=0)
    if alpha:
        valid &= vrt.read(vrt.count) > 0
    elif nodata is not None and not math.isnan(nodata):
        valid &= (data != np.float32(nodata)).any(axis=0)
    return valid


def render_tile(path: Path, facts: RasterFacts, style: LayerStyle, z: int, x: int,
                y: int) -> bytes:
    """The PNG of tile ``z/x/y`` of the raster ``path`` drawn in ``style``.

    Raises:
        NotDrawable: The raster has no georeference.
        ValueError: No such tile.
        rasterio.errors.RasterioIOError: The blocks under the tile cannot be read.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT

    check_tile(z, x, y)
    if facts.footprint is None:
        raise NotDrawable(NOT_GEOREFERENCED)
    bounds = tile_bounds(z, x, y)
    if not intersects(bounds, facts.footprint.mercator):
        return transparent_tile()
    level = overview_level(facts, bounds)
    options = {} if level is None else {"OVERVIEW_LEVEL": level}
    resampling = Resampling.nearest if style.nearest else Resampling.bilinear
    with rasterio.open(path, **options) as src:
        alpha = src.nodata is None
        with WarpedVRT(src, crs=WEB_MERCATOR, transform=from_bounds(*bounds, TILE_PX, TILE_PX),
                       width=TILE_PX, height=TILE_PX, resampling=resampling,
                       add_alpha=alpha) as vrt:
            data = vrt.read(style.bands, out_dtype="float32")
            valid = _valid(vrt, data, src.nodata, alpha)
    if not valid.any():
        return transparent_tile()
    from agent.serve.styles import paint

    return png(paint(style.style, data, valid))
