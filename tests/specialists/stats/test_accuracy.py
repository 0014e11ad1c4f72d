"""Confusion counts, pixel metrics, kappa and object matching against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from specialists.stats.accuracy import (
    ConfusionCounter,
    PixelTally,
    binary_scores,
    class_scores,
    cohen_kappa,
    match_objects,
    overlap_pairs,
)


def test_binary_scores_of_a_known_matrix() -> None:
    # reference in rows (negative, positive), result in columns
    s = binary_scores(np.array([[50, 10], [5, 35]]))
    assert (s.tn, s.fp, s.fn, s.tp) == (50, 10, 5, 35) and s.total == 100
    assert s.iou == pytest.approx(35 / 50)
    assert s.f1 == pytest.approx(70 / 85)
    assert s.precision == pytest.approx(35 / 45) and s.recall == pytest.approx(35 / 40)
    assert s.overall_accuracy == pytest.approx(0.85)
    # p_o = 0.85; p_e = (60 * 55 + 40 * 45) / 100² = 0.51; kappa = 0.34 / 0.49
    assert s.kappa == pytest.approx(0.34 / 0.49)


def test_undefined_ratios_are_nan_not_zero() -> None:
    s = binary_scores(np.array([[100, 0], [0, 0]]))
    assert math.isnan(s.iou) and math.isnan(s.precision) and math.isnan(s.recall)
    assert s.overall_accuracy == 1.0 and math.isnan(s.kappa)  # p_e = 1
    assert math.isnan(cohen_kappa(np.zeros((2, 2))))


def test_kappa_matches_the_textbook_example() -> None:
    # Cohen (1960)-style 3-class table: p_o = 0.7, p_e = 0.35 -> kappa = 0.35 / 0.65
    m = np.array([[25, 5, 0], [5, 25, 10], [5, 5, 20]])
    n = m.sum()
    po = np.trace(m) / n
    pe = sum(m[i].sum() * m[:, i].sum() for i in range(3)) / n**2
    assert cohen_kappa(m) == pytest.approx((po - pe) / (1 - pe))
    assert cohen_kappa(np.diag([3, 4, 5])) == pytest.approx(1.0)


def test_multiclass_per_class_metrics() -> None:
    m = np.array([[8, 2, 0], [1, 6, 3], [0, 0, 0]])  # class 2 never in the reference
    c = class_scores(m)
    assert c.iou[0] == pytest.approx(8 / (10 + 9 - 8))
    assert c.iou[1] == pytest.approx(6 / (10 + 8 - 6))
    assert c.iou[2] == 0.0 and math.isnan(c.recall[2]) and c.precision[2] == 0.0
    assert c.f1[1] == pytest.approx(12 / 18)
    assert c.precision[0] == pytest.approx(8 / 9) and c.recall[0] == pytest.approx(0.8)
    assert c.overall_accuracy == pytest.approx(14 / 20)
    assert c.mean_iou == pytest.approx((c.iou[0] + c.iou[1] + 0.0) / 3)
    assert list(c.support) == [10, 10, 0] and list(c.predicted) == [9, 8, 3]


def test_counter_grows_across_windows_and_selects_classes(rng: np.random.Generator) -> None:
    ref = rng.integers(0, 4, size=(40, 30))
    res = np.where(rng.random((40, 30)) < 0.7, ref, rng.integers(0, 4, size=(40, 30)))
    counter = ConfusionCounter()
    for r in range(0, 40, 16):  # three windows, values appear gradually
        counter.add(ref[r:r + 16], res[r:r + 16])
    whole = np.zeros((4, 4), dtype=np.int64)
    np.add.at(whole, (ref.ravel(), res.ravel()), 1)
    assert counter.values == [0.0, 1.0, 2.0, 3.0] and counter.total == 1200
    assert np.array_equal(counter.matrix(), whole)
    expected = np.zeros((3, 3), dtype=np.int64)  # 9 was never seen
    expected[:2, :2] = whole[[3, 1]][:, [3, 1]]
    assert np.array_equal(counter.matrix([3, 1, 9]), expected)
    small = ConfusionCounter(max_values=3)
    with pytest.raises(ValueError, match="more than 3"):
        small.add(np.arange(4.0), np.zeros(4))


def test_pixel_tally_leaves_out_ignore_and_invalid_pixels() -> None:
    ref = np.array([[1, 0, -1, 255], [1, 1, 0, 0]], dtype=float)
    res = np.array([[1, 1, 1, 0], [0, 1, 7, 0]], dtype=float)
    res_ok = np.array([[1, 1, 1, 1], [1, 1, 0, 1]], dtype=bool)
    tally = PixelTally(ignore=[-1, 255])
    tally.add(ref, np.ones_like(ref, dtype=bool), res, res_ok)
    assert tally.ignored == 2 and tally.result_invalid == 1
    # compared: (1,1) (0,1) (1,0) (1,1) (0,0) -> TP 2, FP 1, FN 1, TN 1
    assert tally.counter.matrix([0, 1]).tolist() == [[1, 1], [1, 2]]
    only = PixelTally(positive=[7])
    only.add(ref, np.ones_like(ref, dtype=bool), res, np.ones_like(res, dtype=bool))
    assert only.counter.matrix([0, 1]).tolist() == [[7, 1], [0, 0]]  # only the 7 is positive


def test_object_matching_hungarian_and_greedy() -> None:
    # result 0 overlaps reference 0 (0.6) and 1 (0.55); result 1 overlaps reference 0 (0.58)
    ia, ib, iou = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([0.6, 0.55, 0.58])
    best = match_objects(ia, ib, iou, 3, 2, 0.5, "hungarian")
    assert best.pairs == [(0, 1, 0.55), (1, 0, 0.58)]
    assert (best.matched, best.missed, best.false) == (2, 0, 1)
    assert best.precision == pytest.approx(2 / 3) and best.recall == 1.0
    assert best.f1 == pytest.approx(4 / 5) and best.mean_iou == pytest.approx(0.565)
    greedy = match_objects(ia, ib, iou, 3, 2, 0.5, "greedy")
    assert greedy.pairs == [(0, 0, 0.6)] and greedy.missed == 1 and greedy.false == 2
    strict = match_objects(ia, ib, iou, 3, 2, 0.59)
    assert strict.pairs == [(0, 0, 0.6)]
    none = match_objects(np.zeros(0), np.zeros(0), np.zeros(0), 0, 0)
    assert math.isnan(none.precision) and math.isnan(none.mean_iou) and none.matched == 0


def test_overlap_pairs_with_boxes_and_classes() -> None:
    result = [box(0, 0, 10, 10), box(20, 0, 30, 10), box(100, 100, 101, 101)]
    reference = [box(5, 0, 15, 10), box(20, 0, 30, 10)]
    ia, ib, iou = overlap_pairs(result, reference)
    got = {(int(i), int(j)): float(v) for i, j, v in zip(ia, ib, iou, strict=True)}
    assert got == {(0, 0): pytest.approx(50 / 150), (1, 1): pytest.approx(1.0)}
    ia, _, _ = overlap_pairs(result, reference, ["ship", "plane", "ship"], ["ship", "ship"])
    assert ia.tolist() == [0]
    assert overlap_pairs([], reference)[0].size == 0
