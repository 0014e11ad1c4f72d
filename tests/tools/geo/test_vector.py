"""GeoJSON writing (scene CRS + EPSG:4326 copy), reading, and window-wise polygonisation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry

from tests.conftest import MakeTiff
from tools.geo.atomic import write_json_atomic
from tools.geo.vector import feature_collection, polygonize_mask, read_features, write_geojson


def _feature(geom: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def test_write_geojson_with_a_4326_copy(tmp_path: Path) -> None:
    feats = [_feature(box(500_000, 4_000_000, 500_100, 4_000_050), id=1)]
    paths = write_geojson(tmp_path / "b.geojson", feats, "EPSG:32633", wgs84=True)
    assert [p.name for p in paths] == ["b.geojson", "b.4326.geojson"]
    scene, scene_crs = read_features(paths[0])
    geo, geo_crs = read_features(paths[1])
    assert scene_crs == "EPSG:32633" and geo_crs == "EPSG:4326"
    assert scene[0]["properties"] == {"id": 1}
    to_geo = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    for (x, y), (lon, lat) in zip(shape(scene[0]["geometry"]).exterior.coords,
                                  shape(geo[0]["geometry"]).exterior.coords, strict=True):
        assert (lon, lat) == pytest.approx(to_geo.transform(x, y), abs=1e-9)
    assert 14.99 < lon < 15.01 and 36.0 < lat < 36.2


def test_no_4326_copy_without_a_crs(tmp_path: Path) -> None:
    paths = write_geojson(tmp_path / "a.geojson", [_feature(box(0, 0, 1, 1))], None, wgs84=True)
    assert len(paths) == 1
    assert "crs" not in json.loads(paths[0].read_text())


def test_read_features_crs_rules(tmp_path: Path) -> None:
    plain = tmp_path / "plain.geojson"
    plain.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert read_features(plain) == ([], "EPSG:4326")  # RFC 7946: no crs member = WGS84
    crs84 = tmp_path / "crs84.geojson"
    crs84.write_text(json.dumps(feature_collection([], "urn:ogc:def:crs:OGC:1.3:CRS84")))
    assert read_features(crs84)[1] == "EPSG:4326"


def test_write_json_atomic_leaves_only_the_file(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "r.json", {"a": 1})
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular"):
        write_json_atomic(tmp_path / "bad.json", loop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_polygonize_joins_polygons_cut_by_windows(make_tiff: MakeTiff) -> None:
    mask = np.zeros((40, 40), dtype="uint8")
    mask[5:30, 12:20] = 1  # crosses the window borders at rows/cols 16 and 32
    mask[34:38, 34:38] = 1  # small, inside one window
    mask[1, 1] = 1  # a single-pixel speck
    path = make_tiff("mask.tif", mask)
    with rasterio.open(path) as src:
        feats = polygonize_mask(src, tile_size=16, properties={"class": "water"})
        big = polygonize_mask(src, tile_size=16, min_pixels=2)
    areas = sorted(f["properties"]["area_m2"] for f in feats)
    assert areas == pytest.approx([100.0, 1600.0, 25 * 8 * 100.0])
    assert all(f["properties"]["class"] == "water" for f in feats)
    assert len(big) == 2
    polys = sorted((shape(f["geometry"]) for f in feats), key=lambda g: g.area)
    # 10 m pixels from (500000, 4000000): the long rectangle spans cols 12..20, rows 5..30
    assert polys[-1].bounds == pytest.approx((500_120, 3_999_700, 500_200, 3_999_950))


@pytest.mark.parametrize("crs", ["EPSG:32633", "EPSG:4326"])
def test_polygonize_joins_tiles_exactly_in_any_crs(make_tiff: MakeTiff, crs: str) -> None:
    """0.0001° pixels: window transforms give the shared border coordinates that differ in the
    last bit; the dissolve must still make one polygon (and report the dropped specks)."""
    mask = np.zeros((48, 48), dtype="uint8")
    mask[10:14, 13:19] = 1  # crosses the window border at column 16
    mask[30:34, 30:34] = 1  # crosses the corner at (32, 32)
    mask[2, 2] = mask[2, 17] = 1  # specks, one on a window edge
    path = make_tiff("mask.tif", mask, crs=crs)
    dropped: list[BaseGeometry] = []
    with rasterio.open(path) as src:
        feats = polygonize_mask(src, tile_size=16, min_pixels=2, dropped=dropped)
        pixel = src.transform.a
    assert len(feats) == 2 and len(dropped) == 2
    widths = sorted(shape(f["geometry"]).bounds[2] - shape(f["geometry"]).bounds[0]
                    for f in feats)
    assert widths == pytest.approx([4 * pixel, 6 * pixel])
    assert sorted(g.area for g in dropped) == pytest.approx([pixel ** 2] * 2)
