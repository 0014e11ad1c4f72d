"""measure: counts, areas, attribute and zonal statistics, lengths, filters, units, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.features
from pyproj import Transformer
from scipy import ndimage
from shapely.geometry import box, mapping, shape
from shapely.ops import transform as shp_transform

from tests.conftest import MakeTiff, write_tiff
from tests.tools.geo.test_area import ellipsoid_quad_area_m2
from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.geo.objects import canonical_class
from tools.geo.vector import feature_collection, read_features

X0, Y0 = 500_000.0, 4_000_000.0


def _feat(geom: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


@pytest.fixture
def detections(tmp_path: Path) -> Path:
    """Four objects in EPSG:32633: 500 m², 2000 m², 900 m², 25 m² (lengths 50, 100, 30, 5 m)."""
    feats = [
        _feat(box(X0, Y0, X0 + 10, Y0 + 50), **{"class": "ship", "confidence": 0.9}),
        _feat(box(X0 + 100, Y0, X0 + 200, Y0 + 20), label="Vessel", confidence=0.4),
        _feat(box(X0 + 300, Y0, X0 + 330, Y0 + 30), label="airplane", confidence=0.8),
        _feat(box(X0 + 400, Y0, X0 + 405, Y0 + 5), **{"class": "ships", "score": 0.95}),
    ]
    path = tmp_path / "detections.geojson"
    path.write_text(json.dumps(feature_collection(feats, "EPSG:32633")))
    return path


def _run(ws: Workspace, **args: Any) -> Any:
    return run_tool("measure", args, ws).result


def test_count_with_classes_synonyms_and_confidence(detections: Path, workspace: Workspace) -> None:
    res = _run(workspace, source=str(detections), statistic="count")
    assert res.value == 4 and res.units == "count" and res.objects == 4
    assert res.counts == {"ship": 3, "plane": 1}
    nums = res.numbers()
    assert nums["count_ship"].value == 3 and nums["count_plane"].unit == "count"
    assert not any(a.kind == "vector" for a in res.artifacts)  # nothing filtered
    ships = _run(workspace, source=str(detections), statistic="count", classes=["Vessels"])
    assert ships.value == 3
    sure = _run(workspace, source=str(detections), statistic="count", classes=["boat"],
                min_confidence=0.5)
    assert sure.value == 2 and sure.summary.startswith("count: 2 (")


def test_filtered_objects_are_written_for_later_steps(
        detections: Path, workspace: Workspace) -> None:
    run = run_tool("measure", {"source": str(detections), "statistic": "count",
                               "classes": ["ship"], "min_confidence": 0.5}, workspace, step="s1")
    vec = run.result.first("vector")
    assert vec is not None and vec.crs == "EPSG:32633" and vec.path is not None
    feats, crs = read_features(vec.path)
    assert crs == "EPSG:32633" and len(feats) == 2
    # the result file ($s1) now serves the filtered objects to the next step
    area = _run(workspace, source=str(run.result_path), statistic="area")
    assert area.value == pytest.approx(525.0) and area.units == "m²"


def test_area_units(detections: Path, workspace: Workspace) -> None:
    res = _run(workspace, source=str(detections), statistic="area")
    assert res.value == pytest.approx(3425.0) and res.units == "m²"
    ha = _run(workspace, source=str(detections), statistic="area", units="ha")
    assert ha.value == pytest.approx(0.3425) and ha.units == "ha"
    assert ha.numbers()["area_m2"].value == pytest.approx(3425.0)
    assert ha.numbers()["area_m2"].unit == "m²"
    km = _run(workspace, source=str(detections), statistic="area", units="km2")
    assert km.value == pytest.approx(0.003425) and km.units == "km²"


def test_attribute_statistics(detections: Path, workspace: Workspace) -> None:
    mean = _run(workspace, source=str(detections), statistic="mean")
    assert mean.value == pytest.approx(3425.0 / 4) and mean.units == "m²"
    big = _run(workspace, source=str(detections), statistic="max", min_area_m2=100,
               max_area_m2=1000)
    assert big.value == pytest.approx(900.0) and big.objects == 2
    conf = _run(workspace, source=str(detections), statistic="min", attribute="confidence")
    assert conf.value == pytest.approx(0.4) and conf.units == "1"
    assert any("no numeric 'confidence'" in w for w in conf.warnings)  # the 'score' one
    with pytest.raises(InputError, match=r"no feature of .* has a numeric 'height'"):
        _run(workspace, source=str(detections), statistic="mean", attribute="height")


def test_lengths(detections: Path, workspace: Workspace) -> None:
    res = _run(workspace, source=str(detections), statistic="length")
    assert res.value == pytest.approx((50 + 100 + 30 + 5) / 4) and res.units == "m"
    assert res.numbers()["length_max"].value == pytest.approx(100.0)
    long = _run(workspace, source=str(detections), statistic="count", min_length_m=40)
    assert long.value == 2
    feats, _ = read_features(long.artifacts[-1].path)
    assert sorted(f["properties"]["length_m"] for f in feats) == [50.0, 100.0]


def test_length_units(detections: Path, workspace: Workspace) -> None:
    km = _run(workspace, source=str(detections), statistic="length", units="km")
    assert km.value == pytest.approx((50 + 100 + 30 + 5) / 4 / 1000) and km.units == "km"
    assert km.numbers()["length_total"].value == pytest.approx(0.185)
    assert km.numbers()["length_total"].unit == "km"
    with pytest.raises(InputError, match=r"units: 'km' is a length unit .* statistic is 'area'"):
        _run(workspace, source=str(detections), statistic="area", units="km")
    with pytest.raises(InputError, match=r"units: 'ha' is an area unit .* use m, km, ft or mi"):
        _run(workspace, source=str(detections), statistic="length", units="ha")
    with pytest.raises(InputError, match=r"units: 'acre' is an area unit"):
        _run(workspace, source=str(detections), statistic="length", units="acre")
    with pytest.raises(InputError, match=r"units: 'ft' is a length unit"):
        _run(workspace, source=str(detections), statistic="area", units="ft")


def test_us_customary_units(detections: Path, workspace: Workspace) -> None:
    """Acres, square miles, feet and miles: international definitions, labelled in the answer."""
    acres = _run(workspace, source=str(detections), statistic="area", units="acre")
    assert acres.value == pytest.approx(3425.0 / 4046.8564224) and acres.units == "acre"
    assert acres.numbers()["area_m2"].value == pytest.approx(3425.0)
    sq_mi = _run(workspace, source=str(detections), statistic="area", units="mi2")
    assert sq_mi.value == pytest.approx(3425.0 / 1609.344 ** 2) and sq_mi.units == "mi²"
    sq_ft = _run(workspace, source=str(detections), statistic="area", units="ft2")
    assert sq_ft.value == pytest.approx(3425.0 / 0.3048 ** 2) and sq_ft.units == "ft²"
    feet = _run(workspace, source=str(detections), statistic="length", units="ft")
    assert feet.value == pytest.approx((50 + 100 + 30 + 5) / 4 / 0.3048) and feet.units == "ft"
    miles = _run(workspace, source=str(detections), statistic="length", units="mi")
    assert miles.numbers()["length_total"].value == pytest.approx(185 / 1609.344)
    assert miles.numbers()["length_total"].unit == "mi"


def test_nothing_left_after_filters_is_a_warning_not_a_number(
        detections: Path, workspace: Workspace) -> None:
    res = _run(workspace, source=str(detections), statistic="mean", min_area_m2=1e6)
    assert res.value is None and "mean" not in res.numbers()
    assert any("nothing left" in w for w in res.warnings)


def test_geographic_polygon_area_is_geodesic(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "field.geojson"  # no crs member: RFC 7946 WGS84
    geom = box(10.0, 45.0, 10.01, 45.01).segmentize(0.001)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feat(geom)]}))
    res = _run(workspace, source=str(path), statistic="area")
    reference = ellipsoid_quad_area_m2(10.0, 45.0, 10.01, 45.01)
    print(f"geodesic polygon area {res.numbers()['area_m2'].value:.1f} m², "
          f"closed form {reference:.1f} m²")
    assert res.units == "ha"
    assert res.numbers()["area_m2"].value == pytest.approx(reference, rel=1e-5)


def test_vector_without_crs(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "nocrs.geojson"
    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {}},
          "features": [_feat(box(0, 0, 10, 10)), _feat(box(20, 0, 30, 10))]}
    path.write_text(json.dumps(fc))
    count = _run(workspace, source=str(path), statistic="count")
    assert count.value == 2 and any("has no CRS" in w for w in count.warnings)
    with pytest.raises(InputError, match=r"nocrs\.geojson has no CRS"):
        _run(workspace, source=str(path), statistic="area")


def test_classes_need_classed_features(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "plain.geojson"
    path.write_text(json.dumps(feature_collection([_feat(box(0, 0, 1, 1))], "EPSG:32633")))
    with pytest.raises(InputError, match="carry no class"):
        _run(workspace, source=str(path), statistic="count", classes=["ship"])


def _blob_mask(rng: np.random.Generator) -> np.ndarray:
    return np.asarray(ndimage.binary_opening(rng.random((90, 70)) > 0.5), dtype="uint8")


def test_mask_regions_and_area_across_tiles(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "16")
    mask = _blob_mask(rng)
    path = make_tiff("mask.tif", mask)
    labels, n = ndimage.label(mask)
    sizes = np.bincount(labels.ravel())[1:]
    count = _run(workspace, source=str(path), statistic="count")
    assert count.value == n and count.objects == n
    area = _run(workspace, source=str(path), statistic="area")
    assert area.numbers()["area_m2"].value == pytest.approx(mask.sum() * 100.0)
    assert area.units == ("ha" if mask.sum() * 100 >= 10_000 else "m²")
    big = _run(workspace, source=str(path), statistic="count", min_area_m2=500)
    assert big.value == int((sizes * 100 >= 500).sum())
    largest = _run(workspace, source=str(path), statistic="max", attribute="area_m2")
    assert largest.numbers()["max_m2"].value == pytest.approx(sizes.max() * 100.0)


def test_mask_nodata_is_outside(make_tiff: MakeTiff, workspace: Workspace) -> None:
    mask = np.zeros((10, 10), dtype="uint8")
    mask[:2] = 1
    mask[5:] = 255  # nodata
    res = _run(workspace, source=str(make_tiff("m.tif", mask, nodata=255)), statistic="area")
    assert res.numbers()["area_m2"].value == pytest.approx(2000.0)


def test_geographic_mask_area(make_tiff: MakeTiff, workspace: Workspace) -> None:
    path = make_tiff("geo_mask.tif", np.ones((100, 100), dtype="uint8"), crs="EPSG:4326")
    res = _run(workspace, source=str(path), statistic="area")
    reference = ellipsoid_quad_area_m2(10.0, 44.99, 10.01, 45.0)
    assert res.numbers()["area_m2"].value == pytest.approx(reference, rel=1e-5)


def test_mask_without_crs(make_tiff: MakeTiff, workspace: Workspace) -> None:
    mask = np.zeros((10, 10), dtype="uint8")
    mask[1:3, 1:3] = mask[6:9, 6:9] = 1
    path = make_tiff("nocrs_mask.tif", mask, crs=None)
    count = _run(workspace, source=str(path), statistic="count")
    assert count.value == 2 and any("no CRS" in w for w in count.warnings)
    with pytest.raises(InputError, match=r"nocrs_mask\.tif has no CRS"):
        _run(workspace, source=str(path), statistic="area")
    with pytest.raises(InputError, match="without object classes"):
        _run(workspace, source=str(path), statistic="count", classes=["ship"])


def test_mask_lengths_via_polygons(make_tiff: MakeTiff, workspace: Workspace) -> None:
    mask = np.zeros((30, 30), dtype="uint8")
    mask[2:4, 2:27] = 1  # 25 px = 250 m long
    mask[10:20, 10:12] = 1  # 10 px = 100 m long
    res = _run(workspace, source=str(make_tiff("lines.tif", mask)), statistic="length")
    assert res.numbers()["length_max"].value == pytest.approx(250.0)
    assert res.numbers()["length_min"].value == pytest.approx(100.0)


@pytest.fixture
def biomass(make_tiff: MakeTiff) -> Path:
    """100 Mg/ha everywhere except a 300 Mg/ha block; 10 m pixels (0.01 ha each)."""
    agb = np.full((40, 40), 100.0, dtype="float32")
    agb[0:10, 0:10] = 300.0
    agb[39, 39] = -1.0
    return make_tiff("agb.tif", agb, nodata=-1.0, tags={"units": "Mg/ha"})


def test_zonal_statistics_in_polygons(
        biomass: Path, tmp_path: Path, workspace: Workspace) -> None:
    # polygon A covers the 300 block exactly (1 ha); B covers 20 x 10 px of 100 Mg/ha (2 ha)
    a = box(X0, Y0 - 100, X0 + 100, Y0)
    b = box(X0 + 100, Y0 - 200, X0 + 200, Y0)
    path = tmp_path / "plots.geojson"
    path.write_text(json.dumps(feature_collection([_feat(a, name="A"), _feat(b, name="B")],
                                                  "EPSG:32633")))
    mean = _run(workspace, source=str(path), statistic="mean", image=str(biomass))
    assert mean.value == pytest.approx((300 * 100 + 100 * 200) / 300) and mean.units == "Mg/ha"
    assert mean.numbers()["valid_pixels"].value == 300
    feats, _ = read_features(mean.first("vector").path)
    assert [f["properties"]["zonal_mean"] for f in feats] == pytest.approx([300.0, 100.0])
    total = _run(workspace, source=str(path), statistic="sum", image=str(biomass))
    assert total.value == pytest.approx(300 * 1 + 100 * 2) and total.units == "Mg"


def test_zonal_polygons_in_another_crs_are_reprojected(
        biomass: Path, tmp_path: Path, workspace: Workspace) -> None:
    to_geo = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform
    block = shp_transform(to_geo, box(X0 + 0.5, Y0 - 99.5, X0 + 99.5, Y0 - 0.5))
    path = tmp_path / "geo_plot.geojson"  # no crs member: WGS84
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feat(block)]}))
    res = _run(workspace, source=str(path), statistic="mean", image=str(biomass))
    assert res.value == pytest.approx(300.0)
    assert res.numbers()["valid_pixels"].value == 100


def test_zonal_statistics_in_a_mask_and_of_a_raster(
        biomass: Path, make_tiff: MakeTiff, workspace: Workspace) -> None:
    mask = np.zeros((40, 40), dtype="uint8")
    mask[0:10, 0:20] = 1
    mask[39, 39] = 1  # nodata in the image: not counted
    mask_path = make_tiff("forest.tif", mask)
    res = _run(workspace, source=str(mask_path), statistic="max", image=str(biomass))
    assert res.value == 300.0 and res.numbers()["valid_pixels"].value == 200
    whole = _run(workspace, source=str(biomass), statistic="mean")
    assert whole.value == pytest.approx((300 * 100 + 100 * 1499) / 1599)
    other = make_tiff("small.tif", np.ones((20, 20), dtype="uint8"))
    with pytest.raises(InputError, match="is not on the grid of image"):
        _run(workspace, source=str(other), statistic="mean", image=str(biomass))


def test_bad_sources(tmp_path: Path, workspace: Workspace, make_tiff: MakeTiff) -> None:
    with pytest.raises(InputError, match=r"the reference \$s3 was not resolved"):
        _run(workspace, source="$s3", statistic="count")
    with pytest.raises(InputError, match=r"source: file not found: .*nothing\.geojson"):
        _run(workspace, source=str(tmp_path / "nothing.geojson"), statistic="count")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(InputError, match=r"broken\.geojson is not a readable GeoJSON"):
        _run(workspace, source=str(broken), statistic="count")
    numbers_only = run_tool("describe_raster", {"image": str(make_tiff(
        "n.tif", np.zeros((4, 4), "uint8")))}, workspace).result_path
    raw = json.loads(numbers_only.read_text())
    assert not any(a["kind"] in ("vector", "mask", "raster") for a in raw["result"]["artifacts"])
    with pytest.raises(InputError, match="holds no objects, mask or raster"):
        _run(workspace, source=str(numbers_only), statistic="count")


@pytest.mark.parametrize(("name", "canonical"), [
    ("Vessels", "ship"), ("boat", "ship"), ("Aircraft", "plane"), ("small-vehicle", "vehicle"),
    ("cars", "vehicle"), ("Storage_Tanks", "storage tank"), ("harbour", "harbor"),
    ("house", "building"), ("tennis court", "tennis court"), ("glass", "glass")])
def test_canonical_class(name: str, canonical: str) -> None:
    assert canonical_class(name) == canonical


@pytest.mark.realdata
def test_spacenet_building_area_vector_and_mask(
        data_dir: Path, tmp_path: Path, workspace: Workspace) -> None:
    folder = data_dir / "detection/spacenet_buildings"
    labels = folder / "geotiff_labels.geojson"
    feats, crs = read_features(labels)
    assert len(feats) == 43 and crs is not None and "32616" in crs
    shapely_sum = sum(shape(f["geometry"]).area for f in feats)
    vec = _run(workspace, source=str(labels), statistic="area")
    assert vec.numbers()["area_m2"].value == pytest.approx(shapely_sum, rel=1e-9)
    count = _run(workspace, source=str(labels), statistic="count")
    assert count.value == 43
    with rasterio.open(folder / "sample_geotiff.tif") as src:
        burned = rasterio.features.rasterize(
            [(f["geometry"], 1) for f in feats], out_shape=(src.height, src.width),
            transform=src.transform, dtype="uint8")
        mask_path = write_tiff(tmp_path / "buildings_mask.tif", burned, crs=src.crs.to_string(),
                               transform=src.transform)
    mask = _run(workspace, source=str(mask_path), statistic="area")
    mask_m2 = mask.numbers()["area_m2"].value
    print(f"SpaceNet buildings: polygons {shapely_sum:.1f} m², rasterised mask {mask_m2:.1f} m² "
          f"({(mask_m2 / shapely_sum - 1) * 100:+.2f} %)")
    assert mask_m2 == pytest.approx(shapely_sum, rel=0.03)
    assert mask_m2 == pytest.approx(burned.sum() * 0.25)
    zonal = _run(workspace, source=str(labels), statistic="mean",
                 image=str(folder / "sample_geotiff.tif"))
    assert zonal.value is not None and zonal.units == "pixel value"
    assert zonal.numbers()["valid_pixels"].value == pytest.approx(burned.sum(), rel=0.01)


def test_area_of_each_class(detections: Path, workspace: Workspace) -> None:
    """Objects of several classes: the total area, and the area of each class in the same
    unit (ships 500 + 2000 + 25 m², the plane 900 m²)."""
    res = _run(workspace, source=str(detections), statistic="area", units="ha")
    nums = res.numbers()
    assert res.value == pytest.approx(0.3425)
    assert nums["area_ship"].value == pytest.approx(0.2525) and nums["area_ship"].unit == "ha"
    assert nums["area_plane"].value == pytest.approx(0.09)
    one = _run(workspace, source=str(detections), statistic="area", classes=["plane"])
    assert "area_plane" not in one.numbers() and one.value == pytest.approx(900.0)
    small = _run(workspace, source=str(detections), statistic="area")
    assert small.numbers()["area_plane"].unit == "m²"
