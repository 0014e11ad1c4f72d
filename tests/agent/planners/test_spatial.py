"""Slots for ``gsd`` and ``region``: GSD values, bounding boxes, zones, IoU thresholds."""

from __future__ import annotations

import pytest

from agent.planners import spatial
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def gsd_of(text: str) -> spatial.Gsd:
    req = read_request(text, V.corrector)
    return spatial.find_gsd(req.norm, req.mentions)[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("count the planes, GSD 0.5 m", [0.5]),
    ("a 0.5 m resolution chip", [0.5]),
    ("segment roofs at 30 cm per pixel", [0.3]),
    ("ground sample distance of 2 m", [2.0]),
    ("tiles at 0.3m/px", [0.3]),
    ("GSD=0.3", [0.3]),
    ("a 2-m resolution scene", [2.0]),
    ("pixel size of 50 cm", [0.5]),
    ("spatial resolution: 1 km", [1000.0]),
    ("ships longer than 50 m at 0.5 m resolution", [0.5]),
    ("each pixel of yard.jpg covers 30 cm on the ground", [0.3]),
    ("each image pixel corresponds to 2 metres", [2.0]),
    ("1 px = 0.5 m", [0.5]),
    ("ground sampling is 50 centimetres for depot.png", [0.5]),
    ("the imagery was captured at 0.4 m", [0.4]),
    ("these tiles are sampled at 0.5 m", [0.5]),
    ("pixels are 0.25 m square in lot.png", [0.25]),
    ("the scene's pixels measure 40 cm across", [0.4]),
    ("spatial res: 0.6m", [0.6]),
    ("with a pixel footprint of 0.3 m", [0.3]),
    ("the before chip is 0.5 m and the after chip is 0.3 m", [0.5, 0.3]),
])
def test_gsd_values_in_metres(text: str, expected: list[float]) -> None:
    assert gsd_of(text).values == pytest.approx(expected)


@pytest.mark.parametrize("text", [
    "find the top 5 tiles", "what changed between 2019 and 2023?", "count 50 m long ships",
    "ships longer than 50 m", "buildings within 100 m of the coast", "what is the resolution?",
    "buildings bigger than 10 m2", "NDVI above 0.3", "bands 4, 3, 2",
    "the image is 10 km by 10 km", "the drone was flown at 120 m altitude",
    "photos taken at 100 m height", "the scene is 20 km wide", "the scene is 185 km x 180 km",
    "samples were collected at 5 m intervals", "the photo was taken at 10 m above the ground",
    "the plots are 30 m apart",
])
def test_unrelated_numbers_are_no_gsd(text: str) -> None:
    assert gsd_of(text).values == []


def test_two_gsds_bound_to_roles_and_files() -> None:
    for text in ("before at 0.5 m and after at 0.3 m",
                 "GSD 0.5 m for the before image and 0.3 m for the after",
                 "GSD: 0.5 m (before) and 0.3 m (after)"):
        gsd = gsd_of(text)
        assert gsd.values == [0.5, 0.3], text
        assert gsd.by_role == {"before": 0.5, "after": 0.3}, text
        assert gsd.of("x.png", "after") == 0.3 and gsd.of("x.png", None) == 0.5
    gsd = gsd_of("a.png at 0.5 m and b.png at 0.3 m")
    assert gsd.by_file == {"a.png": 0.5, "b.png": 0.3}
    assert gsd.of("b.png", "before") == 0.3  # the file's own value wins
    assert spatial.Gsd().of("a.png", None) is None


@pytest.mark.parametrize(("text", "box"), [
    ("map water within 10.1, 45.2, 10.3, 45.4", [10.1, 45.2, 10.3, 45.4]),
    ("only look within 0, 0, 128, 128.", [0.0, 0.0, 128.0, 128.0]),
    ("count ships in the box 500000 4100000 501000 4101000",
     [500000.0, 4100000.0, 501000.0, 4101000.0]),
    ("NDVI with bbox=[10.3,45.4,10.1,45.2]", [10.1, 45.2, 10.3, 45.4]),
    ("between lon 10.1 and 10.3 and lat 45.2 and 45.4", [10.1, 45.2, 10.3, 45.4]),
    ("latitude 45.4 to 45.2, longitude 10.3 to 10.1", [10.1, 45.2, 10.3, 45.4]),
    ("cars within -122.5, 37.7, -122.3, 37.9", [-122.5, 37.7, -122.3, 37.9]),
    ("x from 500000 to 501000 and y from 4100000 to 4101000",
     [500000.0, 4100000.0, 501000.0, 4101000.0]),
])
def test_bbox_sorted_min_max(text: str, box: list[float]) -> None:
    found, spans = spatial.find_bbox(read_request(text, V.corrector).norm)
    assert found == pytest.approx(box)
    assert spans


@pytest.mark.parametrize("text", [
    "water area in 2019, 2020, 2021, 2022", "composite of bands 4 3 2 1",
    "in bands 4 3 2 1", "top 5 in 10 20 30 40 m", "the point at (512300, 4100200)",
    "buildings between 100 and 500 m2", "in 10.1, 45.2, 10.1, 45.4",
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
