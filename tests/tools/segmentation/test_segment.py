"""segment: prompt plumbing with a fake SAM whose masks are known (boxes, points, classes,
everything), georeferencing and areas, the tiny real SAM through the real loading path, real
NEON imagery, the CLI, and the missing-weights error."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin
from shapely.geometry import box, mapping, shape

import tools.segmentation.segment as segmod
from tests.conftest import MakeTiff
from tools import catalog
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import ToolContext, tool_record
from tools.core.workspace import Workspace
from tools.geo.area import geometry_area_m2
from tools.geo.vector import write_geojson


class FakeSam:
    """Box prompt -> the box's pixels; point -> a 5x5 square; everything -> one mask per
    distinct non-zero red value of the window (so masks are known in scene coordinates)."""

    def __init__(self, side: int = 128) -> None:
        self.tile_side = side
        self.embed_calls = 0
        self.windows: list[tuple[int, int]] = []
        self.weights = Path("fake.pth")
        self.device = "cpu"
        self.arch = type("A", (), {"name": "fake"})()
        self._shape = (0, 0)

    def set_image(self, rgb: np.ndarray) -> None:
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
        self.embed_calls += 1
        self._shape = rgb.shape[:2]
        self.windows.append(self._shape)

    def _hit(self, r0: int, c0: int, r1: int, c1: int, ro: int, co: int) -> Any:
        h, w = self._shape
        r0, c0, r1, c1 = max(0, r0), max(0, c0), min(h, r1), min(w, c1)
        return (ro + r0, co + c0, np.ones((r1 - r0, c1 - c0), bool), 0.9)

    def predict_boxes(self, boxes: np.ndarray, row_off: int = 0, col_off: int = 0) -> list[Any]:
        return [self._hit(round(y0), round(x0), round(y1), round(x1), row_off, col_off)
                for x0, y0, x1, y1 in boxes]

    def predict_points(self, pts: np.ndarray, row_off: int = 0, col_off: int = 0) -> list[Any]:
        return [self._hit(int(y) - 2, int(x) - 2, int(y) + 3, int(x) + 3, row_off, col_off)
                for x, y in pts]

    def generate(self, rgb: np.ndarray, points_per_side: int = 16) -> list[Any]:
        self.embed_calls += 1
        return [(rgb[..., 0] == v, 0.8) for v in np.unique(rgb[..., 0]) if v != 0]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSam:
    sam = FakeSam()
    monkeypatch.setattr(segmod, "load_model", lambda model: (sam, "fake"))
    return sam


def _boxes_geojson(path: Path, boxes_px: list[tuple[float, float, float, float]],
                   transform: Affine, crs: str, **props: Any) -> Path:
    feats = []
    for i, (x0, y0, x1, y1) in enumerate(boxes_px, start=1):
        (ax, ay), (bx, by) = transform @ (x0, y0), transform @ (x1, y1)
        feats.append({"type": "Feature", "id": i, "properties": {"id": i, **props},
                      "geometry": mapping(box(min(ax, bx), min(ay, by), max(ax, bx),
                                              max(ay, by)))})
    write_geojson(path, feats, crs)
    return path


def _run(ws: Workspace, **args: Any) -> tuple[ToolResult, dict[str, Any], np.ndarray, Any]:
    run = catalog.run_tool("segment", args, ws)
    res = run.result
    vec = res.first("vector")
    mask = res.first("mask")
    assert vec is not None and mask is not None and vec.path and mask.path
    fc = json.loads(Path(vec.path).read_text())
    with rasterio.open(mask.path) as src:
        return res, fc, src.read(1), src


def test_boxes_on_the_source_grid_with_areas(fake: FakeSam, make_tiff: MakeTiff,
                                            workspace: Workspace) -> None:
    img = make_tiff("s.tif", np.full((3, 300, 400), 50, np.uint8))
    t = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
    boxes = [(10, 10, 30, 20), (60, 60, 80, 80),    # two inside window (0, 0)
             (90, 90, 110, 130),                       # straddles the 96-px grid step
             (380, 280, 400, 300),                     # scene corner
             (500, 500, 520, 520)]                     # outside: dropped with a warning
    gj = _boxes_geojson(workspace.root / "b.geojson", boxes, t, "EPSG:32633", label="Ship",
                        confidence=0.7)
    res, fc, ids, src = _run(workspace, image=str(img), boxes=str(gj))
    assert src.crs.to_string() == "EPSG:32633" and src.transform == t
    assert ids.shape == (300, 400) and ids.dtype == np.uint16
    assert res.count == 4 and len(fc["features"]) == 4  # type: ignore[attr-defined]
    assert fake.embed_calls == res.model.embeddings == len(fake.windows)  # type: ignore[attr-defined]
    assert fake.embed_calls < 4  # prompts share embeddings
    assert all(h <= 128 and w <= 128 for h, w in fake.windows)
    areas = sorted(f["properties"]["area_m2"] for f in fc["features"])
    assert areas == [20 * 10 * 100.0, 20 * 20 * 100.0, 20 * 20 * 100.0, 20 * 40 * 100.0]
    for f in fc["features"]:
        p = f["properties"]
        assert p["class"] == "ship" and p["confidence"] == 0.7
        assert (ids == p["id"]).sum() == p["pixels"] == p["area_m2"] / 100.0
    nums = res.numbers()
    assert nums["count"].value == 4 and nums["area"].unit == "m²"
    assert nums["area"].value == pytest.approx(sum(areas))
    assert nums["area_ha"].value == pytest.approx(sum(areas) / 1e4)
    assert any("outside the scene" in w for w in res.warnings)
    straddler = next(f for f in fc["features"] if f["properties"]["pixels"] == 800)
    minx, miny, maxx, maxy = shape(straddler["geometry"]).bounds
    assert (minx, maxy) == t @ (90, 90) and (maxx, miny) == t @ (110, 130)


def test_geographic_scene_areas_are_geodesic(fake: FakeSam, make_tiff: MakeTiff,
                                            workspace: Workspace) -> None:
    img = make_tiff("g.tif", np.full((3, 100, 100), 9, np.uint8), crs="EPSG:4326")
    t = from_origin(10.0, 45.0, 0.0001, 0.0001)
    gj = _boxes_geojson(workspace.root / "b.geojson", [(10, 10, 40, 30)], t, "EPSG:4326")
    _, fc, ids, _ = _run(workspace, image=str(img), boxes=str(gj))
    (feat,) = fc["features"]
    expected = geometry_area_m2(box(*(t @ (10, 30)), *(t @ (40, 10))), "EPSG:4326")
    assert feat["properties"]["area_m2"] == pytest.approx(expected, rel=1e-6)
    assert 50_000 < expected < 55_000  # 600 px of ~7.9 m x 11.1 m
    assert (ids == 1).sum() == 600


def test_boxes_from_another_crs_are_reprojected(fake: FakeSam, make_tiff: MakeTiff,
                                                workspace: Workspace) -> None:
    img = make_tiff("s.tif", np.full((3, 100, 100), 9, np.uint8))
    t = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
    utm = box(*(t @ (20, 60)), *(t @ (60, 20)))
    wgs = rasterio.warp.transform_geom("EPSG:32633", "EPSG:4326", mapping(utm))
    gj = workspace.root / "wgs.geojson"
    write_geojson(gj, [{"type": "Feature", "properties": {}, "geometry": wgs}], "EPSG:4326")
    _, fc, _, _ = _run(workspace, image=str(img), boxes=str(gj))
    got = shape(fc["features"][0]["geometry"]).bounds
    assert np.allclose(got, utm.bounds, atol=10.0)


def test_points_in_the_scene_crs(fake: FakeSam, make_tiff: MakeTiff,
                                 workspace: Workspace) -> None:
    img = make_tiff("s.tif", np.full((3, 200, 200), 9, np.uint8))
    t = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
    pts = [list(t @ (50.5, 60.5)), list(t @ (150.5, 160.5)), [0.0, 0.0]]
    res, fc, ids, _ = _run(workspace, image=str(img), points=pts)
    assert res.count == 2 and ids[60, 50] and ids[160, 150] and ids[0, 0] == 0
    assert all(f["properties"]["area_m2"] == 2500.0 for f in fc["features"])
    assert any("outside" in w for w in res.warnings)
    with pytest.raises(InputError, match="inside the scene"):
        catalog.run_tool("segment", {"image": str(img), "points": [[0.0, 0.0]]}, workspace)


def test_everything_masks_are_merged_once_across_windows(fake: FakeSam, make_tiff: MakeTiff,
                                                         workspace: Workspace) -> None:
    arr = np.zeros((3, 250, 300), np.uint8)
    objects = {10: (5, 5, 20, 20),          # inside one window
               20: (40, 100, 60, 120),      # in the overlap of two windows
               30: (110, 60, 140, 250),     # cut by several windows both ways
               40: (200, 200, 250, 300)}    # scene corner
    for v, (r0, c0, r1, c1) in objects.items():
        arr[0, r0:r1, c0:c1] = v
    img = make_tiff("e.tif", arr)
    res, fc, ids, _ = _run(workspace, image=str(img), everything=True)
    assert res.count == 4
    pix = sorted(f["properties"]["pixels"] for f in fc["features"])
    assert pix == sorted((r1 - r0) * (c1 - c0) for r0, c0, r1, c1 in objects.values())
    for v, (r0, c0, r1, c1) in objects.items():
        label = ids[r0, c0]
        assert label and (ids[r0:r1, c0:c1] == label).all() and (ids == label).sum() == (
            r1 - r0) * (c1 - c0), v
    assert res.model.embeddings == res.windows > 4  # type: ignore[attr-defined]


def test_class_names_detect_then_segment(fake: FakeSam, make_tiff: MakeTiff,
                                         workspace: Workspace,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    img = make_tiff("s.tif", np.full((3, 100, 100), 9, np.uint8))
    t = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
    seen: dict[str, Any] = {}

    class Out(ToolResult):
        pass

    def detect_objects(args: Any, ctx: ToolContext) -> Out:
        seen.update(args.model_dump())
        path = _boxes_geojson(ctx.output_path("boxes.geojson"), [(10, 10, 20, 30)], t,
                              "EPSG:32633", **{"class": "storage tank", "confidence": 0.55})
        art = ctx.artifact("boxes", "vector", path, crs="EPSG:32633")
        return Out(summary="1 storage tank", image=args.image, artifacts=[art])

    rec = tool_record(catalog.REGISTRY["detect_objects"].input_model, Out)(detect_objects)
    monkeypatch.setitem(catalog.REGISTRY, "detect_objects", rec)
    res, fc, _, _ = _run(workspace, image=str(img), classes=["storage tank"],
                         min_confidence=0.4)
    assert seen["classes"] == ["storage tank"] and seen["min_confidence"] == 0.4
    (feat,) = fc["features"]
    assert feat["properties"]["class"] == "storage tank"
    assert feat["properties"]["confidence"] == 0.55 and feat["properties"]["area_m2"] == 20000
    assert res.detection and Path(res.detection).exists()  # type: ignore[attr-defined]


def test_exactly_one_prompt_source(make_tiff: MakeTiff, workspace: Workspace) -> None:
    img = make_tiff("s.tif", np.full((3, 10, 10), 9, np.uint8))
    for bad in ({}, {"everything": True, "points": [[1.0, 2.0]]}):
        with pytest.raises(InputError, match="exactly one prompt source"):
            catalog.run_tool("segment", {"image": str(img), **bad}, workspace)


def test_non_rgb_scenes_go_through_pseudo_rgb(fake: FakeSam, make_tiff: MakeTiff,
                                              workspace: Workspace, rng: Any) -> None:
    img = make_tiff("sar_vv.tif", rng.normal(-12, 3, (1, 64, 64)).astype(np.float32))
    res, _, ids, _ = _run(workspace, image=str(img), points=[[500_100.0, 3_999_900.0]])
    assert res.count == 1 and ids.shape == (64, 64)
    assert list(workspace.root.glob("*.1_rgb.tif"))  # the pseudo_rgb child call's composite


# --- the real SAM code path (tiny random-weight model) -------------------------------------

torch_missing = pytest.mark.skipif(
    not all(__import__("importlib").util.find_spec(m) for m in ("torch", "segment_anything")),
    reason="deep extra not installed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from specialists.segmentation.sam import tiny_checkpoint

    return tiny_checkpoint(tmp_path_factory.mktemp("weights") / "sam_tiny.pth")


def _neon_boxes(data_dir: Path, dest: Path) -> tuple[Path, Path, int]:
    img = data_dir / "detection" / "neon_trees" / "OSBS_029.tif"
    with rasterio.open(img) as src:
        t, crs = src.transform, src.crs.to_string()
    rows = list(csv.DictReader((img.with_suffix(".csv")).open()))
    boxes = [tuple(float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")) for r in rows]
    return img, _boxes_geojson(dest, boxes, t, crs, label="Tree"), len(boxes)  # type: ignore[arg-type]


@pytest.mark.realdata
def test_neon_boxes_plumbing(fake: FakeSam, data_dir: Path, workspace: Workspace) -> None:
    img, gj, n = _neon_boxes(data_dir, workspace.root / "trees.geojson")
    res, fc, ids, src = _run(workspace, image=str(img), boxes=str(gj))
    with rasterio.open(img) as ref:
        assert (src.crs, src.transform, src.shape) == (ref.crs, ref.transform, ref.shape)
    assert 0 < res.count <= n and len(fc["features"]) == res.count
    assert fc["crs"]["properties"]["name"] == "EPSG:32617"
    assert all(f["properties"]["class"] == "tree" for f in fc["features"])
    assert int(ids.max()) == res.count
    # 0.1 m pixels: area = pixels x 0.01 m²
    assert all(f["properties"]["area_m2"] == pytest.approx(f["properties"]["pixels"] * 0.01)
               for f in fc["features"])


@torch_missing
@pytest.mark.realdata
def test_neon_boxes_with_tiny_sam_via_weights_dir(data_dir: Path, workspace: Workspace,
                                                  tiny: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from specialists.runtime.model_import import import_weights

    wdir = tmp_path / "weights"
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(wdir))
    # under the published name only once imported (a file of that name must be the published
    # one, or one the user trusted)
    assert import_weights(tiny, name="sam_vit_b").path == wdir / "sam_vit_b_01ec64.pth"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    img, gj, n = _neon_boxes(data_dir, workspace.root / "trees.geojson")
    res, fc, ids, src = _run(workspace, image=str(img), boxes=str(gj), model="sam_vit_b")
    assert res.model.name == "sam_vit_b" and res.model.encoder.startswith("vit(dim=32")  # type: ignore[attr-defined]
    assert res.model.weights == str((wdir / "sam_vit_b_01ec64.pth").resolve())  # type: ignore[attr-defined]
    # 400 px scene, 256 px windows at a 192 px stride: at most 4 grid windows + centred ones
    assert 1 <= res.model.embeddings <= 4 + n  # type: ignore[attr-defined]
    assert ids.shape == (400, 400) and src.crs.to_epsg() == 32617
    assert res.count == len(fc["features"]) == int(ids.max())
    # default (no model argument): MobileSAM's file is absent, so sam_vit_b is used
    res2, _, _, _ = _run(workspace, image=str(img), boxes=str(gj))
    assert res2.model.name == "sam_vit_b"  # type: ignore[attr-defined]


@torch_missing
def test_tiny_sam_by_path_points_and_everything(make_tiff: MakeTiff, workspace: Workspace,
                                                tiny: Path, rng: Any) -> None:
    img = make_tiff("s.tif", rng.integers(1, 255, (3, 300, 280), dtype=np.uint8))
    res, _, ids, _ = _run(workspace, image=str(img), points=[[500_500.0, 3_999_500.0]],
                          model=str(tiny))
    assert res.model.weights == str(tiny.resolve()) and res.model.embeddings == 1  # type: ignore[attr-defined]
    assert ids.shape == (300, 280)
    res, _, ids, _ = _run(workspace, image=str(img), everything=True, model=str(tiny),
                          points_per_side=4)
    assert res.windows == res.model.embeddings == 4  # type: ignore[attr-defined]


def test_missing_weights_name_the_file_and_the_three_ways(
        make_tiff: MakeTiff, workspace: Workspace, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    img = make_tiff("s.tif", np.full((3, 10, 10), 9, np.uint8))
    with pytest.raises(ToolUnavailable) as exc:
        catalog.run_tool("segment", {"image": str(img), "points": [[500_020.0, 3_999_980.0]]},
                         workspace)
    text = str(exc.value)
    assert "sam_vit_b_01ec64.pth" in text and "EARTHSIGHT_WEIGHTS_DIR" in text
    assert "(1)" in text and "(2)" in text and "(3)" in text
    with pytest.raises(InputError, match=r"nowhere\.pth"):
        catalog.run_tool("segment", {"image": str(img), "everything": True,
                                     "model": str(tmp_path / "nowhere.pth")}, workspace)
    with pytest.raises(InputError, match="unknown SAM model"):
        catalog.run_tool("segment", {"image": str(img), "everything": True,
                                     "model": "sam_vit_z"}, workspace)


@torch_missing
@pytest.mark.realdata
@pytest.mark.slow
def test_cli_run_tool_segment(data_dir: Path, tiny: Path, tmp_path: Path) -> None:
    img, gj, _ = _neon_boxes(data_dir, tmp_path / "trees.geojson")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "YOLO_OFFLINE": "1"}
    args = json.dumps({"image": str(img), "boxes": str(gj), "model": str(tiny)})
    proc = subprocess.run([sys.executable, "-m", "agent.cli.main", "run-tool", "segment", "--args",
                           args, "--workspace", str(tmp_path / "ws"), "--json"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    arts = {a["name"]: a for a in out["result"]["artifacts"]}
    assert arts["instance_mask"]["crs"] == "EPSG:32617" and Path(arts["segments"]["path"]).exists()
    assert arts["count"]["value"] == out["result"]["count"]
    assert out["result"]["model"]["weights"] == str(tiny.resolve())


def test_box_masks_are_kept_within_their_box_plus_margin() -> None:
    hit = (0, 0, np.ones((200, 200), bool), 0.5)
    row, col, crop, _ = segmod._clip_to_box(hit, np.array([50.0, 60.0, 150.0, 100.0]))  # type: ignore[misc]
    assert (row, col) == (54, 38) and crop.shape == (106 - 54, 162 - 38)
    assert segmod._clip_to_box((0, 0, np.ones((5, 5), bool), 0.5),
                               np.array([100.0, 100.0, 120.0, 120.0])) is None
