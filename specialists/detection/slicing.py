"""Sliced inference geometry: boxes shifted to scene pixels, cross-tile merge.

The slice windows themselves are :func:`specialists.tiling.slice_windows` with their
:class:`~specialists.tiling.Window` type.

Pure numpy / shapely (no torch). Boxes are kept as four corners in pixel coordinates
(``x`` right, ``y`` down, continuous: pixel ``(c, r)`` spans ``[c, c+1) x [r, r+1)``), so
horizontal and oriented (DOTA-style) boxes share one representation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from specialists.tiling import Window

__all__ = ["Detections", "batches", "concat", "merge"]


@dataclass
class Detections:
    """Boxes with scores and class ids.

    Attributes:
        corners: (N, 4, 2) float64 corner coordinates in pixels (x, y).
        scores: (N,) confidence in [0, 1].
        classes: (N,) int class ids of the model.
        oriented: True for oriented (OBB) boxes.
    """

    corners: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    oriented: bool = False

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @staticmethod
    def empty(oriented: bool = False) -> Detections:
        """No boxes."""
        return Detections(np.zeros((0, 4, 2)), np.zeros(0), np.zeros(0, dtype=np.int64), oriented)

    @staticmethod
    def from_xyxy(xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> Detections:
        """Horizontal boxes from (N, 4) ``x0, y0, x1, y1`` in pixels."""
        b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)
        return Detections(corners, np.asarray(scores, np.float64).reshape(-1),
                          np.asarray(classes, np.int64).reshape(-1), False)

    @staticmethod
    def from_corners(corners: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> Detections:
        """Oriented boxes from (N, 4, 2) corners in pixels."""
        return Detections(np.asarray(corners, np.float64).reshape(-1, 4, 2),
                          np.asarray(scores, np.float64).reshape(-1),
                          np.asarray(classes, np.int64).reshape(-1), True)

    @property
    def xyxy(self) -> np.ndarray:
        """(N, 4) axis-aligned bounds ``x0, y0, x1, y1`` in pixels."""
        out: np.ndarray = np.concatenate([self.corners.min(axis=1), self.corners.max(axis=1)],
                                         axis=1)
        return out

    def shifted(self, dx: float, dy: float) -> Detections:
        """The boxes moved by ``dx``, ``dy`` pixels (tile -> scene coordinates)."""
        return Detections(self.corners + np.array([dx, dy]), self.scores, self.classes,
                          self.oriented)

    def select(self, keep: np.ndarray) -> Detections:
        """A subset by boolean mask or index array."""
        return Detections(self.corners[keep], self.scores[keep], self.classes[keep],
                          self.oriented)

    def areas(self) -> np.ndarray:
        """(N,) box areas in square pixels (shoelace formula)."""
        x, y = self.corners[..., 0], self.corners[..., 1]
        area: np.ndarray = np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y,
                                         axis=1)) / 2.0
        return area


def concat(parts: Sequence[Detections], oriented: bool = False) -> Detections:
    """All boxes of ``parts`` in one Detections."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Detections.empty(oriented)
    return Detections(np.concatenate([p.corners for p in parts]),
                      np.concatenate([p.scores for p in parts]),
                      np.concatenate([p.classes for p in parts]),
                      any(p.oriented for p in parts) or oriented)


def _overlap_pairs(dets: Detections, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j), i != j, of same-class boxes that intersect, and their overlap metric."""
    areas = dets.areas()
    if dets.oriented:
        geoms = shapely.polygons(dets.corners)
        bad = ~shapely.is_valid(geoms)  # e.g. a self-crossing 4-point label
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad])
    else:
        b = dets.xyxy
        geoms = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    sel = (left < right) & (dets.classes[left] == dets.classes[right])
    left, right = left[sel], right[sel]
    if dets.oriented:
        inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    else:
        b = dets.xyxy
        w = np.minimum(b[left, 2], b[right, 2]) - np.maximum(b[left, 0], b[right, 0])
        h = np.minimum(b[left, 3], b[right, 3]) - np.maximum(b[left, 1], b[right, 1])
        inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    a, c = areas[left], areas[right]
    if metric == "ios":
        denom = np.minimum(a, c)
    elif metric == "iou":
        denom = a + c - inter
    else:
        raise ValueError(f"match metric must be 'iou' or 'ios' (got {metric!r})")
    value = np.where(denom > 0, inter / np.where(denom > 0, denom, 1.0), 0.0)
    return left, right, value


def merge(dets: Detections, threshold: float = 0.5, metric: str = "ios") -> Detections:
    """Class-wise greedy NMS across tiles, OBB-aware (rotated overlap from polygons).

    Boxes are visited by decreasing score (larger box first on ties); a box suppresses every
    later same-class box that overlaps it by more than ``threshold``. With ``metric="ios"``
    (intersection over the smaller box) the part of an object cut by a tile border, lying
    inside the whole object found by the neighbouring tile, is suppressed.

    Args:
        dets: Boxes in scene pixels from all tiles.
        threshold: Overlap (0-1) above which the lower-scored box is dropped.
        metric: ``ios`` (intersection over smaller) or ``iou``.
    """
    n = len(dets)
    if n < 2:
        return dets
    left, right, value = _overlap_pairs(dets, metric)
    hit = value > threshold
    left, right = left[hit], right[hit]
    areas = dets.areas()
    order = np.lexsort((-areas, -dets.scores))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Direct each pair from the better-ranked box to the worse one, then group by the better.
    first = np.where(rank[left] < rank[right], left, right)
    second = np.where(rank[left] < rank[right], right, left)
    by = np.argsort(first, kind="stable")
    first, second = first[by], second[by]
    starts = np.searchsorted(first, np.arange(n + 1))
    suppressed = np.zeros(n, dtype=bool)
    keep: list[int] = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed[second[starts[i]:starts[i + 1]]] = True
    return dets.select(np.sort(np.array(keep, dtype=np.int64)))


def batches(items: Sequence[Window], size: int) -> list[list[Window]]:
    """``items`` in consecutive groups of at most ``size``."""
    size = max(1, size)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]

