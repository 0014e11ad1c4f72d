"""segment on a 2-worker Dask LocalCluster (127.0.0.1) gives the same outputs as in-process:
byte-equal mask GeoTIFF and GeoJSON, equal counts, numbers, model record, summary and
warnings. Box prompts with a tiny random-weight SAM (built from its config, no download) on a
generated scene of 7 prompt windows and on a real NEON scene; automatic masks and point prompts
with a pixel-driven fake SAM that workers import by name (objects cut by windows, merged once
in the caller). The result records the scheduler, one task per window and both workers; each
worker loads the SAM once however many windows it segments; a window that fails leaves no
mask or polygons behind."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin
from shapely.geometry import box, mapping

import tools.segmentation.segment as segmod
from specialists.runtime.cluster import CLUSTER_ENV, RETRIES_ENV, DaskExecutor
from specialists.runtime.worker_models import ModelSpec, load_counts
from tests.conftest import MakeTiff
from tests.tools.geo.cluster_runs import both, numbers, ran_on_both
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.workspace import Workspace
from tools.geo.vector import write_geojson
from tools.segmentation.remote import load_worker_sam

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
pytest.importorskip("segment_anything", reason="the deep extra (segment-anything) is not installed")

NEON = "detection/neon_trees/OSBS_029.tif"
UTM = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
"""The generated scenes' grid (10 m pixels, EPSG:32633)."""


# --- a fake SAM whose masks depend on the pixels alone (the same on a worker as here) ------

class PixelSam:
    """Everything: one mask per distinct non-zero red value of the window (score 0.8), so an
    object cut by windows comes back in pieces that the caller must merge; points: the 5 x 5
    square around the point (score 0.9). Refuses a window holding red value 99."""

    def __init__(self, weights: str) -> None:
        self.tile_side = 128
        self.embed_calls = 0
        self.weights = weights
        self.device = "cpu"
        self.arch = type("Arch", (), {"name": "pixel-fake"})()
        self._shape = (0, 0)

    def set_image(self, rgb: np.ndarray) -> None:
        self.embed_calls += 1
        self._shape = rgb.shape[:2]

    def predict_points(self, pts: np.ndarray, row_off: int = 0, col_off: int = 0) -> list[Any]:
        h, w = self._shape
        out = []
        for x, y in pts:
            r0, c0 = max(0, int(y) - 2), max(0, int(x) - 2)
            r1, c1 = min(h, int(y) + 3), min(w, int(x) + 3)
            out.append((row_off + r0, col_off + c0, np.ones((r1 - r0, c1 - c0), bool), 0.9))
        return out

    def generate(self, rgb: np.ndarray, points_per_side: int = 16) -> list[Any]:
        if (rgb[..., 0] == 99).any():
            raise ValueError("PixelSam: red value 99 refused")
        self.embed_calls += 1
        return [(rgb[..., 0] == v, 0.8) for v in np.unique(rgb[..., 0]) if v != 0]


def load_pixel_sam(weights: str, device: str | None) -> PixelSam:
    """``load_worker_sam``'s stand-in (module level: workers import it by name)."""
    return PixelSam(weights)


# --- helpers ------------------------------------------------------------------------------

def _files(result: ToolResult, kind: str) -> bytes:
    paths = [a.path for a in result.artifacts if a.kind == kind and a.path]
    assert paths
    return b"".join(Path(p).read_bytes() for p in paths)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _assert_identical(here: Any, there: Any, local2: DaskExecutor) -> None:
    """The same files, numbers, model record and summary; the cluster record says where."""
    assert _digest(_files(here, "mask")) == _digest(_files(there, "mask"))
    assert _digest(_files(here, "vector")) == _digest(_files(there, "vector"))
    with rasterio.open(_path(there, "mask")) as a, rasterio.open(_path(here, "mask")) as b:
        assert np.array_equal(a.read(), b.read())
    assert numbers(here) == numbers(there)
    assert (here.count, here.windows, here.prompt) == (there.count, there.windows, there.prompt)
    assert here.model == there.model
    assert here.summary == there.summary and here.warnings == there.warnings
    ran_on_both(here, there, local2, there.windows)
    assert there.cluster.tasks == there.windows  # one task per window


def _path(result: ToolResult, kind: Literal["mask", "vector"]) -> str:
    art = result.first(kind)
    assert art is not None and art.path
    return art.path


def _loads(local2: DaskExecutor, spec: ModelSpec) -> list[int]:
    """Loads of ``spec`` each worker made so far."""
    found = local2.client.run(load_counts)
    return sorted(counts.get(spec.name, 0) for counts in found.values())


def _boxes_geojson(path: Path, boxes_px: Sequence[Sequence[float]],
                   transform: Affine, crs: str) -> Path:
    feats = []
    for i, (x0, y0, x1, y1) in enumerate(boxes_px, start=1):
        (ax, ay), (bx, by) = transform @ (x0, y0), transform @ (x1, y1)
        feats.append({"type": "Feature", "id": i, "properties": {"id": i, "label": "Ship",
                                                                 "confidence": 0.5 + i / 100},
                      "geometry": mapping(box(min(ax, bx), min(ay, by), max(ax, bx),
                                              max(ay, by)))})
    write_geojson(path, feats, crs)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight SAM (ViT 32 wide, 2 blocks, 256 px input) built from its config."""
    from specialists.segmentation.sam import tiny_checkpoint

    return tiny_checkpoint(tmp_path_factory.mktemp("weights") / "sam_tiny.pth")


# --- the tiny real SAM, box prompts -----------------------------------------------------------

def test_generated_scene_box_prompts_tiny_sam(make_tiff: MakeTiff, tmp_path: Path, tiny: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              local2: DaskExecutor) -> None:
    rng = np.random.default_rng(5)
    height, width = 520, 640  # 256 px windows at a 192 px stride: a 3 x 3 grid
    data = rng.integers(20, 80, (3, height, width), dtype=np.uint8)
    boxes = [(20, 30, 60, 70), (250, 40, 300, 90), (420, 20, 470, 60),  # three grid windows
             (30, 300, 90, 350), (300, 300, 360, 380), (500, 400, 600, 500),
             (170, 170, 230, 230),   # straddles the grid: a window centred on it
             (100, 100, 420, 160)]   # wider than a window: a window of its own
    for x0, y0, x1, y1 in boxes:
        data[:, y0:y1, x0:x1] = rng.integers(180, 250, (3, 1, 1), dtype=np.uint8)
    image = make_tiff("big.tif", data)
    gj = _boxes_geojson(tmp_path / "boxes.geojson", boxes, UTM, "EPSG:32633")
    args = {"image": str(image), "boxes": str(gj), "model": str(tiny)}
    here, there = both("segment", args, tmp_path, monkeypatch)
    _assert_identical(here, there, local2)
    assert there.windows == 7 and there.model.embeddings == 7
    assert there.count == len(boxes)  # random weights, but every box keeps a mask
    feats = json.loads(Path(_path(there, "vector")).read_text())["features"]
    assert sorted(f["properties"]["source_id"] for f in feats) == list(range(1, 9))
    assert {f["properties"]["class"] for f in feats} == {"ship"}
    spec = ModelSpec(load_worker_sam, (str(tiny.resolve()), None))
    assert _loads(local2, spec) == [1, 1]  # once per worker (the plugin), not once per task


@pytest.mark.realdata
def test_real_scene_box_prompts_tiny_sam(data_dir: Path, tmp_path: Path, tiny: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         local2: DaskExecutor) -> None:
    image = data_dir / NEON  # 400 x 400 px, 0.1 m, with its tree crowns as a CSV of boxes
    with rasterio.open(image) as src:
        transform, crs = src.transform, src.crs.to_string()
    rows = list(csv.DictReader(image.with_suffix(".csv").open()))
    boxes = [tuple(float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")) for r in rows]
    gj = _boxes_geojson(tmp_path / "trees.geojson", boxes, transform, crs)
    here, there = both("segment", {"image": str(image), "boxes": str(gj), "model": str(tiny)},
                       tmp_path, monkeypatch)
    _assert_identical(here, there, local2)
    assert there.count > 10
    spec = ModelSpec(load_worker_sam, (str(tiny.resolve()), None))
    assert _loads(local2, spec) == [1, 1]  # the model stays loaded from call to call


# --- the pixel-driven fake: automatic masks across windows, points, a failing window ----------

@pytest.fixture
def pixel_sam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PixelSam everywhere: here (load_model) and on the workers (the loader's name)."""
    weights = tmp_path / "pixel.pth"
    weights.write_bytes(b"fake")
    monkeypatch.setattr(segmod, "load_model",
                        lambda model: (PixelSam(str(Path(str(model)).resolve())), "pixel"))
    monkeypatch.setattr(segmod, "load_worker_sam", load_pixel_sam)
    return weights


def _objects_scene(make_tiff: MakeTiff) -> tuple[Path, dict[int, tuple[int, int, int, int]]]:
    arr = np.zeros((3, 250, 300), np.uint8)
    objects = {10: (5, 5, 20, 20),          # inside one window
               20: (40, 100, 60, 120),      # in the overlap of two windows
               30: (110, 60, 140, 250),     # cut by several windows both ways
               40: (200, 200, 250, 300)}    # scene corner
    for v, (r0, c0, r1, c1) in objects.items():
        arr[0, r0:r1, c0:c1] = v
    return make_tiff("objects.tif", arr), objects


def test_everything_and_points_fake_sam(make_tiff: MakeTiff, tmp_path: Path, pixel_sam: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        local2: DaskExecutor) -> None:
    image, objects = _objects_scene(make_tiff)
    here, there = both("segment", {"image": str(image), "everything": True,
                                   "model": str(pixel_sam)}, tmp_path / "everything", monkeypatch)
    _assert_identical(here, there, local2)
    assert there.count == 4 and there.windows == there.model.embeddings > 4
    with rasterio.open(_path(there, "mask")) as src:
        ids = src.read(1)
    for v, (r0, c0, r1, c1) in objects.items():  # merged once across windows, whole
        label = ids[r0, c0]
        assert label and (ids == label).sum() == (r1 - r0) * (c1 - c0), v
    points = [list(UTM @ (x + 0.5, y + 0.5)) for x, y in
              ((10, 10), (150, 30), (290, 240), (150, 200), (60, 130))]
    here, there = both("segment", {"image": str(image), "points": points, "model": str(pixel_sam)},
                       tmp_path / "points", monkeypatch)
    _assert_identical(here, there, local2)
    assert there.count == 5
    spec = ModelSpec(load_pixel_sam, (str(pixel_sam.resolve()), None))
    assert _loads(local2, spec) == [1, 1]


def test_a_failing_window_leaves_nothing_behind(make_tiff: MakeTiff, tmp_path: Path,
                                                pixel_sam: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                local2: DaskExecutor) -> None:
    arr = np.zeros((3, 250, 300), np.uint8)
    arr[0, 5:20, 5:20] = 10
    arr[0, 200:210, 280:290] = 99  # the last windows refuse it
    image = make_tiff("bad.tif", arr)
    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    monkeypatch.setenv(RETRIES_ENV, "0")
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(ValueError, match="red value 99"):
        run_tool("segment", {"image": str(image), "everything": True,
                             "model": str(pixel_sam)}, ws)
    left = [p.name for p in ws.root.rglob("*") if p.suffix in (".tif", ".geojson", ".tmp")
            or "segment" in p.name]
    assert left == []
