"""describe_raster: metadata, readable report, numbers with units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MakeTiff
from tests.tools.geo.test_area import ellipsoid_quad_area_m2
from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.describe_raster import DescribeRasterOutput
from tools.geo.area import area_quantity


def _describe(ws: Workspace, image: Path) -> DescribeRasterOutput:
    result = run_tool("describe_raster", {"image": str(image)}, ws).result
    assert isinstance(result, DescribeRasterOutput)
    return result


def test_projected_scene(make_tiff: MakeTiff, workspace: Workspace) -> None:
    path = make_tiff("s2_like.tif", np.zeros((4, 50, 80), dtype="uint16"), nodata=0,
                     descriptions=["B2", "B3", "B4", "B8"],
                     band_tags=[{"wavelength": "490"}, {"wavelength": "560"},
                                {"wavelength": "665"}, {"wavelength": "842"}])
    result = _describe(workspace, path)
    nums = result.numbers()
    assert (nums["width"].value, nums["height"].value) == (80, 50)
    assert nums["width"].unit == "px" and nums["band_count"].unit == "count"
    assert nums["pixel_size_x"].value == 10.0 and nums["pixel_size_x"].unit == "m"
    assert nums["footprint_area"].value == pytest.approx(40.0) and \
        nums["footprint_area"].unit == "ha"
    assert nums["footprint_area_m2"].value == pytest.approx(400_000.0)
    assert result.info.modality == "multispectral"
    assert result.image == str(path)
    assert "80 x 50 px multispectral scene with 4 uint16 band(s), CRS EPSG:32633" in \
        result.summary
    report = result.report
    assert 'Bands: "B2" (490 nm), "B3" (560 nm), "B4" (665 nm), "B8" (842 nm)' in report
    assert "Pixel size: 10 m x 10 m" in report and "Nodata: 0.0" in report
    assert "Footprint: 40.00 ha" in report


def test_geographic_scene_footprint_is_geodesic(
        make_tiff: MakeTiff, workspace: Workspace) -> None:
    path = make_tiff("geo.tif", np.zeros((100, 100), dtype="float32"), crs="EPSG:4326")
    result = _describe(workspace, path)
    area = result.numbers()["footprint_area_m2"].value
    assert area == pytest.approx(ellipsoid_quad_area_m2(10.0, 44.99, 10.01, 45.0), rel=1e-5)
    assert "at the scene centre" in result.report
    assert result.info.is_geographic


def test_scene_without_crs_warns(make_tiff: MakeTiff, workspace: Workspace) -> None:
    path = make_tiff("plain.tif", np.zeros((3, 8, 8), dtype="uint8"), crs=None)
    result = _describe(workspace, path)
    assert "pixel_size_x" not in result.numbers() and "footprint_area" not in result.numbers()
    assert any("has no CRS" in w for w in result.warnings)
    assert "CRS: none" in result.report and result.info.modality == "rgb"


def test_bad_image_is_an_input_error(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"image: file not found: .*ghost\.tif"):
        run_tool("describe_raster", {"image": str(tmp_path / "ghost.tif")}, workspace)


@pytest.mark.parametrize(("area", "text"), [(50.0, "50.00 m²"), (12_345.0, "1.23 ha"),
                                            (3.2e6, "3.20 km²")])
def test_area_quantity_picks_a_readable_unit(area: float, text: str) -> None:
    assert str(area_quantity(area)) == text


@pytest.mark.realdata
def test_real_sentinel1_scene(data_dir: Path, workspace: Workspace) -> None:
    path = data_dir / "sar/sen1floods11_Spain_7370579_S1Hand.tif"
    result = _describe(workspace, path)
    print(result.report)
    assert result.info.modality == "sar"
    assert 'Bands: "VV", "VH"' in result.report
    assert result.numbers()["footprint_area"].unit == "km²"
    assert 15 < result.numbers()["footprint_area"].value < 25
