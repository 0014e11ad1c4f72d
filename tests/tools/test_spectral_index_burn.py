"""spectral_index dNBR: a pre-/post-fire pair, USGS FIREMON classes and their areas, burned area,
the pre-fire scene on another grid, argument rules, tiling, and real Landsat-8 pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds, from_origin
from rasterio.warp import calculate_default_transform, reproject, transform_bounds

from tools import InputError, run_tool
from tools.core.workspace import Workspace
from tools.spectral_index import SpectralIndexOutput

MakeTiff = Any
# dNBR of each class block (unscaled) and the block widths (columns of 10 rows, 10 m pixels)
TARGETS = [-0.40, -0.20, 0.00, 0.20, 0.35, 0.55, 0.80]
WIDTHS = [2, 3, 4, 5, 6, 7, 8]
PRE_NIR, PRE_SWIR2 = 0.4, 0.2  # NBR 1/3
NAMES = ["nir", "swir2"]
LANDSAT = Path("multispectral") / "landsat8_LC08_232066_20190727.tif"


def _run(workspace: Workspace, **args: Any) -> SpectralIndexOutput:
    result = run_tool("spectral_index", args, workspace).result
    assert isinstance(result, SpectralIndexOutput)
    return result


def _art(result: SpectralIndexOutput, name: str) -> str:
    art = next(a for a in result.artifacts if a.name == name)
    assert art.path is not None
    return art.path


def _read(path: str) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.asarray(src.read(1))


def _post() -> np.ndarray:
    """NIR / SWIR2 of the post-fire scene: NBR 1/3 - target in each block (sum 0.6)."""
    cols = np.concatenate([[1 / 3 - t] * w for t, w in zip(TARGETS, WIDTHS, strict=True)])
    n = np.tile(cols, (10, 1))
    return np.stack([0.3 * (1 + n), 0.3 * (1 - n)]).astype(np.float32)


def _pre(shape: tuple[int, int] = (10, sum(WIDTHS))) -> np.ndarray:
    return np.stack([np.full(shape, PRE_NIR, np.float32), np.full(shape, PRE_SWIR2, np.float32)])


def _pair(make_tiff: MakeTiff) -> tuple[Path, Path]:
    pre = _pre()
    pre[:, 0:2, 0:2] = np.nan  # 4 pixels without a pre-fire value (class 1 block)
    return (make_tiff("pre.tif", pre, descriptions=NAMES),
            make_tiff("post.tif", _post(), descriptions=NAMES))


def test_dnbr_classes_areas_and_burned_area_of_a_known_pair(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    pre, post = _pair(make_tiff)
    r = _run(workspace, image=str(post), before=str(pre), index="dNBR")
    pixels = [w * 10 for w in WIDTHS]
    pixels[0] -= 4
    assert [s.pixels for s in r.severity] == pixels  # [16, 30, 40, 50, 60, 70, 80]
    nums = r.numbers()
    keys = ["regrowth_high", "regrowth_low", "unburned", "low", "moderate_low",
            "moderate_high", "high"]
    for key, px, sev in zip(keys, pixels, r.severity, strict=True):
        assert nums[f"area_{key}"].unit == "ha"
        assert nums[f"area_{key}"].value == pytest.approx(px * 100 / 10_000)  # 100 m² a pixel
        assert sev.area_ha is not None and sev.area_ha.value == pytest.approx(px / 100)
        assert sev.share_pct.value == pytest.approx(100 * px / 346)
    assert nums["burned_area"].value == pytest.approx(2.6) and nums["burned_area"].unit == "ha"
    assert nums["area"].value == pytest.approx(2.6)  # the mask: dNBR >= 0.1 by default
    assert r.threshold is not None and r.threshold.value == 0.1
    assert r.threshold_source is not None and r.threshold_source.startswith("default")
    assert r.area_share_pct is not None and r.area_share_pct.value == pytest.approx(26000 / 346)
    assert "burned area (dNBR ≥ 0.1, default: Key & Benson 2006" in r.summary
    assert "2.60 ha" in r.summary and "high severity 0.8 ha (23.1 %)" in r.summary
    assert r.before == str(pre) and r.valid_pixels == 346

    d = _read(_art(r, "dnbr"))
    assert np.isnan(d[0:2, 0:2]).all()
    expected = np.concatenate([[t] * w for t, w in zip(TARGETS, WIDTHS, strict=True)])
    np.testing.assert_allclose(d[5], expected, atol=1e-6)
    classes = _read(_art(r, "dnbr_severity"))
    assert (classes[0:2, 0:2] == 255).all()
    np.testing.assert_array_equal(classes[5], np.repeat(np.arange(1, 8), WIDTHS))
    mask = _read(_art(r, "dnbr_mask"))
    assert ((mask == 1) == (classes >= 4) & (classes <= 7)).all()
    with rasterio.open(_art(r, "dnbr_severity")) as src, rasterio.open(post) as ref:
        assert src.crs == ref.crs and src.transform == ref.transform
        assert src.dtypes[0] == "uint8" and src.nodata == 255
        assert src.colormap(1)[7] == (164, 31, 214, 255)
        tags = src.tags()
        assert tags["class_4"] == "low severity: dNBR 0.10 to < 0.27"
        assert "Key & Benson 2006" in tags["source"]


def test_given_threshold_masks_it_and_burned_area_stays_usgs(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    pre, post = _pair(make_tiff)
    r = _run(workspace, image=str(post), before=str(pre), index="dNBR", threshold=0.3)
    assert r.threshold_source == "given"
    assert r.numbers()["area"].value == pytest.approx((60 + 70 + 80) / 100)  # 0.35, 0.55, 0.8
    assert r.numbers()["burned_area"].value == pytest.approx(2.6)
    assert "dNBR ≥ 0.3:" in r.summary and "burned area (dNBR ≥ 0.1, USGS" in r.summary


def test_nbr_with_before_is_dnbr_and_argument_rules(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    pre, post = _pair(make_tiff)
    r = _run(workspace, image=str(post), before=str(pre), index="NBR")
    assert r.index == "dNBR" and r.warnings[0].startswith("index NBR with a before scene")
    for args, word in (({"index": "dNBR"}, "before: dNBR needs the pre-fire scene"),
                       ({"index": "dNBR", "before": str(pre), "below": True}, "below:")):
        with pytest.raises(InputError, match=word):
            _run(workspace, image=str(post), **args)


def _bounds_4326(path: Path) -> tuple[float, float, float, float]:
    with rasterio.open(path) as src:
        left, bottom, right, top = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    return left, bottom, right, top


def test_pre_fire_scene_on_another_grid_is_warped_onto_the_post_grid(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    post = make_tiff("post.tif", _post(), descriptions=NAMES)
    left, bottom, right, top = _bounds_4326(post)
    pad = 0.001  # degrees: the pre-fire scene covers more than the post-fire one
    pre = make_tiff("pre4326.tif", _pre((60, 80)), descriptions=NAMES, crs="EPSG:4326",
                    transform=from_bounds(left - pad, bottom - pad, right + pad, top + pad,
                                          80, 60))
    r = _run(workspace, image=str(post), before=str(pre), index="dNBR")
    assert any("warped onto the image grid" in w for w in r.warnings)
    assert [s.pixels for s in r.severity] == [w * 10 for w in WIDTHS]  # constant pre: exact
    assert r.numbers()["burned_area"].value == pytest.approx(2.6)
    with rasterio.open(_art(r, "dnbr")) as src:
        assert src.crs.to_epsg() == 32633 and src.shape == (10, sum(WIDTHS))

    far = make_tiff("far.tif", _pre((10, 10)), descriptions=NAMES,
                    transform=from_origin(700_000.0, 4_500_000.0, 10.0, 10.0))
    written = sorted(workspace.root.glob("*tif")) + sorted(workspace.root.glob(".*"))
    with pytest.raises(InputError, match="share no pixel"):
        _run(workspace, image=str(post), before=str(far), index="dNBR")
    # the refused call left nothing (no half-written rasters, no temporaries)
    assert sorted(workspace.root.glob("*tif")) + sorted(workspace.root.glob(".*")) == written


def test_dnbr_tiled_equals_untiled(make_tiff: MakeTiff, workspace: Workspace,
                                   rng: np.random.Generator,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pre = make_tiff("p.tif", (rng.random((2, 40, 50)) * 0.5 + 0.01).astype(np.float32),
                    descriptions=NAMES, crs="EPSG:4326")
    post = make_tiff("q.tif", (rng.random((2, 40, 50)) * 0.5 + 0.01).astype(np.float32),
                     descriptions=NAMES, crs="EPSG:4326")
    runs = []
    for size in ("1024", "16"):
        monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", size)
        r = _run(workspace, image=str(post), before=str(pre), index="dNBR")
        runs.append((r, _read(_art(r, "dnbr_severity"))))
    (a, ca), (b, cb) = runs
    np.testing.assert_array_equal(ca, cb)
    for sa, sb in zip(a.severity, b.severity, strict=True):
        assert sa.pixels == sb.pixels and sa.area_ha is not None and sb.area_ha is not None
        assert sa.area_ha.value == pytest.approx(sb.area_ha.value, rel=1e-9)
    # geodesic areas (EPSG:4326): the classes add up to the valid area of the tally
    total = sum(s.area_ha.value for s in a.severity if s.area_ha is not None)
    share = a.numbers()["area_share"].value / 100
    assert a.numbers()["burned_area"].value == pytest.approx(total * share, rel=1e-9)


@pytest.mark.realdata
def test_real_landsat_pair_same_scene_warped_copy_and_a_burn_scar(
    data_dir: Path, workspace: Workspace, tmp_path: Path
) -> None:
    scene = data_dir / LANDSAT
    same = _run(workspace, image=str(scene), before=str(scene), index="dNBR")
    assert same.numbers()["burned_area"].value == 0.0
    unburned = same.severity[2]
    assert unburned.name == "unburned" and unburned.pixels == same.valid_pixels == 74730
    assert unburned.area_ha is not None and unburned.area_ha.value == pytest.approx(74730 * 0.09)

    with rasterio.open(scene) as src:
        raw = src.read()
        profile = src.profile
        # the pre-fire scene in lon/lat (another grid): dNBR stays near 0 almost everywhere
        dst_t, w, h = calculate_default_transform(src.crs, "EPSG:4326", src.width, src.height,
                                                  *src.bounds)
        warped = np.full((src.count, h, w), -9999, np.int16)
        reproject(raw, warped, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=dst_t, dst_crs="EPSG:4326", src_nodata=-9999, dst_nodata=-9999)
    lonlat = tmp_path / "pre_lonlat.tif"
    with rasterio.open(lonlat, "w", **{**profile, "crs": "EPSG:4326", "transform": dst_t,
                                       "width": w, "height": h}) as dst:
        dst.write(warped)
    moved = _run(workspace, image=str(scene), before=str(lonlat), index="dNBR")
    assert any("warped onto the image grid" in m for m in moved.warnings)
    assert moved.severity[2].share_pct.value > 90.0  # resampling alone is not fire

    # a burn scar: NIR (band 4) halved and SWIR2 (band 6) doubled in a block of the real scene
    post = raw.copy()
    block = (slice(100, 160), slice(150, 250))
    ok = (raw[3][block] != -9999) & (raw[5][block] != -9999)
    post[3][block] = np.where(ok, raw[3][block] // 2, raw[3][block])
    post[5][block] = np.where(ok, np.minimum(raw[5][block] * 2, 10000), raw[5][block])
    burnt = tmp_path / "post.tif"
    with rasterio.open(burnt, "w", **profile) as dst:
        dst.write(post)
    r = _run(workspace, image=str(burnt), before=str(scene), index="dNBR")
    nir0, sw0 = raw[3].astype(np.float64), raw[5].astype(np.float64)
    nir1, sw1 = post[3].astype(np.float64), post[5].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        hand = (nir0 - sw0) / (nir0 + sw0) - (nir1 - sw1) / (nir1 + sw1)
    valid = (raw[3] != -9999) & (raw[5] != -9999) & np.isfinite(hand)
    edges = np.array([-0.25, -0.10, 0.10, 0.27, 0.44, 0.66])
    hand_classes = np.searchsorted(edges, np.where(valid, hand, 0), side="right") + 1
    classes = _read(_art(r, "dnbr_severity"))
    clear = valid & (np.abs(hand[..., None] - edges).min(axis=-1) > 1e-5)
    np.testing.assert_array_equal(classes[clear], hand_classes[clear])
    burned_px = int(((hand >= 0.1) & valid).sum())
    assert burned_px > 1000  # the block burned
    assert r.numbers()["burned_area"].value == pytest.approx(burned_px * 0.09, rel=1e-3)


def test_pair_without_crs_gives_pixels_and_dnbr_beyond_the_table_is_flagged(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    pre = _pre((6, 6))
    post = np.stack([np.full((6, 6), 0.3, np.float32), np.full((6, 6), 0.3, np.float32)])
    pre[:, :2, :3] = np.array([0.95, 0.05], np.float32)[:, None, None]   # NBR 0.9
    post[:, :2, :3] = np.array([0.2, 0.8], np.float32)[:, None, None]    # NBR -0.6: dNBR 1.5
    a = make_tiff("a.tif", pre, descriptions=NAMES, crs=None)
    b = make_tiff("b.tif", post, descriptions=NAMES, crs=None)
    r = _run(workspace, image=str(b), before=str(a), index="dNBR")
    nums = r.numbers()
    assert "burned_area" not in nums and "area_high" not in nums
    assert nums["pixels_high"].value == 6 and nums["burned_pixels"].value == 36
    assert nums["pixels_moderate_low"].value == 30  # NBR 1/3 before, 0 after: dNBR 0.333
    assert r.severity[6].area_ha is None and r.severity[6].share_pct.value == pytest.approx(
        100 * 6 / 36)
    assert any("no CRS" in w for w in r.warnings)
    flagged = [w for w in r.warnings if "outside the USGS table" in w]
    assert len(flagged) == 1 and flagged[0].startswith("6 valid pixels")
    assert "6 pixels" in r.summary
