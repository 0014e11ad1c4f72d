"""GEDI L4A parsing (the real CSV and the real HDF5 granule inside its ZIP) and footprint-to-pixel
sampling on a generated GeoTIFF placed over the real footprint coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from tests.conftest import write_tiff
from tools.biomass.gedi import footprint_pixels, read_footprints, sample_patches
from tools.core.errors import InputError

GRANULE = "agb/GEDI04_A_2020036151358_O06515_02_T00198_02_002_01_V002.zip"
CSV = "agb/gedi_l4a_footprints.csv"


@pytest.mark.realdata
def test_csv_and_granule_agree(data_dir: Path) -> None:
    pytest.importorskip("h5py")
    csv_fp = read_footprints(data_dir / CSV)
    h5_fp = read_footprints(data_dir / GRANULE)
    assert len(csv_fp) == len(h5_fp) == 321  # l4_quality_flag == 1 shots
    assert csv_fp.dropped_quality == h5_fp.dropped_quality == 117
    assert h5_fp.dropped_fill == 23  # -9999 AGBD in the granule; the CSV kept valid ones only
    np.testing.assert_allclose(np.sort(csv_fp.agbd), np.sort(h5_fp.agbd), atol=1e-4)
    assert np.all(csv_fp.quality == 1) and np.all(csv_fp.agbd >= 0)
    assert 33.9 < csv_fp.lat.min() < csv_fp.lat.max() < 36.1
    everything = read_footprints(data_dir / CSV, quality_only=False)
    assert len(everything) == 438


def test_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="latitude"):
        read_footprints(tmp_path / "x.csv")
    with pytest.raises(InputError, match="not found"):
        read_footprints(tmp_path / "missing.csv")
    (tmp_path / "x.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.csv, \.h5 or \.zip"):
        read_footprints(tmp_path / "x.txt")


def scene_grid(data_dir: Path, lat_min: float = 36.06, pixel_m: float = 10.0
               ) -> tuple[float, float, int, int]:
    """Origin (UTM 39N, m) and size of a grid over the northern real footprints + 500 m."""
    fp = read_footprints(data_dir / CSV)
    keep = fp.lat > lat_min
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32639", always_xy=True)
    x, y = to_utm.transform(fp.lon[keep], fp.lat[keep])
    x0, y1 = np.floor(min(x)) - 500, np.ceil(max(y)) + 500
    w = int((max(x) + 500 - x0) / pixel_m)
    h = int((y1 - (min(y) - 500)) / pixel_m)
    return float(x0), float(y1), w, h


def scene_over_footprints(data_dir: Path, path: Path, pixel_m: float = 10.0) -> Path:
    """A UTM 39N GeoTIFF over the northern real footprints; band 1/2 hold easting/northing
    offsets of each pixel centre from the origin (m), band 3 a constant."""
    x0, y1, w, h = scene_grid(data_dir, pixel_m=pixel_m)
    cols, rows = np.meshgrid(np.arange(w), np.arange(h))
    data = np.stack([(cols + 0.5) * pixel_m, (rows + 0.5) * pixel_m,
                     np.full((h, w), 7.0)]).astype(np.float32)
    return write_tiff(path, data, crs="EPSG:32639", transform=from_origin(x0, y1, pixel_m,
                                                                          pixel_m))


@pytest.mark.realdata
def test_footprints_land_on_their_pixels(data_dir: Path, tmp_path: Path) -> None:
    scene = scene_over_footprints(data_dir, tmp_path / "scene.tif")
    fp = read_footprints(data_dir / CSV)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32639", always_xy=True)
    with rasterio.open(scene) as src:
        rows, cols = footprint_pixels(fp, src)
        inside = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        assert inside.sum() == 174  # the northern cluster; the rest lie south of the scene
        patches, kept = sample_patches(src, rows, cols, 8, [1, 2, 3])
        x0, y1 = src.transform.c, src.transform.f
    assert patches.shape == (len(kept), 3, 8, 8) and len(kept) >= 170
    x, y = to_utm.transform(fp.lon[kept], fp.lat[kept])
    centre_e = patches[:, 0, 4, 4]  # pixel holding the footprint (patch_px // 2)
    centre_n = patches[:, 1, 4, 4]
    # the footprint lies in the centre pixel: within half a pixel (5 m) of its centre
    assert np.all(np.abs(centre_e - (np.asarray(x) - x0)) <= 5.0 + 1e-3)
    assert np.all(np.abs(centre_n - (y1 - np.asarray(y))) <= 5.0 + 1e-3)
    assert np.all(patches[:, 2] == 7.0)
