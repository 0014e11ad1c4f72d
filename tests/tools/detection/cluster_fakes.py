"""Detectors for the cluster tests: module-level loaders that Dask workers import by name.

:func:`load_bright` is a fake detector whose boxes depend on the pixels alone (never on which
slice it is given, or in which process), so it answers the same on a worker as in-process:
every 4-connected patch of bright pixels (all three bands >= 200) of at least 4 pixels is a
horizontal box around it, scored 0.9 when the patch is whole in the slice and 0.6 when it
touches the slice border (cut), class 0 (small vehicle) when red is the brightest band on
average, else 1 (ship).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import ndimage

from specialists.detection.slicing import Detections
from specialists.detection.yolo import LoadedDetector

BRIGHT = 200
"""Pixel value (0-255, every band) from which a pixel is part of an object."""
NAMES = {0: "small vehicle", 1: "ship"}


def bright_boxes(tile: np.ndarray) -> Detections:
    """Boxes around the bright patches of one (H, W, 3) uint8 slice, in slice pixels."""
    assert tile.ndim == 3 and tile.shape[2] == 3 and tile.dtype == np.uint8
    labels, _ = ndimage.label(tile.min(axis=2) >= BRIGHT)
    xyxy, scores, classes = [], [], []
    height, width = labels.shape
    for i, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:
            continue
        rows, cols = found
        inside = labels[found] == i
        if int(inside.sum()) < 4:
            continue
        cut = rows.start == 0 or cols.start == 0 or rows.stop == height or cols.stop == width
        xyxy.append([cols.start, rows.start, cols.stop, rows.stop])
        scores.append(0.6 if cut else 0.9)
        mean = tile[found][inside].mean(axis=0)
        classes.append(0 if int(np.argmax(mean)) == 0 else 1)
    if not xyxy:
        return Detections.empty(False)
    return Detections.from_xyxy(np.array(xyxy, float), np.array(scores), np.array(classes))


def predict_bright(tiles: Sequence[np.ndarray]) -> list[Detections]:
    """The fake's batch predictor."""
    return [bright_boxes(t) for t in tiles]


def load_bright(weights: Path, device: str | None, conf: float, imgsz: int,
                batch: int | None) -> LoadedDetector:
    """``load_predictor``'s stand-in: the bright-patch detector (3 slices per call)."""
    return LoadedDetector(predict=predict_bright, names=dict(NAMES), oriented=False,
                          device="cpu", weights=str(weights), batch=batch or 3)
