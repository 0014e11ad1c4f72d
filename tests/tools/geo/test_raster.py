"""Raster references: metadata and modality of the real files, clear errors, tiling, masking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from specialists.tiling import tile_count
from tests.conftest import MakeTiff
from tools.core.errors import InputError
from tools.geo.raster import describe, iter_tiles, open_dataset, read_masked

REAL = {
    # file: (modality, count, crs, approx pixel size m)
    "multispectral/sen1floods11_Spain_7370579_S2Hand.tif": ("multispectral", 13, "EPSG:4326",
                                                            (7.88, 9.97)),
    "multispectral/landsat8_LC08_232066_20190727.tif": ("multispectral", 6, "EPSG:32620",
                                                        (30.0, 30.0)),
    "multispectral/rasterio_RGB.byte.tif": ("rgb", 3, "EPSG:32618", (300.04, 300.04)),
    "sar/sen1floods11_Spain_7370579_S1Hand.tif": ("sar", 2, "EPSG:4326", (7.88, 9.97)),
    "sar/S1_2018_VV_VH_clip.tif": ("sar", 3, "EPSG:32619", (30.0, 30.0)),
    "sar/S1A_IW_20150309_VV_grd_geo_norm_db.tif": ("sar", 1, "EPSG:32631", (20.0, 20.0)),
    "detection/neon_trees/OSBS_029.tif": ("rgb", 3, "EPSG:32617", (0.1, 0.1)),
    "detection/spacenet_buildings/sample_geotiff.tif": ("panchromatic", 1, "EPSG:32616",
                                                        (0.5, 0.5)),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(REAL))
def test_describe_real_files(data_dir: Path, name: str) -> None:
    modality, count, crs, (px, py) = REAL[name]
    info = describe(data_dir / name)
    assert info.modality == modality
    assert info.count == count and len(info.bands) == count
    assert info.crs == crs
    assert info.pixel_size_m is not None
    assert info.pixel_size_m == pytest.approx([px, py], rel=2e-3)
    assert info.is_geographic == (crs == "EPSG:4326")


@pytest.mark.realdata
def test_describe_real_band_names_and_nodata(data_dir: Path) -> None:
    s2 = describe(data_dir / "multispectral/sen1floods11_Spain_7370579_S2Hand.tif")
    assert s2.band_names[:4] == ["B1", "B2", "B3", "B4"] and s2.band_names[-1] == "B12"
    s1 = describe(data_dir / "sar/sen1floods11_Spain_7370579_S1Hand.tif")
    assert s1.band_names == ["VV", "VH"]
    l8 = describe(data_dir / "multispectral/landsat8_LC08_232066_20190727.tif")
    assert l8.nodata == -9999 and l8.dtype == "int16"
    png = describe(data_dir / "change/levir_cd/A/test_2_0000_0000.png")
    assert png.crs is None and png.pixel_size_m is None and png.modality == "rgb"


def test_wavelength_tags_are_read_in_nm(make_tiff: MakeTiff) -> None:
    tags = [{"wavelength": "0.665", "wavelength_units": "micrometers"}, {"wavelength": "842"}]
    info = describe(make_tiff("wl.tif", np.zeros((2, 4, 4), "float32"), band_tags=tags))
    assert info.wavelengths_nm == pytest.approx([665.0, 842.0])


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"file not found: .*nope\.tif"):
        describe(tmp_path / "nope.tif")


def test_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is a folder"):
        open_dataset(tmp_path)


def test_junk_bytes_are_not_a_raster(tmp_path: Path) -> None:
    junk = tmp_path / "x.tif"
    junk.write_bytes(b"this is not a tiff at all " * 40)
    with pytest.raises(InputError, match=r"x\.tif is not a raster GDAL can read"):
        describe(junk)


def test_truncated_geotiff_names_the_file(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "cut.tif"
    profile = {"driver": "GTiff", "width": 512, "height": 512, "count": 1, "dtype": "uint16",
               "crs": "EPSG:32633", "transform": from_origin(500_000, 4_000_000, 10, 10),
               "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rng.integers(0, 65535, (1, 512, 512), dtype=np.uint16))
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])
    with pytest.raises(InputError, match=r"cut\.tif is truncated or corrupt"):
        describe(path)


@pytest.mark.parametrize(("width", "height", "size", "overlap"),
                         [(100, 70, 32, 0), (100, 70, 32, 5), (64, 64, 64, 3), (5, 300, 7, 2),
                          (1, 1, 1024, 32)])
def test_iter_tiles_covers_every_pixel_exactly_once(
        width: int, height: int, size: int, overlap: int) -> None:
    seen = np.zeros((height, width), dtype=int)
    tiles = list(iter_tiles(width, height, size, overlap))
    for tile in tiles:
        core, read = tile.core, tile.read
        seen[core.row_off:core.row_off + core.height, core.col_off:core.col_off + core.width] += 1
        assert read.row_off <= core.row_off and read.col_off <= core.col_off
        assert read.row_off + read.height >= core.row_off + core.height
        assert read.col_off + read.width >= core.col_off + core.width
        assert read.row_off >= 0 and read.row_off + read.height <= height
        assert read.col_off >= 0 and read.col_off + read.width <= width
        rows, cols = tile.inner
        assert rows.stop - rows.start == core.height and cols.stop - cols.start == core.width
    assert (seen == 1).all()
    assert len(tiles) == tile_count(width, height, size)


def test_iter_tiles_inner_selects_the_core(rng: np.random.Generator) -> None:
    grid = rng.random((50, 40))
    for tile in iter_tiles(40, 50, 16, 4):
        r, c = tile.read, tile.core
        block = grid[r.row_off:r.row_off + r.height, r.col_off:r.col_off + r.width]
        core = grid[c.row_off:c.row_off + c.height, c.col_off:c.col_off + c.width]
        assert np.array_equal(block[tile.inner], core)


def test_iter_tiles_rejects_bad_sizes() -> None:
    with pytest.raises(InputError, match="tile size"):
        list(iter_tiles(10, 10, 0))


def test_read_masked_masks_nodata_and_nan(make_tiff: MakeTiff) -> None:
    data = np.array([[1.0, -99.0], [np.nan, 4.0]], dtype="float32")
    path = make_tiff("m.tif", data, nodata=-99.0)
    with rasterio.open(path) as src:
        out = read_masked(src, Window(0, 0, 2, 2))
    assert out.shape == (1, 2, 2) and out.dtype == np.float32
    assert out.mask.tolist() == [[[False, True], [True, False]]]
    assert float(out.sum()) == 5.0


def test_geographic_pixel_size_is_in_metres(make_tiff: MakeTiff) -> None:
    info = describe(make_tiff("geo.tif", np.zeros((10, 10), "uint8"), crs="EPSG:4326"))
    assert info.is_geographic
    assert info.pixel_size_m is not None
    # 0.0001° at 45°N: ~7.89 m east-west, ~11.1 m north-south.
    assert info.pixel_size_m == pytest.approx([7.88, 11.11], rel=3e-3)
