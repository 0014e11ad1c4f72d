"""Areas and lengths in metres: projected, foot-based and geographic CRSs, checked against
independent references (the closed-form ellipsoid zone area and a UTM projection)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely import affinity
from shapely.geometry import LineString, Polygon, box
from shapely.ops import transform as shp_transform

from tools.core.errors import InputError
from tools.geo.area import geometry_area_m2, geometry_length_m, pixel_area_rows_m2, require_crs

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563


def ellipsoid_quad_area_m2(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Closed-form area of the WGS84 region between two meridians and two parallels."""
    e2 = WGS84_F * (2 - WGS84_F)
    e = math.sqrt(e2)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return WGS84_A**2 * (1 - e2) * math.radians(lon1 - lon0) / 2 * (q(lat1) - q(lat0))


def test_projected_pixel_area_is_constant() -> None:
    rows = pixel_area_rows_m2(from_origin(500_000, 4_000_000, 10, 10), "EPSG:32633", 0, 5)
    assert rows.tolist() == [100.0] * 5


def test_foot_based_crs_converts_to_square_metres() -> None:
    rows = pixel_area_rows_m2(from_origin(1_000_000, 200_000, 1, 1), "EPSG:2263", 0, 2)
    assert rows == pytest.approx([0.3048006096**2] * 2, rel=1e-9)


def test_geographic_pixel_areas_match_the_closed_form_ellipsoid_area() -> None:
    transform = from_origin(10.0, 45.01, 0.0001, 0.0001)  # 100 x 100 pixels of 0.0001°
    rows = pixel_area_rows_m2(transform, "EPSG:4326", 0, 100)
    total = float(rows.sum()) * 100
    reference = ellipsoid_quad_area_m2(10.0, 45.0, 10.01, 45.01)
    print(f"geodesic pixel sum {total:.2f} m², closed form {reference:.2f} m²")
    assert total == pytest.approx(reference, rel=1e-5)
    assert rows[0] < rows[-1]  # pixels shrink towards the pole (row 0 is the northernmost)


def test_geographic_area_agrees_with_a_utm_equivalent() -> None:
    geo = box(10.0, 45.0, 10.01, 45.01).segmentize(0.0005)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32632", always_xy=True).transform
    utm = shp_transform(to_utm, geo)
    geodesic = geometry_area_m2(geo, "EPSG:4326")
    planar = geometry_area_m2(utm, "EPSG:32632")
    print(f"EPSG:4326 geodesic {geodesic:.1f} m², UTM 32N planar {planar:.1f} m²")
    # UTM scale error 1° from the central meridian at 45°N is below 0.1 %.
    assert geodesic == pytest.approx(planar, rel=1e-3)
    rows = pixel_area_rows_m2(from_origin(10.0, 45.01, 0.0001, 0.0001), "EPSG:4326", 0, 100)
    assert float(rows.sum()) * 100 == pytest.approx(planar, rel=1e-3)


def test_projected_polygon_area_and_oriented_length() -> None:
    rect = affinity.rotate(box(0, 0, 100, 20), 30, origin="centroid")
    assert geometry_area_m2(rect, "EPSG:32633") == pytest.approx(2000.0)
    assert geometry_length_m(rect, "EPSG:32633") == pytest.approx(100.0)
    assert geometry_length_m(LineString([(0, 0), (30, 40)]), "EPSG:32633") == pytest.approx(50)


def test_geographic_lengths_are_geodesic() -> None:
    meridian = LineString([(10.0, 45.0), (10.0, 45.01)])
    assert geometry_length_m(meridian, "EPSG:4326") == pytest.approx(1111.3, rel=1e-3)
    cell = Polygon([(10.0, 45.0), (10.02, 45.0), (10.02, 45.001), (10.0, 45.001)])
    # long side: 0.02° of longitude at 45°N ≈ 1576 m
    assert geometry_length_m(cell, "EPSG:4326") == pytest.approx(1576.3, rel=2e-3)


@pytest.mark.parametrize("crs", [None, ""])
def test_missing_crs_is_refused_with_the_fix(crs: str | None) -> None:
    with pytest.raises(InputError, match=r"mask\.tif has no CRS.*pass `gsd`.*--gsd"):
        require_crs(crs, "mask.tif")
    with pytest.raises(InputError, match="has no CRS"):
        pixel_area_rows_m2(from_origin(0, 0, 1, 1), crs, 0, 1)
    with pytest.raises(InputError, match="has no CRS"):
        geometry_area_m2(box(0, 0, 1, 1), crs)


def test_rows_offset_matches_a_full_computation() -> None:
    transform = from_origin(-60.0, 10.0, 0.001, 0.001)
    full = pixel_area_rows_m2(transform, "EPSG:4326", 0, 30)
    part = pixel_area_rows_m2(transform, "EPSG:4326", 10, 5)
    assert np.allclose(part, full[10:15])
