"""Window-wise GeoTIFF writing: COG on the source grid, nothing left behind on errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from tests.conftest import MakeTiff
from tools.geo.geotiff import grid_writer, publish_cog, write_array
from tools.geo.raster import iter_tiles, rio


def test_grid_writer_makes_a_cog_on_the_source_grid(
        make_tiff: MakeTiff, tmp_path: Path, rng: np.random.Generator) -> None:
    src_path = make_tiff("src.tif", rng.integers(0, 200, (900, 1100), dtype=np.uint8),
                         crs="EPSG:32631")
    dest = tmp_path / "out" / "mask.tif"
    with rasterio.open(src_path) as src:
        with grid_writer(dest, src, dtype="uint8", nodata=255, band_names=["water"],
                         tags={"units": "1"}) as dst:
            for tile in iter_tiles(src.width, src.height, 256):
                block = src.read(1, window=rio(tile.core))
                dst.write((block > 100).astype("uint8"), 1, window=rio(tile.core))
        expected = src.read(1) > 100
        crs, transform = src.crs, src.transform
    with rasterio.open(dest) as out:
        assert out.crs == crs and out.transform == transform
        assert (out.width, out.height, out.count, out.dtypes[0]) == (1100, 900, 1, "uint8")
        assert out.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert out.block_shapes == [(512, 512)] and out.overviews(1)
        assert out.nodata == 255 and out.descriptions == ("water",)
        assert out.tags()["units"] == "1"
        assert np.array_equal(out.read(1), expected.astype("uint8"))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["mask.tif"]


def test_grid_writer_leaves_nothing_on_an_exception(make_tiff: MakeTiff, tmp_path: Path) -> None:
    src_path = make_tiff("src.tif", np.zeros((64, 64), dtype="uint8"))
    out_dir = tmp_path / "out"
    dest = out_dir / "broken.tif"
    with (rasterio.open(src_path) as src, pytest.raises(RuntimeError, match="boom"),
          grid_writer(dest, src) as dst):
        dst.write(np.ones((1, 32, 32), "uint8"), window=Window(0, 0, 32, 32))
        raise RuntimeError("boom")
    assert list(out_dir.iterdir()) == []


def test_grid_writer_keeps_an_existing_file_on_failure(make_tiff: MakeTiff, tmp_path: Path) -> None:
    src_path = make_tiff("src.tif", np.zeros((16, 16), dtype="uint8"))
    dest = tmp_path / "keep.tif"
    dest.write_bytes(b"previous result")
    with rasterio.open(src_path) as src, pytest.raises(ValueError), grid_writer(dest, src):
        raise ValueError("stop")
    assert dest.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tif", "src.tif"]


def test_write_array_round_trip_in_a_geographic_crs(make_tiff: MakeTiff, tmp_path: Path) -> None:
    src_path = make_tiff("geo.tif", np.zeros((2, 30, 40), dtype="float32"), crs="EPSG:4326")
    data = np.arange(2 * 30 * 40, dtype="float32").reshape(2, 30, 40)
    with rasterio.open(src_path) as src:
        out = write_array(tmp_path / "arr.tif", data, src, nodata=-1.0, band_names=["a", "b"],
                          resampling="average")
        transform = src.transform
    with rasterio.open(out) as dst:
        assert dst.crs.to_epsg() == 4326 and dst.transform == transform
        assert dst.descriptions == ("a", "b") and dst.nodata == -1.0
        assert np.array_equal(dst.read(), data)


def test_staged_file_is_published_later_as_a_cog(make_tiff: MakeTiff, tmp_path: Path) -> None:
    src_path = make_tiff("src.tif", np.zeros((64, 80), dtype="uint8"))
    staged, dest = tmp_path / "out" / ".mask.raw.tif", tmp_path / "out" / "mask.tif"
    with rasterio.open(src_path) as src, grid_writer(staged, src, nodata=255, cog=False) as dst:
        dst.write(np.ones((1, 64, 80), "uint8"), window=Window(0, 0, 80, 64))
    with rasterio.open(staged) as st:
        assert st.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") != "COG"
    assert sorted(p.name for p in dest.parent.iterdir()) == [".mask.raw.tif"]
    publish_cog(staged, dest)
    with rasterio.open(dest) as out:
        assert out.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG" and out.nodata == 255
        assert (out.read(1) == 1).all()
    assert sorted(p.name for p in dest.parent.iterdir()) == [".mask.raw.tif", "mask.tif"]
