"""``gsd``: images without georeference on a pixel grid of a stated ground sample distance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.geo.area import pixel_area_rows_m2
from tools.geo.pixel_grid import grid_gsd, pixel_grid_wkt, stated_gsd
from tools.geo.raster import describe, open_dataset, pixel_size_m

LEVIR = "change/levir_cd"
CHIP = "test_102_0512_0000.png"


@pytest.fixture
def png(tmp_path: Path) -> Path:
    """A 40 x 30 RGB PNG: a bright 10 x 8 block on a dark background."""
    arr = np.full((30, 40, 3), 20, np.uint8)
    arr[5:13, 10:20] = 230
    path = tmp_path / "chip.png"
    Image.fromarray(arr).save(path)
    return path


def test_png_opens_on_a_pixel_grid_only_with_a_stated_gsd(png: Path) -> None:
    with open_dataset(png) as src:
        assert not src.crs
        assert pixel_size_m(src) is None
    with stated_gsd({png: 0.5}), open_dataset(png) as src:
        assert grid_gsd(src.crs) == pytest.approx(0.5)
        assert pixel_size_m(src) == pytest.approx([0.5, 0.5])
        assert src.transform.a == 1 and src.transform.e == 1  # pixel coordinates
        assert pixel_area_rows_m2(src.transform, src.crs, 0, 2) == pytest.approx([0.25, 0.25])
        assert src.read().shape == (3, 30, 40)
    with stated_gsd({png: 0.5}):
        assert describe(png).pixel_size_m == pytest.approx([0.5, 0.5])


def test_a_georeferenced_file_keeps_its_crs(make_tiff, workspace: Workspace) -> None:
    tif = make_tiff("geo.tif", np.zeros((1, 4, 4), np.float32))
    with stated_gsd({tif: 0.5}), open_dataset(tif) as src:
        assert src.crs.to_epsg() == 32633
    run = run_tool("describe_raster", {"image": str(tif), "gsd": 0.5}, workspace)
    assert any("was not used" in w for w in run.result.warnings)


def test_the_grid_survives_a_written_output(png: Path, workspace: Workspace) -> None:
    run = run_tool("pseudo_rgb", {"image": str(png), "gsd": 2.0}, workspace)
    out = run.result.first("raster")
    assert out is not None and out.path is not None
    with rasterio.open(out.path) as src:
        assert grid_gsd(src.crs) == pytest.approx(2.0)
    assert any("pixel coordinates" in w for w in run.result.warnings)


def test_levir_change_pair_with_gsd(data_dir: Path, workspace: Workspace) -> None:
    before, after = data_dir / LEVIR / "A" / CHIP, data_dir / LEVIR / "B" / CHIP
    run = run_tool("detect_changes", {"before": str(before), "after": str(after), "gsd": 0.5},
                   workspace)
    numbers = run.result.numbers()
    mask = run.result.first("mask")
    assert mask is not None and mask.path is not None
    with rasterio.open(mask.path) as src:
        assert grid_gsd(src.crs) == pytest.approx(0.5)
        data = src.read(1)
        changed = int(((data != 0) & (data != (src.nodata if src.nodata is not None else -1)))
                      .sum())
    area = next(q for name, q in numbers.items() if "area" in name and q.unit == "m²")
    assert area.value == pytest.approx(changed * 0.25, rel=1e-6)
    vector = run.result.first("vector")
    if vector is not None and vector.path is not None:
        features = json.loads(Path(vector.path).read_text())["features"]
        for f in features:  # pixel coordinates: inside the 256 x 256 chip
            xs, ys = zip(*f["geometry"]["coordinates"][0], strict=True)
            assert min(xs) >= 0 and max(xs) <= 256 and min(ys) >= 0 and max(ys) <= 256


def test_without_gsd_the_error_names_gsd(data_dir: Path, workspace: Workspace) -> None:
    before, after = data_dir / LEVIR / "A" / CHIP, data_dir / LEVIR / "B" / CHIP
    with pytest.raises(InputError, match="gsd"):
        run_tool("detect_changes", {"before": str(before), "after": str(after)}, workspace)


def test_gsd_per_image_must_match_the_images(data_dir: Path, workspace: Workspace) -> None:
    before, after = data_dir / LEVIR / "A" / CHIP, data_dir / LEVIR / "B" / CHIP
    with pytest.raises(InputError, match="gsd: 3 values for 2 images"):
        run_tool("detect_changes", {"before": str(before), "after": str(after),
                                    "gsd": [0.5, 0.5, 0.5]}, workspace)
    with pytest.raises(InputError, match="gsd"):
        run_tool("detect_changes", {"before": str(before), "after": str(after), "gsd": -1},
                 workspace)


def test_cli_names_gsd_and_prints_no_raw_gdal_warning(data_dir: Path, tmp_path: Path) -> None:
    before, after = data_dir / LEVIR / "A" / CHIP, data_dir / LEVIR / "B" / CHIP
    args = json.dumps({"before": str(before), "after": str(after)})
    proc = subprocess.run([sys.executable, "-m", "agent.cli.main", "run-tool", "detect_changes",
                           "--args", args, "--workspace", str(tmp_path / "ws")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "--gsd" in proc.stderr + proc.stdout
    assert "NotGeoreferencedWarning" not in proc.stderr


def test_pixel_grid_wkt_round_trips_through_a_geotiff(tmp_path: Path) -> None:
    path = tmp_path / "g.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
                       crs=pixel_grid_wkt(0.3), transform=rasterio.Affine.identity()) as dst:
        dst.write(np.ones((1, 2, 2), np.uint8))
    with rasterio.open(path) as src:
        assert grid_gsd(src.crs) == pytest.approx(0.3)
    assert grid_gsd("EPSG:32633") is None
