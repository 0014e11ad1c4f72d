"""Peak resident memory of whole-scene tools on a generated 20000 x 20000 x 3 GeoTIFF.

Each tool runs in its own child process; its peak RSS comes from the kernel (``wait4``
rusage). The baseline, measured in the same run, is a child that reads the whole scene into
one array the plain way, which is what a tool that does not tile would need at least.

Usage:
    python bench/scene_memory.py [--size 20000] [--out bench/out] [--only detect_objects,...]

The last line prints the worst tool's peak and its ratio to the whole-scene read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
from _scenes import STEP, write_scene

GOAL_MB = 2048.0


def make_scene(path: Path, size: int, seed: int, changed: bool = False) -> None:
    """Write a structured 3-band uint8 scene (smooth fields, texture, optional change blocks)."""

    def block(row: int, col: int, yy: np.ndarray, xx: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        h, w = yy.shape
        base = 100 + 60 * np.sin(xx / 700.0) * np.cos(yy / 900.0)
        noise = rng.normal(0, 8, (3, h, w)).astype(np.float32)
        tile = np.stack([base, base * 0.8 + 30, 200 - base]) + noise
        if changed and (row // STEP + col // STEP) % 5 == 0:
            tile[:, h // 4: h // 2, w // 4: w // 2] += 90
        return np.asarray(tile)

    write_scene(path, size, seed, block, bigtiff="YES", low=1)


def peak_rss_mb(code: str) -> tuple[float, float]:
    """Run ``code`` in a child Python; return (peak RSS in MB, wall seconds)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {code}")
    return usage.ru_maxrss / 1024.0, wall


def main() -> None:
    """Generate the scenes, run the tools, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="scene side in pixels")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="scratch folder")
    parser.add_argument("--only", default="", help="comma-separated tools to run (default: all; "
                        "the whole-scene read always runs)")
    a = parser.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    # ONNX exports of the bench's throwaway weights stay in the scratch folder, not the cache
    os.environ.setdefault("EARTHSIGHT_EXPORTS_DIR", str(a.out.resolve() / "exports"))
    before = a.out / f"scene_{a.size}_a.tif"
    after = a.out / f"scene_{a.size}_b.tif"
    t0 = time.perf_counter()
    make_scene(before, a.size, seed=1)
    make_scene(after, a.size, seed=2, changed=True)
    print(f"scenes ready: {a.size}x{a.size}x3 uint8 ({time.perf_counter() - t0:.0f} s)")

    ws = a.out / "ws"
    from specialists.detection.yolo import build_random
    from specialists.runtime.models import DOTA_V1_NATIVE

    yolo_pt = build_random("yolo11n-obb.yaml", a.out / "yolo11n-obb-random.pt",
                           names=DOTA_V1_NATIVE)  # random-init weights: timing/memory only
    runs = {
        "whole-scene read (baseline)":
            f"import rasterio; rasterio.open({str(before)!r}).read()",
        "spectral_index": _tool("spectral_index", {"image": str(before), "index": "NDVI",
                                "threshold": 0.2, "bands": {"red": 1, "nir": 3}}, ws),
        "pseudo_rgb": _tool("pseudo_rgb", {"image": str(before), "mode": "auto"}, ws),
        "detect_changes": _tool("detect_changes", {"before": str(before), "after": str(after),
                                "method": "cva"}, ws),
        "detect_objects": _tool("detect_objects", {"image": str(before), "model": str(yolo_pt),
                                "tile_size": 1024, "overlap": 128}, ws),
        "segment (box prompts)": _tool("segment", _segment_args(before, a.out, a.size), ws),
    }
    only = {n.strip() for n in a.only.split(",") if n.strip()}
    unknown = only - set(runs)
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))}; one of {', '.join(runs)}")
    results = {}
    for name, code in runs.items():
        if only and name not in only and name != "whole-scene read (baseline)":
            continue
        mb, wall = peak_rss_mb(code)
        results[name] = mb
        print(f"{name:30s} peak RSS {mb:8.0f} MB   {wall:6.1f} s")
    baseline = results.pop("whole-scene read (baseline)")
    worst_name, worst = max(results.items(), key=lambda kv: kv[1])
    print(f"worst tool: {worst_name} {worst:.0f} MB (goal < {GOAL_MB:.0f} MB); "
          f"ratio to whole-scene read = {worst / baseline:.2f}")


def _segment_args(scene: Path, out: Path, size: int, windows: int = 24) -> dict[str, object]:
    """Box prompts for ``segment``: 8 boxes in each of ``windows`` 1024-px windows spread over
    the scene (corners, edges, boxes straddling window borders), plus a random-weight MobileSAM
    ``vit_t`` checkpoint (the CPU default's architecture; weights do not change memory)."""
    weights = out / "weights" / "mobile_sam_random.pt"
    if not weights.exists():
        code = ("from pathlib import Path; import torch; from specialists.segmentation import sam; "
                f"torch.manual_seed(0); weights = Path({str(weights)!r}); "
                "weights.parent.mkdir(exist_ok=True); "
                "torch.save(sam.build_sam(sam.SamArch('tiny_vit')).state_dict(), weights)")
        subprocess.run([sys.executable, "-c", code], check=True, env={
            **os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    rng = np.random.default_rng(3)
    with rasterio.open(scene) as src:
        t, crs = src.transform, src.crs.to_string()
    side = int(np.ceil(np.sqrt(windows)))
    centres = np.linspace(300, size - 300, side)
    feats = []
    for cy in centres:
        for cx in centres[: max(1, windows // side)]:
            for _ in range(8):
                x0, y0 = cx + rng.uniform(-450, 400), cy + rng.uniform(-450, 400)
                w, h = rng.uniform(15, 80, 2)
                (ax, ay), (bx, by) = t @ (x0, y0), t @ (x0 + w, y0 + h)
                feats.append({"type": "Feature", "properties": {"class": "ship"},
                              "geometry": {"type": "Polygon", "coordinates": [[
                                  [ax, ay], [bx, ay], [bx, by], [ax, by], [ax, ay]]]}})
    boxes = out / "segment_boxes.geojson"
    boxes.write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                 "crs": {"type": "name", "properties": {"name": crs}}}))
    return {"image": str(scene), "boxes": str(boxes), "model": str(weights)}


def _tool(name: str, args: dict[str, object], ws: Path) -> str:
    return (f"import json; from tools import run_tool; "
            f"r = run_tool({name!r}, json.loads({json.dumps(args)!r}), {str(ws)!r}); "
            f"print('   ', r.result.summary)")


if __name__ == "__main__":
    main()
