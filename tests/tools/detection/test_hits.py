"""detect_objects on a search_images result: only the slices touching the hit windows are read,
boxes stay in each hit scene's CRS (one GeoJSON per CRS), other result kinds are refused."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import rasterio

from specialists.detection.slicing import Detections
from specialists.tiling import Window, slice_windows
from tests.conftest import MakeTiff
from tests.tools.detection.test_detect_objects import (
    DOTA_NAMES,
    assert_same_boxes,
    back_to_pixels,
    install_fake,
    patch_loader,
    to_pixels,
    xyxy_corners,
)
from tools.catalog import run_tool
from tools.clip.classify_search import Hit, SearchImagesInput, SearchImagesOutput
from tools.core.errors import InputError
from tools.core.registry import ToolContext, run_record, tool_record
from tools.core.workspace import Workspace
from tools.detection.inputs import touching
from tools.geo.raster import crs_to_str

HITS: list[Hit] = []
"""What the fake search_images returns (set by each test)."""


@tool_record(SearchImagesInput, SearchImagesOutput)
def search_images(args: SearchImagesInput, ctx: ToolContext) -> SearchImagesOutput:
    """A stand-in search_images that returns :data:`HITS` (written by the real registry)."""
    return SearchImagesOutput(summary=f"{len(HITS)} hits for {args.query}.", hits=list(HITS))


def make_hit(rank: int, scene: Path, window: Sequence[int], score: float = 0.3) -> Hit:
    with rasterio.open(scene) as src:
        col, row, width, height = window
        left, top = src.transform * (col, row)
        right, bottom = src.transform * (col + width, row + height)
        return Hit(rank=rank, score=score, scene=str(scene), window=list(window),
                   bounds=[left, bottom, right, top], crs=crs_to_str(src.crs))


def search_result(hits: list[Hit], workspace: Workspace) -> str:
    """A real search_images result file (through run_record), as ``$s1`` resolves to."""
    HITS[:] = hits
    run = run_record(search_images, {"query": "airport", "archive": "archive"}, workspace,
                     step="s1")
    return str(run.result_path)


class BoxPerSlice:
    """A detector that finds one plane at slice pixels (10, 10)-(40, 30) in every slice."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, tiles: Sequence[np.ndarray]) -> list[Detections]:
        self.shapes += [t.shape for t in tiles]
        return [Detections.from_xyxy(np.array([[10, 10, 40, 30]]), np.array([0.8]),
                                     np.array([0])) for _ in tiles]


def install_box_per_slice(monkeypatch: pytest.MonkeyPatch) -> BoxPerSlice:
    fake = BoxPerSlice()
    patch_loader(monkeypatch, fake, DOTA_NAMES, False, default_batch=2)
    return fake


def test_only_slices_touching_hit_windows(make_tiff: MakeTiff, workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch,
                                          fake_weights: Path) -> None:
    width, height, tile, overlap = 1500, 900, 640, 128
    scene = make_tiff("mosaic.tif", np.full((3, height, width), 90, np.uint8), crs="EPSG:32633")
    hit_windows = [[0, 0, 224, 224], [1200, 600, 224, 224]]
    boxes = [[100, 100, 150, 130],     # in hit 1
             [1250, 650, 1300, 680],   # in hit 2
             [700, 100, 760, 140],     # in a slice no hit touches: never read
             [1000, 100, 1040, 130]]   # in a slice that is read, but outside every hit
    fake = install_fake(monkeypatch, xyxy_corners(boxes), [0, 0, 0, 0], DOTA_NAMES, False,
                        (width, height), tile, overlap)
    expected = touching(slice_windows(width, height, tile, overlap),
                        [Window(*w) for w in hit_windows])
    assert expected == [Window(0, 0, 640, 640), Window(860, 0, 640, 640),
                        Window(860, 260, 640, 640)]
    fake.windows = expected  # the fake checks each tile it gets against these, in order
    ref = search_result([make_hit(1, scene, hit_windows[0], 0.31),
                         make_hit(2, scene, hit_windows[1], 0.27)], workspace)
    res = run_tool("detect_objects", {"image": ref, "classes": ["plane"], "tile_size": tile,
                                      "overlap": overlap}, workspace, step="s2").result
    assert fake.seen == 3 and res.model is not None and res.model.slices == 3
    assert res.counts == {"plane": 2}
    feats, crs, world = back_to_pixels(res.path)
    assert crs == "EPSG:32633" and len(res.layers) == 1
    with rasterio.open(scene) as src:
        assert_same_boxes(to_pixels(world, src.transform), xyxy_corners(boxes[:2]))
    props = sorted((f["properties"] for f in feats), key=lambda p: p["hit_rank"])
    assert [p["hit_rank"] for p in props] == [1, 2]
    assert [p["hit_score"] for p in props] == [0.31, 0.27]
    assert all(p["scene"] == str(scene) for p in props)
    assert res.image == str(scene) and "2 search hit window(s) of 1 scene(s)" in res.summary


def test_scenes_in_two_crs_give_two_geojsons(make_tiff: MakeTiff, workspace: Workspace,
                                             monkeypatch: pytest.MonkeyPatch,
                                             fake_weights: Path,
                                             rng: np.random.Generator) -> None:
    utm = make_tiff("utm.tif", np.full((3, 300, 800), 90, np.uint8), crs="EPSG:32633")
    sar = make_tiff("sar.tif", rng.gamma(1.0, 0.05, (2, 300, 800)).astype(np.float32),
                    crs="EPSG:4326", descriptions=["VV", "VH"])
    fake = install_box_per_slice(monkeypatch)
    ref = search_result([make_hit(1, utm, [0, 0, 100, 40]), make_hit(2, sar, [0, 0, 100, 40])],
                        workspace)
    run = run_tool("detect_objects", {"image": ref, "tile_size": 256, "overlap": 64,
                                      "wgs84": True}, workspace, step="s2")
    res = run.result
    # 800 x 300 in 256 px slices stepping 192: the hit [0, 0, 100, 40] touches 1 of 8
    assert len(fake.shapes) == 2 and all(s == (256, 256, 3) for s in fake.shapes)
    assert res.counts == {"plane": 2} and res.model is not None and res.model.slices == 2
    assert [(la.crs, la.scenes, la.count) for la in res.layers] == [
        ("EPSG:32633", [str(utm)], 1), ("EPSG:4326", [str(sar)], 1)]
    for layer, scene in zip(res.layers, (utm, sar), strict=True):
        feats, crs, world = back_to_pixels(layer.path)
        assert crs == layer.crs and feats[0]["properties"]["scene"] == str(scene)
        with rasterio.open(scene) as src:
            assert_same_boxes(to_pixels(world, src.transform), xyxy_corners([[10, 10, 40, 30]]))
    vectors = {a.name: a for a in res.artifacts if a.kind == "vector"}
    assert vectors["objects_epsg32633"].crs == "EPSG:32633"
    assert vectors["objects_epsg4326"].crs == "EPSG:4326"
    assert "objects_epsg32633_wgs84" in vectors and "objects" not in vectors
    assert any("pseudo_rgb" in w for w in res.warnings)
    assert any("2 CRSs" in w for w in res.warnings)
    assert res.path == res.layers[0].path
    assert json.loads(run.result_path.read_text())["result"]["layers"][1]["crs"] == "EPSG:4326"


def test_no_hits_and_wrong_result_kind(make_tiff: MakeTiff, workspace: Workspace,
                                       monkeypatch: pytest.MonkeyPatch,
                                       fake_weights: Path) -> None:
    install_box_per_slice(monkeypatch)
    empty = run_tool("detect_objects", {"image": search_result([], workspace)},
                     workspace).result
    assert empty.counts == {} and empty.path is None and "no hits" in empty.warnings[0]
    scene = make_tiff("rgb.tif", np.zeros((3, 64, 64), np.uint8))
    other = run_tool("describe_raster", {"image": str(scene)}, workspace).result_path
    with pytest.raises(InputError, match=r"^image: .*describe_raster result; detect_objects "
                                         r"takes .*search_images"):
        run_tool("detect_objects", {"image": str(other)}, workspace)
    junk = workspace.root / "junk.json"
    junk.write_text("{}")
    with pytest.raises(InputError, match=r"image: .*not an EarthSight result.*search_images"):
        run_tool("detect_objects", {"image": str(junk)}, workspace)
