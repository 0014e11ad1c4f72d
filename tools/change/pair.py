"""The before/after pair of ``detect_changes``: opened, checked, and read on the before grid.

Same grid: direct reads. Another grid: the after scene is warped onto the before grid on the fly
(``WarpedVRT``, bilinear), with an alpha band where it has no nodata value; resampling then
moves content by up to :attr:`Pair.tolerance` before pixels, so CVA compares the after values
with the range of the before values that near (:meth:`Pair.before_envelope`). Alpha
(transparency) bands of the files are not compared. A band-count mismatch, a missing CRS or
pairs that do not overlap are refused before anything is written.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio.warp
import rasterio.windows
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.windows import Window as RioWindow

from specialists.change.cva import AreaTotals, neighbourhood_range, valid_pixels
from specialists.tiling import Window
from tools.change.inputs import DetectChangesInput
from tools.core.errors import InputError
from tools.geo.area import require_crs
from tools.geo.raster import (
    alpha_bands,
    check_readable,
    crs_to_str,
    open_dataset,
    pixel_size_m,
    rio,
    same_grid,
    warped_onto,
)


@dataclass
class Pair:
    """The before scene and the after scene on the before grid."""

    before: Any
    after: Any
    bands: list[int]
    alpha: int | None = None
    reprojected: bool = False
    overlap: RioWindow | None = None
    warnings: list[str] = field(default_factory=list)
    tolerance: int = 0
    """Reprojected pairs: how many before pixels resampling can move content (the after scene
    went through the resampling of its own grid and of the warp); 0 on a shared grid."""

    def read_before(self, window: Window | RioWindow) -> tuple[np.ndarray, np.ndarray]:
        """The before pixels of ``window`` and where they are valid."""
        data = _read(self.before, self.bands, window, "before")
        return data, valid_pixels(data, self.before.nodata)

    def before_envelope(self, window: Window | RioWindow) -> tuple[np.ndarray, np.ndarray]:
        """Per-band low and high ends of the valid before values within :attr:`tolerance`
        pixels of each pixel of ``window`` (read with a margin, so tiles agree with a
        whole-scene run)."""
        win = rio(window) if isinstance(window, Window) else window
        r = self.tolerance
        full = RioWindow(0, 0, self.before.width, self.before.height)
        big = RioWindow(win.col_off - r, win.row_off - r, win.width + 2 * r,
                        win.height + 2 * r).intersection(full)
        data = _read(self.before, self.bands, big, "before")
        # nodata values too: warps mix them into the after values along nodata edges
        lo, hi = neighbourhood_range(data, valid_pixels(data), r)
        rows = slice(int(win.row_off - big.row_off), int(win.row_off - big.row_off + win.height))
        cols = slice(int(win.col_off - big.col_off), int(win.col_off - big.col_off + win.width))
        return lo[:, rows, cols], hi[:, rows, cols]

    def read_after(self, window: Window | RioWindow) -> tuple[np.ndarray, np.ndarray]:
        """The after pixels of ``window`` (on the before grid) and where they are valid."""
        if self.alpha is None:
            data = _read(self.after, self.bands, window, "after")
            return data, valid_pixels(data, self.after.nodata)
        data = _read(self.after, [*self.bands, self.alpha], window, "after")  # one warp
        return data[:-1], valid_pixels(data[:-1], self.after.nodata) & (data[-1] > 0)


def _read(ds: Any, bands: list[int], window: Window | RioWindow, argument: str) -> np.ndarray:
    win = rio(window) if isinstance(window, Window) else window
    try:
        return np.asarray(ds.read(bands, window=win))
    except RasterioIOError as exc:
        raise InputError(f"{argument}: {ds.name} cannot be read at {window} ({exc}); the file "
                         "is truncated or corrupt. Re-export or re-download it.") from exc


@contextlib.contextmanager
def open_pair(before_path: str, after_path: str) -> Iterator[Pair]:
    """Open and check the pair; refuse band-count mismatches and pairs that do not overlap."""
    with open_dataset(before_path, "before") as before, open_dataset(after_path, "after") as after:
        check_readable(before, "before")
        check_readable(after, "after")
        for ds, argument in ((before, "before"), (after, "after")):
            if any(str(d).startswith("complex") for d in ds.dtypes):
                raise InputError(
                    f"{argument}: {ds.name} holds complex ({ds.dtypes[0]}) SAR data, which change "
                    "detection cannot compare; convert it to intensity or amplitude first (e.g. "
                    "|z|² or |z|, in dB) and pass that GeoTIFF.")
        require_crs(before.crs, f"before scene {before_path}")
        if before.count != after.count:
            raise InputError(
                f"before ({before_path}) has {before.count} band(s) but after ({after_path}) has "
                f"{after.count}; pass two scenes with the same bands in the same order (e.g. "
                "select them with gdal_translate -b 1 -b 2 -b 3).")
        transparency = alpha_bands(before) | alpha_bands(after)  # never change
        bands = [i for i in range(1, before.count + 1) if i not in transparency] or list(
            range(1, before.count + 1))
        if same_grid(before, after):
            yield Pair(before, after, bands)
            return
        if not after.crs:
            if (after.width, after.height) == (before.width, before.height):
                yield Pair(before, after, bands, warnings=[
                    f"after ({after_path}) has no CRS; assumed it is on the before grid"])
                return
            raise InputError(f"after: {after_path} has no CRS and another size than before "
                             f"({before_path}), so it cannot be placed on the before grid. "
                             "Assign its CRS and transform (gdal_edit.py -a_srs / -a_ullr).")
        overlap = _overlap_window(before, after, before_path, after_path)
        r = resampling_radius(before, after)
        with warped_onto(after, before, Resampling.bilinear) as (vrt, alpha):
            yield Pair(before, vrt, bands, alpha=alpha, reprojected=True, overlap=overlap,
                       tolerance=r, warnings=[
                           f"after ({after_path}, {crs_to_str(after.crs)}) is on another grid; "
                           "it was warped onto the before grid "
                           f"({crs_to_str(before.crs)}) on the fly (bilinear), and a pixel "
                           "counts as change only where the after value lies outside the "
                           f"range of the before values within {r} pixel(s), which is what "
                           "resampling alone can produce"])


def resampling_radius(before: Any, after: Any) -> int:
    """Before pixels that resampling can move content by when the after scene comes from
    another grid: one after pixel (in before pixels, rounded up with 5 % slack for a
    projection's scale) for the resampling that made the after grid, plus one for the bilinear
    warp back."""
    b, a = pixel_size_m(before), pixel_size_m(after)
    ratio = max(a) / min(b) if a and b and min(b) > 0 else 1.0
    return max(1, math.ceil(ratio - RADIUS_SLACK)) + 1


RADIUS_SLACK = 0.05
"""Pixel-size ratios within 5 % above a whole number round down to it (a reprojection keeps the
ground pixel size only approximately)."""


def _overlap_window(before: Any, after: Any, before_path: str, after_path: str) -> RioWindow:
    """The window of the before grid that the after footprint covers (refused when empty)."""
    bb = before.bounds
    try:
        ab = rasterio.warp.transform_bounds(after.crs, before.crs, *after.bounds, densify_pts=21)
        left, bottom = max(ab[0], bb.left), max(ab[1], bb.bottom)
        right, top = min(ab[2], bb.right), min(ab[3], bb.top)
        if not (right > left and top > bottom):
            raise ValueError("empty intersection")
        win = rasterio.windows.from_bounds(left, bottom, right, top, transform=before.transform)
        full = RioWindow(0, 0, before.width, before.height)
        return win.round_offsets(op="floor").round_lengths(op="ceil").intersection(full)
    except Exception as exc:
        raise InputError(
            f"before ({before_path}) and after ({after_path}) do not overlap: the after "
            f"footprint ({crs_to_str(after.crs)} bounds {[round(v, 6) for v in after.bounds]}) "
            f"lies outside the before bounds {[round(v, 6) for v in bb]} "
            f"({crs_to_str(before.crs)}). Pass two scenes of the same place.") from exc


def require_valid(areas: AreaTotals, args: DetectChangesInput) -> None:
    """Refuse a pair with no valid pixel in common (raised inside the writers: nothing is left
    half-written)."""
    if areas.valid_m2 <= 0:
        raise InputError(f"before ({args.before}) and after ({args.after}) share no valid pixels "
                         "(one is nodata wherever they overlap); pass two scenes of the same place "
                         "with data in common.")
