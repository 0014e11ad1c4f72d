"""Where the time goes on detect -> segment -> measure: specialist compute vs everything else.

A 3-band uint8 scene (``--size``, default 4096; bench/sliced_detection.py's generator: textured
fields with bright rectangles) runs through the agent's workflow path
(:meth:`agent.runtime.Runtime.run_workflow`: validation, file checks, the act/answer graph, the
three tools, their records and files):

    s1 detect_objects (yolo11n, 640-px slices, 128-px overlap)
    s2 segment        (box prompts from s1, MobileSAM vit_t)
    s3 measure        (area of s2's objects)

The weights are the real small architectures with random weights, as the tests use: yolo11n made
to produce boxes the way bench/sliced_detection.py does (BatchNorm recalibrated, head bias set),
MobileSAM ``vit_t`` random init. Nothing is downloaded. A first (cold) run loads the models and
exports the detector to ONNX; the figures come from the next (warm) run.

Specialist compute is timed by wrapping the specialists' entry points: the detector's batch
``predict`` (input preparation, forward pass, per-slice NMS) and SAM's ``set_image`` (window
embedding) and ``predict_boxes`` / ``predict_points`` / ``generate`` (mask decoding). Everything
else (planning graph, validation, window reads, merging boxes across slices, polygons, GeoJSON,
GeoTIFF writing, records, measure) is the share outside, goal < 5 %.

Second figure: the ``detect_objects`` call alone against the pure forward pass over the same
slices at the same threads (the same slices, already read and prepared, run on the detector's
own ONNX Runtime sessions the way it runs them, nothing else), goal <= 1.1x.

Usage:
    python bench/overhead.py [--size 4096] [--out bench/out] [--repeat 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sliced_detection import build_weights, make_scene

GOAL_OUTSIDE = 0.05
"""Share of wall time outside specialist compute, at most."""
GOAL_FORWARD = 1.1
"""detect_objects wall time / pure forward-pass time of its slices, at most."""
TILE, OVERLAP, CONF = 640, 128, 0.25

WORKFLOW = """
name: overhead-bench
description: detect, segment and measure objects (bench/overhead.py)
inputs:
  image: {{type: image, description: "3-band uint8 scene"}}
steps:
  - id: s1
    tool: detect_objects
    args: {{image: $image, model: "{yolo}", tile_size: {tile}, overlap: {overlap},
            min_confidence: {conf}}}
  - id: s2
    tool: segment
    args: {{image: $image, boxes: $s1, model: "{sam}"}}
  - id: s3
    tool: measure
    args: {{source: $s2, statistic: area}}
outputs: [s3]
"""


class Timers:
    """Seconds spent inside wrapped functions, by label (nested calls are not double counted:
    only the outermost wrapped call on a thread counts)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed under ``label``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = self._depth == 0
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if outer:
                    self.seconds[label] += time.perf_counter() - t0
                    self.calls[label] += 1

        return timed

    def reset(self) -> None:
        """Forget what was counted."""
        self.seconds.clear()
        self.calls.clear()


@contextmanager
def instrumented(timers: Timers, slices: list[Any], steps: Timers) -> Iterator[None]:
    """Wrap the specialists' entry points with ``timers`` and each tool call (after argument
    parsing) with ``steps``; the detector's ONNX model and the slices it was given are appended
    to ``slices`` as ``(model, tiles, args, kwargs)``."""
    import tools.core.registry as registry
    import tools.detection.detect_objects as det
    from specialists.detection.yolo_onnx import OnnxYolo
    from specialists.segmentation.sam import SamSegmenter

    saved_loader = det.load_predictor
    saved_onnx = OnnxYolo.predict
    saved_sam = {name: getattr(SamSegmenter, name)
                 for name in ("set_image", "predict_boxes", "predict_points", "generate")}

    def loader(*args: Any, **kwargs: Any) -> Any:
        found = saved_loader(*args, **kwargs)
        return dataclasses.replace(found, predict=timers.wrap("detector predict", found.predict))

    def onnx_predict(self: Any, tiles: Any, *args: Any, **kwargs: Any) -> Any:
        slices.append((self, list(tiles), args, kwargs))
        return saved_onnx(self, tiles, *args, **kwargs)

    saved_execute = registry._execute

    def execute(record: Any, *args: Any, **kwargs: Any) -> Any:
        return steps.wrap(record.name, saved_execute)(record, *args, **kwargs)

    registry._execute = execute
    det.load_predictor = loader
    OnnxYolo.predict = onnx_predict  # type: ignore[method-assign]
    for name, fn in saved_sam.items():
        label = "SAM image embedding" if name == "set_image" else "SAM mask decoding"
        setattr(SamSegmenter, name, timers.wrap(label, fn))
    try:
        yield
    finally:
        registry._execute = saved_execute
        det.load_predictor = saved_loader
        OnnxYolo.predict = saved_onnx  # type: ignore[method-assign]
        for name, fn in saved_sam.items():
            setattr(SamSegmenter, name, fn)


def pure_forward(calls: list[Any]) -> tuple[float, int]:
    """Seconds to run only the forward pass over the recorded slices (prepared beforehand, not
    timed) on the detector's own sessions and thread pool, batches spread over the sessions as
    its ``predict`` spreads them; and the number of slices."""
    jobs: list[tuple[Any, Any, np.ndarray]] = []
    for model, tiles, _, _ in calls:
        groups = [tiles[i:i + model.batch] for i in range(0, len(tiles), model.batch)]
        for k, group in enumerate(groups):
            session = model.sessions[k % model.workers]
            jobs.append((model, session, model._prepare(group)))
    t0 = time.perf_counter()
    model = calls[0][0]
    if model.workers <= 1:
        for m, session, x in jobs:
            session.run(None, {m.input_name: x})
    else:  # the same pool: consecutive batches on the sessions at once
        futures = [m.pool.submit(session.run, None, {m.input_name: x}) for m, session, x in jobs]
        for f in futures:
            f.result()
    return time.perf_counter() - t0, sum(len(t) for _, t, _, _ in calls)


def sam_weights(path: Path) -> Path:
    """A random-init MobileSAM ``vit_t`` checkpoint (the CPU default's architecture)."""
    if not path.exists():
        import torch

        from specialists.segmentation import sam

        torch.manual_seed(0)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        torch.save(sam.build_sam(sam.SamArch("tiny_vit")).state_dict(), tmp)
        os.replace(tmp, path)
    return path


def main() -> None:
    """Prepare scene and weights, run the workflow cold then warm, print the shares."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="scene side in pixels")
    parser.add_argument("--repeat", type=int, default=2, help="warm timed runs")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="scratch folder")
    a = parser.parse_args()
    for var, value in (("YOLO_OFFLINE", "1"), ("YOLO_AUTOINSTALL", "0"),
                       ("YOLO_VERBOSE", "False"),
                       ("YOLO_CONFIG_DIR", str(Path(".yolo").resolve()))):
        os.environ.setdefault(var, value)
    a.out = a.out.resolve()
    a.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("EARTHSIGHT_EXPORTS_DIR", str(a.out / "exports"))
    os.environ.pop("EARTHSIGHT_CLUSTER", None)
    t0 = time.perf_counter()
    scene = make_scene(a.out / f"detect_{a.size}.tif", a.size, seed=1)
    calib = make_scene(a.out / "detect_calib_2048.tif", 2048, seed=7)
    yolo, _ = build_weights(a.out / "weights" / "yolo11n-random-boxes.pt", calib, TILE, CONF,
                            0.001)
    sam = sam_weights(a.out / "weights" / "mobile_sam_random.pt")
    print(f"scene {a.size}x{a.size}x3 uint8, yolo11n (boxes) + MobileSAM vit_t, random weights "
          f"({time.perf_counter() - t0:.0f} s to prepare, not timed); {os.cpu_count()} CPU(s), "
          f"load {os.getloadavg()[0]:.2f}")

    from agent.runtime import make_runtime
    from agent.workflows.workflow import parse_workflow

    text = WORKFLOW.format(yolo=yolo, sam=sam, tile=TILE, overlap=OVERLAP, conf=CONF)
    wf = parse_workflow(text, "overhead-bench", require_available=True)
    timers, steps = Timers(), Timers()
    slices: list[Any] = []
    walls: list[float] = []
    shares: list[tuple[float, dict[str, float], str]] = []
    ws = a.out / "ws_overhead"
    with instrumented(timers, slices, steps):
        for k in range(a.repeat + 1):
            shutil.rmtree(ws, ignore_errors=True)
            runtime = make_runtime(ws)
            timers.reset()
            steps.reset()
            t1 = time.perf_counter()
            result = runtime.run_workflow(wf, {"image": str(scene)})
            wall = time.perf_counter() - t1
            if not result.ok:
                raise SystemExit(f"workflow failed: {result.errors}")
            summary = "; ".join(f"{s.id} {s.tool}: {s.summary}" for s in result.steps)
            label = "cold (model load, ONNX export)" if k == 0 else f"warm {k}"
            print(f"{label:32s} wall {wall:7.2f} s; " + ", ".join(
                f"{n} {s:.2f} s ({timers.calls[n]} calls)" for n, s in timers.seconds.items()))
            print(f"{'':32s} tool calls: " + ", ".join(
                f"{n} {s:.2f} s" for n, s in steps.seconds.items())
                + f"; outside the tool calls (graph, checks, answer) "
                f"{wall - sum(steps.seconds.values()):.2f} s")
            if k > 0:
                walls.append(wall)
                shares.append((wall, dict(timers.seconds), summary))
        print(f"    {shares[-1][2]}")
        # detect_objects alone, warm, then the pure forward pass over the same slices
        det_walls = []
        for _ in range(a.repeat):
            slices.clear()
            t1 = time.perf_counter()
            make_runtime(ws).run_tool("detect_objects", {
                "image": str(scene), "model": str(yolo), "tile_size": TILE,
                "overlap": OVERLAP, "min_confidence": CONF})
            det_walls.append(time.perf_counter() - t1)
    shutil.rmtree(ws, ignore_errors=True)
    if not slices:
        raise SystemExit("the detector did not run on ONNX Runtime (set up onnx + onnxruntime)")
    forwards = [pure_forward(slices) for _ in range(a.repeat)]
    n_slices = forwards[0][1]
    model = slices[0][0]
    wall, secs, _ = sorted(shares, key=lambda x: x[0])[(len(shares) - 1) // 2]
    inside = sum(secs.values())
    outside = (wall - inside) / wall
    det_s = statistics.median_low(det_walls)
    fwd_s = statistics.median_low([f for f, _ in forwards])
    print(f"workflow (warm, median-low of {len(walls)}): {wall:.2f} s; specialist compute "
          f"{inside:.2f} s; outside {wall - inside:.2f} s")
    print(f"detect_objects alone: {det_s:.2f} s ({', '.join(f'{s:.2f}' for s in det_walls)}); "
          f"pure forward pass over the same {n_slices} slices: {fwd_s:.2f} s "
          f"({model.workers} ONNX Runtime session(s), batch {model.batch}); "
          f"{1e3 * fwd_s / max(1, n_slices):.1f} ms a slice")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    print(f"outside specialist compute = {outside:.1%} (goal < {GOAL_OUTSIDE:.0%}); "
          f"detect_objects/forward = {det_s / fwd_s:.2f} (goal <= {GOAL_FORWARD})")


if __name__ == "__main__":
    main()
