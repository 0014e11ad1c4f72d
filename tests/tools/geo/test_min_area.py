"""The minimum mapping unit of map_water and detect_changes: the written mask, the polygons and
the reported area agree, also for regions cut by tile borders (tiles of 64 px here), in a
projected and a geographic CRS; min_area_m2=0 leaves the mask as the method wrote it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

import tools.geo.min_area
from tests.conftest import MakeTiff
from tools import run_tool
from tools.change.detect_changes import DetectChangesOutput
from tools.core.workspace import BOOKKEEPING, Workspace
from tools.geo.area import pixel_area_rows_m2
from tools.measure import MeasureOutput
from tools.water.map_water import MapWaterOutput

SHAPE = (150, 200)
TILE = 64  # tile borders at rows 64, 128 and columns 64, 128
KEPT = {
    "big": (slice(10, 40), slice(10, 40)),  # 900 px
    "straddling, each half small": (slice(20, 26), slice(125, 131)),  # 18 + 18 px across 128
}
SMALL = {
    "left of a border": (slice(80, 84), slice(58, 62)),  # 16 px
    "right of a border": (slice(80, 84), slice(68, 72)),  # 16 px
    "straddling": (slice(100, 104), slice(62, 67)),  # 20 px across column 64
    "on a tile corner": (slice(126, 130), slice(126, 130)),  # 16 px across row and column 128
}
MIN_PIXELS = 25  # the minimum in pixels: every SMALL region is below, every KEPT one above
NODATA_BLOCK = (slice(140, 150), slice(0, 30))
CRSS = ["EPSG:32633", "EPSG:4326"]


def _truth(regions: dict[str, tuple[slice, slice]]) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    for rows, cols in regions.values():
        mask[rows, cols] = 1
    mask[NODATA_BLOCK] = 255
    return mask


def _water_scene(make_tiff: MakeTiff, crs: str) -> dict[str, Any]:
    """VV / VH in dB without speckle: land -8 / -15 dB, water -22 / -28 dB, a nodata block."""
    water = _truth({**KEPT, **SMALL}) == 1
    data = np.stack([np.where(water, -22.0, -8.0), np.where(water, -28.0, -15.0)])
    data[:, NODATA_BLOCK[0], NODATA_BLOCK[1]] = -9999.0
    path = make_tiff(f"s1_{crs[5:]}.tif", data.astype(np.float32), crs=crs, nodata=-9999.0,
                     descriptions=["VV", "VH"])
    return {"image": str(path), "method": "sar", "threshold": -15.0, "speckle_filter": False}


def _change_pair(make_tiff: MakeTiff, crs: str) -> dict[str, Any]:
    """Flat 3-band scenes; the regions are brighter by 80 after; before has a nodata block."""
    before = np.full((3, *SHAPE), 100, np.uint8)
    before[:, NODATA_BLOCK[0], NODATA_BLOCK[1]] = 0
    after = np.full((3, *SHAPE), 100, np.uint8)
    after[:, _truth({**KEPT, **SMALL}) == 1] = 180
    return {"before": str(make_tiff(f"before_{crs[5:]}.tif", before, crs=crs, nodata=0)),
            "after": str(make_tiff(f"after_{crs[5:]}.tif", after, crs=crs)),
            "method": "cva", "threshold": 50.0}


def _run(tool: str, args: dict[str, Any], ws: Workspace) -> tuple[float, float, int, int, Path]:
    """Run a tool; its area (m²), share (%), polygons, dropped regions and mask path."""
    result = run_tool(tool, args, ws).result
    if isinstance(result, MapWaterOutput):
        assert result.water_area_m2 is not None and result.water_share_pct is not None
        art = result.first("mask")
        assert art is not None and art.path is not None
        return (result.water_area_m2.value, result.water_share_pct.value, result.polygons,
                result.dropped_polygons, Path(art.path))
    assert isinstance(result, DetectChangesOutput)
    return (result.changed_area_m2.value, result.changed_share.value, result.polygons,
            result.dropped_polygons, Path(result.mask))


def _args(tool: str, make_tiff: MakeTiff, crs: str) -> dict[str, Any]:
    return (_water_scene if tool == "map_water" else _change_pair)(make_tiff, crs)


def _pixel_areas(path: Path) -> tuple[np.ndarray, np.ndarray, Any]:
    """The mask, the area in m² of each of its pixels, and its profile."""
    with rasterio.open(path) as src:
        rows = pixel_area_rows_m2(src.transform, src.crs, 0, src.height)
        return src.read(1), np.repeat(rows[:, None], src.width, axis=1), src


@pytest.mark.parametrize("crs", CRSS)
@pytest.mark.parametrize("tool", ["map_water", "detect_changes"])
def test_mask_agrees_with_reported_area_across_tile_borders(
    tool: str, crs: str, make_tiff: MakeTiff, workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    args = _args(tool, make_tiff, crs)
    with rasterio.open(args.get("image") or args["before"]) as src:
        pixel_m2 = float(pixel_area_rows_m2(src.transform, src.crs, 0, src.height).max())
    min_area = MIN_PIXELS * pixel_m2
    area, share, polygons, dropped, path = _run(tool, {**args, "min_area_m2": min_area},
                                                workspace)
    mask, px_m2, _ = _pixel_areas(path)
    np.testing.assert_array_equal(mask, _truth(KEPT))  # every small region is gone, nodata kept
    assert (polygons, dropped) == (len(KEPT), len(SMALL))
    assert area == pytest.approx(float(px_m2[mask == 1].sum()), rel=1e-9)
    assert share == pytest.approx(100 * area / float(px_m2[mask != 255].sum()), rel=1e-9)
    measured = run_tool("measure", {"source": str(path), "statistic": "area", "units": "m2"},
                        workspace).result
    assert isinstance(measured, MeasureOutput) and measured.value is not None
    assert measured.value == pytest.approx(area, rel=1e-9)
    with rasterio.open(path) as out:
        assert out.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert float(out.tags()["min_area_m2"]) == pytest.approx(min_area, rel=1e-5)
    assert not [p.name for p in workspace.root.rglob(".*")
                if p.name not in BOOKKEEPING]  # no staging file left behind


@pytest.mark.parametrize("tool", ["map_water", "detect_changes"])
def test_zero_min_area_leaves_the_mask_as_written(
    tool: str, make_tiff: MakeTiff, workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    args = _args(tool, make_tiff, "EPSG:32633")
    default = _run(tool, args, workspace)
    zero = _run(tool, {**args, "min_area_m2": 0}, workspace)
    assert zero[4].read_bytes() == default[4].read_bytes()  # bit-identical file
    mask, px_m2, _ = _pixel_areas(zero[4])
    np.testing.assert_array_equal(mask, _truth({**KEPT, **SMALL}))
    assert zero[:4] == default[:4] and zero[2:4] == (len(KEPT) + len(SMALL), 0)
    assert zero[0] == pytest.approx(float(px_m2[mask == 1].sum()), rel=1e-9)
    with rasterio.open(zero[4]) as out:
        assert "min_area_m2" not in out.tags()
    tiny = _run(tool, {**args, "min_area_m2": 1.0}, workspace)  # staged, nothing dropped
    np.testing.assert_array_equal(_pixel_areas(tiny[4])[0], mask)
    assert tiny[:4] == zero[:4]


def test_failed_publication_leaves_nothing(
    make_tiff: MakeTiff, workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    monkeypatch.setattr(tools.geo.min_area, "publish_cog", boom)
    for tool in ("map_water", "detect_changes"):
        with pytest.raises(RuntimeError, match="disk full"):
            run_tool(tool, {**_args(tool, make_tiff, "EPSG:32633"), "min_area_m2": 500.0},
                     workspace)
    assert not [p for p in workspace.root.rglob("*") if p.suffix == ".tif"]
