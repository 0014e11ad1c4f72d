"""``region``: a bbox, a vector file or an earlier result cuts every scene a tool reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import box, mapping

from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.geo.region import clip_to_region, load_region

# 10 m pixels from (500000, 4000000) in EPSG:32633 (conftest's write_tiff default)
X0, Y0 = 500_000.0, 4_000_000.0


@pytest.fixture
def index_scene(make_tiff) -> Path:
    """A 4-band 60 x 80 scene: left half vegetation (NIR high), right half bare."""
    red = np.full((60, 80), 0.10, np.float32)
    nir = np.full((60, 80), 0.50, np.float32)
    nir[:, 40:] = 0.12
    bands = np.stack([red * 0.8, red * 0.9, red, nir])
    return make_tiff("scene.tif", bands, descriptions=["blue", "green", "red", "nir"])


def _geojson(path: Path, geom, crs: str | None = "EPSG:32633") -> Path:
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": {}, "geometry": mapping(geom)}]}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(fc))
    return path


def _ndvi(workspace: Workspace, image: Path, **extra) -> dict:
    run = run_tool("spectral_index", {"image": str(image), "index": "NDVI", "threshold": 0.3,
                                      **extra}, workspace)
    return {"run": run, "numbers": run.result.numbers()}


def test_bbox_in_the_scene_crs_reads_only_its_window(index_scene: Path,
                                                     workspace: Workspace) -> None:
    # 20 x 10 pixels, all in the vegetated half
    bbox = [X0 + 100, Y0 - 300, X0 + 300, Y0 - 200]
    out = _ndvi(workspace, index_scene, region=bbox)
    raster = out["run"].result.first("raster")
    assert raster is not None and raster.path is not None
    with rasterio.open(raster.path) as src:
        assert (src.width, src.height) == (20, 10)
        assert src.transform.c == X0 + 100 and src.transform.f == Y0 - 200
        assert src.crs.to_epsg() == 32633
    assert out["numbers"]["region_area"].value == pytest.approx(200 * 100)
    assert "inside the region" in out["run"].result.summary
    shares = [q for name, q in out["numbers"].items() if q.unit == "%"]
    assert shares and shares[0].value == pytest.approx(100.0)


def test_bbox_in_lon_lat_is_recognised(index_scene: Path, workspace: Workspace) -> None:
    from pyproj import Transformer

    to_ll = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(X0 + 420, Y0 - 580)  # right (bare) half
    lon1, lat1 = to_ll.transform(X0 + 780, Y0 - 20)
    out = _ndvi(workspace, index_scene, region=[lon0, lat0, lon1, lat1])
    assert any("lon/lat" in w for w in out["run"].result.warnings)
    shares = [q for q in out["numbers"].values() if q.unit == "%"]
    assert shares[0].value == pytest.approx(0.0)  # bare soil only


def test_geojson_polygon_masks_outside_pixels(index_scene: Path, workspace: Workspace,
                                              tmp_path: Path) -> None:
    # a triangle across both halves; NDVI raster is NaN outside it
    tri = shapely.Polygon([(X0 + 0, Y0 - 0), (X0 + 800, Y0 - 0), (X0 + 0, Y0 - 600)])
    path = _geojson(tmp_path / "aoi.geojson", tri)
    out = _ndvi(workspace, index_scene, region=str(path))
    raster = out["run"].result.first("raster")
    with rasterio.open(raster.path) as src:
        data = src.read(1, masked=True)
    inside = (~np.ma.getmaskarray(data)) & np.isfinite(data.filled(np.nan))
    # pixel centres inside the triangle: about half of the 60 x 80 pixels
    assert 0.45 < inside.mean() < 0.55
    assert not inside[-1, -1] and inside[0, 0]
    assert out["numbers"]["region_area"].value == pytest.approx(inside.sum() * 100.0)


def test_geopackage_layer_and_earlier_step(index_scene: Path, workspace: Workspace,
                                           tmp_path: Path) -> None:
    gpkg = tmp_path / "fields.gpkg"
    geom = box(X0 + 100, Y0 - 300, X0 + 300, Y0 - 200)
    pyogrio.raw.write(gpkg, geometry=np.array([shapely.to_wkb(geom)], dtype=object),
                      field_data=[np.array([1])], fields=["id"], layer="fields",
                      driver="GPKG", crs="EPSG:32633", geometry_type="Polygon")
    region = load_region(f"{gpkg}#fields")
    assert region.geometry.equals(geom) and "fields" in region.what
    with pytest.raises(InputError, match="layer"):
        load_region(f"{gpkg}#nothere")
    # an earlier step's polygons: the NDVI mask of the whole scene, then a region from it
    first = _ndvi(workspace, index_scene)
    again = _ndvi(workspace, index_scene, region=str(first["run"].result_path))
    shares = [q for q in again["numbers"].values() if q.unit == "%"]
    assert shares[0].value == pytest.approx(100.0)  # inside the vegetation polygons only


def test_region_that_misses_the_scene_is_refused(index_scene: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not overlap"):
        clip_to_region(str(index_scene), load_region([0, 0, 10, 10]), tmp_path / "c.tif")
    with pytest.raises(InputError, match="4 finite numbers"):
        load_region([1, 2, 3])
    line = tmp_path / "line.geojson"
    _geojson(line, shapely.LineString([(X0, Y0), (X0 + 50, Y0 - 50)]))
    with pytest.raises(InputError, match="no polygon"):
        load_region(str(line))


def test_integer_scene_without_nodata_gets_a_mask(tmp_path: Path) -> None:
    path = tmp_path / "rgb.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=3, dtype="uint8",
                       crs="EPSG:32633", transform=from_origin(X0, Y0, 10, 10)) as dst:
        dst.write(np.full((3, 10, 10), 7, np.uint8))
    tri = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0, Y0 - 100)])
    clip = clip_to_region(str(path), load_region(str(_geojson(tmp_path / "t.geojson", tri))),
                          tmp_path / "clip.tif")
    from tools.geo.raster import open_dataset, read_masked

    with open_dataset(clip.path) as src:
        data = read_masked(src, rasterio.windows.Window(0, 0, 10, 10))
        assert src.dtypes[0] == "uint8"
    masked = np.ma.getmaskarray(data)[0]
    assert masked[-1, -1] and not masked[0, 0]
    assert clip.pixels == int((~masked).sum())
