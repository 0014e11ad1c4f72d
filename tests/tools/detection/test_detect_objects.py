"""detect_objects: slicing, shifting, merging and georeferencing with a fake detector of known
boxes; real imagery round trips (DOTA chip, NEON tile); a random-init YOLO end to end."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.transform import from_origin
from shapely.geometry import box as shapely_box

import tools.detection.detect_objects as detection
from specialists.detection.slicing import Detections
from specialists.detection.yolo import LoadedDetector
from specialists.tiling import slice_windows
from tests.conftest import MakeTiff, write_tiff
from tools.catalog import run_tool
from tools.core.errors import InputError, ToolUnavailable
from tools.core.workspace import Workspace

DOTA_NAMES = {0: "plane", 1: "ship", 2: "storage tank", 9: "large vehicle", 10: "small vehicle"}


class FakeScene:
    """A detector that 'sees' known scene boxes: each slice gets the part of every box inside
    it (cut boxes clipped to the slice, lower score), in the slice's own pixels."""

    def __init__(self, corners: np.ndarray, classes: Sequence[int], oriented: bool,
                 width: int, height: int, tile: int, overlap: int) -> None:
        self.polys = shapely.polygons(np.asarray(corners, float))
        self.classes = list(classes)
        self.oriented = oriented
        self.windows = slice_windows(width, height, tile, overlap)
        self.seen = 0

    def __call__(self, tiles: Sequence[np.ndarray]) -> list[Detections]:
        out = []
        for tile in tiles:
            w = self.windows[self.seen]
            self.seen += 1
            assert tile.shape == (w.height, w.width, 3) and tile.dtype == np.uint8
            frame = shapely_box(w.col_off, w.row_off, w.col_end, w.row_end)
            corners, scores, classes = [], [], []
            for poly, cls in zip(self.polys, self.classes, strict=True):
                part = shapely.make_valid(poly).intersection(frame)
                if part.area <= 0:
                    continue
                whole = part.area >= shapely.make_valid(poly).area - 1e-9
                if whole:
                    pts = np.asarray(poly.exterior.coords)[:4]
                elif self.oriented:
                    pts = np.asarray(part.minimum_rotated_rectangle.exterior.coords)[:4]
                else:
                    x0, y0, x1, y1 = part.bounds
                    pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
                corners.append(pts - [w.col_off, w.row_off])
                scores.append(0.9 if whole else 0.6)
                classes.append(cls)
            if not corners:
                out.append(Detections.empty(self.oriented))
                continue
            d = Detections(np.array(corners), np.array(scores), np.array(classes), self.oriented)
            out.append(d)
        return out


def install_fake(monkeypatch: pytest.MonkeyPatch, corners: Any, classes: Sequence[int],
                 names: dict[int, str], oriented: bool, size: tuple[int, int], tile: int,
                 overlap: int) -> FakeScene:
    fake = FakeScene(corners, classes, oriented, size[0], size[1], tile, overlap)
    patch_loader(monkeypatch, fake, names, oriented, default_batch=3, imgsz=tile)
    return fake


def patch_loader(monkeypatch: pytest.MonkeyPatch, predict: Any, names: dict[int, str],
                 oriented: bool, default_batch: int, imgsz: int | None = None) -> None:
    """Make detect_objects load ``predict`` as its detector (``imgsz``: the slice size the
    tool must ask for, when given)."""

    def loader(weights: Path, device: str | None, conf: float, size: int,
               batch: int | None) -> LoadedDetector:
        assert imgsz is None or size == imgsz
        return LoadedDetector(predict=predict, names=names, oriented=oriented, device="cpu",
                              weights=str(weights), batch=batch or default_batch)

    monkeypatch.setattr(detection, "load_predictor", loader)


def xyxy_corners(boxes: Sequence[Sequence[float]]) -> np.ndarray:
    b = np.asarray(boxes, float)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


def back_to_pixels(path: str) -> tuple[list[dict[str, Any]], str, np.ndarray]:
    """Features, CRS and their polygon corners mapped back to pixels of ``path``'s scene."""
    data = json.loads(Path(path).read_text())
    return data["features"], data["crs"]["properties"]["name"], np.array([
        f["geometry"]["coordinates"][0][:4] for f in data["features"]])


def to_pixels(corners_world: np.ndarray, transform: Any) -> np.ndarray:
    inv = ~transform
    return np.array([[inv @ (x, y) for x, y in poly] for poly in corners_world])


def assert_same_boxes(got: np.ndarray, expected: np.ndarray) -> None:
    key = lambda a: sorted(np.round(a, 6).reshape(len(a), -1).tolist())  # noqa: E731
    assert key(got) == key(expected)


@pytest.mark.parametrize("crs", ["EPSG:32633", "EPSG:4326"])
def test_straddling_boxes_once_non_square(make_tiff: MakeTiff, workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch, fake_weights: Path,
                                          crs: str) -> None:
    width, height, tile, overlap = 1500, 900, 640, 128
    image = make_tiff("scene.tif", np.full((3, height, width), 90, np.uint8), crs=crs)
    boxes = [[500, 100, 560, 140],      # straddles the first vertical slice border (512/640)
             [0, 0, 30, 20],            # scene corner
             [1470, 870, 1500, 900],    # opposite scene corner
             [845, 500, 905, 560],      # in four slices' overlap
             [300.5, 700.25, 340.75, 760.5]]  # sub-pixel
    install_fake(monkeypatch, xyxy_corners(boxes), [10, 10, 9, 1, 0], DOTA_NAMES, False,
                 (width, height), tile, overlap)
    run = run_tool("detect_objects", {"image": str(image), "tile_size": tile, "overlap": overlap,
                                      "wgs84": True}, workspace)
    res = run.result
    feats, out_crs, world = back_to_pixels(res.path)
    assert out_crs == crs and len(feats) == len(boxes)
    with rasterio.open(image) as src:
        assert_same_boxes(to_pixels(world, src.transform), xyxy_corners(boxes))
    assert res.counts == {"plane": 1, "ship": 1, "vehicle": 3}
    nums = res.numbers()
    assert nums["count"].value == 5 and nums["count"].unit == "count"
    assert nums["count_vehicle"].value == 3
    props = {tuple(f["properties"]["pixel_box"]): f["properties"] for f in feats}
    p = props[(500.0, 100.0, 560.0, 140.0)]
    assert p["class"] == "vehicle" and p["model_class"] == "small vehicle"
    assert p["confidence"] == 0.9
    m2 = 10.0 * 10.0 if crs == "EPSG:32633" else None
    if m2:
        assert p["area_m2"] == pytest.approx(60 * 40 * m2) and p["length_m"] == pytest.approx(600)
    else:
        assert p["area_m2"] > 0
    assert res.model is not None and res.model.slices == 3 * 2 and res.model.device == "cpu"
    assert Path(res.path).with_suffix(".4326.geojson").exists()


def test_oriented_boxes_and_class_filter(make_tiff: MakeTiff, workspace: Workspace,
                                         monkeypatch: pytest.MonkeyPatch,
                                         fake_weights: Path) -> None:
    width, height, tile, overlap = 700, 1300, 512, 128
    image = make_tiff("obb.tif", np.full((3, height, width), 70, np.uint8))
    c, s = np.cos(0.5), np.sin(0.5)
    local = np.array([[-40, -8], [40, -8], [40, 8], [-40, 8]]) @ np.array([[c, s], [-s, c]])
    centres = [(440, 420), (100, 1250), (600, 800)]  # on a slice border, near edges
    corners = np.stack([local + ctr for ctr in centres])
    install_fake(monkeypatch, corners, [1, 1, 0], DOTA_NAMES, True, (width, height), tile,
                 overlap)
    res = run_tool("detect_objects", {"image": str(image), "tile_size": tile,
                                      "overlap": overlap, "classes": ["vessels"]},
                   workspace).result
    feats, _, world = back_to_pixels(res.path)
    assert res.counts == {"ship": 2}
    with rasterio.open(image) as src:
        assert_same_boxes(to_pixels(world, src.transform), corners[:2])
    assert all(len(f["properties"]["pixel_corners"]) == 4 for f in feats)
    with pytest.raises(InputError, match=r"it knows: .*plane"):
        run_tool("detect_objects", {"image": str(image), "classes": ["windmill"],
                                    "tile_size": tile}, workspace)


def test_non_rgb_goes_through_pseudo_rgb(make_tiff: MakeTiff, workspace: Workspace,
                                         monkeypatch: pytest.MonkeyPatch, fake_weights: Path,
                                         rng: np.random.Generator) -> None:
    data = rng.gamma(1.0, 0.05, (2, 300, 400)).astype(np.float32)  # linear sigma0
    image = make_tiff("s1.tif", data, descriptions=["VV", "VH"])
    install_fake(monkeypatch, xyxy_corners([[10, 10, 50, 30]]), [0], DOTA_NAMES, False,
                 (400, 300), 640, 128)
    res = run_tool("detect_objects", {"image": str(image), "tile_size": 640}, workspace).result
    assert res.counts == {"plane": 1}
    assert any("pseudo_rgb" in w for w in res.warnings)
    assert any(a.name == "rgb" or (a.path and a.path.endswith("rgb.tif")) for a in res.artifacts)


def test_missing_weights_is_clear(make_tiff: MakeTiff, workspace: Workspace, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    image = make_tiff("rgb.tif", np.zeros((3, 64, 64), np.uint8))
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ToolUnavailable, match=r"yolo11n-obb\.pt.*EARTHSIGHT_WEIGHTS_DIR"):
        run_tool("detect_objects", {"image": str(image)}, workspace)
    with pytest.raises(InputError, match=r"nowhere\.pt"):
        run_tool("detect_objects", {"image": str(image), "model": str(tmp_path / "nowhere.pt")},
                 workspace)


@pytest.mark.realdata
def test_dota_chip_round_trip(data_dir: Path, tmp_path: Path, workspace: Workspace,
                              monkeypatch: pytest.MonkeyPatch, fake_weights: Path) -> None:
    png = data_dir / "detection" / "dota" / "images" / "P0004__1__0___0.png"
    rows = [line.split() for line in
            (data_dir / "detection" / "dota" / "labelTxt" / "P0004__1__0___0.txt")
            .read_text().splitlines() if len(line.split()) >= 9]
    labelled = np.array([[float(v) for v in r[:8]] for r in rows]).reshape(-1, 4, 2)
    rgb = np.moveaxis(np.asarray(Image.open(png).convert("RGB")), -1, 0)
    # the chip is 285 x 294 px; only labels inside it can be detected
    inside = ((labelled[..., 0].max(1) <= rgb.shape[2])
              & (labelled[..., 1].max(1) <= rgb.shape[1]))
    corners = labelled[inside]
    assert len(corners) >= 1
    transform = from_origin(353_000.0, 5_650_000.0, 0.3, 0.3)  # made-up UTM 33N, 0.3 m
    image = write_tiff(tmp_path / "dota.tif", rgb, crs="EPSG:32633", transform=transform)
    install_fake(monkeypatch, corners, [0] * len(corners), DOTA_NAMES, True,
                 (rgb.shape[2], rgb.shape[1]), 160, 48)
    res = run_tool("detect_objects", {"image": str(image), "tile_size": 160, "overlap": 48},
                   workspace).result
    _, crs, world = back_to_pixels(res.path)
    assert crs == "EPSG:32633" and res.counts == {"plane": len(corners)}
    assert_same_boxes(to_pixels(world, transform), corners)


@pytest.mark.realdata
def test_neon_tile_round_trip(data_dir: Path, workspace: Workspace,
                              monkeypatch: pytest.MonkeyPatch, fake_weights: Path) -> None:
    image = data_dir / "detection" / "neon_trees" / "OSBS_029.tif"
    with (image.with_suffix(".csv")).open() as f:
        boxes = [[float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")] for r in csv.DictReader(f)]
    install_fake(monkeypatch, xyxy_corners(boxes), [0] * len(boxes), {0: "Tree"}, False,
                 (400, 400), 256, 64)
    res = run_tool("detect_objects", {"image": str(image), "tile_size": 256, "overlap": 64},
                   workspace).result
    feats, crs, world = back_to_pixels(res.path)
    assert crs == "EPSG:32617" and res.counts == {"tree": len(boxes)}
    with rasterio.open(image) as src:
        assert_same_boxes(to_pixels(world, src.transform), xyxy_corners(boxes))
        px = abs(src.transform.a)
    b0 = boxes[0]
    area = next(f["properties"]["area_m2"] for f in feats
                if f["properties"]["pixel_box"] == b0)
    assert area == pytest.approx((b0[2] - b0[0]) * (b0[3] - b0[1]) * px * px, rel=1e-6)


@pytest.mark.realdata
def test_cli_end_to_end_random_yolo(data_dir: Path, tmp_path: Path, random_obb_weights: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.main import main

    image = data_dir / "detection" / "neon_trees" / "OSBS_029.tif"
    args = {"image": str(image), "model": str(random_obb_weights), "tile_size": 320,
            "overlap": 64, "min_confidence": 0.05}
    assert main(["run-tool", "detect_objects", "--json", "--workspace", str(tmp_path / "ws"),
                 "--args", json.dumps(args)]) == 0
    out = json.loads(capsys.readouterr().out)
    result = out["result"]
    assert result["model"]["weights"] == str(random_obb_weights.resolve())
    assert result["model"]["device"] == "cpu" and result["model"]["oriented"] is True
    data = json.loads(Path(result["path"]).read_text())
    assert data["crs"]["properties"]["name"] == "EPSG:32617"
    assert sum(result["counts"].values()) == len(data["features"])
    # and by name through EARTHSIGHT_WEIGHTS_DIR, once imported under the published name
    from specialists.runtime.model_import import import_weights

    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "weights"))
    imported = import_weights(random_obb_weights, name="yolo11n-obb")
    assert imported.path == tmp_path / "weights" / "yolo11n-obb.pt"
    run = run_tool("detect_objects", {"image": str(image), "tile_size": 320},
                   Workspace(tmp_path / "ws2"))
    assert run.result.model.name == "yolo11n-obb"


def test_models_command(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.main import main

    (tmp_path / "yolo11n.pt").write_bytes(b"x")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path))
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["yolo11n"]["present"] is True and "ship" in rows["yolo11n"]["classes"]
    assert {"yolo11n-obb", "sam_vit_b", "mobile_sam_vit_t"} <= set(rows)
    assert main(["models"]) == 0
    assert "yolo11n-obb" in capsys.readouterr().out
