"""YOLO (ultralytics) detectors: load once per process, predict batches of RGB tiles.

A *predictor* is any ``(tiles: list of (H, W, 3) uint8 RGB arrays) -> list[Detections]``
callable returning boxes in each tile's own pixels; :func:`yolo_predictor` wraps an
ultralytics model, and tests inject fakes with known boxes. ultralytics and torch are
imported lazily.

CPU runtime: when ``onnx`` and ``onnxruntime`` are importable, :func:`load_detector` exports the
weights once to a static-shape ONNX graph (slice size x batch; cached under
``$EARTHSIGHT_EXPORTS_DIR``, default ``~/.cache/earthsight/exports``, keyed by the weights' hash,
size and batch) and runs it on parallel single-threaded ONNX Runtime sessions with ultralytics'
own pre/post-processing functions (same letterbox, same NMS; see
:mod:`specialists.detection.yolo_onnx`). The boxes match torch's. ``EARTHSIGHT_CPU_RUNTIME=torch``
forces torch; an export or load failure (or an end-to-end graph) falls back to torch, and
:attr:`LoadedDetector.runtime` says which one runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specialists.detection.slicing import Detections
from specialists.detection.yolo_onnx import OnnxYolo, supports
from specialists.runtime.cache import get_or_load
from specialists.runtime.device import configure_threads, default_threads, pick_device, use_half
from specialists.runtime.model_files import (
    check_ultralytics_file,
    load_ultralytics,
    safe_ultralytics,
    shipped_config,
)

Predictor = Callable[[Sequence[np.ndarray]], list[Detections]]

RUNTIME_ENV = "EARTHSIGHT_CPU_RUNTIME"
KEEP_EXPORTS = 16
"""ONNX exports kept in the cache folder (least recently used beyond this are deleted)."""
EXPORTS_ENV = "EARTHSIGHT_EXPORTS_DIR"
log = logging.getLogger(__name__)


@dataclass
class LoadedDetector:
    """A detector ready to predict, and what it is.

    Attributes:
        predict: Batch predictor (tile pixels in, tile-pixel boxes out).
        names: Class id -> the model's own class name.
        oriented: True for OBB models.
        device: Device it runs on (``cpu``, ``cuda``).
        weights: Weights file it was loaded from.
        batch: Tiles per forward pass that suit the device.
        runtime: Inference runtime (``torch`` or ``onnxruntime``).
        fallback: Why the faster CPU runtime was not used (None when it was, or not tried).
        workers: Batches the predictor runs at once (parallel ONNX Runtime sessions); hand it
            ``batch * workers`` slices per call to keep them all busy.
    """

    predict: Predictor
    names: dict[int, str]
    oriented: bool
    device: str
    weights: str
    batch: int
    runtime: str = "torch"
    fallback: str | None = None
    workers: int = 1


def _quiet() -> None:
    os.environ.setdefault("YOLO_VERBOSE", "False")


def load_yolo(weights: str | Path, device: str) -> Any:
    """The ultralytics model for ``weights`` on ``device``, loaded once per process (cached).

    The checkpoint goes through ultralytics' restricted loader
    (:func:`specialists.runtime.model_files.load_ultralytics`): a file that would need code to load
    is refused, and so is anything but a ``.pt`` checkpoint.

    Raises:
        ValueError: The file is not an ultralytics detection model, or is refused
            (:class:`~specialists.runtime.model_files.ModelFileRefused`).
    """
    _quiet()

    def loader() -> Any:
        model = load_ultralytics(weights)
        if model.task not in ("detect", "obb"):
            raise ValueError(f"{weights} is an ultralytics '{model.task}' model; detect_objects "
                             "needs a 'detect' or 'obb' model")
        model.to(device)
        # The first predict sets ultralytics' predictor up, which resets torch's CPU threads
        # to cores - 1; warm up on a tiny tile, then set the thread count explicitly.
        model.predict(np.zeros((32, 32, 3), np.uint8), imgsz=32, device=device, verbose=False)
        configure_threads()
        return model

    return get_or_load(("yolo", str(Path(weights).resolve()), device), loader)


def exports_dir() -> Path:
    """Folder of exported inference graphs: ``$EARTHSIGHT_EXPORTS_DIR``, else
    ``$XDG_CACHE_HOME/earthsight/exports`` (``~/.cache/earthsight/exports``)."""
    env = os.environ.get(EXPORTS_ENV)
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "earthsight" / "exports"


def onnx_runtime_available() -> bool:
    """True when ``onnx`` (export) and ``onnxruntime`` (inference) are importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def export_onnx(weights: str | Path, imgsz: int, batch: int,
                dest: str | Path | None = None, keep: int = KEEP_EXPORTS) -> Path:
    """Export ultralytics ``weights`` to a static-shape ONNX graph, once (cached, atomic).

    The file is named after the weights' stem, the first 16 hex digits of their SHA-256, the
    input size and the batch; an existing file is reused (and marked as used). The export runs
    in a private temporary folder beside the cache (ultralytics writes next to the weights it
    exports) and the result is moved into place with one rename; then only the ``keep`` most
    recently used exports stay in the cache (retrained weights would otherwise pile up).

    Args:
        weights: ultralytics ``.pt`` file.
        imgsz: Square input size in pixels (the slice size).
        batch: Images per forward pass (shorter batches are zero-padded at inference).
        dest: Cache folder (default :func:`exports_dir`).
        keep: Exports kept in the cache folder (least recently used ones are deleted).
    """
    _quiet()
    weights = check_ultralytics_file(weights)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    folder = Path(dest) if dest is not None else exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{weights.stem}-{digest}-{imgsz}px-b{batch}.onnx"
    if target.exists():
        os.utime(target)  # most recently used: pruned last
        return target
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as tmp:
        src = Path(tmp) / weights.name
        shutil.copyfile(weights, src)
        made = load_ultralytics(src).export(format="onnx", imgsz=imgsz, batch=batch, dynamic=False,
                                     simplify=False, half=False, device="cpu")
        os.replace(made, target)
    _prune_exports(folder, keep)
    return target


def _prune_exports(folder: Path, keep: int, grace_s: float = 600.0) -> None:
    """Delete all but the ``keep`` most recently used ``.onnx`` exports in ``folder``, sparing
    any used in the last ``grace_s`` seconds (another process may be about to open it; a
    session already open on a deleted file keeps working, a later load exports it again)."""
    def used(path: Path) -> int:
        try:
            return path.stat().st_mtime_ns
        except OSError:  # deleted meanwhile by another process
            return 0

    recent = time.time_ns() - int(grace_s * 1e9)
    for stale in sorted(folder.glob("*.onnx"), key=used, reverse=True)[max(1, keep):]:
        if used(stale) < recent:
            stale.unlink(missing_ok=True)


def load_onnx(weights: str | Path, model: Any, imgsz: int, batch: int) -> OnnxYolo:
    """:class:`~specialists.detection.yolo_onnx.OnnxYolo` over the ONNX export of ``weights``
    (cached), on as many CPU threads as torch gets (``EARTHSIGHT_THREADS``, else every usable core).

    Raises:
        ValueError: The model's graph includes NMS (end-to-end); ultralytics' predictor runs it.
    """

    if not supports(model):
        raise ValueError("end-to-end graph (NMS inside the model)")

    path = export_onnx(weights, imgsz, batch)  # outside the model cache's lock: it can take
    names = {int(k): str(v) for k, v in dict(model.names).items()}  # a while, once

    def loader() -> OnnxYolo:
        return OnnxYolo(path, model.task, names, default_threads())

    return get_or_load(("yolo-onnx", str(Path(weights).resolve()), imgsz, batch), loader)


def build_random(config: str, dest: str | Path, names: Sequence[str] | None = None,
                 seed: int = 0) -> Path:
    """Build an architecture from its config with random weights and save it as a .pt.

    Args:
        config: A shipped ultralytics model config (one a model record names, e.g.
            ``yolo11n-obb.yaml``); any other config is refused.
        dest: File to write (``.pt``).
        names: Class names (sets the number of classes; default: the config's own).
        seed: torch seed for the random weights.
    """
    _quiet()
    import tempfile

    import torch
    import yaml

    shipped_config(config)
    YOLO = safe_ultralytics()
    from ultralytics.nn.tasks import yaml_model_load

    torch.manual_seed(seed)
    if names is None:
        model = YOLO(config)
    else:
        cfg = dict(yaml_model_load(config))
        cfg["nc"] = len(names)
        cfg.pop("yaml_file", None)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(config).name  # keep the name: it carries the scale (n)
            path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
            model = YOLO(str(path))
        model.model.names = dict(enumerate(names))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(dest))
    return dest


def _parse(result: Any, oriented: bool) -> Detections:
    if oriented:
        obb = result.obb
        if obb is None or len(obb) == 0:
            return Detections.empty(True)
        return Detections.from_corners(obb.xyxyxyxy.cpu().numpy(), obb.conf.cpu().numpy(),
                                       obb.cls.cpu().numpy().astype(np.int64))
    boxes = result.boxes
    if boxes is None or len(boxes) == 0:
        return Detections.empty(False)
    return Detections.from_xyxy(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(),
                                boxes.cls.cpu().numpy().astype(np.int64))


def yolo_predictor(model: Any, device: str, conf: float, imgsz: int,
                   iou: float = 0.7, max_det: int = 300) -> Predictor:
    """Wrap an ultralytics model as a batch predictor.

    Args:
        model: ultralytics ``YOLO`` model.
        device: ``cpu`` or ``cuda[:N]`` (fp16 on CUDA).
        conf: Minimum confidence (0-1) kept by the model.
        imgsz: Inference size in pixels (the slice size).
        iou: IoU (0-1) of the model's own per-tile NMS.
        max_det: Most boxes per tile.
    """
    oriented = model.task == "obb"
    half = use_half(device)

    def predict(tiles: Sequence[np.ndarray]) -> list[Detections]:
        if not tiles:
            return []
        if device == "cpu":  # another ultralytics predictor set up in-process resets torch's
            configure_threads()  # threads to cores - 1 (1 on a 2-core machine): set them back
        bgr = [np.ascontiguousarray(t[..., ::-1]) for t in tiles]  # ultralytics: numpy is BGR
        results = model.predict(bgr, imgsz=imgsz, conf=conf, iou=iou, device=device, half=half,
                                max_det=max_det, verbose=False)
        return [_parse(r, oriented) for r in results]

    return predict


def load_detector(weights: str | Path, device: str | None = None, conf: float = 0.25,
                  imgsz: int = 640, batch: int | None = None) -> LoadedDetector:
    """Load a YOLO detector (cached) and wrap it as a :class:`LoadedDetector`.

    Args:
        weights: ultralytics ``.pt`` file.
        device: Device (None: CUDA when available, else CPU).
        conf: Minimum confidence (0-1).
        imgsz: Inference size in pixels.
        batch: Tiles per forward pass (None: 16 on CUDA; on CPU 1 per ONNX Runtime session,
            2 on torch); on the ONNX Runtime path also the exported graph's static batch.
    """
    dev = pick_device(device)
    model = load_yolo(weights, dev)
    names = {int(k): str(v) for k, v in dict(model.names).items()}
    wanted = os.environ.get(RUNTIME_ENV, "onnxruntime").strip().lower()
    use_onnx = dev == "cpu" and wanted != "torch" and onnx_runtime_available()
    # one slice per pass and session on ONNX Runtime: the sessions run side by side, and a
    # single slice keeps a core's working set smallest (yolo11n, 640 px, 2 sessions: 20.0 ms
    # a slice at batch 1, 22.0 at 2, 23.5 at 4)
    size = batch or (16 if dev.startswith("cuda") else 1 if use_onnx else 2)
    runtime, fallback, workers = "torch", None, 1
    predict = yolo_predictor(model, dev, conf, imgsz)
    if use_onnx:
        try:
            onnx = load_onnx(weights, model, imgsz, size)
        except Exception as exc:  # any export/load failure: torch still works
            fallback = f"ONNX Runtime unavailable for {Path(weights).name}: {exc}"
            log.warning("%s; running on torch", fallback)
        else:
            runtime, workers = "onnxruntime", onnx.workers

            def predict(tiles: Sequence[np.ndarray]) -> list[Detections]:
                return onnx.predict(tiles, conf)
    return LoadedDetector(
        predict=predict, names=names, oriented=model.task == "obb", device=dev,
        weights=str(weights), batch=size, runtime=runtime, fallback=fallback, workers=workers)
