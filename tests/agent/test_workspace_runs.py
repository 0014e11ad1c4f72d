"""Nothing lost: runs in one workspace never overwrite each other's results, whether they go
at once (separate processes) or one after the other (a reused workspace)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from agent.runtime import make_runtime
from tests.conftest import write_tiff
from tools.core.workspace import BOOKKEEPING, MANIFEST
from tools.geo.area import pixel_area_rows_m2

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "YOLO_OFFLINE": "1",
               "YOLO_AUTOINSTALL": "0"}
BANDS = {"red": 1, "nir": 2}
FLOW = """\
name: ndvi-area
description: NDVI and the area above a threshold
inputs:
  image: {type: image}
  threshold: {type: number, default: 0.3}
steps:
  - id: s1
    tool: spectral_index
    args: {image: $image, index: NDVI, threshold: "${threshold}", bands: {red: 1, nir: 2}}
outputs: [s1]
"""
# NIR reflectances of the scenes: with red 0.1, NDVI is 0, 1/3, 1/2, 2/3 or 0.8, far from every
# threshold used, so each expected mask is exact.
NIR = np.array([0.1, 0.2, 0.3, 0.5, 0.9], dtype="float32")


def _scene(path: Path, seed: int, side: int = 32) -> Path:
    """Red and NIR bands whose NDVI pattern depends on ``seed`` (10 m pixels, UTM)."""
    rng = np.random.default_rng(seed)
    nir = NIR[rng.integers(0, len(NIR), (side, side))]
    return write_tiff(path, np.stack([np.full_like(nir, 0.1), nir]))


def _ndvi(scene: str) -> np.ndarray:
    with rasterio.open(scene) as src:
        red, nir = src.read(1).astype("float64"), src.read(2).astype("float64")
    return np.asarray((nir - red) / (nir + red))


def _mask_area_m2(path: str) -> tuple[np.ndarray, float]:
    """The mask's selected pixels and their area recomputed from the file alone."""
    with rasterio.open(path) as src:
        mask = src.read(1)
        rows = pixel_area_rows_m2(src.transform, src.crs, 0, src.height)
    return mask, float(((mask == 1).sum(axis=1) * rows).sum())


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent.cli.main", *args]


def _hashes(folder: Path) -> dict[str, str]:
    """Every output file of the workspace (not its bookkeeping) -> SHA-256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in BOOKKEEPING}


def _check_records(ws: Path) -> list[dict[str, Any]]:
    """Each result record's mask is its own: made from its own scene and threshold, with the
    area its record and the manifest report. Returns the records."""
    manifest = [json.loads(line) for line in (ws / MANIFEST).read_text().splitlines()]
    numbers = {a["id"]: a["value"] for a in manifest if a["kind"] == "number"}
    records = [json.loads(p.read_text()) for p in sorted(ws.glob("*_spectral_index.json"))]
    for stored in records:
        args, result = stored["call"]["args"], stored["result"]
        mask_art = next(a for a in result["artifacts"] if a["kind"] == "mask")
        mask, area = _mask_area_m2(mask_art["path"])
        expected = _ndvi(args["image"]) > args["threshold"]
        assert np.array_equal(mask == 1, expected), mask_art["path"]  # this run's own mask
        assert area == pytest.approx(result["area_m2"]["value"], rel=1e-9)
        call_id = mask_art["id"].split("-")[0]
        assert numbers[f"{call_id}-area_m2"] == pytest.approx(area, rel=1e-9)
    return records


def test_concurrent_runs_into_one_workspace_keep_every_result(tmp_path: Path) -> None:
    """5 ``run-tool`` calls and 3 workflow runs, each its own process, all at once."""
    ws = tmp_path / "ws"
    scenes = [str(_scene(tmp_path / f"scene{k}.tif", seed=k)) for k in range(3)]
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    calls = [(0, 0.1), (1, 0.4), (2, 0.6), (0, 0.55), (1, 0.4)]  # the last two: the same call
    commands = [_cli("run-tool", "spectral_index", "--args", json.dumps(
        {"image": scenes[k], "index": "NDVI", "threshold": t, "bands": BANDS}),
        "--workspace", str(ws), "--json") for k, t in calls]
    commands += [_cli("run", str(flow), "--set", f"image={scenes[k]}", "--set",
                      f"threshold={(0.2, 0.45, 0.7)[k]}", "--workspace", str(ws), "--json")
                 for k in range(3)]
    procs = [subprocess.Popen(c, cwd=ROOT, env={**os.environ, **OFFLINE_ENV}, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    reported = [json.loads(out) for out, _ in outputs]
    paths = ([r["result_path"] for r in reported[:5]]
             + [r["steps"][0]["result_path"] for r in reported[5:]])
    # 8 distinct result records, exactly those the processes reported
    assert len(set(paths)) == 8
    assert sorted(str(p) for p in ws.glob("*_spectral_index.json")) == sorted(paths)
    records = _check_records(ws)
    # the manifest: one line per artifact the calls produced, every id once
    manifest = [json.loads(line) for line in (ws / MANIFEST).read_text().splitlines()]
    produced = [a["id"] for r in records for a in r["result"]["artifacts"]]
    assert sorted(a["id"] for a in manifest) == sorted(produced)
    assert len(set(produced)) == len(produced)
    # disjoint artifact files: an index raster and a mask per call, no file named twice
    files = [a["path"] for a in manifest if a["kind"] != "number"]
    assert len(files) == len(set(files)) == 16
    looks = {Path(a[k]).name for a in manifest for k in ("quicklook", "style") if k in a}
    assert len(looks) == 2 * len(files)  # a quick-look PNG and a QGIS style per raster
    outputs_on_disk = {p for p in _hashes(ws) if not p.endswith("_spectral_index.json")}
    assert outputs_on_disk == {Path(f).name for f in files} | looks
    assert not [p for p in ws.glob(".*") if p.name not in BOOKKEEPING]  # no temporaries left


def test_a_reused_workspace_keeps_the_earlier_results(tmp_path: Path) -> None:
    """The same workflow and the same question, run twice in one workspace: the first runs'
    files and records stay unchanged, the second runs' are new."""
    ws = tmp_path / "ws"
    scene = str(_scene(tmp_path / "scene.tif", seed=7))
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")

    def once() -> list[str]:
        runtime = make_runtime(ws)  # a fresh runtime each time, like a new command
        flowed = runtime.run_workflow(flow, {"image": scene, "threshold": 0.4})
        asked = runtime.ask("describe the raster", [scene])
        assert flowed.ok and asked.ok, (flowed.errors, asked.errors)
        return [str(s.result_path) for s in (*flowed.steps, *asked.steps)]

    first = once()
    kept, lines = _hashes(ws), (ws / MANIFEST).read_bytes()
    second = once()
    assert not set(first) & set(second)  # new records...
    after = _hashes(ws)
    assert {name: after.get(name) for name in kept} == kept  # ...and the old ones unchanged
    assert len(after) == 2 * len(kept)
    assert (ws / MANIFEST).read_bytes().startswith(lines)  # the manifest only grew
    assert len((ws / MANIFEST).read_bytes().splitlines()) == 2 * len(lines.splitlines())
    records = _check_records(ws)
    assert len(records) == 2
    assert records[0]["result"]["area_m2"] == records[1]["result"]["area_m2"]
