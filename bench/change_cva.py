"""Speed of ``detect_changes`` (method cva) against a plain read of the same pair.

A 3-band uint8 before/after pair (structured fields and parcels with noise; the after scene has
a global radiometric shift and a few replaced rectangles of known area) is generated once into
``--out`` (generation is not timed). Then, in the same run and with the files in the page
cache, a plain rasterio read of both files (1024-pixel windows over the full files) and the
CVA tool are timed alternately ``--repeat`` times; medians are compared.

Usage:
    python bench/change_cva.py [--size 10000] [--out bench/out] [--repeat 3]

The last line prints ``cva/read = X.XX (goal <= 2.0)``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _scenes import write_scene

from tools import run_tool

PIXEL_M = 1.0
CHANGED = [(1000, 1200, 800, 600), (4000, 7000, 1500, 1200), (7500, 2000, 400, 2500),
           (6000, 6000, 300, 300), (2500, 4000, 1000, 1000)]
"""Changed rectangles (row, col, height, width) on a 10000-pixel scene; scaled with --size."""


def changed_rects(size: int) -> list[tuple[int, int, int, int]]:
    """The changed rectangles for a scene of ``size`` pixels."""
    f = size / 10000
    return [(int(r * f), int(c * f), int(h * f), int(w * f)) for r, c, h, w in CHANGED]


def make_scene(path: Path, size: int, seed: int, changed: bool) -> None:
    """Write a structured 3-band uint8 scene (fields, parcels, noise), optionally with the
    changes (a global radiometric shift and the replaced rectangles)."""

    def block(row: int, col: int, yy: np.ndarray, xx: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        h, w = yy.shape
        parcel = ((yy // 250).astype(np.int64) * 7919
                  + (xx // 250).astype(np.int64) * 104729) % 61 - 30
        base = 100 + 50 * np.sin(xx / 700) * np.cos(yy / 900) + parcel
        tile = np.stack([base, base * 0.8 + 30, 200 - base])
        tile += rng.normal(0, 6, (3, h, w)).astype(np.float32)
        if changed:
            tile = tile * 0.95 + 5
            for r, c, rh, rw in changed_rects(size):
                r0, r1 = max(r, row), min(r + rh, row + h)
                c0, c1 = max(c, col), min(c + rw, col + w)
                if r0 < r1 and c0 < c1:
                    tile[:, r0 - row:r1 - row, c0 - col:c1 - col] = (
                        np.array([210, 200, 190], np.float32)[:, None, None]
                        + rng.normal(0, 10, (3, r1 - r0, c1 - c0)))
        return np.asarray(tile)

    write_scene(path, size, seed, block, pixel_m=PIXEL_M)


def plain_read(paths: list[Path], window: int = 1024) -> float:
    """Seconds to read every pixel of ``paths`` window by window (native dtype)."""
    t0 = time.perf_counter()
    for path in paths:
        with rasterio.open(path) as src:
            for row in range(0, src.height, window):
                for col in range(0, src.width, window):
                    src.read(window=Window(col, row, min(window, src.width - col),
                                           min(window, src.height - row)))
    return time.perf_counter() - t0


def run_cva(before: Path, after: Path, ws: Path) -> tuple[float, dict[str, float], str]:
    """Seconds of one detect_changes run, seconds per stage (from progress), its summary."""
    shutil.rmtree(ws, ignore_errors=True)
    marks: dict[str, list[float]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, []).append(time.perf_counter())

    t0 = time.perf_counter()
    run = run_tool("detect_changes", {"before": str(before), "after": str(after),
                                      "method": "cva"}, ws, progress=progress)
    total = time.perf_counter() - t0
    stages, last = {}, t0
    for stage, times in marks.items():
        stages[stage] = times[-1] - last
        last = times[-1]
    stages["mask to COG, polygons, records"] = t0 + total - last
    return total, stages, run.result.summary


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    """Generate the pair, time the plain read and the tool, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="scene side in pixels")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="scratch folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each")
    a = parser.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    before, after = a.out / f"cva_{a.size}_before.tif", a.out / f"cva_{a.size}_after.tif"
    t0 = time.perf_counter()
    make_scene(before, a.size, seed=1, changed=False)
    make_scene(after, a.size, seed=2, changed=True)
    truth_m2 = sum(h * w for _, _, h, w in changed_rects(a.size)) * PIXEL_M**2
    print(f"pair ready: {a.size}x{a.size}x3 uint8 ({time.perf_counter() - t0:.1f} s, not "
          f"timed); true changed area {truth_m2 / 1e4:,.2f} ha; {os.cpu_count()} CPU(s)")
    plain_read([before, after])  # warm the page cache
    reads, cvas, stage_runs = [], [], []
    summary = ""
    for _ in range(a.repeat):
        reads.append(plain_read([before, after]))
        total, stages, summary = run_cva(before, after, a.out / "ws_cva")
        cvas.append(total)
        stage_runs.append(stages)
    read_s, cva_s = statistics.median_low(reads), statistics.median_low(cvas)
    print(f"plain read of both files: {read_s:.2f} s (median of {_seconds(reads)})")
    print(f"detect_changes cva:       {cva_s:.2f} s (median of {_seconds(cvas)})")
    best = stage_runs[cvas.index(cva_s)]
    for stage, seconds in best.items():
        print(f"    {stage:34s} {seconds:6.2f} s")
    print(f"    {summary}")
    shutil.rmtree(a.out / "ws_cva", ignore_errors=True)
    print(f"cva/read = {cva_s / read_s:.2f} (goal <= 2.0)")


if __name__ == "__main__":
    main()
