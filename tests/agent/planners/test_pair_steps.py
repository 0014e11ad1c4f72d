"""The steps of a before/after pair (``pair_steps``, ``pair_order``, ``per_scene``)."""

from __future__ import annotations

import pytest

from agent.plan import Plan, Scene
from agent.planners.offline import OfflinePlanner


def _plan(planner: OfflinePlanner, text: str, *paths: str) -> Plan:
    return planner.plan(text, [Scene(path=p) for p in paths])


@pytest.mark.parametrize("text", ["Has the lake shrunk?", "Has the water area increased?",
                                  "Did the reservoir shrink between the two dates?"])
def test_a_water_change_maps_the_water_of_both_dates(planner: OfflinePlanner, text: str) -> None:
    plan = _plan(planner, text, "s2_lake_2019.tif", "s2_lake_2023.tif")
    assert plan.steps[0].tool == "detect_changes"
    assert plan.steps[0].args["target"] == "water"
    assert [s.args["image"] for s in plan.steps if s.tool == "map_water"] == [
        "s2_lake_2019.tif", "s2_lake_2023.tif"]


@pytest.mark.parametrize(("text", "tool"), [
    ("Has the lake shrunk? Use NDWI with threshold 0.2.", "spectral_index"),
    ("Has the water increased after the storm? Use a VV threshold of -20 dB.", "map_water"),
    ("Has the reservoir shrunk? Use a VV threshold of -20 dB.", "map_water"),  # (read once)
])
def test_a_water_change_said_per_date_is_planned_per_date(planner: OfflinePlanner, text: str,
                                                           tool: str) -> None:
    plan = _plan(planner, text, "s1_vv_pre.tif", "s1_vv_post.tif")
    assert [s.tool for s in plan.steps] == [tool, tool]


def test_a_method_asked_as_well_adds_to_the_change(planner: OfflinePlanner) -> None:
    plan = _plan(planner, "Has the lake shrunk? Compute NDWI in both years as well.",
                 "s2_2019.tif", "s2_2021.tif")
    assert [s.tool for s in plan.steps] == ["detect_changes", "map_water", "map_water",
                                            "spectral_index", "spectral_index"]


def test_change_options_map_every_change(planner: OfflinePlanner) -> None:
    plan = _plan(planner, "What changed between the two images? A) new buildings B) new road "
                 "C) deforestation D) no change", "t1.png", "t2.png")
    assert [(s.tool, s.args.get("target")) for s in plan.steps] == [("detect_changes", None)]


def test_a_cover_area_of_two_dates_is_the_area_of_each(planner: OfflinePlanner) -> None:
    plan = _plan(planner, "What is the forest area in ha?", "v_2016.tif", "v_2022.tif")
    assert [(s.tool, s.args.get("image")) for s in plan.steps] == [
        ("segment", "v_2016.tif"), ("measure", None), ("segment", "v_2022.tif"),
        ("measure", None)]
    plan = _plan(planner, "How much forest area was lost, in ha?", "v_2016.tif", "v_2022.tif")
    assert plan.steps[0].tool == "detect_changes"


def test_a_land_use_compared_between_images_is_a_label(planner: OfflinePlanner) -> None:
    plan = _plan(planner, "Which image is more urban?", "a.tif", "b.tif")
    assert [s.tool for s in plan.steps] == ["classify_scene"]
    plan = _plan(planner, "Which of the images has more ships?", "a.png", "b.png")
    assert [s.tool for s in plan.steps] == ["detect_objects", "detect_objects"]
