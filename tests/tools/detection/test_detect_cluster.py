"""detect_objects on a 2-worker Dask LocalCluster (127.0.0.1) gives the same boxes as in-process:
byte-equal GeoJSON, equal counts, numbers, model record, summary and warnings, on a real NEON
scene and on a generated large scene of known boxes (some cut by slice borders, merged once),
with a pixel-driven fake detector that workers import by name and with a real yolo11n-obb
architecture of random weights; the result records the scheduler, >= 4 tasks and both
workers, and each worker loads the model once however many slices it predicts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tools.detection.detect_objects as detection
from specialists.runtime.cluster import DaskExecutor
from specialists.runtime.worker_models import ModelSpec, load_counts
from tests.conftest import MakeTiff
from tests.tools.detection import cluster_fakes
from tests.tools.geo.cluster_runs import both, numbers, ran_on_both
from tools.core.artifacts import ToolResult

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

NEON = "detection/neon_trees/OSBS_029.tif"


def _vector(result: ToolResult) -> bytes:
    paths = [a.path for a in result.artifacts if a.kind == "vector" and a.path]
    assert paths
    return b"".join(Path(p).read_bytes() for p in paths)


def _assert_identical(here: Any, there: Any, local2: DaskExecutor, min_tasks: int) -> None:
    assert hashlib.sha256(_vector(here)).digest() == hashlib.sha256(_vector(there)).digest()
    assert here.counts == there.counts
    assert numbers(here) == numbers(there)
    assert here.model == there.model
    assert here.summary == there.summary and here.warnings == there.warnings
    ran_on_both(here, there, local2, min_tasks)


def _loads(local2: DaskExecutor, spec: ModelSpec) -> list[int]:
    """Loads of ``spec`` each worker made so far."""
    found = local2.client.run(load_counts)
    return sorted(counts.get(spec.name, 0) for counts in found.values())


def _spec(weights: Path, tile: int, args: dict[str, Any]) -> ModelSpec:
    """The spec detect_objects sends (its loader, weights, device, conf, slice size, batch)."""
    return ModelSpec(detection.load_predictor,
                     (weights, args.get("device"), args.get("min_confidence", 0.25), tile,
                      args.get("batch")))


@pytest.mark.realdata
def test_real_scene_fake_detector(data_dir: Path, tmp_path: Path, fake_weights: Path,
                                  monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    monkeypatch.setattr(detection, "load_predictor", cluster_fakes.load_bright)
    # 400 x 400 px at 128 px slices, 32 px overlap: 16 slices, 3 a task -> 6 tasks
    args = {"image": str(data_dir / NEON), "tile_size": 128, "overlap": 32}
    here, there = both("detect_objects", args, tmp_path, monkeypatch)
    _assert_identical(here, there, local2, 6)
    assert there.model is not None and there.model.slices == 16
    assert sum(there.counts.values()) > 50  # bright crowns and gaps of the NEON tile
    # the workers loaded the detector once each (the plugin), not once per task
    assert _loads(local2, _spec(fake_weights.resolve(), 128, args)) == [1, 1]


def test_generated_scene_known_boxes(make_tiff: MakeTiff, tmp_path: Path, fake_weights: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     local2: DaskExecutor) -> None:
    monkeypatch.setattr(detection, "load_predictor", cluster_fakes.load_bright)
    width, height, tile, overlap = 2600, 1800, 640, 128  # slice starts every 512 px: 5 x 4
    data = np.full((3, height, width), 30, np.uint8)
    boxes = [[500, 100, 560, 140],      # in the overlap of the first two columns of slices
             [0, 0, 30, 20],            # scene corner (cut: touches the slice border)
             [2570, 1780, 2600, 1800],  # opposite corner
             [1530, 1000, 1590, 1060],  # in four slices' overlap
             [700, 700, 800, 760],      # wider than nothing: inside one slice's core
             [2000, 1530, 2040, 1600]]
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        data[:, y0:y1, x0:x1] = 220
        data[0 if k % 2 else 2, y0:y1, x0:x1] = 250  # odd: red brightest (small vehicle)
    image = make_tiff("big.tif", data)
    args = {"image": str(image), "tile_size": tile, "overlap": overlap, "wgs84": True}
    here, there = both("detect_objects", args, tmp_path, monkeypatch)
    _assert_identical(here, there, local2, 7)  # 20 slices, 3 a task
    feats = json.loads(Path(str(there.path)).read_text())["features"]
    assert sorted(f["properties"]["pixel_box"] for f in feats) == sorted(
        [float(v) for v in b] for b in boxes)
    assert there.counts == {"ship": 3, "vehicle": 3}
    assert {f["properties"]["confidence"] for f in feats} == {0.6, 0.9}


@pytest.mark.realdata
@pytest.mark.slow
def test_real_scene_random_yolo(data_dir: Path, tmp_path: Path, random_obb_weights: Path,
                                monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    # a real architecture (yolo11n-obb, random weights): 4 slices, one per task on CPU
    args = {"image": str(data_dir / NEON), "model": str(random_obb_weights), "tile_size": 256,
            "overlap": 112, "min_confidence": 0.0, "device": "cpu"}
    here, there = both("detect_objects", args, tmp_path, monkeypatch)
    _assert_identical(here, there, local2, 4)
    assert there.model is not None and there.model.oriented and there.model.slices == 4
    assert sum(there.counts.values()) > 0  # random weights score < 0.001: keep them all
