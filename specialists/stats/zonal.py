"""Streaming region and zone statistics: connected components and per-zone sums across tiles.

Pure numpy / scipy. Callers feed windows of a scene one at a time; nothing here needs the
whole scene. Pixel weights are areas (m²) per pixel so that totals are areas, not counts.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_FOUR = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


class StreamingComponents:
    """Connected regions (4-connectivity) of a binary mask fed as row-major tiles.

    Each tile is labelled on its own; labels that touch across a tile border are joined with a
    union-find, so a region cut by tile borders is one region. Tiles must arrive in row-major
    order without overlap (``tools.geo.raster.iter_tiles`` core windows), as the tool feeds them.

    Args:
        width: Width in pixels of the whole grid.
    """

    def __init__(self, width: int) -> None:
        self._above = np.zeros(width, dtype=np.int64)  # global labels of the row above
        self._above_row = np.full(width, -1, dtype=np.int64)  # which row _above holds
        self._left: tuple[int, int, np.ndarray] | None = None  # (row_off, col_end, labels)
        self._parent: list[int] = [0]
        self._area: list[np.ndarray] = [np.zeros(1)]
        self._pixels: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self._next = 1

    def _find(self, a: int) -> int:
        parent = self._parent
        root = a
        while parent[root] != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    def _union_pairs(self, a: np.ndarray, b: np.ndarray) -> None:
        keep = (a > 0) & (b > 0)
        if not keep.any():
            return
        pairs = np.unique(np.stack([a[keep], b[keep]], axis=1), axis=0)
        for x, y in pairs:
            rx, ry = self._find(int(x)), self._find(int(y))
            if rx != ry:
                self._parent[max(rx, ry)] = min(rx, ry)

    def add(self, mask: np.ndarray, row_off: int, col_off: int,
            row_area_m2: np.ndarray | None = None) -> None:
        """Add one tile.

        Args:
            mask: Boolean array (rows, cols) of the tile; True = inside a region.
            row_off: Row of the tile's first row in the whole grid.
            col_off: Column of the tile's first column in the whole grid.
            row_area_m2: Area of one pixel for each row of the tile (None: areas stay 0).
        """
        rows, cols = mask.shape
        local, n = ndimage.label(mask, structure=_FOUR)
        glob = np.where(local > 0, local.astype(np.int64) + (self._next - 1), 0)
        self._parent.extend(range(self._next, self._next + n))
        flat = local.ravel()
        self._pixels.append(np.bincount(flat, minlength=n + 1)[1:].astype(np.int64))
        if row_area_m2 is not None:
            weights = np.repeat(np.asarray(row_area_m2, dtype=float), cols)
            self._area.append(np.bincount(flat, weights=weights, minlength=n + 1)[1:])
        else:
            self._area.append(np.zeros(n))
        self._next += n
        # Join with the row above (previous tile row) and the tile to the left.
        span = slice(col_off, col_off + cols)
        above_ok = self._above_row[span] == row_off - 1
        if row_off > 0 and above_ok.any():
            self._union_pairs(np.where(above_ok, self._above[span], 0), glob[0])
        if self._left is not None and self._left[0] == row_off and self._left[1] == col_off:
            self._union_pairs(self._left[2], glob[:, 0])
        self._above[span] = glob[-1]
        self._above_row[span] = row_off + rows - 1
        self._left = (row_off, col_off + cols, glob[:, -1].copy())

    def _roots(self) -> np.ndarray:
        parent = np.asarray(self._parent, dtype=np.int64)
        while True:  # pointer jumping: every label ends pointing at its root
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                return parent
            parent = nxt

    def regions(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel count and area (m²) of every region seen so far.

        Returns:
            ``(pixels, area_m2)``, one entry per region (order is not meaningful).
        """
        roots = self._roots()
        pixels = np.concatenate(self._pixels)
        area = np.concatenate(self._area)
        uniq, inverse = np.unique(roots[1:], return_inverse=True)
        n = uniq.size
        return (np.bincount(inverse, weights=pixels[1:], minlength=n).astype(np.int64),
                np.bincount(inverse, weights=area[1:], minlength=n))


class ZonalAccumulator:
    """Per-zone statistics of pixel values, gathered tile by tile.

    Zone 0 is "outside"; zones 1..n are objects (polygons) or the inside of a mask. Each pixel
    belongs to one zone. Means are area-weighted when pixel areas are given (equal to the plain
    mean on projected grids, correct on geographic ones).

    Args:
        n_zones: Number of zones (ids 1..n_zones).
    """

    def __init__(self, n_zones: int) -> None:
        size = n_zones + 1
        self.n_zones = n_zones
        self.pixels = np.zeros(size, dtype=np.int64)
        self.sum = np.zeros(size)
        self.area_m2 = np.zeros(size)
        self.weighted_sum = np.zeros(size)
        self.min = np.full(size, np.inf)
        self.max = np.full(size, -np.inf)

    def add(self, zones: np.ndarray, values: np.ndarray, valid: np.ndarray,
            pixel_area_m2: np.ndarray | None = None) -> None:
        """Add one tile.

        Args:
            zones: Integer zone id per pixel (0 = outside).
            values: Pixel values (same shape).
            valid: True where the value is usable (not nodata).
            pixel_area_m2: Area per pixel (same shape, or broadcastable), or None.
        """
        use = valid & (zones > 0)
        if not use.any():
            return
        z = zones[use].astype(np.int64)
        v = values[use].astype(float)
        size = self.n_zones + 1
        self.pixels += np.bincount(z, minlength=size)
        self.sum += np.bincount(z, weights=v, minlength=size)
        if pixel_area_m2 is not None:
            a = np.broadcast_to(pixel_area_m2, zones.shape)[use].astype(float)
            self.area_m2 += np.bincount(z, weights=a, minlength=size)
            self.weighted_sum += np.bincount(z, weights=v * a, minlength=size)
        np.minimum.at(self.min, z, v)
        np.maximum.at(self.max, z, v)

    def _mean(self, pixels: np.ndarray, total: np.ndarray, area: np.ndarray,
              weighted: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            plain = np.where(pixels > 0, total / np.maximum(pixels, 1), np.nan)
            by_area = np.where(area > 0, weighted / np.where(area > 0, area, 1.0), np.nan)
        return np.where(area > 0, by_area, plain)

    def per_zone(self) -> dict[str, np.ndarray]:
        """Statistics of zones 1..n: pixels, sum, mean, min, max, area_m2, weighted_sum
        (NaN for zones without valid pixels)."""
        sl = slice(1, None)
        empty = self.pixels[sl] == 0
        return {
            "pixels": self.pixels[sl].copy(),
            "sum": self.sum[sl].copy(),
            "mean": self._mean(self.pixels[sl], self.sum[sl], self.area_m2[sl],
                               self.weighted_sum[sl]),
            "min": np.where(empty, np.nan, self.min[sl]),
            "max": np.where(empty, np.nan, self.max[sl]),
            "area_m2": self.area_m2[sl].copy(),
            "weighted_sum": self.weighted_sum[sl].copy(),
        }

    def overall(self) -> dict[str, float]:
        """Statistics over all zones together (each pixel counted once)."""
        sl = slice(1, None)
        pixels = int(self.pixels[sl].sum())
        area = float(self.area_m2[sl].sum())
        mean = self._mean(np.array([pixels]), np.array([self.sum[sl].sum()]), np.array([area]),
                          np.array([self.weighted_sum[sl].sum()]))[0]
        return {
            "pixels": float(pixels),
            "sum": float(self.sum[sl].sum()),
            "mean": float(mean),
            "min": float(self.min[sl].min()) if pixels else float("nan"),
            "max": float(self.max[sl].max()) if pixels else float("nan"),
            "area_m2": area,
            "weighted_sum": float(self.weighted_sum[sl].sum()),
        }
