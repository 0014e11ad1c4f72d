"""EarthSight's ``detect_objects`` vs SAHI: sliced YOLO detection on an 8192 x 8192 GeoTIFF.

Both run the same YOLO weights (``yolo11n`` built from its config with random weights, saved
to a .pt) over the same generated 3-band uint8 GeoTIFF with identical slices (size, overlap,
window origins: checked), the same confidence threshold and the same batch, in one process,
one after the other (order alternates when ``--repeat`` > 1). Boxes are merged across slices
by both with class-wise NMS on intersection-over-smaller > 0.5 (SAHI:
``postprocess_type="NMS", postprocess_match_metric="IOS", postprocess_match_threshold=0.5``;
its extra whole-image pass, ``perform_standard_pred``, is turned off). The ratio on the last
line is at the same torch thread count for both: ultralytics' predictor setup sets torch to
cores - 1 threads (1 on a 2-core machine) for the whole process, EarthSight sets all cores back
on every CPU batch, and the bench sets them back for SAHI too after its first prediction. SAHI
as shipped (the threads ultralytics leaves it) is timed once more and printed above.

What is timed:
    * EarthSight: the whole ``detect_objects`` tool call (windows read from the file, batched
      prediction, merge, GeoJSON in the scene CRS, tool records); model loading is not timed.
      EarthSight runs the weights on ONNX Runtime when ``onnx`` and ``onnxruntime`` are
      installed (exported once, not timed): one single-threaded session per core (as many
      threads in all as torch gets), consecutive batches on them at once; set
      ``EARTHSIGHT_CPU_RUNTIME=torch`` to time it on torch like SAHI.
    * SAHI: reading the scene into one array with rasterio (SAHI slices an in-memory image)
      plus ``get_sliced_prediction``; SAHI writes nothing.

Random-init weights find nothing: their activations vanish layer by layer (the saved fp16
weights round them to zero), so every anchor gets the same score. The bench therefore (1)
recalibrates every BatchNorm's running statistics on 8 tiles of a differently seeded scene
(train-mode forward passes, cumulative averages), which makes the head's outputs depend on the
image, and (2) sets the class-score bias of the detection head, per pyramid level, so that
``--pass-rate`` (default 0.1 %) of the calibration anchors score above ``--conf``. Both are
saved into the .pt, so the weights produce boxes deterministically.

Install (SAHI declares the GUI ``opencv-python``, which clashes with the headless OpenCV that
``ultralytics-opencv-headless`` brings, so it is installed without its dependencies; the
``bench`` extra holds the pure-Python ones its import needs)::

    pip install -e '.[deep,bench]'
    pip install --no-deps sahi==0.12.8

Usage:
    python bench/sliced_detection.py [--size 8192] [--tile 640] [--overlap 128] [--repeat 1]

The last line prints the wall-time ratio, EarthSight over SAHI (goal <= 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from _scenes import write_scene
from rasterio.windows import Window

CLASSES = ("vehicle", "ship", "plane")
GOAL = 0.5


def make_scene(path: Path, size: int, seed: int) -> Path:
    """Write a textured 3-band uint8 GeoTIFF (tiled, deflate) with bright rectangles."""

    def block(row: int, col: int, yy: np.ndarray, xx: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        h, w = yy.shape
        base = 100 + 60 * np.sin(xx / 70.0) * np.cos(yy / 90.0)
        tile = np.stack([base, base * 0.8 + 30, 200 - base])
        tile += rng.normal(0, 8, (3, h, w)).astype(np.float32)
        for _ in range(h * w // 40_000):  # ~100 "objects" per 2048^2 block
            r, c = rng.integers(0, h - 40), rng.integers(0, w - 40)
            rh, rw = rng.integers(8, 40, 2)
            tile[:, r:r + rh, c:c + rw] = rng.uniform(20, 250, (3, 1, 1))
        return np.asarray(tile)

    return write_scene(path, size, seed, block, pixel_m=0.5)


def build_weights(dest: Path, calib_scene: Path, tile: int, conf: float,
                  pass_rate: float) -> tuple[Path, str]:
    """Random-init ``yolo11n`` that produces boxes: BatchNorm recalibrated, head bias set.

    Returns:
        The .pt path and a line saying how the weights were made.
    """
    import torch

    from specialists.detection.yolo import build_random
    from specialists.runtime.model_files import load_ultralytics

    build_random("yolo11n.yaml", dest, names=CLASSES, seed=0)
    yolo = load_ultralytics(dest)
    net = yolo.model.float()
    with rasterio.open(calib_scene) as src:
        step = max(1, (src.width - tile) // 3)
        tiles = [np.moveaxis(src.read([1, 2, 3], window=Window(c, r, tile, tile)), 0, -1)
                 for r in (0, step) for c in (0, step, 2 * step, 3 * step)]
    batch = torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).float() / 255.0
    torch.manual_seed(0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration passes
    net.train()
    with torch.no_grad():
        for i in range(0, len(tiles), 2):
            net(batch[i:i + 2])
    net.eval()
    head = net.model[-1]
    logits: dict[int, Any] = {}
    hooks = [seq[-1].register_forward_hook(
        lambda _m, _i, out, k=k: logits.__setitem__(k, out.detach()))
        for k, seq in enumerate(head.cv3)]
    with torch.no_grad():
        net(batch)
    for h in hooks:
        h.remove()
    target = float(np.log(conf / (1 - conf)))  # logit of the confidence threshold
    biases = []
    for k, seq in enumerate(head.cv3):
        conv = seq[-1]
        with torch.no_grad():
            pre = (logits[k] - conv.bias.view(1, -1, 1, 1)).flatten().numpy()
            cut = float(np.quantile(pre, 1.0 - pass_rate))
            conv.bias[:] = target - cut
        biases.append(target - cut)
    yolo.save(str(dest))
    how = ("random-init yolo11n (seed 0, 3 classes): BatchNorm statistics recalibrated on 8 "
           f"tiles of a seed-7 scene, class-score bias per level set to "
           f"{', '.join(f'{b:.2f}' for b in biases)} so {pass_rate:.2%} of calibration anchors "
           f"score >= {conf:g}; saved to {dest}")
    return dest, how


def threads() -> int:
    """torch's intra-op thread count now."""
    import torch

    return int(torch.get_num_threads())


def set_threads(n: int) -> None:
    """Set torch's intra-op thread count."""
    import torch

    torch.set_num_threads(n)


def run_earthsight(scene: Path, weights: Path, tile: int, overlap: int, conf: float,
                   batch: int, ws: Path) -> tuple[float, np.ndarray, np.ndarray, dict[str, float]]:
    """One ``detect_objects`` call: seconds, (N, 4) pixel boxes, (N,) class ids, stages."""
    from tools.catalog import run_tool
    from tools.detection.detect_objects import DetectObjectsOutput

    shutil.rmtree(ws, ignore_errors=True)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()

    t0 = time.perf_counter()
    run = run_tool("detect_objects", {
        "image": str(scene), "model": str(weights), "tile_size": tile, "overlap": overlap,
        "merge_threshold": 0.5, "min_confidence": conf, "batch": batch, "device": "cpu"},
        ws, progress=progress)
    seconds = time.perf_counter() - t0
    stages = {"read + predict (slices)": marks.get("detect", t0) - t0,
              "merge + GeoJSON + records": t0 + seconds - marks.get("detect", t0)}
    path = run.result.path if isinstance(run.result, DetectObjectsOutput) else None
    feats = json.loads(Path(path).read_text(encoding="utf-8"))["features"] if path else []
    ids = {name: i for i, name in enumerate(CLASSES)}
    boxes = np.array([f["properties"]["pixel_box"] for f in feats], float).reshape(-1, 4)
    classes = np.array([ids[f["properties"]["model_class"]] for f in feats], int)
    return seconds, boxes, classes, stages


def load_sahi(weights: Path, conf: float, tile: int) -> Any:
    """SAHI's ultralytics model on CPU."""
    from sahi import AutoDetectionModel

    return AutoDetectionModel.from_pretrained(
        model_type="ultralytics", model_path=str(weights), confidence_threshold=conf,
        device="cpu", image_size=tile)


def run_sahi(model: Any, scene: Path, tile: int, overlap: int, batch: int
             ) -> tuple[float, np.ndarray, np.ndarray, dict[str, float]]:
    """Read the scene, SAHI sliced prediction: seconds, (N, 4) boxes, (N,) class ids, stages."""
    from sahi.predict import get_sliced_prediction

    t0 = time.perf_counter()
    with rasterio.open(scene) as src:
        image = np.ascontiguousarray(np.moveaxis(src.read([1, 2, 3]), 0, -1))
    t_read = time.perf_counter() - t0
    result = get_sliced_prediction(
        image, model, slice_height=tile, slice_width=tile,
        overlap_height_ratio=overlap / tile, overlap_width_ratio=overlap / tile,
        perform_standard_pred=False, postprocess_type="NMS", postprocess_match_metric="IOS",
        postprocess_match_threshold=0.5, postprocess_class_agnostic=False, verbose=0,
        batch_size=batch, force_postprocess_type=True)
    seconds = time.perf_counter() - t0
    preds = result.object_prediction_list
    boxes = np.array([p.bbox.to_xyxy() for p in preds], float).reshape(-1, 4)
    classes = np.array([p.category.id for p in preds], int)
    d = result.durations_in_seconds
    stages = {"read whole scene": t_read, "slice": d.get("slice", 0.0),
              "predict": d.get("prediction", 0.0), "merge (NMS)": d.get("postprocess", 0.0)}
    return seconds, boxes, classes, stages


def same_windows(width: int, height: int, tile: int, overlap: int) -> bool:
    """True when EarthSight's and SAHI's slice windows are the same."""
    from sahi.slicing import get_slice_bboxes

    from specialists.tiling import slice_windows

    ours = sorted((w.col, w.row, w.col + w.width, w.row + w.height)
                  for w in slice_windows(width, height, tile, overlap))
    theirs = sorted(tuple(int(v) for v in b) for b in get_slice_bboxes(
        height, width, slice_height=tile, slice_width=tile,
        overlap_height_ratio=overlap / tile, overlap_width_ratio=overlap / tile))
    return ours == theirs


def matched(a: np.ndarray, a_cls: np.ndarray, b: np.ndarray, b_cls: np.ndarray,
            iou: float = 0.5) -> float:
    """Fraction of boxes in ``a`` with a same-class box in ``b`` at IoU >= ``iou``."""
    import shapely
    from shapely import STRtree

    if len(a) == 0:
        return 1.0 if len(b) == 0 else 0.0
    if len(b) == 0:
        return 0.0
    ga = shapely.box(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    gb = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    ia, ib = STRtree(gb).query(ga, predicate="intersects")
    same = a_cls[ia] == b_cls[ib]
    ia, ib = ia[same], ib[same]
    inter = shapely.area(shapely.intersection(ga[ia], gb[ib]))
    union = shapely.area(ga[ia]) + shapely.area(gb[ib]) - inter
    ok = np.zeros(len(a), bool)
    ok[ia[inter / np.maximum(union, 1e-9) >= iou]] = True
    return float(ok.mean())


def main() -> None:
    """Generate scene and weights, run both, print times, agreement and the ratio."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="scene side in pixels")
    parser.add_argument("--tile", type=int, default=640, help="slice side in pixels")
    parser.add_argument("--overlap", type=int, default=128, help="slice overlap in pixels")
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--batch", type=int, default=2, help="slices per forward pass (both)")
    parser.add_argument("--pass-rate", type=float, default=0.001,
                        help="fraction of calibration anchors made to pass --conf")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="scratch folder")
    a = parser.parse_args()
    for var, value in (("YOLO_OFFLINE", "1"), ("YOLO_AUTOINSTALL", "0"),
                       ("YOLO_VERBOSE", "False"),
                       ("YOLO_CONFIG_DIR", str(Path(".yolo").resolve()))):
        os.environ.setdefault(var, value)
    a.out.mkdir(parents=True, exist_ok=True)
    # ONNX exports of the bench's throwaway weights stay in the scratch folder, not the cache
    os.environ.setdefault("EARTHSIGHT_EXPORTS_DIR", str(a.out.resolve() / "exports"))
    t0 = time.perf_counter()
    scene = make_scene(a.out / f"detect_{a.size}.tif", a.size, seed=1)
    calib = make_scene(a.out / "detect_calib_2048.tif", 2048, seed=7)
    weights, how = build_weights(a.out / "weights" / "yolo11n-random-boxes.pt", calib, a.tile,
                                 a.conf, a.pass_rate)
    print(f"scene {a.size}x{a.size}x3 uint8, slices {a.tile} px, overlap {a.overlap} px, conf "
          f"{a.conf:g}, batch {a.batch} ({time.perf_counter() - t0:.1f} s to prepare, not "
          f"timed); {os.cpu_count()} CPU(s)")
    print(f"weights: {how}")
    if not same_windows(a.size, a.size, a.tile, a.overlap):
        raise SystemExit("EarthSight and SAHI slice the scene differently")

    from specialists.detection.yolo import load_detector
    from specialists.runtime.device import configure_threads

    warm = [np.zeros((a.tile, a.tile, 3), np.uint8)] * a.batch
    detector = load_detector(weights, device="cpu", conf=a.conf, imgsz=a.tile, batch=a.batch)
    detector.predict(warm)  # load (and export, once) up front, warm up at the slice size
    n_threads = configure_threads()
    sahi_model = load_sahi(weights, a.conf, a.tile)
    sahi_model.perform_batch_inference(warm)  # predictor setup, warm-up
    sahi_default_threads = threads()
    set_threads(n_threads)
    with rasterio.open(scene) as src:  # warm the page cache for both
        src.read()
    ours, theirs = [], []
    es: tuple[float, np.ndarray, np.ndarray, dict[str, float]] | None = None
    sa: tuple[float, np.ndarray, np.ndarray, dict[str, float]] | None = None
    for k in range(a.repeat):
        order = ("es", "sahi") if k % 2 == 0 else ("sahi", "es")
        for who in order:
            set_threads(n_threads)
            if who == "es":
                es = run_earthsight(scene, weights, a.tile, a.overlap, a.conf, a.batch,
                                    a.out / "ws_detect")
                ours.append(es[0])
            else:
                sa = run_sahi(sahi_model, scene, a.tile, a.overlap, a.batch)
                theirs.append(sa[0])
    assert es is not None and sa is not None
    set_threads(sahi_default_threads)  # SAHI as shipped: the threads ultralytics leaves
    shipped = run_sahi(sahi_model, scene, a.tile, a.overlap, a.batch)[0]
    set_threads(n_threads)
    es_s, sa_s = statistics.median_low(ours), statistics.median_low(theirs)
    print(f"torch threads: {n_threads} for both (ultralytics' setup alone leaves "
          f"{sahi_default_threads})")
    print(f"EarthSight runtime: {detector.runtime}"
          + (f" ({detector.fallback})" if detector.fallback else "")
          + "; SAHI: torch (ultralytics .pt)")
    print(f"EarthSight detect_objects: {es_s:7.2f} s  ({', '.join(f'{s:.2f}' for s in ours)}) "
          f"{len(es[1])} boxes")
    for stage, s in es[3].items():
        print(f"    {stage:28s} {s:7.2f} s")
    print(f"SAHI get_sliced_prediction: {sa_s:7.2f} s  ({', '.join(f'{s:.2f}' for s in theirs)})"
          f" {len(sa[1])} boxes")
    for stage, s in sa[3].items():
        print(f"    {stage:28s} {s:7.2f} s")
    print(f"SAHI as shipped ({sahi_default_threads} torch thread(s)): {shipped:7.2f} s; "
          f"earthsight/sahi-as-shipped = {es_s / shipped:.2f}")
    print(f"agreement at IoU >= 0.5, same class: {matched(es[1], es[2], sa[1], sa[2]):.1%} of "
          f"EarthSight boxes matched by SAHI, {matched(sa[1], sa[2], es[1], es[2]):.1%} of "
          "SAHI boxes matched by EarthSight")
    shutil.rmtree(a.out / "ws_detect", ignore_errors=True)
    print(f"earthsight/sahi = {es_s / sa_s:.2f} (goal <= {GOAL})")


if __name__ == "__main__":
    main()
