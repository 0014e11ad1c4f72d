"""Argument checks of the evaluation on hand-made plans (rules: agent.evaluate's module doc)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.argument_checks import check_args, values_match
from agent.plan import Plan, PlanStep


def plan_of(*steps: tuple[str, dict[str, Any]]) -> Plan:
    return Plan(request="r",
                steps=[PlanStep(id=f"s{i}", tool=t, args=a) for i, (t, a) in enumerate(steps, 1)])


@pytest.mark.parametrize(("expected", "got", "ok"), [
    (0.5, 0.52, True), (0.5, 0.53, False), (15, 15.7, True), (15, 16, False),
    (0.0, 0.0, True), (0.0, 0.01, False), (True, True, True), (True, 1, False),
    ("NDVI", "ndvi", True), ("ship", "Vessels", True), ("harbor", "harbour", True),
    ("plane", "ship", False), (["ship"], ["vessel"], True), (["a", "b"], ["b", "a", "a"], True),
    (["ship"], ["ship", "plane"], False), ([650, 550, 450], [450, 551, 650], True),
    ([650, 550, 450], [650, 550], False), (None, None, True), (5, None, False),
    ("ship", ["ship"], False), ({"k": 1}, {"k": 1.01}, True),
    (["forest", "pasture"], ["forests", "pastures"], True), ("city", "cities", True),
    (["grass"], ["gras"], False), ("forest", "forest clearing", False),
    ("oil-stained sand", "oil stained sand", True),
    (["ice-wedge polygons"], ["ice wedge polygon"], True),
    ("anti-tank ditch", "anti tank", False),
])
def test_values_match(expected: Any, got: Any, ok: bool) -> None:
    assert values_match(expected, got) is ok


def test_check_args_best_step_and_defaults() -> None:
    plan = plan_of(("detect_objects", {"image": "a", "classes": ["plane"]}),
                   ("detect_objects", {"image": "a", "classes": ["ship"], "oriented": True}))
    checks = check_args(plan, {"detect_objects": {"classes": ["ship"], "oriented": True,
                                                  "min_confidence": 0.25}})
    assert [c.correct for c in checks] == [True, True, True]  # 0.25 is the tool default
    checks = check_args(plan, {"detect_objects": {"min_confidence": 0.5},
                               "measure": {"min_area_m2": 15}})
    assert [(c.tool, c.correct) for c in checks] == [("detect_objects", False),
                                                     ("measure", False)]


def test_nbr_with_a_before_scene_is_dnbr() -> None:
    pair = plan_of(("spectral_index", {"image": "post", "index": "NBR", "before": "pre"}))
    single = plan_of(("spectral_index", {"image": "post", "index": "NBR"}))
    named = plan_of(("spectral_index", {"image": "post", "index": "dNBR", "before": "pre"}))
    dnbr = {"spectral_index": {"index": "dNBR"}}
    nbr = {"spectral_index": {"index": "NBR"}}
    assert check_args(pair, dnbr)[0].correct and check_args(named, nbr)[0].correct
    assert check_args(pair, nbr)[0].correct and check_args(named, dnbr)[0].correct
    assert not check_args(single, dnbr)[0].correct  # one date: NBR is not dNBR
    ndvi = plan_of(("spectral_index", {"image": "post", "index": "NDVI", "before": "pre"}))
    assert not check_args(ndvi, dnbr)[0].correct


def test_water_area_trend_of_water_maps_is_their_area() -> None:
    maps = plan_of(("map_water", {"image": "a.tif"}), ("map_water", {"image": "b.tif"}),
                   ("trend", {"images": ["$s1", "$s2"], "statistic": "water_area"}))
    indices = plan_of(("spectral_index", {"image": "a.tif", "index": "NDWI"}),
                      ("spectral_index", {"image": "b.tif", "index": "NDWI"}),
                      ("trend", {"images": ["$s1", "$s2"], "statistic": "water_area"}))
    area = {"trend": {"statistic": "area"}}
    assert check_args(maps, area)[0].correct
    assert not check_args(indices, area)[0].correct  # not water maps: the names differ
    assert not check_args(maps, {"trend": {"statistic": "mean"}})[0].correct


def test_segment_of_detected_boxes_has_the_detected_classes() -> None:
    gold = {"segment": {"classes": ["building"]}}
    chained = plan_of(("detect_objects", {"image": "a", "classes": ["building"]}),
                      ("segment", {"image": "a", "boxes": "$s1"}))
    assert check_args(chained, gold)[0].correct
    other = plan_of(("detect_objects", {"image": "a", "classes": ["vehicle"]}),
                    ("segment", {"image": "a", "boxes": "$s1"}))
    assert not check_args(other, gold)[0].correct
    from_file = plan_of(("segment", {"image": "a", "boxes": "boxes.geojson"}))
    assert not check_args(from_file, gold)[0].correct


def test_zonal_measure_of_a_file_has_that_file_as_region() -> None:
    gold = {"measure": {"statistic": "mean", "region": "zones.gpkg"}}
    zonal = plan_of(("spectral_index", {"image": "a", "index": "NDVI"}),
                    ("measure", {"source": "zones.gpkg", "statistic": "mean", "image": "$s1"}))
    assert all(c.correct for c in check_args(zonal, gold))
    other = plan_of(("measure", {"source": "other.gpkg", "statistic": "mean", "image": "a"}))
    assert not check_args(other, gold)[1].correct
    no_image = plan_of(("measure", {"source": "zones.gpkg", "statistic": "mean"}))
    assert not check_args(no_image, gold)[1].correct  # the file's own shapes, no zones


def test_step_summarised_per_polygon_of_a_file_has_that_file_as_region() -> None:
    gold = {"spectral_index": {"index": "NDVI", "region": "zones.gpkg"}}
    zonal = plan_of(("spectral_index", {"image": "a", "index": "NDVI"}),
                    ("measure", {"source": "zones.gpkg", "statistic": "mean", "image": "$s1"}))
    assert all(c.correct for c in check_args(zonal, gold))
    whole = plan_of(("spectral_index", {"image": "a", "index": "NDVI"}),
                    ("measure", {"source": "$s1", "statistic": "mean"}))
    assert not check_args(whole, gold)[1].correct  # the mean of the whole scene
    elsewhere = plan_of(("spectral_index", {"image": "a", "index": "NDVI"}),
                        ("spectral_index", {"image": "b", "index": "NDVI"}),
                        ("measure", {"source": "zones.gpkg", "statistic": "mean", "image": "$s2"}))
    assert [c.got for c in check_args(elsewhere, gold)] == ["NDVI", "zones.gpkg"]
