"""spectral_index with ``before`` for an index other than NBR: its change between two dates,
d<INDEX> = INDEX(before) - INDEX(image), the mask of a drop (or a rise) and its area, the before
scene on another grid, tiling, and the argument rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds
from rasterio.warp import transform_bounds

from tools import InputError, run_tool
from tools.core.workspace import Workspace
from tools.spectral_index import SpectralIndexOutput

MakeTiff = Any
NAMES = ["red", "nir"]
SHAPE = (10, 20)


def _run(workspace: Workspace, **args: Any) -> SpectralIndexOutput:
    result = run_tool("spectral_index", args, workspace).result
    assert isinstance(result, SpectralIndexOutput)
    return result


def _read(result: SpectralIndexOutput, name: str) -> np.ndarray:
    art = next(a for a in result.artifacts if a.name == name)
    assert art.path is not None
    with rasterio.open(art.path) as src:
        return np.asarray(src.read(1))


def _bands(red: float, nir: float, shape: tuple[int, int] = SHAPE) -> np.ndarray:
    return np.stack([np.full(shape, red, np.float32), np.full(shape, nir, np.float32)])


def _pair(make_tiff: MakeTiff) -> tuple[Path, Path]:
    """Before: NDVI 2/3 everywhere. After: columns 0-9 unchanged, 10-14 bare (NDVI 0: a drop of
    2/3), 15-19 NDVI 0.5 (a drop of 1/6)."""
    after = _bands(0.1, 0.5)
    after[:, :, 10:15] = 0.3
    after[0, :, 15:] = 0.1
    after[1, :, 15:] = 0.3
    return (make_tiff("before.tif", _bands(0.1, 0.5), descriptions=NAMES),
            make_tiff("after.tif", after, descriptions=NAMES))


def test_ndvi_drop_of_a_known_pair_and_its_area(make_tiff: MakeTiff,
                                                 workspace: Workspace) -> None:
    before, after = _pair(make_tiff)
    r = _run(workspace, image=str(after), before=str(before), index="NDVI", threshold=0.3)
    assert r.index == "dNDVI" and r.before == str(before)
    assert r.formula.startswith("NDVI(before) - NDVI(image)")
    d = _read(r, "dndvi")
    np.testing.assert_allclose(d[:, :10], 0.0, atol=1e-6)
    np.testing.assert_allclose(d[:, 10:15], 2 / 3, atol=1e-6)
    np.testing.assert_allclose(d[:, 15:], 2 / 3 - 0.5, atol=1e-6)
    mask = _read(r, "dndvi_mask")
    assert int((mask == 1).sum()) == 50 and bool((mask[:, 10:15] == 1).all())
    assert r.mask_pixels == 50 and r.area_ha is not None
    assert r.area_ha.value == pytest.approx(50 * 100 / 10_000)  # 10 m pixels
    nums = r.numbers()
    assert nums["area"].unit == "ha" and nums["mean"].unit == "index difference"
    assert nums["mean"].value == pytest.approx((50 * 2 / 3 + 50 * (2 / 3 - 0.5)) / 200, rel=1e-5)
    assert "positive where NDVI dropped" in r.summary
    assert "dNDVI ≥ 0.3 (NDVI dropped by at least 0.3)" in r.summary
    with rasterio.open(next(a.path for a in r.artifacts if a.name == "dndvi")) as src:
        assert src.crs.to_epsg() == 32633


def test_a_rise_of_at_least_the_threshold(make_tiff: MakeTiff, workspace: Workspace) -> None:
    before, after = _pair(make_tiff)  # read the other way round: NDVI rose where it dropped
    r = _run(workspace, image=str(before), before=str(after), index="NDVI", threshold=0.3,
             direction="rise")
    mask = _read(r, "dndvi_mask")
    assert int((mask == 1).sum()) == 50 and bool((mask[:, 10:15] == 1).all())
    assert "dNDVI ≤ -0.3 (NDVI rose by at least 0.3)" in r.summary
    under = _run(workspace, image=str(before), before=str(after), index="NDVI", threshold=-0.3,
                 below=True)  # the raw rule: a difference under -0.3
    assert under.mask_pixels == 50 and under.below
    with pytest.raises(InputError, match="below: not used with direction"):
        _run(workspace, image=str(before), before=str(after), index="NDVI", threshold=0.3,
             direction="rise", below=True)
    with pytest.raises(InputError, match="direction: only"):
        _run(workspace, image=str(before), index="NDVI", direction="rise")


def test_without_threshold_no_mask_and_the_argument_rules(make_tiff: MakeTiff,
                                                           workspace: Workspace) -> None:
    before, after = _pair(make_tiff)
    r = _run(workspace, image=str(after), before=str(before), index="NDVI")
    assert r.mask_pixels is None and not any(a.name == "dndvi_mask" for a in r.artifacts)
    with pytest.raises(InputError, match="no default for a change of NDVI"):
        _run(workspace, image=str(after), before=str(before), index="NDVI", threshold="default")
    red_only = make_tiff("red.tif", _bands(0.1, 0.5)[:1], descriptions=["red"])
    with pytest.raises(InputError, match="before"):
        _run(workspace, image=str(after), before=str(red_only), index="NDVI")


def test_before_on_another_grid_is_warped_and_tiles_change_nothing(
        make_tiff: MakeTiff, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after = _pair(make_tiff)
    with rasterio.open(after) as src:
        left, bottom, right, top = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    pad = 0.001
    wide = make_tiff("before4326.tif", _bands(0.1, 0.5, (60, 80)), descriptions=NAMES,
                     crs="EPSG:4326", transform=from_bounds(left - pad, bottom - pad,
                                                            right + pad, top + pad, 80, 60))
    warped = _run(workspace, image=str(after), before=str(wide), index="NDVI", threshold=0.3)
    assert any("warped onto the image grid" in w and "dNDVI" in w for w in warped.warnings)
    assert warped.mask_pixels == 50  # a constant before scene warps exactly
    runs = []
    for size in ("1024", "8"):
        monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", size)
        runs.append(_read(_run(workspace, image=str(after), before=str(before), index="NDVI",
                               threshold=0.3), "dndvi"))
    np.testing.assert_array_equal(runs[0], runs[1])
