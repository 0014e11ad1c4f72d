"""The one window type of every scene tiling, and the tilings built on it.

A :class:`Window` is a rectangle of whole pixels in a scene (column/row offset and size, in
rasterio's order and names). Two tilings use it:

- :func:`grid_tiles`: core windows of ``size`` on a fixed grid, each with a read window grown
  by an overlap (:class:`Tile`); every pixel belongs to exactly one core. Raster passes
  (indices, masks, composites, statistics) and CLIP archive tiles use it.
- :func:`slice_windows`: full-size windows at a stride of ``size - overlap``, the last row and
  column shifted back to end at the scene edge. Sliced detection and SAM windows use it.

Pure Python: the GDAL side (``tools.geo.raster.rio``) turns a window into rasterio's own.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Window(NamedTuple):
    """A rectangle of a scene in pixels: ``(col_off, row_off, width, height)``.

    A tuple, so it unpacks, hashes and compares like ``(col, row, width, height)``.
    """

    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def col_end(self) -> int:
        """First column after the window."""
        return self.col_off + self.width

    @property
    def row_end(self) -> int:
        """First row after the window."""
        return self.row_off + self.height

    @property
    def slices(self) -> tuple[slice, slice]:
        """Row and column slices of the window in a scene-sized array."""
        return slice(self.row_off, self.row_end), slice(self.col_off, self.col_end)

    def intersection(self, other: Window) -> Window | None:
        """The part both windows cover (None: they share no pixel)."""
        c0, r0 = max(self.col_off, other.col_off), max(self.row_off, other.row_off)
        c1, r1 = min(self.col_end, other.col_end), min(self.row_end, other.row_end)
        return Window(c0, r0, c1 - c0, r1 - r0) if c1 > c0 and r1 > r0 else None

    def intersects(self, other: Window) -> bool:
        """Whether the two windows overlap with positive area."""
        return self.intersection(other) is not None

    def overlaps_box(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the box ``x0, y0, x1, y1`` (pixels) overlaps the window with positive area."""
        return bool(x0 < self.col_end and self.col_off < x1
                    and y0 < self.row_end and self.row_off < y1)

    def holds_box(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the box ``x0, y0, x1, y1`` (pixels) lies inside the window."""
        return bool(x0 >= self.col_off and y0 >= self.row_off
                    and x1 <= self.col_end and y1 <= self.row_end)


class Tile(NamedTuple):
    """One window of a grid tiling: ``read`` includes the overlap, ``core`` does not.

    ``inner`` is the core window in the coordinates of the read array, so that
    ``array[..., inner_rows, inner_cols]`` is the part this tile owns.
    """

    read: Window
    core: Window

    @property
    def inner(self) -> tuple[slice, slice]:
        """Row and column slices of the core inside the read window's array."""
        r0 = self.core.row_off - self.read.row_off
        c0 = self.core.col_off - self.read.col_off
        return slice(r0, r0 + self.core.height), slice(c0, c0 + self.core.width)


def grid_tiles(width: int, height: int, size: int = 1024, overlap: int = 0) -> list[Tile]:
    """Cover a ``width`` x ``height`` grid with core windows of ``size`` (row by row) and read
    windows grown by ``overlap`` on every side (clipped to the grid).

    Raises:
        ValueError: ``size`` <= 0 or ``overlap`` < 0.
    """
    if size <= 0 or overlap < 0:
        raise ValueError(f"tile size must be > 0 and overlap >= 0 (got {size}, {overlap})")
    out: list[Tile] = []
    for row in range(0, height, size):
        for col in range(0, width, size):
            h, w = min(size, height - row), min(size, width - col)
            r0, c0 = max(0, row - overlap), max(0, col - overlap)
            r1, c1 = min(height, row + h + overlap), min(width, col + w + overlap)
            out.append(Tile(read=Window(c0, r0, c1 - c0, r1 - r0), core=Window(col, row, w, h)))
    return out


def tile_count(width: int, height: int, size: int) -> int:
    """Number of tiles :func:`grid_tiles` makes for this grid."""
    return math.ceil(width / size) * math.ceil(height / size)


def _starts(n: int, size: int, step: int) -> list[int]:
    if n <= size:
        return [0]
    return [*range(0, n - size, step), n - size]


def slice_windows(width: int, height: int, size: int, overlap: int) -> list[Window]:
    """Windows of ``size`` x ``size`` pixels stepping by ``size - overlap``, covering the scene.

    The last window of a row/column is moved back to end at the scene edge, so every window is
    full size unless the scene itself is smaller than ``size``.

    Raises:
        ValueError: ``size`` <= 0 or ``overlap`` not in ``[0, size)``.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"slice size must be > 0 and 0 <= overlap < size "
                         f"(got size={size} px, overlap={overlap} px)")
    step = size - overlap
    return [Window(c, r, min(size, width), min(size, height))
            for r in _starts(height, size, step) for c in _starts(width, size, step)]


def slice_count(width: int, height: int, size: int, overlap: int) -> int:
    """Number of windows :func:`slice_windows` makes (without making them)."""
    step = size - overlap

    def n(side: int) -> int:
        return 1 if side <= size else math.ceil((side - size) / step) + 1

    return n(width) * n(height)
