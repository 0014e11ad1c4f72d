"""Accuracy of a result against a reference: confusion matrices, pixel metrics, object matching.

Pure numpy / scipy (and shapely for polygon overlaps). Confusion matrices are accumulated
window by window (:class:`PixelTally`, :class:`ConfusionCounter`), so nothing needs a whole
scene in memory. Matrices have the
reference (truth) in rows and the result (prediction) in columns. Undefined ratios (0 / 0, e.g.
the IoU when neither side has a positive pixel) are NaN, never a made-up 0 or 1.

Objects are matched one to one on their IoU (pairs at or above a threshold): greedily by
descending IoU, or optimally (Hungarian, maximum total IoU) within each group of objects that
overlap one another, so that thousands of objects never need a dense all-pairs matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

MatchMethod = Literal["hungarian", "greedy"]


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN when ``den`` is 0."""
    return float(num) / float(den) if den else float("nan")


class ConfusionCounter:
    """Counts (reference value, result value) pairs window by window.

    Values are whatever the rasters hold (class labels, or 0/1 for binary masks); the set of
    values grows as windows arrive.

    Args:
        max_values: Most distinct values before :meth:`add` refuses (a float raster passed
            as labels would otherwise grow without bound).
    """

    def __init__(self, max_values: int = 256) -> None:
        self.max_values = max_values
        self._index: dict[float, int] = {}
        self._counts = np.zeros((0, 0), dtype=np.int64)

    def add(self, reference: np.ndarray, result: np.ndarray) -> None:
        """Add the pairs of two equally shaped arrays (only the pixels to compare).

        Raises:
            ValueError: More than ``max_values`` distinct values seen.
        """
        ref = np.asarray(reference, dtype=np.float64).ravel()
        res = np.asarray(result, dtype=np.float64).ravel()
        if ref.shape != res.shape:
            raise ValueError(f"reference and result differ in size: {ref.shape} vs {res.shape}")
        if ref.size == 0:
            return
        uniq, inverse = np.unique(np.concatenate([ref, res]), return_inverse=True)
        for v in uniq.tolist():
            if v not in self._index:
                self._index[v] = len(self._index)
        if len(self._index) > self.max_values:
            raise ValueError(f"more than {self.max_values} distinct values")
        n = len(self._index)
        if self._counts.shape[0] < n:
            grown = np.zeros((n, n), dtype=np.int64)
            k = self._counts.shape[0]
            grown[:k, :k] = self._counts
            self._counts = grown
        glob = np.array([self._index[v] for v in uniq.tolist()], dtype=np.int64)[inverse]
        codes = glob[:ref.size] * n + glob[ref.size:]
        self._counts += np.bincount(codes, minlength=n * n).reshape(n, n)

    @property
    def values(self) -> list[float]:
        """Every value seen, sorted."""
        return sorted(self._index)

    @property
    def total(self) -> int:
        """Pairs counted."""
        return int(self._counts.sum())

    def matrix(self, values: list[float] | None = None) -> np.ndarray:
        """Confusion matrix over ``values`` (default: every value seen, sorted); rows are the
        reference, columns the result. Pairs holding other values are left out."""
        order = self.values if values is None else values
        idx = [self._index.get(float(v), -1) for v in order]
        out = np.zeros((len(order), len(order)), dtype=np.int64)
        for i, a in enumerate(idx):
            for j, b in enumerate(idx):
                if a >= 0 and b >= 0:
                    out[i, j] = self._counts[a, b]
        return out


class PixelTally:
    """One pixel comparison fed window by window: the confusion counts of the pixels valid on
    both sides, and the pixels left out.

    Args:
        ignore: Reference values left out (besides the invalid pixels).
        binary: Compare positive against the rest (else the values themselves as classes).
        positive: Binary: the values that are positive on both sides (None: any non-zero).
        max_values: Most distinct values (see :class:`ConfusionCounter`).
    """

    def __init__(self, ignore: Sequence[float] = (), binary: bool = True,
                 positive: Sequence[float] | None = None, max_values: int = 256) -> None:
        self.ignore = np.asarray(ignore, dtype=np.float64)
        self.binary = binary
        self.positive = None if positive is None else np.asarray(positive, dtype=np.float64)
        self.counter = ConfusionCounter(max_values)
        self.ignored = 0
        """Reference pixels invalid or holding an ignore value."""
        self.result_invalid = 0
        """Valid reference pixels where the result is invalid (its nodata)."""

    def _positive(self, values: np.ndarray) -> np.ndarray:
        hit = values != 0 if self.positive is None else np.isin(values, self.positive)
        return hit.astype(np.float64)

    def add(self, reference: np.ndarray, reference_valid: np.ndarray, result: np.ndarray,
            result_valid: np.ndarray) -> None:
        """Add one window: values and validity of the reference and the result.

        Raises:
            ValueError: More distinct values than ``max_values`` (multi-class).
        """
        ref_ok = np.asarray(reference_valid, dtype=bool) & ~np.isin(reference, self.ignore)
        res_ok = np.asarray(result_valid, dtype=bool)
        self.ignored += int(ref_ok.size - ref_ok.sum())
        self.result_invalid += int((ref_ok & ~res_ok).sum())
        ok = ref_ok & res_ok
        truth, pred = np.asarray(reference)[ok], np.asarray(result)[ok]
        if self.binary:
            truth, pred = self._positive(truth), self._positive(pred)
        self.counter.add(truth, pred)


def cohen_kappa(matrix: np.ndarray) -> float:
    """Cohen's kappa of a confusion matrix: (p_o - p_e) / (1 - p_e); NaN when p_e is 1."""
    m = np.asarray(matrix, dtype=np.float64)
    n = m.sum()
    if n == 0:
        return float("nan")
    po = np.trace(m) / n
    pe = float((m.sum(axis=0) * m.sum(axis=1)).sum()) / (n * n)
    return ratio(po - pe, 1.0 - pe) if pe < 1.0 else float("nan")


@dataclass(frozen=True)
class BinaryScores:
    """Pixel metrics of a binary comparison (positive = the class of interest).

    Attributes:
        tp, fp, fn, tn: Pixels: positive in both, only in the result, only in the
            reference, in neither.
        iou: tp / (tp + fp + fn) (Jaccard index of the positive class).
        f1: 2 tp / (2 tp + fp + fn) (Dice coefficient).
        precision: tp / (tp + fp) (user's accuracy).
        recall: tp / (tp + fn) (producer's accuracy).
        overall_accuracy: (tp + tn) / all.
        kappa: Cohen's kappa.
    """

    tp: int
    fp: int
    fn: int
    tn: int
    iou: float
    f1: float
    precision: float
    recall: float
    overall_accuracy: float
    kappa: float

    @property
    def total(self) -> int:
        """Pixels compared."""
        return self.tp + self.fp + self.fn + self.tn


def binary_scores(matrix: np.ndarray) -> BinaryScores:
    """Metrics of a 2 x 2 confusion matrix ordered (negative, positive), reference in rows."""
    m = np.asarray(matrix, dtype=np.int64)
    if m.shape != (2, 2):
        raise ValueError(f"a binary confusion matrix is 2 x 2, not {m.shape}")
    tn, fp, fn, tp = (int(v) for v in m.ravel())
    return BinaryScores(
        tp=tp, fp=fp, fn=fn, tn=tn, iou=ratio(tp, tp + fp + fn), f1=ratio(2 * tp, 2 * tp + fp + fn),
        precision=ratio(tp, tp + fp), recall=ratio(tp, tp + fn),
        overall_accuracy=ratio(tp + tn, tp + fp + fn + tn), kappa=cohen_kappa(m))


@dataclass(frozen=True)
class ClassScores:
    """Per-class and overall metrics of a multi-class confusion matrix.

    Attributes:
        iou, f1, precision, recall: Per class (matrix order); NaN where undefined.
        support: Reference pixels per class.
        predicted: Result pixels per class.
        overall_accuracy: Diagonal over all.
        kappa: Cohen's kappa.
        mean_iou: Mean of the defined per-class IoUs.
        macro_f1: Mean of the defined per-class F1 scores.
    """

    iou: np.ndarray
    f1: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    support: np.ndarray
    predicted: np.ndarray
    overall_accuracy: float
    kappa: float
    mean_iou: float
    macro_f1: float


def _nanmean(values: np.ndarray) -> float:
    ok = values[np.isfinite(values)]
    return float(ok.mean()) if ok.size else float("nan")


def class_scores(matrix: np.ndarray) -> ClassScores:
    """Per-class (one class against all others) and overall metrics of a square matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"a confusion matrix is square, not {m.shape}")
    tp = np.diag(m)
    ref, res = m.sum(axis=1), m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(ref + res - tp > 0, tp / (ref + res - tp), np.nan)
        f1 = np.where(ref + res > 0, 2 * tp / (ref + res), np.nan)
        precision = np.where(res > 0, tp / res, np.nan)
        recall = np.where(ref > 0, tp / ref, np.nan)
    return ClassScores(
        iou=iou, f1=f1, precision=precision, recall=recall, support=ref.astype(np.int64),
        predicted=res.astype(np.int64), overall_accuracy=ratio(float(tp.sum()), float(m.sum())),
        kappa=cohen_kappa(m), mean_iou=_nanmean(iou), macro_f1=_nanmean(f1))


@dataclass(frozen=True)
class ObjectMatches:
    """One-to-one matches between result and reference objects.

    Attributes:
        pairs: (result index, reference index, IoU) of every match.
        n_result: Result objects.
        n_reference: Reference objects.
        threshold: IoU a pair needs to match.
    """

    pairs: list[tuple[int, int, float]]
    n_result: int
    n_reference: int
    threshold: float

    @property
    def matched(self) -> int:
        """Matched pairs (true positives)."""
        return len(self.pairs)

    @property
    def missed(self) -> int:
        """Reference objects without a match (false negatives)."""
        return self.n_reference - self.matched

    @property
    def false(self) -> int:
        """Result objects without a match (false positives)."""
        return self.n_result - self.matched

    @property
    def precision(self) -> float:
        """Matched over result objects."""
        return ratio(self.matched, self.n_result)

    @property
    def recall(self) -> float:
        """Matched over reference objects."""
        return ratio(self.matched, self.n_reference)

    @property
    def f1(self) -> float:
        """2 matched / (result + reference objects)."""
        return ratio(2 * self.matched, self.n_result + self.n_reference)

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matched pairs (NaN without matches)."""
        return float(np.mean([p[2] for p in self.pairs])) if self.pairs else float("nan")


def match_objects(
    result_idx: np.ndarray, reference_idx: np.ndarray, iou: np.ndarray, n_result: int,
    n_reference: int, threshold: float = 0.5, method: MatchMethod = "hungarian",
) -> ObjectMatches:
    """Match objects one to one from their overlapping pairs.

    Args:
        result_idx: Result object index of each candidate pair (0..n_result-1).
        reference_idx: Reference object index of each pair (0..n_reference-1).
        iou: IoU of each pair (pairs not listed have IoU 0).
        n_result: Result objects.
        n_reference: Reference objects.
        threshold: Least IoU of a match (pairs with IoU 0 never match).
        method: "hungarian": maximum total IoU over the pairs at or above the threshold
            (solved per group of mutually overlapping objects); "greedy": highest IoU first.
    """
    a = np.asarray(result_idx, dtype=np.int64)
    b = np.asarray(reference_idx, dtype=np.int64)
    w = np.asarray(iou, dtype=np.float64)
    keep = (w >= threshold) & (w > 0)
    a, b, w = a[keep], b[keep], w[keep]
    pairs: list[tuple[int, int, float]] = []
    if w.size and method == "greedy":
        used_a: set[int] = set()
        used_b: set[int] = set()
        for k in np.argsort(-w, kind="stable"):
            i, j = int(a[k]), int(b[k])
            if i not in used_a and j not in used_b:
                used_a.add(i)
                used_b.add(j)
                pairs.append((i, j, float(w[k])))
    elif w.size:
        graph = coo_matrix((np.ones(w.size), (a, b + n_result)),
                           shape=(n_result + n_reference,) * 2)
        _, label = connected_components(graph, directed=False)
        for group in np.unique(label[a]):
            sel = label[a] == group
            rows, r_inv = np.unique(a[sel], return_inverse=True)
            cols, c_inv = np.unique(b[sel], return_inverse=True)
            dense = np.zeros((rows.size, cols.size))
            dense[r_inv, c_inv] = w[sel]
            for i, j in zip(*linear_sum_assignment(dense, maximize=True), strict=True):
                if dense[i, j] > 0:
                    pairs.append((int(rows[i]), int(cols[j]), float(dense[i, j])))
    pairs.sort()
    return ObjectMatches(pairs=pairs, n_result=n_result, n_reference=n_reference,
                         threshold=threshold)


def overlap_pairs(
    result: Sequence[BaseGeometry], reference: Sequence[BaseGeometry],
    result_labels: Sequence[str | None] | None = None,
    reference_labels: Sequence[str | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every overlapping (result, reference) polygon pair and its IoU (area ratio).

    Args:
        result: Result polygons.
        reference: Reference polygons, in the same coordinates.
        result_labels: Classes of the result polygons; with ``reference_labels``, only pairs of
            the same class are listed.
        reference_labels: Classes of the reference polygons.

    Returns:
        Result indices, reference indices and IoUs of the pairs with a positive IoU.
    """
    a = np.asarray([g if g.is_valid else shapely.make_valid(g) for g in result], dtype=object)
    b = np.asarray([g if g.is_valid else shapely.make_valid(g) for g in reference],
                   dtype=object)
    if a.size == 0 or b.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    if result_labels is not None and reference_labels is not None:
        same = np.asarray([result_labels[i] == reference_labels[j] for i, j in zip(ia, ib,
                                                                                   strict=True)],
                          dtype=bool).reshape(-1)
        ia, ib = ia[same], ib[same]
    inter = shapely.area(shapely.intersection(a[ia], b[ib]))
    union = shapely.area(a[ia]) + shapely.area(b[ib]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    keep = iou > 0
    return ia[keep].astype(np.int64), ib[keep].astype(np.int64), iou[keep]
