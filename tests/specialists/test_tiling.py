"""The one window type and the two tilings built on it."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.tiling import Window, grid_tiles, slice_count, slice_windows, tile_count


def test_window_is_a_tuple_with_geometry() -> None:
    w = Window(10, 20, 30, 40)
    col, row, width, height = w
    assert (col, row, width, height) == (10, 20, 30, 40) and w == (10, 20, 30, 40)
    assert (w.col_end, w.row_end) == (40, 60)
    grid = np.zeros((100, 100), bool)
    grid[w.slices] = True
    assert grid.sum() == 30 * 40 and grid[20, 10] and not grid[60, 40]
    assert w.intersection(Window(35, 50, 100, 100)) == Window(35, 50, 5, 10)
    assert w.intersection(Window(40, 0, 10, 100)) is None  # touching edges share no pixel
    assert w.intersects(Window(0, 0, 11, 21)) and not w.intersects(Window(0, 0, 10, 100))
    assert w.overlaps_box(39.5, 59.5, 45, 65) and not w.overlaps_box(40, 20, 50, 30)
    assert w.holds_box(10, 20, 40, 60) and not w.holds_box(9.9, 20, 40, 60)


@pytest.mark.parametrize(("width", "height", "size", "overlap"),
                         [(1500, 700, 640, 128), (640, 640, 640, 0), (100, 90, 64, 63),
                          (10, 2000, 256, 64)])
def test_slice_count_matches_slice_windows(width: int, height: int, size: int,
                                           overlap: int) -> None:
    wins = slice_windows(width, height, size, overlap)
    assert len(wins) == slice_count(width, height, size, overlap) == len(set(wins))
    assert all(w.col_end <= width and w.row_end <= height for w in wins)


def test_grid_tiles_own_every_pixel_once() -> None:
    tiles = grid_tiles(70, 50, 16, 3)
    assert len(tiles) == tile_count(70, 50, 16)
    seen = np.zeros((50, 70), int)
    for t in tiles:
        seen[t.core.slices] += 1
        assert t.read.intersection(t.core) == t.core
    assert (seen == 1).all()
    with pytest.raises(ValueError, match="tile size"):
        grid_tiles(10, 10, 16, -1)
