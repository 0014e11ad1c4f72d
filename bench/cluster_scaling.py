"""Tile fan-out on Dask: in-process vs ``EARTHSIGHT_CLUSTER=local:1`` vs ``local:2``.

Two workloads, each run by ``map_water`` (SAR: Lee filter, Otsu on the merged histogram, three
tile passes) and ``spectral_index`` (NDVI with a threshold, one pass):

* one large scene: a generated ``--size`` x ``--size`` VV backscatter GeoTIFF (float32 dB,
  gamma speckle, dark "lakes") for ``map_water`` and a 3-band uint8 scene for
  ``spectral_index``;
* a batch of ``--scenes`` small scenes (``--scene-size`` px), run as a workflow batch
  (``agent.workflows.batch.run_batch`` of a one-step workflow): in-process scene by scene, on a
  cluster one task per scene (the scenes fan out, each scene's tools run on its worker).

Every (mode, workload) pair runs in its own child process, so each mode starts with a fresh
cluster and its own peak memory: the caller's peak RSS (``wait4`` of the child) and each
worker's (``getrusage`` on the worker, asked through ``Client.run``). Cluster start-up and a
warm-up call on a small scene (imports on the workers) are not timed; the files are in the
page cache (read once before). Outputs (every mask, raster and vector file, every number and
the summary) are hashed and must be byte-identical across the three modes, or the bench fails.

Goals (issue #18): local:1 within 1.15x of in-process; local:2 at least 1.8x faster than
local:1 (single-threaded workers). On a machine with fewer than 3 cores the caller (merge,
writer, COG) and two workers share the cores, which the output says.

Usage:
    python bench/cluster_scaling.py [--size 20000] [--scenes 64] [--scene-size 2048]
                                    [--tools map_water,spectral_index] [--out bench/out]

The last lines print ``local:1/in-process`` and ``local:1/local:2`` against their goals.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from _scenes import write_scene
from rasterio.transform import from_origin
from rasterio.windows import Window

MODES = ("in-process", "local:1", "local:2")
TOOLS = ("map_water", "spectral_index")
GOAL_LOCAL1 = 1.15
"""local:1 wall time / in-process wall time, at most."""
GOAL_SPEEDUP = 1.8
"""local:1 wall time / local:2 wall time, at least."""
STEP = 2048


def sar_scene(path: Path, size: int, seed: int) -> Path:
    """Write a ``size`` x ``size`` VV backscatter scene (float32 dB, band named VV): land around
    -8 dB, dark elliptical lakes around -20 dB, 4-look gamma speckle; temp name, then rename."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    lakes = [(rng.uniform(0, size), rng.uniform(0, size), rng.uniform(0.01, 0.06) * size,
              rng.uniform(0.01, 0.06) * size) for _ in range(max(3, size // 800))]
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32",
               "crs": "EPSG:32633", "transform": from_origin(500_000, 4_500_000, 10.0, 10.0),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
               "predictor": 3, "BIGTIFF": "IF_SAFER", "nodata": float("nan")}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.part.tif")
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.set_band_description(1, "VV")
            for row in range(0, size, STEP):
                for col in range(0, size, STEP):
                    h, w = min(STEP, size - row), min(STEP, size - col)
                    yy, xx = np.mgrid[row:row + h, col:col + w].astype(np.float32)
                    db = -8.0 + 1.5 * np.sin(xx / 900.0) * np.cos(yy / 700.0)
                    for cy, cx, ry, rx in lakes:
                        db[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = -20.0
                    speckle = rng.gamma(4.0, 1 / 4.0, (h, w)).astype(np.float32)
                    out = db + 10 * np.log10(np.maximum(speckle, 1e-4))
                    dst.write(out.astype(np.float32)[np.newaxis], window=Window(col, row, w, h))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def optical_scene(path: Path, size: int, seed: int) -> Path:
    """Write a 3-band uint8 scene (band 1 red-like, band 3 NIR-like fields with noise)."""

    def block(row: int, col: int, yy: np.ndarray, xx: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        h, w = yy.shape
        base = 100 + 60 * np.sin(xx / 700.0) * np.cos(yy / 900.0)
        noise = rng.normal(0, 8, (3, h, w)).astype(np.float32)
        return np.asarray(np.stack([base, base * 0.8 + 30, 200 - base]) + noise)

    return write_scene(path, size, seed, block, low=1)


def tool_args(tool: str, scene: Path) -> dict[str, Any]:
    """The call each tool makes on a scene."""
    if tool == "map_water":
        return {"image": str(scene), "method": "sar"}
    return {"image": str(scene), "index": "NDVI", "threshold": 0.2,
            "bands": {"red": 1, "nir": 3}}


def scenes(out: Path, a: argparse.Namespace, workload: str, tool: str) -> list[Path]:
    """The scene files of one workload for one tool (written once, reused)."""
    make: Callable[[Path, int, int], Path] = sar_scene if tool == "map_water" else optical_scene
    kind = "sar" if tool == "map_water" else "optical"
    if workload == "large":
        return [make(out / f"cluster_{kind}_{a.size}.tif", a.size, 1)]
    if workload == "warm-up":
        return [make(out / f"cluster_{kind}_warm_1500.tif", 1500, 99)]
    folder = out / f"cluster_batch_{kind}_{a.scene_size}"
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder / f"scene_{i:03d}.tif", a.scene_size, 100 + i) for i in range(a.scenes)]


def _digest(result: Any) -> str:
    """sha256 over the result's files (content), numbers and summary."""
    h = hashlib.sha256()
    for art in result.artifacts:
        h.update(f"{art.name}|{art.kind}|{art.value}|{art.units}".encode())
        if art.kind in ("mask", "raster", "vector") and art.path:
            h.update(hashlib.sha256(Path(art.path).read_bytes()).digest())
    h.update(result.summary.encode())
    return h.hexdigest()


def _worker_peak_mb() -> float:
    """On a worker: this process's peak RSS in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu() -> tuple[float, float, int]:
    """This process's CPU seconds (user, system) and minor page faults so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, r.ru_minflt


def _cpu_everywhere(ex: Any) -> dict[str, tuple[float, float, int]]:
    """:func:`_cpu` of this process (key ``caller``) and of every worker (by address)."""
    found = {"caller": _cpu()}
    if hasattr(ex, "client"):
        found.update({str(k): tuple(v) for k, v in ex.client.run(_cpu).items()})
    return found


def child(mode: str, workload: str, a: argparse.Namespace) -> None:
    """One mode, one workload: print a JSON line of times, digests, tasks and worker peaks."""
    if mode == "in-process":
        os.environ.pop("EARTHSIGHT_CLUSTER", None)
    else:
        os.environ["EARTHSIGHT_CLUSTER"] = mode
    if a.dask_trim_env:  # diagnostic: workers (and this process) get Dask's own default
        os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"  # inherited by the spawned workers
    from specialists.runtime.cluster import DaskExecutor, executor
    from tools import run_tool

    t0 = time.perf_counter()
    ex = executor()
    started = time.perf_counter() - t0
    tools = [t for t in a.tools.split(",") if t]
    ws = a.out / f"ws_cluster_{mode.replace(':', '')}"
    for tool in tools:  # imports here and on the workers, not timed
        run_tool(tool, tool_args(tool, scenes(a.out, a, "warm-up", tool)[0]), ws / "warm")
    report: dict[str, Any] = {"mode": mode, "workload": workload, "start_s": started,
                              "tools": {}}
    for tool in tools:
        files = scenes(a.out, a, workload, tool)
        if workload == "batch":
            before = _cpu_everywhere(ex)
            report["tools"][tool] = batch_run(tool, files, ws / f"{tool}_batch", a.out)
            after = _cpu_everywhere(ex)
            report["tools"][tool]["cpu"] = {k: [after[k][j] - before[k][j] for j in range(3)]
                                            for k in after}
            continue
        digest = hashlib.sha256()
        stages: dict[str, float] = {}
        tasks = 0
        seconds = 0.0
        before = _cpu_everywhere(ex)
        for i, scene in enumerate(files):
            marks: list[tuple[str, float]] = []

            def progress(stage: str, done: int, total: int,
                         marks: list[tuple[str, float]] = marks) -> None:
                if done == total:
                    marks.append((stage, time.perf_counter()))

            folder = ws / f"{tool}_{i}"
            t1 = time.perf_counter()
            run = run_tool(tool, tool_args(tool, scene), folder, progress=progress)
            t2 = time.perf_counter()
            seconds += t2 - t1
            last = t1
            for stage, at in marks:
                stages[stage] = stages.get(stage, 0.0) + at - last
                last = at
            stages["after the passes"] = stages.get("after the passes", 0.0) + t2 - last
            digest.update(_digest(run.result).encode())
            tasks += run.result.cluster.tasks if run.result.cluster else 0
            shutil.rmtree(folder, ignore_errors=True)
        after = _cpu_everywhere(ex)
        cpu = {k: [after[k][j] - before[k][j] for j in range(3)] for k in after}
        report["tools"][tool] = {"seconds": seconds, "digest": digest.hexdigest(),
                                 "tasks": tasks, "stages": stages, "scenes": len(files),
                                 "cpu": cpu}
    workers: dict[str, float] = {}
    if isinstance(ex, DaskExecutor):
        workers = {str(k): float(v) for k, v in ex.client.run(_worker_peak_mb).items()}
    report["worker_peak_mb"] = workers
    shutil.rmtree(ws, ignore_errors=True)
    print("RESULT " + json.dumps(report), flush=True)


def batch_run(tool: str, files: list[Path], ws: Path, out: Path) -> dict[str, Any]:
    """The scenes as one workflow batch of a one-step workflow (``tool`` on ``$image``):
    seconds, a digest of every row's numbers and every mask/raster/vector file, tasks."""
    from agent.workflows.batch import run_batch

    args = {k: v for k, v in tool_args(tool, files[0]).items() if k != "image"}
    flow = out / f"cluster_batch_{tool}.yaml"
    flow.write_text(json.dumps({  # JSON is YAML
        "name": f"bench-{tool.replace('_', '-')}", "inputs": {"image": {"type": "image"}},
        "steps": [{"id": "s", "tool": tool, "args": {"image": "$image", **args}}],
        "outputs": ["s"]}))
    # warm-up, not timed: the first scene tasks import the workflow runner on each worker
    run_batch(flow, str(files[0].parent / "scene_00[0-3].tif"), workspace=ws / "warm")
    t1 = time.perf_counter()
    result = run_batch(flow, str(files[0].parent / "*.tif"), workspace=ws / "timed")
    seconds = time.perf_counter() - t1
    if result.failed:
        raise SystemExit(f"{tool} batch: {result.failed[0].scene}: {result.failed[0].error}")
    digest = hashlib.sha256()
    for row in result.rows:
        digest.update(json.dumps([Path(row.scene).name, row.numbers], sort_keys=True).encode())
        parts = sorted(hashlib.sha256(f.read_bytes()).digest()  # call ids name the files
                       for f in Path(row.workspace).rglob("*")
                       if f.suffix in (".tif", ".geojson") and f.is_file())
        digest.update(b"".join(parts) + str(len(parts)).encode())
    shutil.rmtree(ws, ignore_errors=True)
    return {"seconds": seconds, "digest": digest.hexdigest(),
            "tasks": result.cluster.tasks if result.cluster else 0, "stages": {},
            "scenes": len(result.rows)}


def run_child(mode: str, workload: str, a: argparse.Namespace) -> dict[str, Any]:
    """Run :func:`child` in a fresh Python; its report plus the child's own peak RSS in MB."""
    cmd = [sys.executable, __file__, "--child", mode, workload, "--size", str(a.size),
           "--scenes", str(a.scenes), "--scene-size", str(a.scene_size), "--tools", a.tools,
           "--out", str(a.out)] + (["--dask-trim-env"] if a.dask_trim_env else [])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = proc.stdout.read().splitlines()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{mode} {workload} failed:\n" + "\n".join(lines[-20:]))
    report: dict[str, Any] = json.loads(next(x for x in lines if x.startswith("RESULT "))[7:])
    report["caller_peak_mb"] = usage.ru_maxrss / 1024.0
    return report


def warm_cache(paths: list[Path]) -> None:
    """Read the files once so every mode starts from the page cache."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def main() -> None:
    """Generate the scenes, run every mode on every workload, compare, print the ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="large scene side in pixels")
    parser.add_argument("--scenes", type=int, default=64, help="scenes in the batch")
    parser.add_argument("--scene-size", type=int, default=2048, help="batch scene side, px")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools")
    parser.add_argument("--workloads", default="large,batch", help="large, batch or both")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="scratch folder")
    parser.add_argument("--dask-trim-env", action="store_true",
                        help="diagnostic: run with Dask's MALLOC_TRIM_THRESHOLD_=65536, which "
                        "EARTHSIGHT_CLUSTER=local:N leaves out (glibc's adaptive threshold)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "WORKLOAD"), help=argparse.SUPPRESS)
    a = parser.parse_args()
    a.out = a.out.resolve()
    unknown = {t for t in a.tools.split(",") if t} - set(TOOLS)
    if unknown:
        raise SystemExit(f"--tools: unknown {', '.join(sorted(unknown))}; use {', '.join(TOOLS)}")
    if a.child:
        child(a.child[0], a.child[1], a)
        return
    a.out.mkdir(parents=True, exist_ok=True)
    tools = [t for t in a.tools.split(",") if t]
    workloads = [w for w in a.workloads.split(",") if w]
    t0 = time.perf_counter()
    files = [p for w in [*workloads, "warm-up"] for t in tools for p in scenes(a.out, a, w, t)]
    warm_cache(files)
    load = os.getloadavg()[0]
    print(f"scenes ready ({time.perf_counter() - t0:.0f} s, not timed): large {a.size}x{a.size} "
          f"(SAR VV float32 dB for map_water, 3-band uint8 for spectral_index), batch "
          f"{a.scenes} x {a.scene_size}x{a.scene_size}; tiles "
          f"{os.environ.get('EARTHSIGHT_TILE_SIZE', '1024')} px; {os.cpu_count()} CPU(s), "
          f"load {load:.2f}")
    ratios: dict[str, tuple[float, float]] = {}
    for workload in workloads:
        reports = {mode: run_child(mode, workload, a) for mode in MODES}
        print(f"== {workload}")
        for tool in tools:
            digests = {m: r["tools"][tool]["digest"] for m, r in reports.items()}
            same = len(set(digests.values())) == 1
            for mode, r in reports.items():
                t = r["tools"][tool]
                stages = ", ".join(f"{k} {v:.1f}" for k, v in t["stages"].items())
                cpu = "; ".join(f"{'caller' if k == 'caller' else 'worker'} "
                                f"{u + s_:.1f} ({s_:.1f} sys, {f / 1e3:.0f}k faults)"
                                for k, (u, s_, f) in t["cpu"].items())
                print(f"  {tool:15s} {mode:10s} {t['seconds']:8.2f} s  tasks {t['tasks']:5d}"
                      f"  [{stages}]\n{'':28s}CPU s: {cpu}")
            if not same:
                raise SystemExit(f"{workload} {tool}: outputs differ between modes: {digests}")
            print(f"  {tool:15s} outputs byte-identical in all three modes "
                  f"({digests['in-process'][:12]})")
        total = {m: sum(r["tools"][t]["seconds"] for t in tools) for m, r in reports.items()}
        for mode, r in reports.items():
            peaks = ", ".join(f"{v:.0f}" for v in sorted(r["worker_peak_mb"].values()))
            print(f"  {mode:10s} total {total[mode]:8.2f} s; caller peak RSS "
                  f"{r['caller_peak_mb']:.0f} MB" + (f"; worker peak RSS {peaks} MB (cluster "
                                                     f"start {r['start_s']:.1f} s, not timed)"
                                                     if peaks else ""))
        ratios[workload] = (total["local:1"] / total["in-process"],
                            total["local:1"] / total["local:2"])
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    for workload, (overhead, speedup) in ratios.items():
        print(f"{workload}: local:1/in-process = {overhead:.2f} (goal <= {GOAL_LOCAL1}); "
              f"local:1/local:2 = {speedup:.2f} (goal >= {GOAL_SPEEDUP})")


if __name__ == "__main__":
    main()
