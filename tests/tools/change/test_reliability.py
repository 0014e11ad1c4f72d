"""detect_changes: resampling is not change (identical data reprojected to another CRS), and
little overlap makes the changed area unreliable."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import from_origin
from rasterio.warp import Resampling

from tests.conftest import MakeTiff, write_tiff
from tests.tools.change.test_detect_changes import ORIGIN, SQUARE, _run, _scene
from tools.core.workspace import Workspace


def _reprojected(path: Path, dest: Path, crs: str, resampling: Resampling) -> Path:
    """``path`` reprojected to ``crs`` on the default grid (what gdalwarp -t_srs does)."""
    with rasterio.open(path) as src:
        transform, w, h = rasterio.warp.calculate_default_transform(
            src.crs, crs, src.width, src.height, *src.bounds)
        out = np.zeros((src.count, h, w), dtype=src.dtypes[0])
        rasterio.warp.reproject(src.read(), out, src_transform=src.transform, src_crs=src.crs,
                                dst_transform=transform, dst_crs=crs, resampling=resampling,
                                dst_nodata=0)
    return write_tiff(dest, out, crs=crs, transform=transform, nodata=0)


@pytest.mark.parametrize("resampling", [Resampling.nearest, Resampling.bilinear])
def test_identical_scene_in_another_crs_has_no_change(
        make_tiff: MakeTiff, rng: np.random.Generator, tmp_path: Path, workspace: Workspace,
        resampling: Resampling) -> None:
    """Before: 10 m UTM; after: the same pixels reprojected to EPSG:4326. Without the
    resampling tolerance CVA called 26 % (nearest) and 36 % (bilinear) of it changed."""
    before = make_tiff("before.tif", _scene(rng))
    after = _reprojected(before, tmp_path / "after_4326.tif", "EPSG:4326", resampling)
    r = _run(workspace, before=str(before), after=str(after))
    assert r.reprojected and r.resampling_tolerance_px == 3  # 4326 pixels: 1.2 x 1 UTM px
    assert r.changed_share.value < 1.0
    assert r.valid_area.value > 0.9 * 300 * 280 * 100 / 1e4
    assert any("what resampling alone can produce" in w for w in r.warnings)


def test_real_change_survives_the_tolerance(make_tiff: MakeTiff, rng: np.random.Generator,
                                            tmp_path: Path, workspace: Workspace) -> None:
    before = make_tiff("before.tif", _scene(rng))
    changed = make_tiff("changed.tif", _scene(rng, square=SQUARE))
    after = _reprojected(changed, tmp_path / "after_4326.tif", "EPSG:4326", Resampling.nearest)
    r = _run(workspace, before=str(before), after=str(after))
    square_share = 100 * 60 * 80 / (300 * 280)
    assert r.changed_share.value == pytest.approx(square_share, rel=0.1)
    assert r.reliability is not None and r.reliability.reliable


@pytest.mark.realdata
@pytest.mark.parametrize("resampling", [Resampling.nearest, Resampling.bilinear])
def test_real_tile_reprojected_has_no_change(data_dir: Path, tmp_path: Path,
                                             workspace: Workspace,
                                             resampling: Resampling) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(data_dir / "change/levir_cd/A/test_102_0512_0000.png") as src:
            pixels = src.read()
    before = write_tiff(tmp_path / "before.tif", pixels, crs="EPSG:32650",
                        transform=from_origin(*ORIGIN, 0.5, 0.5))
    after = _reprojected(before, tmp_path / "after.tif", "EPSG:4326", resampling)
    r = _run(workspace, before=str(before), after=str(after))
    print(f"\nLEVIR tile reprojected ({resampling.name}): changed {r.changed_share}")
    assert r.changed_share.value < 1.0


def test_little_overlap_is_unreliable(make_tiff: MakeTiff, rng: np.random.Generator,
                                      workspace: Workspace) -> None:
    world = _scene(rng, (300, 600))
    before = make_tiff("before.tif", world[:, :, :280])
    after = make_tiff("after.tif", world[:, :, 200:480],
                      transform=from_origin(ORIGIN[0] + 2000, ORIGIN[1], 10, 10))
    r: Any = _run(workspace, before=str(before), after=str(after), threshold=30.0)
    assert r.reliability is not None and r.reliability.reliable is False
    assert r.reliability.diagnostics["valid_share_pct"] == pytest.approx(100 * 80 / 280)
    assert r.reliability.reasons == ["only 29 % of the before scene has valid pixels in both "
                                     "scenes"]
    assert r.summary.startswith("unreliable: only 29 %")
