"""Slice windows, shifting and the cross-tile merge (horizontal and oriented boxes)."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.detection.slicing import Detections, concat, merge
from specialists.tiling import slice_count, slice_windows


def test_windows_cover_scene_full_size() -> None:
    wins = slice_windows(1500, 700, 640, 128)
    assert len(wins) == slice_count(1500, 700, 640, 128) == 3 * 2
    assert all(w.width == 640 and w.height == 640 for w in wins)
    assert max(w.col_end for w in wins) == 1500
    assert max(w.row_end for w in wins) == 700
    covered = np.zeros((700, 1500), bool)
    for w in wins:
        covered[w.slices] = True
    assert covered.all()


def test_small_scene_one_window() -> None:
    assert slice_windows(300, 200, 640, 128)[0].width == 300
    with pytest.raises(ValueError, match="overlap"):
        slice_windows(100, 100, 64, 64)


def test_shift_and_xyxy() -> None:
    d = Detections.from_xyxy(np.array([[1, 2, 11, 22]]), np.array([0.9]), np.array([3]))
    s = d.shifted(100, 200)
    assert s.xyxy.tolist() == [[101, 202, 111, 222]]
    assert s.areas().tolist() == [200.0]


def test_merge_border_cut_reported_once() -> None:
    # whole object from one tile, its cut part from the neighbour, another class beside it
    whole = Detections.from_xyxy(np.array([[600, 10, 660, 50]]), np.array([0.8]), np.array([1]))
    cut = Detections.from_xyxy(np.array([[600, 10, 640, 50]]), np.array([0.8]), np.array([1]))
    other = Detections.from_xyxy(np.array([[600, 10, 660, 50]]), np.array([0.7]), np.array([2]))
    out = merge(concat([cut, whole, other]), 0.5, "ios")
    assert len(out) == 2
    assert sorted(out.xyxy[:, 2].tolist()) == [660, 660]


def test_merge_iou_keeps_disjoint_and_best() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    d = Detections.from_xyxy(boxes, np.array([0.5, 0.9, 0.3]), np.array([0, 0, 0]))
    out = merge(d, 0.5, "iou")
    assert out.xyxy.tolist() == [[1, 1, 11, 11], [50, 50, 60, 60]]
    with pytest.raises(ValueError, match="metric"):
        merge(d, 0.5, "dice")


def test_merge_oriented_uses_rotated_overlap() -> None:
    def rect(cx: float, cy: float, w: float, h: float, a: float) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        pts = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        return pts @ np.array([[c, s], [-s, c]]) + [cx, cy]

    # two thin 45° boxes whose axis-aligned bounds overlap heavily but which do not touch
    a, b = rect(100, 100, 80, 6, np.pi / 4), rect(110, 90, 80, 6, np.pi / 4)
    same = rect(100, 100, 78, 6, np.pi / 4)
    d = Detections.from_corners(np.stack([a, b, same]), np.array([0.9, 0.8, 0.7]),
                                np.array([0, 0, 0]))
    out = merge(d, 0.5, "ios")
    assert out.oriented and len(out) == 2
    assert np.allclose(out.corners[0], a) and np.allclose(out.corners[1], b)
    hb = Detections.from_xyxy(d.xyxy, d.scores, d.classes)
    assert len(merge(hb, 0.5, "ios")) == 1  # horizontal bounds would wrongly merge them
