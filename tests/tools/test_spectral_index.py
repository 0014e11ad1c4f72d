"""Tests of the spectral_index tool: real Landsat pixels by hand, every index, nodata, scaling,
band errors, tiling, areas in projected / geographic / missing CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin

from tools import InputError, run_tool
from tools.core.workspace import Workspace
from tools.spectral_index import SpectralIndexOutput

MakeTiff = Any
S2_NAMES = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
# Sentinel-2 role -> band name, and the reflectance given to each band of a synthetic scene.
S2_REFLECTANCE = {"B2": 0.05, "B3": 0.08, "B4": 0.10, "B5": 0.16, "B8": 0.50, "B11": 0.20,
                  "B12": 0.10}
HAND = {
    "NDVI": 0.4 / 0.6, "NDWI": -0.42 / 0.58, "MNDWI": -0.12 / 0.28, "NBR": 0.4 / 0.6,
    "NDSI": -0.12 / 0.28, "NDBI": -0.3 / 0.7, "SAVI": 1.5 * 0.4 / 1.1,
    "EVI": 2.5 * 0.4 / (0.5 + 0.6 - 0.375 + 1.0),
    "NDMI": 0.3 / 0.7, "GNDVI": 0.42 / 0.58, "NDRE": 0.34 / 0.66, "NDCI": 0.06 / 0.26,
    "NDTI": 0.02 / 0.18,
}


def _run(workspace: Workspace, **args: Any) -> SpectralIndexOutput:
    result = run_tool("spectral_index", args, workspace).result
    assert isinstance(result, SpectralIndexOutput)
    return result


def _path(result: SpectralIndexOutput, kind: str) -> str:
    art = result.first(kind)  # type: ignore[arg-type]
    assert art is not None and art.path is not None
    return art.path


def _read(path: str) -> tuple[np.ndarray, Any]:
    with rasterio.open(path) as src:
        return src.read(1), src.profile


def _s2_scene(shape: tuple[int, int] = (20, 30)) -> np.ndarray:
    """13-band int16 x10000 Sentinel-2-like scene with constant reflectance per band."""
    data = np.full((13, *shape), 1000, dtype=np.int16)
    for name, refl in S2_REFLECTANCE.items():
        data[S2_NAMES.index(name)] = round(refl * 10000)
    return data


@pytest.mark.realdata
def test_landsat_ndvi_matches_hand_computation_from_raw_pixels(
    data_dir: Path, workspace: Workspace
) -> None:
    image = data_dir / "multispectral" / "landsat8_LC08_232066_20190727.tif"
    r = _run(workspace, image=str(image), index="NDVI")
    out, prof = _read(_path(r, "raster"))
    with rasterio.open(image) as src:
        raw = src.read().astype(np.float64)  # 6 bands B2..B7: red = band 3, NIR = band 4
        assert prof["crs"] == src.crs and prof["transform"] == src.transform
    for row, col in [(0, 0), (50, 100), (117, 233), (200, 17), (234, 317)]:
        red, nir = raw[2, row, col], raw[3, row, col]
        assert out[row, col] == pytest.approx((nir - red) / (nir + red), abs=1e-6)
    # written out by hand: pixel (50, 100) has red 1052, NIR 2759; (200, 17) red 259, NIR 3096
    assert out[50, 100] == pytest.approx((2759 - 1052) / (2759 + 1052), abs=1e-6)  # 0.44791
    assert out[200, 17] == pytest.approx((3096 - 259) / (3096 + 259), abs=1e-6)  # 0.84560
    assert r.bands_used == {"NIR": "band 4", "red": "band 3"}
    assert any("Landsat-8" in w for w in r.warnings)  # preset assumption is reported
    assert prof["dtype"] == "float32" and np.isnan(prof["nodata"])
    nums = r.numbers()
    assert nums["mean"].unit == "index"
    assert nums["mean"].value == pytest.approx(float(np.nanmean(out)), rel=1e-5)
    assert nums["min"].value == pytest.approx(float(np.nanmin(out)))
    assert nums["max"].value == pytest.approx(float(np.nanmax(out)))


@pytest.mark.parametrize("index", sorted(HAND))
def test_every_index_on_a_named_sentinel2_scene(
    index: str, make_tiff: MakeTiff, workspace: Workspace
) -> None:
    path = make_tiff("s2.tif", _s2_scene(), descriptions=S2_NAMES)
    r = _run(workspace, image=str(path), index=index)
    out, _ = _read(_path(r, "raster"))
    np.testing.assert_allclose(out, HAND[index], rtol=1e-5)
    assert r.band_source == "band names"
    assert "10000" in r.reflectance  # integer reflectance detected and said
    if index in ("SAVI", "EVI"):
        assert any("not scale-invariant" in w for w in r.warnings)
    if index == "NDVI":
        assert r.bands_used == {"NIR": "B8", "red": "B4"}
    if index == "NDCI":
        assert set(r.bands_used.values()) == {"B5", "B4"}  # the first red-edge band, B5


def test_red_edge_index_without_a_red_edge_band_is_refused(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    data = np.stack([np.full((6, 6), v, np.float32) for v in (0.05, 0.08, 0.1, 0.5)])
    path = make_tiff("bgrn.tif", data, descriptions=["blue", "green", "red", "nir"])
    with pytest.raises(InputError) as err:
        _run(workspace, image=str(path), index="NDRE")
    assert str(path) in str(err.value) and "bands=" in str(err.value)
    assert not list(workspace.root.glob("*.tif"))  # nothing written


def test_nodata_and_nan_become_nan_and_mask_nodata(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    data = _s2_scene((10, 12))
    data[:, 0, 0] = -9999  # declared nodata in every band
    data[3, 2, 2] = -9999  # nodata in red only
    data[7, 4, 4] = 0      # NIR 0 ...
    data[3, 4, 4] = 0      # ... and red 0: zero denominator
    path = make_tiff("nd.tif", data, descriptions=S2_NAMES, nodata=-9999)
    r = _run(workspace, image=str(path), index="NDVI", threshold=0.5)
    out, _ = _read(_path(r, "raster"))
    mask, mprof = _read(_path(r, "mask"))
    for rc in [(0, 0), (2, 2), (4, 4)]:
        assert np.isnan(out[rc]) and mask[rc] == 255
    assert r.valid_pixels == 10 * 12 - 3
    assert mprof["dtype"] == "uint8" and mprof["nodata"] == 255
    assert (mask[np.isfinite(out)] == 1).all()  # NDVI 0.667 > 0.5 everywhere valid

    fdata = np.stack([np.full((8, 8), 0.1, np.float32), np.full((8, 8), 0.5, np.float32)])
    fdata[0, 1, 1] = np.nan
    fpath = make_tiff("f.tif", fdata, descriptions=["red", "nir"])
    fr = _run(workspace, image=str(fpath), index="NDVI")
    fout, _ = _read(_path(fr, "raster"))
    assert np.isnan(fout[1, 1]) and fr.valid_pixels == 63
    assert fr.reflectance == "values used as stored"


def test_wrong_band_count_names_file_and_missing_band(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator
) -> None:
    path = make_tiff("one.tif", rng.random((1, 8, 8)).astype(np.float32))
    with pytest.raises(InputError) as err:
        _run(workspace, image=str(path), index="NDVI")
    msg = str(err.value)
    assert str(path) in msg and "1 band" in msg and "red" in msg and "NIR" in msg
    assert "bands=" in msg  # says how to fix it
    assert not list(workspace.root.glob("*.tif"))  # nothing written
    with pytest.raises(InputError, match="file not found"):
        _run(workspace, image=str(path.with_name("missing.tif")), index="NDVI")


def test_bands_override_and_sensor_preset(make_tiff: MakeTiff, workspace: Workspace) -> None:
    data = np.stack([np.full((6, 6), v, np.float32) for v in (0.1, 0.5, 0.3)])
    path = make_tiff("three.tif", data)
    r = _run(workspace, image=str(path), index="NDVI", bands={"red": 1, "nir": 2})
    out, _ = _read(_path(r, "raster"))
    np.testing.assert_allclose(out, 0.4 / 0.6, rtol=1e-6)
    assert r.bands_used == {"NIR": "band 2", "red": "band 1"}
    with pytest.raises(InputError, match="outside"):
        _run(workspace, image=str(path), index="NDVI", bands={"red": 1, "nir": 4})
    with pytest.raises(InputError, match="unknown role"):
        _run(workspace, image=str(path), index="NDVI", bands={"infrared": 2, "red": 1})
    six = make_tiff("six.tif", _s2_scene((6, 6))[[1, 2, 3, 7, 11, 12]])
    p = _run(workspace, image=str(six), index="NBR", sensor="landsat8")
    assert p.bands_used == {"NIR": "band 4", "SWIR2": "band 6"} and not p.warnings


def test_tiled_equals_untiled(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = (rng.random((13, 70, 90)) * 5000 + 100).astype(np.int16)
    data[:, 5:9, 40:60] = 0
    path = make_tiff("t.tif", data, descriptions=S2_NAMES, nodata=0)
    results = []
    for size in ("1024", "16"):
        monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", size)
        r = _run(workspace, image=str(path), index="EVI", threshold=0.1)
        results.append((r, _read(_path(r, "raster"))[0], _read(_path(r, "mask"))[0]))
    (a, ra, ma), (b, rb, mb) = results
    np.testing.assert_array_equal(ra, rb)
    np.testing.assert_array_equal(ma, mb)
    for name in ("mean", "min", "max", "area", "area_share"):
        assert a.numbers()[name].value == pytest.approx(b.numbers()[name].value, rel=1e-9)


def _block_scene(make_tiff: MakeTiff, name: str, **kwargs: Any) -> Path:
    """red/nir scene, 40 x 50 pixels, NDVI 0.6667 in a 10 x 20 block and 0 elsewhere."""
    red = np.full((40, 50), 0.2, np.float32)
    nir = red.copy()
    nir[5:15, 10:30] = 1.0
    red[5:15, 10:30] = 0.2
    return Path(make_tiff(name, np.stack([red, nir]), descriptions=["red", "nir"], **kwargs))


def test_threshold_area_projected_geographic_and_no_crs(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    utm = _run(workspace, image=str(_block_scene(make_tiff, "utm.tif")), index="NDVI",
               threshold=0.3)
    assert utm.mask_pixels == 200
    assert utm.area_m2 is not None and utm.area_m2.value == pytest.approx(200 * 100.0)
    assert utm.numbers()["area"].value == pytest.approx(2.0) and utm.numbers()["area"].unit == "ha"
    assert utm.area_share_pct is not None and utm.area_share_pct.value == pytest.approx(10.0)

    geo = _run(workspace, image=str(_block_scene(make_tiff, "geo.tif", crs="EPSG:4326")),
               index="NDVI", threshold=0.3)
    # block: rows 5-15, cols 10-30 of 0.0001° pixels from (10°E, 45°N): geodesic area
    lon0, lat0, d = 10.0 + 10 * 0.0001, 45.0 - 5 * 0.0001, 0.0001
    lons = [lon0, lon0 + 20 * d, lon0 + 20 * d, lon0]
    lats = [lat0, lat0, lat0 - 10 * d, lat0 - 10 * d]
    expected = abs(Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)[0])
    assert geo.area_m2 is not None and geo.area_m2.value == pytest.approx(expected, rel=1e-4)
    assert geo.area_m2.value < 200 * 11.1 * 11.1  # not the 1° ~ 111 km pixel-count guess

    none = _run(workspace, image=str(_block_scene(make_tiff, "nocrs.tif", crs=None)),
                index="NDVI", threshold=0.3)
    assert none.mask_pixels == 200 and none.area_m2 is None and "area" not in none.numbers()
    assert any("no CRS" in w for w in none.warnings)
    assert none.numbers()["area_share"].value == pytest.approx(10.0)

    below = _run(workspace, image=str(_block_scene(make_tiff, "below.tif")), index="NDVI",
                 threshold=0.3, below=True)
    assert below.mask_pixels == 40 * 50 - 200


def test_all_invalid_scene_is_refused_and_nothing_written(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    data = np.zeros((2, 5, 5), np.float32)  # 0 / 0 everywhere
    path = make_tiff("zero.tif", data, descriptions=["red", "nir"])
    with pytest.raises(InputError, match="no valid pixels"):
        _run(workspace, image=str(path), index="NDVI", threshold=0.2)
    assert not list(workspace.root.glob("*.tif")) and not list(workspace.root.glob(".*tif"))


def test_output_keeps_source_grid(make_tiff: MakeTiff, workspace: Workspace) -> None:
    transform = from_origin(300_000.0, 6_000_000.0, 30.0, 30.0)
    path = _block_scene(make_tiff, "grid.tif", crs="EPSG:32620", transform=transform)
    r = _run(workspace, image=str(path), index="NDVI", threshold=0.3)
    for kind in ("raster", "mask"):
        _, prof = _read(_path(r, kind))
        assert prof["crs"].to_string() == "EPSG:32620" and prof["transform"] == transform
    assert r.area_m2 is not None and r.area_m2.value == pytest.approx(200 * 900.0)


# --- band semantics before band counts (issue #14, point 3) ---------------------------------

def _refusal(workspace: Workspace, path: Path, **args: Any) -> str:
    with pytest.raises(InputError) as err:
        _run(workspace, image=str(path), index="NDVI", **args)
    assert not list(workspace.root.glob("*.tif"))  # nothing written
    return str(err.value)


def test_alpha_band_is_never_used_as_nir(make_tiff: MakeTiff, workspace: Workspace,
                                         tmp_path: Path, rng: np.random.Generator) -> None:
    rgba = rng.integers(20, 200, (4, 16, 16)).astype(np.uint8)
    rgba[3] = 255  # opaque: as NIR it would give a high 'NDVI'
    tif = make_tiff("rgba.tif", rgba)  # GDAL writes 4 bytes as RGB + alpha
    png = tmp_path / "rgba.png"
    with rasterio.open(png, "w", driver="PNG", width=16, height=16, count=4,
                       dtype="uint8") as dst:
        dst.write(rgba)
    for path in (tif, png):
        msg = _refusal(workspace, path)
        assert "alpha" in msg and "NIR" in msg and "bands=" in msg and "sensor=" in msg
    # the caller may still say band 4 is NIR: used, and the note says the file marks it alpha
    r = _run(workspace, image=str(tif), index="NDVI", bands={"red": 1, "nir": 4})
    assert r.bands_used == {"NIR": "band 4", "red": "band 1"}
    assert any("marked alpha" in w for w in r.warnings)


@pytest.mark.realdata
def test_dota_rgba_png_gives_no_ndvi(data_dir: Path, workspace: Workspace) -> None:
    """The DOTA chip that answered 'NDVI 0.527' from its alpha channel."""
    msg = _refusal(workspace, data_dir / "detection" / "dota" / "images" / "P0004__1__0___0.png")
    assert "band 4 is an alpha" in msg


def test_unnamed_four_band_scene_needs_a_stated_order(make_tiff: MakeTiff,
                                                      workspace: Workspace) -> None:
    data = np.stack([np.full((6, 6), v, np.uint16) for v in (1000, 800, 500, 3000)])
    path = make_tiff("four.tif", data)  # uint16: no colour interpretation, no names
    msg = _refusal(workspace, path)
    assert "not guessed" in msg and "bands=" in msg and "'rgbn'" in msg and "'bgrn'" in msg
    assert "6 or 7" in _refusal(workspace, path, sensor="landsat8")
    rgbn = _run(workspace, image=str(path), index="NDVI", sensor="rgbn")
    assert rgbn.bands_used == {"NIR": "band 4", "red": "band 1"} and not rgbn.warnings
    assert rgbn.mean is not None and rgbn.mean.value == pytest.approx(2000 / 4000, rel=1e-5)
    bgrn = _run(workspace, image=str(path), index="NDVI", sensor="bgrn")
    assert bgrn.bands_used == {"NIR": "band 4", "red": "band 3"}


@pytest.mark.realdata
def test_bundled_landsat_clip_keeps_its_stated_order(workspace: Workspace) -> None:
    """The demo's NDVI 0.511 from the unnamed Landsat-8 clip, with the assumption stated."""
    clip = (Path(__file__).resolve().parents[2] / "examples" / "data"
            / "landsat8_LC08_003069_20180906_clip.tif")
    result = _run(workspace, image=str(clip), index="NDVI")
    assert result.mean is not None and round(result.mean.value, 3) == 0.511
    assert result.band_source == "landsat8 preset"
    assert any(w.startswith("assumed Landsat-8") for w in result.warnings)
    assert result.reflectance_out_of_range is not None
    assert result.reflectance_out_of_range.pixels == 0


def test_out_of_range_reflectance_and_index_are_counted(make_tiff: MakeTiff,
                                                        workspace: Workspace) -> None:
    red = np.full((10, 10), 0.1, np.float32)
    nir = np.full((10, 10), 0.5, np.float32)
    red[0, :5] = -0.02  # 5 pixels of negative red (atmospheric over-correction)
    nir[1, :2] = 1.3    # 2 pixels above 1 (saturation)
    path = make_tiff("oor.tif", np.stack([red, nir]), descriptions=["red", "nir"])
    r = _run(workspace, image=str(path), index="NDVI")
    refl, idx = r.reflectance_out_of_range, r.index_out_of_range
    assert refl is not None and refl.pixels == 7 and refl.share_pct.value == pytest.approx(7.0)
    assert refl.share_pct.unit == "%"
    # NDVI of red -0.02, NIR 0.5: 0.52 / 0.48 > 1
    assert idx is not None and idx.pixels == 5 and idx.share_pct.value == pytest.approx(5.0)
    texts = [w for w in r.warnings if "lie outside" in w]
    assert len(texts) == 2 and "7 of 100 valid pixels" in texts[0]
    clean = _run(workspace, image=str(_block_scene(make_tiff, "ok.tif")), index="NDVI")
    assert clean.reflectance_out_of_range is not None
    assert clean.reflectance_out_of_range.pixels == 0
    assert not any("lie outside" in w for w in clean.warnings)
