"""Streaming passes of a 3-band 8-bit composite (``pseudo_rgb``): read, stretch, write.

A :class:`Recipe` says which bands are read and how they become the three channels. The scene
is read tile by tile: per-channel moments and/or histograms give the stretch limits
(:func:`stretch_limits`), then :func:`write_composite` writes the uint8 GeoTIFF on the source
grid. Valid pixels become 1..255; 0 is nodata (where any band that feeds the composite is
nodata).

Each pass runs its tiles through a :class:`tools.geo.fanout.TileRunner` (in this process or on
the ``EARTHSIGHT_CLUSTER`` workers) and merges them here in tile order, so the composite is
byte-identical wherever the tiles ran: histogram passes bring back integer counts per tile
(summed here), the write pass brings back each tile's uint8 window (written by the one writer
here), and the moment pass (float input, or ``minmax``) brings back the tile's channels, whose
moments are added here exactly as in-process (their shifted sums depend on the order).
``Recipe.compute`` therefore must pickle: a module-level function or a ``functools.partial``
of one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.enums import Resampling

from specialists.spectral import stretch as st
from specialists.tiling import Tile
from tools.core.errors import InputError
from tools.core.registry import ProgressCallback
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.raster import iter_tiles, read_masked, rio

READ_BUDGET_VALUES = 6_000_000
"""Most band-pixel values read at once (float64: 48 MB); many-band cubes get smaller tiles."""


@dataclass
class Recipe:
    """How to turn read bands into the three channels, and how to describe them."""

    mode: str
    read_bands: list[int]
    labels: list[str]
    unit: str
    compute: Callable[[np.ndarray], np.ndarray]
    tile: int
    overlap: int = 0
    ranges: list[st.HistRange] | None = None
    wavelengths: list[float | None] | None = None
    shown: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def tile_side(n_bands: int, size: int) -> int:
    """Tile side for reading ``n_bands`` at once within :data:`READ_BUDGET_VALUES`."""
    return min(size, max(64, int(math.sqrt(READ_BUDGET_VALUES / max(n_bands, 1)))))


def raw_tiles(src: Any, bands: list[int], size: int, overlap: int, stage: str,
              progress: ProgressCallback) -> Iterator[tuple[Tile, np.ndarray]]:
    """Read windows of ``bands`` as float32 with NaN for nodata."""
    tiles = iter_tiles(src.width, src.height, size, overlap)
    for n, tile in enumerate(tiles, start=1):
        yield tile, read_float(src, tile, bands)
        progress(stage, n, len(tiles))


def read_float(src: Any, tile: Tile, bands: list[int]) -> np.ndarray:
    """The read window of ``bands`` as float32 with NaN for nodata."""
    m = read_masked(src, tile.read, bands)
    out: np.ndarray = np.where(np.ma.getmaskarray(m), np.float32(np.nan), m.data)
    return out


def channels_tile(src: Any, tile: Tile, bands: list[int],
                  compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The three channels of one tile's core (float64, NaN in all three where any is)."""
    rows, cols = tile.inner
    ch = np.asarray(compute(read_float(src, tile, bands)), dtype=np.float64)[:, rows, cols]
    ch[:, ~np.isfinite(ch).all(axis=0)] = np.nan
    return ch


def _histogram_tile(src: Any, tile: Tile, bands: list[int],
                    compute: Callable[[np.ndarray], np.ndarray],
                    ranges: list[st.HistRange]) -> list[np.ndarray]:
    """One tile's per-channel histogram counts (summed over tiles in the caller)."""
    hists = st.new_histograms(ranges)
    st.add_to_histograms(hists, channels_tile(src, tile, bands, compute))
    return [h.counts for h in hists]


def _composite_tile(src: Any, tile: Tile, bands: list[int],
                    compute: Callable[[np.ndarray], np.ndarray],
                    limits: list[tuple[float, float]] | None) -> np.ndarray:
    """One tile's uint8 composite window."""
    ch = channels_tile(src, tile, bands, compute)
    return st.scale_to_uint8(ch, limits) if limits is not None else st.clip_to_uint8(ch)


def _tiles(src: Any, recipe: Recipe) -> list[Tile]:
    return list(iter_tiles(src.width, src.height, recipe.tile, recipe.overlap))


def sample(src: Any, bands: list[int], side: int = 512) -> np.ndarray:
    """A decimated scene-wide sample of ``bands`` (NaN for nodata)."""
    shape = (len(bands), min(src.height, side), min(src.width, side))
    data = src.read(bands, out_shape=shape, out_dtype="float32", resampling=Resampling.nearest)
    bad = ~np.isfinite(data)
    if src.nodata is not None and not math.isnan(src.nodata):
        bad |= data == np.float32(src.nodata)
    return np.where(bad, np.float32(np.nan), data)


def _no_valid(src: Any, recipe: Recipe) -> InputError:
    return InputError(f"image: {src.name} has no valid pixels in the bands used "
                      f"({recipe.read_bands}); check its nodata value.")


def stretch_limits(src: Any, recipe: Recipe, method: str,
                   runner: TileRunner) -> list[tuple[float, float]] | None:
    """Scene-wide ``(low, high)`` per channel for the stretch (None: no stretch)."""
    if method == "none":
        return None
    ranges = recipe.ranges
    tiles = _tiles(src, recipe)
    bands, compute = recipe.read_bands, recipe.compute
    if method == "minmax" or ranges is None:
        moments = st.StreamingMoments(3)
        with runner.results("statistics", channels_tile, src, tiles, bands, compute) as parts:
            for ch in parts:
                moments.add(ch)
        if int(moments.count.min()) == 0:
            raise _no_valid(src, recipe)
        if method == "minmax":
            return [(float(a), float(b)) for a, b in zip(moments.min, moments.max, strict=True)]
        ranges = st.moment_ranges(moments)
    hists = st.new_histograms(ranges)
    with runner.results("histogram", _histogram_tile, src, tiles, bands, compute,
                        ranges) as counts:
        for part in counts:
            for hist, c in zip(hists, part, strict=True):
                hist.counts += c
    if hists[0].total == 0:
        raise _no_valid(src, recipe)
    return st.percentile_limits(hists)


def write_composite(src: Any, recipe: Recipe, limits: list[tuple[float, float]] | None,
                    dest: Path, runner: TileRunner) -> int:
    """Write the RGB GeoTIFF; returns the number of valid pixels."""
    valid = 0
    tags = {"pseudo_rgb_mode": recipe.mode, "units": "8-bit display value, 0 = nodata"}
    tiles = _tiles(src, recipe)
    with grid_writer(dest, src, count=3, dtype="uint8", nodata=0, band_names=recipe.labels,
                     resampling="average", tags=tags) as dst, \
            runner.results("writing", _composite_tile, src, tiles, recipe.read_bands,
                           recipe.compute, limits) as images:
        for tile, img in zip(tiles, images, strict=True):
            dst.write(img, window=rio(tile.core))
            valid += int(np.count_nonzero(img[0]))
        if valid == 0:
            raise _no_valid(src, recipe)
    return valid
