"""Clauses that ask different things of different scenes (agent/planners/clause_scenes.py)."""

from __future__ import annotations

import pytest

from agent.plan import Scene
from agent.planners import clause_scenes
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import steps

PAIR = ["pre_flood_2023-05-01.tif", "post_flood_2023-05-20.tif"]


def _scenes(paths: list[str]) -> list[Scene]:
    return [Scene(path=p) for p in paths]


def test_pair_roles_pick_one_scene_each(planner: OfflinePlanner) -> None:
    plan = planner.plan("Count the homes in the pre-flood image and map the water in the "
                        "later one", _scenes(PAIR))
    assert [(t, a["image"]) for t, a in steps(plan)] == [
        ("detect_objects", PAIR[0]), ("map_water", PAIR[1])]
    assert plan.steps[0].args["classes"] == ["building"]


@pytest.mark.parametrize(("request_", "tools"), [
    ("Compute NDVI on the 2019 image, and count trees in the 2021 image",
     [("spectral_index", "farm_2019.tif"), ("detect_objects", "farm_2021.tif")]),
    ("Count the cars in farm_2019.tif and map the water in farm_2021.tif",
     [("detect_objects", "farm_2019.tif"), ("map_water", "farm_2021.tif")]),
])
def test_dates_and_names_pick_the_scene(planner: OfflinePlanner, request_: str,
                                        tools: list[tuple[str, str]]) -> None:
    plan = planner.plan(request_, _scenes(["farm_2019.tif", "farm_2021.tif"]))
    assert [(t, a["image"]) for t, a in steps(plan)] == tools


@pytest.mark.parametrize("request_", [
    "Count the buildings in the first image and tell me how many are new in the second",
    "Map the water in the first image; with the second as the baseline, what was lost?",
    "The first image is the dry reference. Map the water in the second one.",
])
def test_scenes_related_to_each_other_are_not_cut(request_: str) -> None:
    assert clause_scenes.groups(request_, [(p, None) for p in PAIR]) == []


def test_a_clause_without_a_scene_joins_the_one_before() -> None:
    found = clause_scenes.groups("Count the ships in the first image and how big are they? "
                                 "Map the water in the second image.",
                                 [(p, None) for p in PAIR])
    assert [g.scenes for g in found] == [[0], [1]]
    assert "how big" in found[0].text


@pytest.mark.parametrize("request_", [
    "Count the ships in a.tif, b.tif, c.tif, d.tif.",
    "Count the outdoor pools across the four tiles (a.tif, b.tif, c.tif, d.tif) and give the "
    "total.",
    "Count the ships in a.tif, b.tif, c.tif and d.tif, then map the water in a.tif.",
])
def test_a_file_list_binds_every_listed_scene(planner: OfflinePlanner, request_: str) -> None:
    """The commas of a file list do not cut the clause: every listed scene is analysed."""
    paths = ["a.tif", "b.tif", "c.tif", "d.tif"]
    plan = planner.plan(request_, _scenes(paths))
    assert [a["image"] for t, a in steps(plan) if t == "detect_objects"] == paths


@pytest.mark.parametrize("request_", [
    "Compute NDVI on the first file and NDWI on the second one.",
    "Please give me the NDVI image of the first file and the NDWI image of the second one.",
    "NDVI for the first image; NDWI for the second.",
])
def test_work_joined_by_and_or_said_without_a_verb_goes_to_its_scene(
        planner: OfflinePlanner, request_: str) -> None:
    files = ["f1_s2.tif", "f2_s2.tif"]
    plan = planner.plan(request_, _scenes(files))
    assert [(t, a["image"], a["index"]) for t, a in steps(plan)] == [
        ("spectral_index", files[0], "NDVI"), ("spectral_index", files[1], "NDWI")]


def test_two_scenes_of_one_operation_are_not_cut(planner: OfflinePlanner) -> None:
    """"dNBR from the pre-fire scene a and the post-fire scene b": one step over the pair; a
    statement about one scene ("the first image shows many ships") starts no group."""
    plan = planner.plan("Compute dNBR from the pre-fire scene pre_2017-09-23.tif and the "
                        "post-fire scene post_2017-10-25.tif, keep dNBR of 0.27 or more.")
    assert [t for t, _ in steps(plan)] == ["spectral_index"]
    plan = planner.plan("The first image shows many ships. Count the ships in the second one.",
                        _scenes(["a.tif", "b.tif"]))
    assert [(t, a["image"]) for t, a in steps(plan)] == [("detect_objects", "b.tif")]
