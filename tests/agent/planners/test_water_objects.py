"""Water features asked as objects, not as open water (agent/planners/water_objects.py)."""

from __future__ import annotations

import pytest

from agent.plan import Scene
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import steps


@pytest.mark.parametrize(("request_", "expected"), [
    ("How many shrimp ponds are there in guayas.tif?",
     [("detect_objects", {"image": "guayas.tif", "classes": ["shrimp pond"]})]),
    ("What's the total area of the fish ponds in manzala.png, in m2?",
     [("segment", {"image": "manzala.png", "classes": ["fish pond"]}),
      ("measure", {"source": "$s1", "statistic": "area", "units": "m2"})]),
    ("How many crystalliser ponds are in dampier.tif?",
     [("detect_objects", {"image": "dampier.tif", "classes": ["crystallizer pond"]})]),
])
def test_a_pond_named_by_its_use_is_an_object(planner: OfflinePlanner, request_: str,
                                              expected: list[tuple[str, dict[str, object]]]
                                              ) -> None:
    assert steps(planner.plan(request_, [])) == expected


@pytest.mark.parametrize("request_", [
    "Which of the fish ponds in ponds.tif are dry?",
    "Map the water in the tailings ponds of mine.tif.",
    "How many ponds are there in farm.tif?",
])
def test_water_said_or_no_use_keeps_the_water_map(planner: OfflinePlanner, request_: str) -> None:
    assert "map_water" in [s.tool for s in planner.plan(request_, []).steps]


def test_a_pond_change_over_two_dates_stays_water(planner: OfflinePlanner) -> None:
    plan = planner.plan("How many square kilometres of shrimp pond held water in 1999 but were "
                        "dry in 2011?", [Scene(path="p_1999.tif"), Scene(path="p_2011.tif")])
    assert "detect_changes" in [s.tool for s in plan.steps]


def test_the_length_of_a_watercourse_is_its_outline(planner: OfflinePlanner) -> None:
    """"the total length of the canals" outlines the canals by name and measures their length;
    "how many km of the river still have water" keeps the water map."""
    plan = planner.plan("What's the total length, in km, of the canals feeding the ponds in "
                        "atacama.tif?", [])
    assert steps(plan) == [("segment", {"image": "atacama.tif", "classes": ["canal"]}),
                           ("measure", {"source": "$s1", "statistic": "length", "units": "km"})]
    plan = planner.plan("How many km of the river inside park.geojson still have water in them "
                        "on s2.tif?", [])
    assert "map_water" in [s.tool for s in plan.steps]


def test_how_long_a_watercourse_is_without_a_statistic_word(planner: OfflinePlanner) -> None:
    """"measure how long the intake canals are" is their length; "how long has the river been
    dry" asks a time, and "how long is the breach gap" of a river levee no watercourse."""
    plan = planner.plan("Before I comment, measure how long the existing intake canals are on "
                        "usmag.tif.", [])
    assert steps(plan) == [("segment", {"image": "usmag.tif", "classes": ["canal"]}),
                           ("measure", {"source": "$s1", "statistic": "length"})]
    plan = planner.plan("How long is the breach gap in the river levee on chip.png, in metres?",
                        [])
    assert not any(s.args.get("classes") == ["river"] for s in plan.steps)
