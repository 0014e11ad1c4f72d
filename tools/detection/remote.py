"""``detect_objects`` slices on a Dask cluster (``EARTHSIGHT_CLUSTER``): predicted on workers,
merged here exactly as in-process.

The caller keeps everything but the forward passes. It lists the slice windows, groups them
as the in-process loop does (``batch * workers`` slices per forward-pass group, the worker's
detector's own figures) and sends one task per group: the task opens the scene by its GDAL
name, reads its slices and runs them through the worker's detector, which the worker loaded
once (:mod:`specialists.runtime.worker_models`: a worker plugin per model, the process-wide
model cache; a task carries the loader's *name* and the weights *path*, never weights).
Results come back in slice order, and the caller filters (confidence, classes), shifts the
boxes to scene pixels, merges them across slices (class-wise NMS) and georeferences them with
the same code as in-process, so the boxes, the GeoJSON and the numbers are identical.

The detector runs where the workers are: ``device`` None means each worker's own default
(CUDA where it has one). Identical outputs hold when the workers run the same device and
runtime as the caller would (a GPU's fp16 boxes differ from a CPU's in-process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialists.detection.slicing import Detections
from specialists.detection.yolo import LoadedDetector
from specialists.runtime.worker_models import ModelSpec, ensure_models, worker_model
from specialists.tiling import Window
from tools.geo.fanout import TileRunner
from tools.geo.raster import open_dataset, rio


def keep_part(dets: Detections, win: Window, min_confidence: float,
              keep: set[int] | None) -> Detections:
    """One slice's boxes above ``min_confidence`` (of the ``keep`` classes), shifted from slice
    to scene pixels (the same step in-process and on a cluster)."""
    sel = dets.scores >= min_confidence
    if keep is not None:
        sel &= np.isin(dets.classes, list(keep))
    return dets.select(sel).shifted(win.col_off, win.row_off)


@dataclass(frozen=True)
class DetectorInfo:
    """What a worker's detector is (a :class:`LoadedDetector` without its predictor)."""

    names: dict[int, str]
    oriented: bool
    device: str
    weights: str
    batch: int
    runtime: str
    fallback: str | None
    workers: int


@dataclass
class RemoteDetector(LoadedDetector):
    """A detector that lives on the cluster's workers: what it is, how a worker loads it
    (``spec``) and where its slices run (``runner``). Its ``predict`` refuses to run here."""

    spec: ModelSpec | None = None
    runner: TileRunner | None = None


def _describe(spec: ModelSpec) -> DetectorInfo:
    """On a worker: load (or find) the detector and describe it."""
    d: LoadedDetector = worker_model(spec)
    return DetectorInfo(names=dict(d.names), oriented=d.oriented, device=d.device,
                        weights=d.weights, batch=d.batch, runtime=d.runtime,
                        fallback=d.fallback, workers=d.workers)


def _not_here(tiles: Sequence[np.ndarray]) -> list[Detections]:
    raise RuntimeError("this detector runs on the cluster's workers (tools.detection.remote)")


def remote_detector(runner: TileRunner, loader: Callable[..., LoadedDetector],
                    args: tuple[Any, ...]) -> RemoteDetector:
    """Have every worker load ``loader(*args)`` once and describe the detector.

    Args:
        runner: The tool call's tile runner (a cluster executor).
        loader: Module-level detector loader (``load_predictor``), imported by name on workers.
        args: Its arguments ``(weights, device, conf, imgsz, batch)``.

    Raises:
        ValueError: A worker refused the weights (the loader's own error).
    """
    spec = ModelSpec(loader, args)
    client = getattr(runner.executor, "client", None)
    if client is not None:  # loads on every worker at once, and on workers that join later
        ensure_models(client, [spec])
    with contextlib.closing(runner.executor.map(_describe, [spec], label="detect-model")) as found:
        info = next(found)
    return RemoteDetector(
        predict=_not_here, names=info.names, oriented=info.oriented, device=info.device,
        weights=info.weights, batch=info.batch, runtime=info.runtime, fallback=info.fallback,
        workers=info.workers, spec=spec, runner=runner)


def _predict_group(group: list[Window], scene: str, spec: ModelSpec) -> list[Detections]:
    """On a worker: read the group's slices as (H, W, 3) uint8 and predict them in one call."""
    detector: LoadedDetector = worker_model(spec)
    with open_dataset(scene) as src:
        tiles = [np.moveaxis(src.read([1, 2, 3], window=rio(w)), 0, -1) for w in group]
    return list(detector.predict(tiles))


def remote_predictions(detector: RemoteDetector, scene: str, windows: list[Window],
                       progress: Callable[[str, int, int], None] | None = None
                       ) -> Generator[tuple[Window, Detections], None, None]:
    """Each slice window with its boxes (slice pixels), in window order, predicted on workers
    one forward-pass group per task. Closing the iterator cancels the tasks not yet read."""
    runner, spec = detector.runner, detector.spec
    if runner is None or spec is None:
        raise RuntimeError("remote_predictions needs a detector from remote_detector()")
    size = max(1, detector.batch * detector.workers)
    groups = [windows[i:i + size] for i in range(0, len(windows), size)]
    found = runner.executor.map(_predict_group, groups, scene, spec,
                                placement=runner.placement, label="detect")
    done = 0
    with contextlib.closing(found):
        for group, dets in zip(groups, found, strict=True):
            yield from zip(group, dets, strict=True)
            done += len(group)
            if progress is not None:
                progress("detect", done, len(windows))
