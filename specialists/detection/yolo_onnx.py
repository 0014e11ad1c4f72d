"""YOLO on ONNX Runtime (CPU): parallel single-threaded sessions, ultralytics' own numerics.

On a CPU, one ONNX Runtime session with N intra-op threads scales poorly on a small network
(yolo11n, 640 px, batch 2, 2 cores: 25.5 ms a slice with one 2-thread session, 20.2 ms with two
1-thread sessions running side by side). :class:`OnnxYolo` therefore opens one session per
worker and runs consecutive batches of slices on them at once (ONNX Runtime releases the GIL).

Pre- and post-processing are ultralytics' own functions, called the way its predictor calls
them, so boxes match ``YOLO(...).predict`` on the same graph: ``LetterBox`` (only when a slice is
not already the graph's size), BGR/RGB and scaling to 0-1, ``non_max_suppression`` and
``scale_boxes``. End-to-end graphs (NMS inside the model) are not handled here:
:func:`supports` says so and the caller uses ultralytics' predictor instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from specialists.detection.slicing import Detections

MAX_WORKERS = 4
"""Most parallel sessions (each holds its own activations: ~0.1-0.2 GB for yolo11n at 640 px)."""


def supports(model: Any) -> bool:
    """True for ultralytics detect/OBB models whose graph outputs raw (pre-NMS) predictions."""
    net = getattr(model, "model", None)
    return model.task in ("detect", "obb") and not bool(getattr(net, "end2end", False))


def worker_split(threads: int) -> tuple[int, int]:
    """(sessions, intra-op threads per session) for ``threads`` cores: one single-threaded
    session per core up to :data:`MAX_WORKERS`, the remaining cores shared among them."""
    workers = max(1, min(threads, MAX_WORKERS))
    return workers, max(1, threads // workers)


class OnnxYolo:
    """An exported YOLO graph on ONNX Runtime sessions, predicting batches of RGB slices.

    Args:
        path: ONNX file (static input ``batch x 3 x imgsz x imgsz``).
        task: ``detect`` or ``obb``.
        names: Class id -> name.
        threads: CPU threads to use in all (split by :func:`worker_split`).
    """

    def __init__(self, path: str | Path, task: str, names: dict[int, str], threads: int) -> None:
        import onnxruntime

        self.task, self.names = task, names
        self.workers, per_session = worker_split(threads)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = per_session
        options.inter_op_num_threads = 1
        # Memory patterns pre-plan each session's activations at their peak: with one session
        # a worker that doubles the footprint for no measurable speed (yolo11n-obb, 1024 px,
        # 2 sessions: 846 -> 490 MB peak, same time); the arena alone reuses buffers.
        options.enable_mem_pattern = False
        self.sessions = [onnxruntime.InferenceSession(str(path), options,
                                                      providers=["CPUExecutionProvider"])
                         for _ in range(self.workers)]
        first = self.sessions[0].get_inputs()[0]
        self.input_name = first.name
        self.batch, _, self.imgsz, width = (int(d) for d in first.shape)
        if width != self.imgsz:
            raise ValueError(f"{path}: expected a square static input, got {first.shape}")
        self.pool = ThreadPoolExecutor(max_workers=self.workers,
                                       thread_name_prefix="earthsight-onnx")

    def _prepare(self, tiles: Sequence[np.ndarray]) -> np.ndarray:
        """Slices (RGB uint8) -> the graph's float32 input, zero-padded to the static batch."""
        size = (self.imgsz, self.imgsz)
        if any(t.shape[:2] != size for t in tiles):
            from ultralytics.data.augment import LetterBox

            box = LetterBox(size, auto=False, stride=32)  # as the predictor does for ONNX; its
            tiles = [box(image=np.ascontiguousarray(t)) for t in tiles]  # grey pad: RGB = BGR
        x = np.zeros((self.batch, 3, *size), np.float32)
        x[:len(tiles)] = np.stack(tiles).transpose(0, 3, 1, 2)
        x[:len(tiles)] /= 255.0
        return x

    def _run(self, session: Any, tiles: Sequence[np.ndarray], conf: float, iou: float,
             max_det: int) -> list[Detections]:
        import torch
        from ultralytics.utils import nms, ops

        x = self._prepare(tiles)
        raw = session.run(None, {self.input_name: x})[0][:len(tiles)]
        oriented = self.task == "obb"
        preds = nms.non_max_suppression(
            torch.from_numpy(raw), conf, iou, None, False, max_det=max_det,
            nc=0 if self.task == "detect" else len(self.names), rotated=oriented)
        out: list[Detections] = []
        for pred, tile in zip(preds, tiles, strict=True):
            if len(pred) == 0:
                out.append(Detections.empty(oriented))
                continue
            conf_, cls_ = pred[:, 4].numpy(), pred[:, 5].numpy().astype(np.int64)
            if oriented:
                rboxes = torch.cat([pred[:, :4], pred[:, -1:]], dim=-1)
                rboxes[:, :4] = ops.scale_boxes(x.shape[2:], rboxes[:, :4], tile.shape, xywh=True)
                out.append(Detections.from_corners(ops.xywhr2xyxyxyxy(rboxes).numpy(), conf_,
                                                   cls_))
            else:
                xyxy = ops.scale_boxes(x.shape[2:], pred[:, :4].clone(), tile.shape)
                out.append(Detections.from_xyxy(xyxy.numpy(), conf_, cls_))
        return out

    def predict(self, tiles: Sequence[np.ndarray], conf: float, iou: float = 0.7,
                max_det: int = 300) -> list[Detections]:
        """Boxes in each slice's own pixels; batches of :attr:`batch` run on the sessions at
        once, results in input order."""
        groups = [tiles[i:i + self.batch] for i in range(0, len(tiles), self.batch)]
        if len(groups) <= 1:
            return self._run(self.sessions[0], tiles, conf, iou, max_det) if tiles else []
        jobs = [self.pool.submit(self._run, self.sessions[i % self.workers], g, conf, iou,
                                 max_det) for i, g in enumerate(groups)]
        return [d for job in jobs for d in job.result()]

