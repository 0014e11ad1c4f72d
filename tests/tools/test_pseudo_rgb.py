"""Tests of the pseudo_rgb tool: grids, stretches, nodata, tiling, modes, errors, real data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from tools import InputError, run_tool
from tools.core.workspace import Workspace
from tools.pseudo_rgb import PseudoRgbOutput

MakeTiff = Any


def _run(workspace: Workspace, **args: Any) -> PseudoRgbOutput:
    result = run_tool("pseudo_rgb", args, workspace).result
    assert isinstance(result, PseudoRgbOutput)
    return result


def _read(path: str) -> tuple[np.ndarray, Any]:
    with rasterio.open(path) as src:
        return src.read(), src.profile | {"descriptions": src.descriptions}


def _sar_db(rng: np.random.Generator, shape: tuple[int, int] = (90, 110)) -> np.ndarray:
    """Dual-pol sigma0 in dB: two fields (land, water) with single-look speckle."""
    base = np.where(np.arange(shape[1]) < shape[1] // 2, 0.08, 0.004)[np.newaxis, :]
    vv = np.broadcast_to(base, shape) * rng.exponential(1.0, shape)
    vh = vv * 0.15 * rng.exponential(1.0, shape)
    db = 10 * np.log10(np.stack([vv, vh]))
    out: np.ndarray = np.clip(db, -45.0, 5.0).astype(np.float32)  # above to_db's -60 dB floor
    return out


def _rgb_files(workspace: Workspace) -> list[Path]:
    return sorted(p for p in workspace.root.glob("*") if p.suffix == ".tif")


def test_sar_dual_pol_grid_labels_nodata_and_stretch(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    db = _sar_db(rng)
    db[:, :10, :10] = np.nan
    db[1, 50, 50] = np.nan  # nodata in one band only
    transform = from_origin(400_000.0, 5_000_000.0, 20.0, 20.0)
    path = make_tiff("s1.tif", db, crs="EPSG:32631", transform=transform, nodata=float("nan"),
                     descriptions=["VV", "VH"])
    r = _run(workspace, image=str(path))
    rgb, prof = _read(r.path)
    assert rgb.shape == (3, 90, 110) and rgb.dtype == np.uint8
    assert prof["crs"].to_string() == "EPSG:32631" and prof["transform"] == transform
    assert prof["nodata"] == 0
    assert prof["descriptions"] == ("VV dB", "VH dB", "VV-VH dB")
    assert (r.mode_used, r.input_scale, r.image) == ("sar", "dB", str(path))
    assert r.bands_used == ["VV dB", "VH dB", "VV-VH dB"] and r.source_bands == [1, 2]
    assert (rgb[:, :10, :10] == 0).all() and (rgb[:, 50, 50] == 0).all()
    valid = np.isfinite(db).all(axis=0)
    assert (rgb[:, valid] >= 1).all()
    assert r.valid_fraction == pytest.approx(valid.mean())
    ratio = db[0] - db[1]
    for stretch, band in zip(r.stretch_ranges, [db[0], db[1], ratio], strict=True):
        assert stretch.unit == "dB"
        p2, p98 = np.percentile(band[valid], [2, 98])
        assert stretch.low == pytest.approx(p2, abs=0.05)
        assert stretch.high == pytest.approx(p98, abs=0.05)
    art = r.first("raster")
    assert art is not None and art.name == "rgb" and art.crs == "EPSG:32631"
    assert art.transform == list(transform)[:6]


def test_sar_linear_input_is_detected_and_matches_db(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    db = _sar_db(rng)
    p_db = make_tiff("db.tif", db, descriptions=["VV", "VH"])
    p_lin = make_tiff("lin.tif", (10 ** (db / 10)).astype(np.float32), descriptions=["VV", "VH"])
    r_db, r_lin = _run(workspace, image=str(p_db)), _run(workspace, image=str(p_lin))
    assert (r_db.input_scale, r_lin.input_scale) == ("dB", "linear")
    a, b = _read(r_db.path)[0], _read(r_lin.path)[0]
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_sar_speckle_filter_smooths(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = make_tiff("s1.tif", _sar_db(rng), descriptions=["VV", "VH"])
    raw = _run(workspace, image=str(path))
    lee = _run(workspace, image=str(path), speckle_filter=True)
    assert raw.speckle_looks is None and lee.speckle_looks is not None
    assert 0.5 < lee.speckle_looks < 3.0  # single-look speckle
    # the filtered stretch is tighter: less speckle spread in the VV dB percentiles
    assert (lee.stretch_ranges[0].high - lee.stretch_ranges[0].low
            < raw.stretch_ranges[0].high - raw.stretch_ranges[0].low)


def test_single_pol_is_grey_and_pol_from_file_name(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = make_tiff("S1A_IW_VV_grd.tif", _sar_db(rng)[0], nodata=-99.0)
    r = _run(workspace, image=str(path))
    rgb = _read(r.path)[0]
    assert r.bands_used == ["VV dB"] * 3
    assert (rgb[0] == rgb[1]).all() and (rgb[1] == rgb[2]).all()
    assert any("file name" in w for w in r.warnings)


@pytest.mark.parametrize("args", [
    {"mode": "sar", "speckle_filter": True},
    {"mode": "multispectral"},
    {"mode": "pca"},
    {"mode": "multispectral", "stretch": "minmax"},
])
def test_tiled_equals_untiled(
    args: dict[str, Any], make_tiff: MakeTiff, tmp_path: Path, rng: np.random.Generator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if args["mode"] == "sar":
        data = _sar_db(rng, (150, 170))
        names = ["VV", "VH"]
    else:  # float reflectance-like stack: moments pass, then histogram
        data = rng.gamma(2.0, 0.05, (6, 150, 170)).astype(np.float32)
        data[:, 40:60, 100:130] = np.nan
        names = ["blue", "green", "red", "nir", "swir1", "swir2"]
    path = make_tiff("scene.tif", data, nodata=float("nan"), descriptions=names)
    outputs = []
    for size in ("1024", "48"):
        monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", size)
        r = _run(Workspace(tmp_path / f"ws{size}"), image=str(path), **args)
        outputs.append((_read(r.path)[0], r))
    (big, r_big), (small, r_small) = outputs
    for a, b in zip(r_big.stretch_ranges, r_small.stretch_ranges, strict=True):
        assert a.low == pytest.approx(b.low, rel=1e-9, abs=1e-9)
        assert a.high == pytest.approx(b.high, rel=1e-9, abs=1e-9)
    diff = np.abs(big.astype(int) - small.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_multispectral_presets_sentinel2(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    names = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
    data = (rng.integers(1, 4000, (13, 40, 50))).astype(np.int16)
    path = make_tiff("s2.tif", data, nodata=0, descriptions=names)
    r = _run(workspace, image=str(path), composite="false_color")
    assert r.mode_used == "multispectral" and r.source_bands == [8, 4, 3]
    assert r.bands_used == ["B8 (nir, 842 nm)", "B4 (red, 665 nm)", "B3 (green, 560 nm)"]
    assert r.stretch_ranges[0].unit == "DN"
    lo = np.percentile(data[7], 2, method="inverted_cdf")
    assert r.stretch_ranges[0].low == lo  # integer histogram: exact
    assert _run(workspace, image=str(path), composite="swir").source_bands == [13, 8, 4]
    assert _run(workspace, image=str(path)).source_bands == [4, 3, 2]


def test_multispectral_unnamed_bands_warn_about_assumption(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = make_tiff("l8.tif", rng.integers(1, 3000, (6, 30, 30)).astype(np.int16))
    r = _run(workspace, image=str(path))
    assert r.source_bands == [3, 2, 1]
    assert any("Landsat-8" in w for w in r.warnings)


def _hsi_tiff(make_tiff: MakeTiff, rng: np.random.Generator, tags: bool = True) -> Path:
    wl = np.linspace(400.0, 2500.0, 40)
    data = rng.gamma(2.0, 0.1, (40, 30, 35)).astype(np.float32)
    band_tags = [{"wavelength": f"{w:.1f}", "wavelength_units": "nm"} for w in wl]
    return Path(make_tiff("cube.tif", data, band_tags=band_tags if tags else None))


def test_hsi_nearest_wavelengths_and_overrides(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = _hsi_tiff(make_tiff, rng)
    wl = np.linspace(400.0, 2500.0, 40)
    expected = [int(np.argmin(np.abs(wl - t))) + 1 for t in (640, 550, 470)]
    r = _run(workspace, image=str(path))
    assert r.mode_used == "hsi" and r.source_bands == expected
    assert r.wavelengths_nm == pytest.approx([wl[i - 1] for i in expected], abs=0.1)
    r = _run(workspace, image=str(path), wavelengths_nm=[860, 650, 560])
    assert r.source_bands == [int(np.argmin(np.abs(wl - t))) + 1 for t in (860, 650, 560)]
    assert _run(workspace, image=str(path), bands=[10, 5, 1]).source_bands == [10, 5, 1]
    rec = _run(workspace, image=str(path), mode="recombine", group=2)
    assert rec.source_bands == [9, 8, 7] and rec.mode_used == "recombine"


def test_hsi_without_wavelengths_falls_back_to_pca(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = _hsi_tiff(make_tiff, rng, tags=False)
    r = _run(workspace, image=str(path), mode="hsi")
    assert r.mode_used == "pca" and r.bands_used[0].startswith("PC1")
    assert any("principal components" in w for w in r.warnings)


def test_stretch_minmax_and_none(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    data = rng.integers(0, 256, (3, 20, 25)).astype(np.uint8)
    path = make_tiff("rgb.tif", data)
    r = _run(workspace, image=str(path), stretch="minmax")
    assert [(s.low, s.high) for s in r.stretch_ranges] == [
        (float(b.min()), float(b.max())) for b in data]
    r = _run(workspace, image=str(path), stretch="none")
    assert r.mode_used == "rgb"
    assert (_read(r.path)[0] == np.maximum(data, 1)).all()


def test_panchromatic_band_is_replicated(make_tiff: MakeTiff, workspace: Workspace) -> None:
    data = np.arange(400, dtype=np.uint16).reshape(20, 20)
    r = _run(workspace, image=str(make_tiff("pan.tif", data)))
    rgb = _read(r.path)[0]
    assert r.source_bands == [1, 1, 1] and (rgb[0] == rgb[2]).all()


@pytest.mark.parametrize(("args", "match"), [
    ({"bands": [1, 2, 9]}, "bands"),
    ({"mode": "recombine", "group": 5}, "group"),
    ({"wavelengths_nm": [640, 550, 470]}, "wavelengths_nm"),
    ({"mode": "pca", "bands": [1, 2, 3]}, "bands"),
    ({"composite": "swir"}, "composite"),
])
def test_bad_arguments_name_the_argument_and_write_nothing(
    args: dict[str, Any], match: str, make_tiff: MakeTiff, workspace: Workspace,
    rng: np.random.Generator,
) -> None:
    path = make_tiff("x.tif", rng.integers(1, 255, (4, 10, 10)).astype(np.uint8))
    with pytest.raises(InputError, match=match):
        _run(workspace, image=str(path), **args)
    assert _rgb_files(workspace) == []
    assert not list(workspace.root.glob(".*tif"))


def test_missing_file_and_all_nodata(make_tiff: MakeTiff, workspace: Workspace) -> None:
    with pytest.raises(InputError, match="not found"):
        _run(workspace, image="/nonexistent/scene.tif")
    empty = make_tiff("empty.tif", np.full((2, 8, 8), np.nan, dtype=np.float32),
                      descriptions=["VV", "VH"])
    with pytest.raises(InputError, match="no valid pixels"):
        _run(workspace, image=str(empty), stretch="none")
    assert _rgb_files(workspace) == [] and not list(workspace.root.glob(".*tif"))


def test_run_tool_round_trip_records_artifact_and_progress(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
) -> None:
    path = make_tiff("s1.tif", _sar_db(rng), descriptions=["VV", "VH"])
    stages: list[tuple[str, int, int]] = []
    run = run_tool("pseudo_rgb", {"image": str(path)}, workspace, step="s1",
                   progress=lambda s, d, t: stages.append((s, d, t)))
    assert {s for s, _, _ in stages} == {"histogram", "writing"}
    assert stages[-1][1] == stages[-1][2]
    saved = json.loads(run.result_path.read_text())
    assert saved["result"]["mode_used"] == "sar"
    arts = workspace.artifacts()
    assert [a.kind for a in arts] == ["raster"]
    assert Path(arts[0].path or "").name == "c001-s1_rgb.tif" and Path(arts[0].path or "").exists()


# ---- real data -------------------------------------------------------------------------------

@pytest.mark.realdata
def test_real_sen1floods11_s1_chip(data_dir: Path, make_tiff: MakeTiff,
                                   workspace: Workspace) -> None:
    src_path = data_dir / "sar" / "sen1floods11_Spain_7370579_S1Hand.tif"
    with rasterio.open(src_path) as src:
        data, crs, transform = src.read(), src.crs, src.transform
    data[:, 100:140, 200:260] = np.nan  # NaN nodata, as in chips over the swath edge
    path = make_tiff("S1Hand_holes.tif", data, crs=crs.to_string(), transform=transform,
                     nodata=float("nan"), descriptions=["VV", "VH"])
    for image in (src_path, path):
        r = _run(workspace, image=str(image))
        rgb, prof = _read(r.path)
        assert rgb.shape == (3, 512, 512) and prof["crs"] == crs
        assert prof["transform"] == transform
        assert r.bands_used == ["VV dB", "VH dB", "VV-VH dB"] and r.input_scale == "dB"
        assert -30 < r.stretch_ranges[0].low < r.stretch_ranges[0].high < 5
    assert (rgb[:, 100:140, 200:260] == 0).all() and (rgb[:, :100] > 0).all()


@pytest.mark.realdata
def test_real_single_pol_vv_with_nodata_value(data_dir: Path, workspace: Workspace) -> None:
    path = data_dir / "sar" / "S1A_IW_20150309_VV_grd_geo_norm_db.tif"
    r = _run(workspace, image=str(path), speckle_filter=True)
    rgb, prof = _read(r.path)
    with rasterio.open(path) as src:
        assert (prof["crs"], prof["transform"]) == (src.crs, src.transform)
        assert rgb.shape == (3, src.height, src.width)
    assert r.bands_used == ["VV dB"] * 3 and r.input_scale == "dB"
    assert r.speckle_looks is not None and r.speckle_looks > 1.0
    assert "Lee filter" in r.summary


@pytest.mark.realdata
def test_real_landsat8_clip(data_dir: Path, workspace: Workspace) -> None:
    path = data_dir / "multispectral" / "landsat8_LC08_003069_20180906_clip.tif"
    r = _run(workspace, image=str(path), composite="false_color")
    rgb, prof = _read(r.path)
    with rasterio.open(path) as src:
        assert rgb.shape == (3, src.height, src.width) and prof["crs"] == src.crs
        nir = src.read(4)
    assert r.source_bands == [4, 3, 2]
    assert any("Landsat-8" in w for w in r.warnings)
    assert r.stretch_ranges[0].low == pytest.approx(np.percentile(nir, 2), rel=0.01)


def _jasper_tiff(data_dir: Path, make_tiff: MakeTiff) -> tuple[Path, np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    mat = loadmat(data_dir / "hyperspectral" / "jasperRidge2_R198.mat")
    cube = mat["Y"].T.reshape((100, 100, 198), order="F") / float(mat["maxValue"].squeeze())
    with open(data_dir / "hyperspectral" / "jasper_wavelengths_approx.csv") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["cube_band_index0"]))
    wl = np.array([float(row["approx_wavelength_nm"]) for row in rows])
    assert wl.size == 198
    stack = np.moveaxis(cube, 2, 0).astype(np.float32)
    tags = [{"wavelength": f"{w}", "wavelength_units": "nm"} for w in wl]
    return Path(make_tiff("jasper.tif", stack, band_tags=tags)), wl, stack


@pytest.mark.realdata
def test_real_jasper_ridge_hsi_and_pca(data_dir: Path, make_tiff: MakeTiff,
                                       workspace: Workspace) -> None:
    path, wl, stack = _jasper_tiff(data_dir, make_tiff)
    expected = [int(np.argmin(np.abs(wl - t))) + 1 for t in (640.0, 550.0, 470.0)]
    r = _run(workspace, image=str(path))
    assert r.mode_used == "hsi" and r.source_bands == expected
    assert r.wavelengths_nm == pytest.approx(list(wl[np.array(expected) - 1]), abs=0.01)
    assert r.bands_used[0].endswith(f"({wl[expected[0] - 1]:.0f} nm)")
    pca = _run(workspace, image=str(path), mode="pca")
    ev = pca.explained_variance
    assert ev is not None and ev[0] > ev[1] > ev[2] > 0
    x = stack.reshape(198, -1).astype(np.float64)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, bias=True)))[::-1]
    np.testing.assert_allclose(ev, eig[:3] / eig.sum(), rtol=1e-6)
    rgb = _read(pca.path)[0]
    assert rgb.shape == (3, 100, 100) and (rgb > 0).all()
