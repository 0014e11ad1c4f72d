"""Slots for ``region``: bounding boxes, zones, IoU thresholds."""

from __future__ import annotations

import pytest

from agent.planners import spatial
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


@pytest.mark.parametrize(("text", "box"), [
    ("map water within 10.1, 45.2, 10.3, 45.4", [10.1, 45.2, 10.3, 45.4]),
    ("only look within 0, 0, 128, 128.", [0.0, 0.0, 128.0, 128.0]),
    ("count ships in the box 500000 4100000 501000 4101000",
     [500000.0, 4100000.0, 501000.0, 4101000.0]),
    ("NDVI with bbox=[10.3,45.4,10.1,45.2]", [10.1, 45.2, 10.3, 45.4]),
    ("between lon 10.1 and 10.3 and lat 45.2 and 45.4", [10.1, 45.2, 10.3, 45.4]),
    ("what is the land use of the area [0, 0, 256, 256] in the first image?",
     [0.0, 0.0, 256.0, 256.0]),
    ("latitude 45.4 to 45.2, longitude 10.3 to 10.1", [10.1, 45.2, 10.3, 45.4]),
    ("cars within -122.5, 37.7, -122.3, 37.9", [-122.5, 37.7, -122.3, 37.9]),
    ("x from 500000 to 501000 and y from 4100000 to 4101000",
     [500000.0, 4100000.0, 501000.0, 4101000.0]),
    ("is there a difference in the buildings at [120, 40, 180, 95] across these frames?",
     [120.0, 40.0, 180.0, 95.0]),  # bracketed after "at"
    ("how many cars are parked in the region 100,100 to 400,400?", [100.0, 100.0, 400.0, 400.0]),
    ("count the trees from (10, 20) to (300, 250)", [10.0, 20.0, 300.0, 250.0]),  # two corners
    ("count cars within pixels (100, 50) to (300, 250)", [100.0, 50.0, 300.0, 250.0]),
    ("in the region x1=100, y1=50, x2=300, y2=250, count the vehicles",
     [100.0, 50.0, 300.0, 250.0]),
    ("look only at the region (10,10)-(200,150) for changes", [10.0, 10.0, 200.0, 150.0]),
    ("count the cars inside the bounding box x1=100, y1=200, x2=400, y2=500.",
     [100.0, 200.0, 400.0, 500.0]),
])
def test_bbox_sorted_min_max(text: str, box: list[float]) -> None:
    found, spans = spatial.find_bbox(read_request(text, V.corrector).norm)
    assert found == pytest.approx(box)
    assert spans


@pytest.mark.parametrize("text", [
    "water area in 2019, 2020, 2021, 2022", "composite of bands 4 3 2 1",
    "in bands 4 3 2 1", "top 5 in 10 20 30 40 m", "the point at (512300, 4100200)",
    "buildings between 100 and 500 m2", "in 10.1, 45.2, 10.1, 45.4",
    "compute ndvi using bands [8, 4, 3, 2]", "the composite of bands [4, 3, 2, 1] at 10 m",
    "ndvi rose from 0.2, 0.3 to 0.5, 0.6", "from 2019, 2020 to 2021, 2022",
])
def test_no_bbox_in_other_numbers(text: str) -> None:
    assert spatial.find_bbox(read_request(text, V.corrector).norm) == (None, [])


def test_zones_made_by_earlier_steps() -> None:
    zone = spatial.find_zone("mean ndvi inside the water areas", V)
    assert zone is not None and zone.water and zone.classes == []
    zone = spatial.find_zone("ndvi within the detected buildings", V)
    assert zone is not None and zone.classes == ["building"] and not zone.water
    zone = spatial.find_zone("evi over the tree crowns", V)
    assert zone is not None and zone.classes == ["tree"]
    zone = spatial.find_zone("evi over the flooded area", V)
    assert zone is not None and zone.water
    assert spatial.find_zone("ships in the harbour", V) is None
    assert spatial.find_zone("evi over the lake", V) is None
    assert spatial.find_zone("ndvi of the scene", V) is None


@pytest.mark.parametrize(("text", "statistic"), [
    ("mean ndvi", "mean"), ("ndvi", "mean"), ("maximum ndvi", "max"), ("lowest evi", "min"),
    ("total biomass", "sum"),
])
def test_zone_statistic(text: str, statistic: str) -> None:
    assert spatial.zone_statistic(text) == statistic


@pytest.mark.parametrize(("text", "value"), [
    ("iou threshold 0.5", 0.5), ("match at iou >= 0.3", 0.3), ("iou@0.75", 0.75),
    ("validate at iou 0.3", 0.3), ("at 50% overlap", 0.5), ("what is the iou?", None),
    ("iou threshold 2", None),
])
def test_iou_threshold(text: str, value: float | None) -> None:
    found, _ = spatial.find_iou_threshold(text)
    assert found == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize(("text", "value"), [
    ("map water with a -16 db vv threshold on each", -16.0),
    ("map flood water with a vv cutoff of -17 db", -17.0),
    ("(5) threshold vv at -19 db", -19.0),
    ("everything darker than -18 db is water", -18.0),
    ("threshold the vv backscatter at -19 db (water below)", -19.0),
    ("vv_db < -18 -> water; area in ha", -18.0),  # after its band, no unit needed
    ("sigma0_vv (db) below -17 = open water", -17.0),
    ("map water with a threshold -18", -18.0),  # no index is so low
    ("map water with -18 db.", -18.0),
    ("map water; use a threshold of -18.", -18.0),  # a value ending its sentence
    ("map water where vv < -18.", -18.0),
    ("map the flood from the sar image at -17 db and give the area", -17.0),
    ("the practice is to threshold the calibrated vv backscatter of our sentinel-1 acquisition "
     "at -18 db", -18.0),
])
def test_sar_db_thresholds(text: str, value: float) -> None:
    assert spatial.find_db_threshold(text) == value


@pytest.mark.parametrize("text", [
    "map water; pixels with vv below -25 are radar shadow, exclude them",
    "map water; the hand threshold -5 is used for the terrain mask",
    "vv below -3 m of the levee",
    "map water. the noise floor is at -22 db.",
    "map water; don't use a fixed cut at -15 db, use otsu.",
    "map water; radar shadow is at -25 db.",
])
def test_no_sar_threshold_in_exclusions_and_other_units(text: str) -> None:
    assert spatial.find_db_threshold(text) is None


def test_db_thresholds_name_their_polarisation() -> None:
    """map_water thresholds the co-polarised band: its value is read, a VH one only reported."""
    text = "map flooding using vh below -22 db and vv below -15 db"
    assert spatial.db_thresholds(text) == [(-22.0, "vh"), (-15.0, "vv")]
    assert spatial.find_db_threshold(text) == -15.0
    assert spatial.cross_pol_thresholds(text) == [(-22.0, "vh")]
    assert spatial.find_db_threshold("water in s1, vh threshold of -24 db") == -24.0  # (alone:
    # a VH-only scene's)
    assert spatial.cross_pol_thresholds("water in s1, vh threshold of -24 db") == []
    assert spatial.find_db_threshold("everything darker than -18 db is water") == -18.0
