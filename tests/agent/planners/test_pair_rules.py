"""Pair rules: what a request over two scenes compares (water change, class change, two counts)."""

from __future__ import annotations

from agent.plan import Scene
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import steps

PAIR = [Scene(path="site_2019.tif"), Scene(path="site_2023.tif")]


def test_counts_on_each_scene_are_two_detections(planner: OfflinePlanner) -> None:
    plan = planner.plan("Count the container cranes on each image and how many were added?", PAIR)
    assert [tool for tool, _ in steps(plan)] == ["detect_objects", "detect_objects"]


def test_a_count_of_new_objects_is_a_change(planner: OfflinePlanner) -> None:
    plan = planner.plan("How many new buildings were built between the two dates?", PAIR)
    assert steps(plan)[0] == ("detect_changes", {"before": "site_2019.tif",
                                                 "after": "site_2023.tif", "target": "building"})


def test_land_flooded_between_dates_is_a_water_change(planner: OfflinePlanner) -> None:
    plan = planner.plan("How much farmland was inundated between the two dates, in hectares?",
                        PAIR)
    change = [args for tool, args in steps(plan) if tool == "detect_changes"]
    assert change and change[0]["target"] == "water"
