"""assess: map_water against the Sen1Floods11 hand label (IoU checked with plain numpy), known
confusion matrices, kappa, multi-class metrics, object matching, PNG labels, other grids,
polygons as reference, and errors that name the argument."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import from_origin
from shapely.geometry import box, mapping, shape

from tests.conftest import MakeTiff
from tools.assess import AssessOutput
from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.geo.vector import feature_collection

S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
LABEL = "sar/sen1floods11_Spain_7370579_LabelHand.tif"
X0, Y0 = 500_000.0, 4_000_000.0
PLAIN_PNG = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _assess(ws: Workspace, **args: Any) -> AssessOutput:
    result = run_tool("assess", args, ws).result
    assert isinstance(result, AssessOutput)
    return result


def _geojson(path: Path, feats: list[tuple[Any, dict[str, Any]]], crs: str = "EPSG:32633") -> str:
    fc = feature_collection([{"type": "Feature", "properties": p, "geometry": mapping(g)}
                             for g, p in feats], crs)
    path.write_text(json.dumps(fc), encoding="utf-8")
    return str(path)


def _png(path: Path, array: np.ndarray) -> str:
    with rasterio.open(path, "w", driver="PNG", width=array.shape[1], height=array.shape[0],
                       count=1, dtype="uint8") as dst:
        dst.write(array.astype(np.uint8), 1)
    return str(path)


@pytest.mark.realdata
def test_map_water_against_the_sen1floods11_hand_label(data_dir: Path,
                                                         workspace: Workspace) -> None:
    water = run_tool("map_water", {"image": str(data_dir / S1)}, workspace)
    out = _assess(workspace, result=str(water.result_path), reference=str(data_dir / LABEL))
    mask_art = water.result.first("mask")
    assert mask_art is not None and mask_art.path is not None
    with rasterio.open(mask_art.path) as m, rasterio.open(data_dir / LABEL) as lab:
        mask, label = m.read(1), lab.read(1)
        assert m.nodata == 255
    valid = (label != -1) & (mask != 255)  # -1: no-data of the hand label; 255: mask nodata
    pred, truth = (mask == 1) & valid, (label == 1) & valid
    iou = (pred & truth).sum() / (pred | truth).sum()
    print(f"\nmap_water vs hand label: {out.summary}")
    assert out.mode == "binary" and out.iou == pytest.approx(iou, abs=1e-6)
    assert out.numbers()["iou"].value == pytest.approx(iou, abs=1e-6)
    assert out.numbers()["iou"].unit == "1" and out.numbers()["kappa"].unit == "1"
    tp = int((pred & truth).sum())
    assert out.numbers()["true_positive_pixels"].value == tp
    assert out.pixels == int(valid.sum()) and out.pixels == 512 * 512 - 99
    assert "IoU 0.6300" in out.summary and "99 reference pixels ignored" in out.summary
    assert not out.warnings


@pytest.fixture
def known(make_tiff: MakeTiff, rng: np.random.Generator) -> tuple[Path, Path]:
    """Reference and result of 100 pixels: TP 20, FP 10, FN 5, TN 60, 3 reference pixels -1,
    2 result nodata (255) pixels, shuffled over a 10 x 10 grid."""
    ref = np.array([1] * 20 + [0] * 10 + [1] * 5 + [0] * 60 + [-1] * 3 + [1, 0])
    res = np.array([1] * 20 + [1] * 10 + [0] * 5 + [0] * 60 + [1, 0, 1] + [255, 255])
    order = rng.permutation(100)
    return (make_tiff("ref.tif", ref[order].reshape(10, 10).astype(np.int16)),
            make_tiff("res.tif", res[order].reshape(10, 10).astype(np.uint8), nodata=255))


@pytest.mark.parametrize("tile", ["1024", "3"])
def test_known_confusion_matrix_and_kappa(known: tuple[Path, Path], workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch, tile: str) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", tile)  # 3: 16 windows, same counts
    ref, res = known
    out = _assess(workspace, result=str(res), reference=str(ref))
    assert out.confusion_matrix == [[60, 10], [5, 20]] and out.pixels == 95
    assert out.iou == pytest.approx(20 / 35) and out.f1 == pytest.approx(40 / 55)
    assert out.precision == pytest.approx(20 / 30) and out.recall == pytest.approx(20 / 25)
    assert out.overall_accuracy == pytest.approx(80 / 95)
    po, pe = 80 / 95, (25 * 30 + 70 * 65) / 95**2  # reference 25 / 70, result 30 / 65
    assert out.kappa == pytest.approx((po - pe) / (1 - pe))
    nums = out.numbers()
    assert nums["false_positive_pixels"].value == 10 and nums["compared_pixels"].unit == "count"
    assert "3 reference pixels ignored" in out.summary and "2 result nodata" in out.summary
    table = out.first("table")
    assert table is not None and table.name == "confusion_matrix" and table.path is not None
    rows = list(csv.reader(Path(table.path).read_text(encoding="utf-8").splitlines()))
    assert rows == [["reference \\ result", "negative", "positive"],
                    ["negative", "60", "10"], ["positive", "5", "20"]]


def test_positive_and_ignore_values(make_tiff: MakeTiff, workspace: Workspace) -> None:
    ref = np.array([[0, 255, 255, 7], [255, 0, 0, 7]], dtype=np.uint8)  # 7: ignore
    res = np.array([[2, 1, 2, 2], [2, 2, 0, 1]], dtype=np.uint8)  # 2 = the class of interest
    out = _assess(workspace, result=str(make_tiff("a.tif", res)),
                  reference=str(make_tiff("b.tif", ref)), positive=[2, 255], ignore=[7])
    # compared: (0,2) FP, (255,1) FN, (255,2) TP, (255,2) TP, (0,2) FP, (0,0) TN
    assert out.confusion_matrix == [[1, 2], [1, 2]] and out.pixels == 6
    none = _assess(workspace, result=str(make_tiff("a.tif", res)),
                   reference=str(make_tiff("b.tif", ref)), ignore=[])
    assert none.pixels == 8 and none.confusion_matrix == [[1, 2], [0, 5]]  # non-zero: positive


def test_undefined_metrics_are_null_with_a_warning(make_tiff: MakeTiff,
                                                   workspace: Workspace) -> None:
    empty = make_tiff("empty.tif", np.zeros((8, 8), dtype=np.uint8))
    out = _assess(workspace, result=str(empty), reference=str(empty))
    assert out.iou is None and out.precision is None and out.overall_accuracy == 1.0
    assert "iou" not in out.numbers() and out.numbers()["overall_accuracy"].value == 1.0
    assert any(w.startswith("undefined (0 / 0) for these pixels: iou, f1, precision, recall")
               for w in out.warnings)
    assert "IoU n/a" in out.summary


def test_multiclass_per_class_metrics(make_tiff: MakeTiff, workspace: Workspace,
                                      rng: np.random.Generator) -> None:
    pairs = [(1, 1, 10), (1, 2, 2), (2, 2, 8), (2, 3, 4), (3, 3, 6), (3, 1, 1), (0, 0, 5)]
    ref = np.repeat([p[0] for p in pairs], [p[2] for p in pairs])
    res = np.repeat([p[1] for p in pairs], [p[2] for p in pairs])
    order = rng.permutation(36)
    ref_p = make_tiff("ref.tif", ref[order].reshape(6, 6).astype(np.uint8))
    res_p = make_tiff("res.tif", res[order].reshape(6, 6).astype(np.uint8))
    out = _assess(workspace, result=str(res_p), reference=str(ref_p),
                  classes={"1": "water", "2": "forest", "3": "urban"})
    assert out.mode == "multiclass" and out.labels == ["water", "forest", "urban"]
    assert out.confusion_matrix == [[10, 2, 0], [0, 8, 4], [1, 0, 6]] and out.pixels == 31
    assert any("5 pixel(s) hold values not listed" in w for w in out.warnings)
    water, forest, urban = (out.per_class[k] for k in ("water", "forest", "urban"))
    assert water.iou == pytest.approx(10 / 13) and forest.iou == pytest.approx(8 / 14)
    assert urban.iou == pytest.approx(6 / 11) and forest.recall == pytest.approx(8 / 12)
    assert urban.precision == pytest.approx(6 / 10) and water.f1 == pytest.approx(20 / 23)
    assert water.reference_pixels == 12 and urban.result_pixels == 10
    assert out.overall_accuracy == pytest.approx(24 / 31)
    assert out.mean_iou == pytest.approx((10 / 13 + 8 / 14 + 6 / 11) / 3)
    m = np.array(out.confusion_matrix, dtype=float)
    pe = float((m.sum(0) * m.sum(1)).sum()) / 31**2
    assert out.kappa == pytest.approx((24 / 31 - pe) / (1 - pe))
    nums = out.numbers()
    assert nums["iou_water"].value == pytest.approx(10 / 13) and nums["iou_water"].unit == "1"
    every = _assess(workspace, result=str(res_p), reference=str(ref_p), classes="all")
    assert every.labels == ["0", "1", "2", "3"] and every.pixels == 36
    assert every.per_class["0"].iou == 1.0 and not every.warnings
    with pytest.raises(InputError, match=r"^classes: key 'water'"):
        _assess(workspace, result=str(res_p), reference=str(ref_p), classes={"water": "1"})


def test_classes_all_refuses_a_continuous_raster(make_tiff: MakeTiff, workspace: Workspace,
                                                 rng: np.random.Generator) -> None:
    ref = make_tiff("ref.tif", rng.random((30, 30)).astype(np.float32))
    with pytest.raises(InputError, match=r"^classes: .*more than 256 distinct values"):
        _assess(workspace, result=str(ref), reference=str(ref), classes="all")


def test_object_matching_with_known_boxes(tmp_path: Path, workspace: Workspace) -> None:
    def b(x0: float, y0: float, x1: float, y1: float) -> Any:
        return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    reference = _geojson(tmp_path / "ref.geojson", [(b(0, 0, 10, 10), {}),
                                                    (b(20, 0, 30, 10), {}),
                                                    (b(40, 0, 50, 10), {})])
    result = _geojson(tmp_path / "res.geojson", [(b(0, 0, 10, 8), {}),  # IoU 0.8
                                                 (b(25, 0, 35, 10), {}),  # IoU 1/3
                                                 (b(100, 0, 110, 10), {})])
    out = _assess(workspace, result=result, reference=reference)
    assert out.mode == "objects" and out.objects is not None and out.iou is None
    o = out.objects
    assert (o.matched, o.missed, o.false) == (1, 2, 2) and o.mean_iou == pytest.approx(0.8)
    assert o.precision == pytest.approx(1 / 3) and o.recall == pytest.approx(1 / 3)
    assert out.numbers()["objects_missed"].unit == "count"
    loose = _assess(workspace, result=result, reference=reference, iou_threshold=0.3)
    assert loose.objects is not None and loose.objects.matched == 2
    assert loose.objects.mean_iou == pytest.approx((0.8 + 1 / 3) / 2)
    assert loose.objects.f1 == pytest.approx(4 / 6)
    table = next(a for a in loose.artifacts if a.name == "object_matches")
    assert table.path is not None
    rows = list(csv.DictReader(Path(table.path).read_text(encoding="utf-8").splitlines()))
    assert [r["status"] for r in rows] == ["matched", "matched", "false", "missed"]
    # with classes on both sides only objects of the same class match
    typed = _geojson(tmp_path / "typed.geojson", [(b(0, 0, 10, 8), {"class": "ship"}),
                                                  (b(20, 0, 30, 10), {"class": "boat"})])
    ref_typed = _geojson(tmp_path / "ref_typed.geojson", [(b(0, 0, 10, 10), {"class": "plane"}),
                                                          (b(20, 0, 30, 10), {"class": "ship"})])
    by_class = _assess(workspace, result=typed, reference=ref_typed)
    assert by_class.objects is not None and by_class.objects.matched == 1  # boat = ship
    assert by_class.objects.mean_iou == pytest.approx(1.0)


@PLAIN_PNG
def test_png_label_on_the_same_pixel_grid(make_tiff: MakeTiff, tmp_path: Path,
                                          workspace: Workspace) -> None:
    res = np.zeros((16, 20), dtype=np.uint8)
    res[2:10, 3:13] = 1  # 80 pixels
    label = np.zeros((16, 20), dtype=np.uint8)
    label[4:12, 3:13] = 255  # 80 pixels, 60 shared
    out = _assess(workspace, result=str(make_tiff("res.tif", res)),
                  reference=_png(tmp_path / "label.png", label))
    assert out.iou == pytest.approx(60 / 100) and out.pixels == 320
    assert any("compared pixel for pixel" in w for w in out.warnings)
    png_res = _assess(workspace, result=_png(tmp_path / "res.png", res),
                      reference=_png(tmp_path / "label.png", label))
    assert png_res.iou == pytest.approx(0.6) and not png_res.warnings
    stated = _assess(workspace, result=_png(tmp_path / "res.png", res),
                     reference=_png(tmp_path / "label.png", label), gsd=0.5)
    assert stated.iou == pytest.approx(0.6) and stated.pixels == 320


@PLAIN_PNG
def test_a_label_of_another_size_names_reference(make_tiff: MakeTiff, tmp_path: Path,
                                                 workspace: Workspace) -> None:
    res = make_tiff("res.tif", np.ones((16, 20), dtype=np.uint8))
    with pytest.raises(InputError, match=r"^reference: label\.png \(20x10 px\) is not on the "
                                         r"grid of res\.tif \(20x16 px\)"):
        _assess(workspace, result=str(res),
                reference=_png(tmp_path / "label.png", np.ones((10, 20), dtype=np.uint8)))


def test_a_reference_on_another_grid_is_reprojected(make_tiff: MakeTiff,
                                                    workspace: Workspace) -> None:
    res = np.zeros((20, 20), dtype=np.uint8)
    res[5:15, 5:15] = 1
    fine = np.zeros((50, 50), dtype=np.int16)  # 5 m pixels, 25 m further west and north
    fine[15:35, 15:35] = 1  # the same 100 m square
    fine[0, :] = -1
    ref = make_tiff("fine.tif", fine, transform=from_origin(X0 - 25, Y0 + 25, 5.0, 5.0))
    out = _assess(workspace, result=str(make_tiff("res.tif", res)), reference=str(ref))
    assert out.iou == 1.0 and out.kappa == 1.0 and out.pixels == 400
    assert any("reprojected onto the grid of res.tif with nearest neighbour" in w
               for w in out.warnings)
    small = make_tiff("small.tif", fine[15:35, 15:35], transform=from_origin(X0 + 50, Y0 - 50,
                                                                              5.0, 5.0))
    inside = _assess(workspace, result=str(make_tiff("res.tif", res)), reference=str(small))
    # outside the reference's footprint nothing is compared: only the 10 x 10 square
    assert inside.pixels == 100 and inside.confusion_matrix == [[0, 0], [0, 100]]


def test_reference_polygons_are_rasterised_on_the_result_grid(
        make_tiff: MakeTiff, tmp_path: Path, workspace: Workspace) -> None:
    res = np.zeros((20, 20), dtype=np.uint8)
    res[5:15, 5:15] = 1  # x 550..650, y 3_999_850..3_999_950
    mask = make_tiff("res.tif", res)
    square = box(X0 + 50, Y0 - 150, X0 + 150, Y0 - 50)
    half = box(X0 + 100, Y0 - 150, X0 + 200, Y0 - 50)  # 50 shared pixels of 150
    out = _assess(workspace, result=str(mask),
                  reference=_geojson(tmp_path / "sq.geojson", [(square, {})]))
    assert out.iou == 1.0 and out.mode == "binary"
    shifted = _assess(workspace, result=str(mask),
                      reference=_geojson(tmp_path / "half.geojson", [(half, {})]))
    assert shifted.iou == pytest.approx(50 / 150)
    in_lonlat = shape(rasterio.warp.transform_geom("EPSG:32633", "EPSG:4326", mapping(square)))
    lonlat = _geojson(tmp_path / "ll.geojson", [(in_lonlat, {})], crs="EPSG:4326")
    assert _assess(workspace, result=str(mask), reference=lonlat).iou == 1.0
    multi = _geojson(tmp_path / "multi.geojson", [(square, {"class": "water"}),
                                                  (half, {"value": 3})])
    classes = _assess(workspace, result=str(mask), reference=multi,
                      classes={"0": "land", "1": "water", "3": "other"})
    assert classes.confusion_matrix == [[250, 0, 0], [0, 50, 0], [50, 50, 0]]


def test_a_map_water_step_against_polygons_gives_pixels_and_objects(
        make_tiff: MakeTiff, tmp_path: Path, workspace: Workspace,
        rng: np.random.Generator) -> None:
    vv = np.full((40, 40), -8.0)
    vv[10:30, 10:30] = -22.0
    vh = vv - 7.0
    power = 10 ** (np.stack([vv, vh]) / 10) * rng.gamma(30.0, 1 / 30, size=(2, 40, 40))
    scene = make_tiff("s1_scene.tif", (10 * np.log10(power)).astype(np.float32),
                      descriptions=["VV", "VH"])
    water = run_tool("map_water", {"image": str(scene)}, workspace)
    lake = box(X0 + 100, Y0 - 300, X0 + 300, Y0 - 100)
    out = _assess(workspace, result=str(water.result_path),
                  reference=_geojson(tmp_path / "lake.geojson", [(lake, {})]))
    assert out.mode == "binary" and out.iou is not None and out.iou > 0.9
    assert out.objects is not None and out.objects.matched == 1 and out.objects.missed == 0


def test_a_result_without_mask_or_polygons_names_result(make_tiff: MakeTiff,
                                                        workspace: Workspace) -> None:
    scene = make_tiff("scene.tif", np.ones((3, 8, 8), dtype=np.uint8))
    described = run_tool("describe_raster", {"image": str(scene)}, workspace)
    with pytest.raises(InputError, match=r"^result: .*holds no mask, raster or polygons"):
        _assess(workspace, result=str(described.result_path), reference=str(scene))
    with pytest.raises(InputError, match=r"^reference: file not found"):
        _assess(workspace, result=str(scene), reference=str(scene.with_name("none.tif")))


def test_boxes_of_a_step_are_compared_on_the_grid_of_its_scene(
        make_tiff: MakeTiff, tmp_path: Path, workspace: Workspace) -> None:
    scene = make_tiff("scene.tif", np.zeros((3, 20, 20), dtype=np.uint8))  # 10 m pixels
    boxes = _geojson(tmp_path / "boxes.geojson", [(box(X0, Y0 - 100, X0 + 100, Y0), {})])
    call = {"tool": "detect_objects", "args": {"image": str(scene)}}
    step = tmp_path / "c001_detect_objects.json"  # a step that wrote boxes only, no mask
    step.write_text(json.dumps({"call": call, "result": {
        "summary": "1 object", "image": str(scene), "artifacts": [
            {"id": "c001-objects", "name": "objects", "kind": "vector", "path": boxes,
             "call": call}]}}), encoding="utf-8")
    truth = _geojson(tmp_path / "truth.geojson", [(box(X0, Y0 - 100, X0 + 50, Y0), {})])
    out = _assess(workspace, result=str(step), reference=truth)
    assert out.pixels == 400 and out.confusion_matrix == [[300, 50], [0, 50]]
    assert out.iou == pytest.approx(0.5) and out.precision == pytest.approx(0.5)
    assert out.objects is not None and out.objects.matched == 1
    assert out.objects.mean_iou == pytest.approx(0.5)
    assert "(detect_objects)" in out.summary
