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


@pytest.mark.parametrize("request_", [
    "Make a true colour picture of the 2019 image and a false colour one of the 2023 image.",
    "Show the 2019 scene in natural colour and the 2023 one as colour infrared.",
])
def test_each_scene_gets_its_own_composite(planner: OfflinePlanner, request_: str) -> None:
    """A composite named per scene is made per scene (not the last one named for both); "a true
    colour picture" is the output, not a reference to an optical scene."""
    plan = planner.plan(request_, [Scene(path="s2_2019.tif"), Scene(path="s2_2023.tif")])
    assert [(a["image"], a["composite"]) for t, a in steps(plan) if t == "pseudo_rgb"] == [
        ("s2_2019.tif", "true_color"), ("s2_2023.tif", "false_color")]


def test_a_clause_cut_where_the_second_half_opens_with_its_scene(planner: OfflinePlanner) -> None:
    """"... the optical image to count buildings and the radar one to map the water": each half
    on its own scene; a statement that names water and a scene is no group of its own."""
    plan = planner.plan("Use the optical image to count buildings and the radar one to map the "
                        "water.", [Scene(path="s1_vv.tif"), Scene(path="s2_l2a.tif")])
    assert [(t, a.get("image")) for t, a in steps(plan)] == [
        ("detect_objects", "s2_l2a.tif"), ("map_water", "s1_vv.tif")]
    groups = clause_scenes.groups(
        "ICIMOD used a 16 May Sentinel-1 image as the base situation and a 22 May one for the "
        "flooding. Map the flood water on s1.tif, then count the houses inside the flooded area "
        "on the optical image.", [("s1.tif", "sar"), ("vhr.tif", "multispectral")])
    assert [g.scenes for g in groups] == [[0], [1]]
    assert "Map the flood water" in groups[0].text


def test_halves_that_name_their_files(planner: OfflinePlanner) -> None:
    """A clause cut at its "and" whose sides name their files ("a true colour picture of
    s2_2019.tif and a false colour one of s2_2023.tif"): each file its own composite."""
    plan = planner.plan("Make a true colour picture of s2_2019.tif and a false colour one of "
                        "s2_2023.tif", [Scene(path="s2_2019.tif"), Scene(path="s2_2023.tif")])
    assert [(a["image"], a["composite"]) for t, a in steps(plan) if t == "pseudo_rgb"] == [
        ("s2_2019.tif", "true_color"), ("s2_2023.tif", "false_color")]


def test_a_clause_that_repeats_the_one_before_on_its_scene(planner: OfflinePlanner) -> None:
    """"segment the buildings there, then do the same on the first" plans the segmentation on
    each scene; "then the same for the optical one" counts there too."""
    plan = planner.plan("Do the second picture first: segment the buildings there, then do the "
                        "same on the first.", _scenes(["x1.png", "x2.png"]))
    assert [(s.tool, s.args["image"]) for s in plan.steps] == [
        ("detect_objects", "x2.png"), ("segment", "x2.png"), ("detect_objects", "x1.png"),
        ("segment", "x1.png")]
    assert any("repeats" in n for n in plan.notes)
    plan = planner.plan("Count the ships in the radar image, then the same for the optical one.",
                        _scenes(["s1_vv.tif", "s2_rgb.tif"]))
    assert [s.args.get("image") for s in plan.steps if s.tool == "detect_objects"] == [
        "$s1", "s2_rgb.tif"]


@pytest.mark.parametrize(("request_", "paths", "planned"), [
    ("How many tennis courts are in the first image, and how many in the last?",
     ["a.png", "b.png", "c.png"], [("detect_objects", "a.png"), ("detect_objects", "c.png")]),
    ("How many vehicles in scene 1? What about scene 3?", ["a.png", "b.png", "c.png"],
     [("detect_objects", "a.png"), ("detect_objects", "c.png")]),
    ("How many roundabouts in the one from 2020? And the 2022 one?",
     ["city_2020.png", "city_2022.png"],
     [("detect_objects", "city_2020.png"), ("detect_objects", "city_2022.png")]),
    ("How much water in the radar one, and in the optical one?",
     ["s1_vv_lake.tif", "s2_lake.tif"], [("map_water", "s1_vv_lake.tif"),
                                         ("map_water", "s2_lake.tif")]),
    ("Estimate AGB for the optical scene, and for the radar scene too.",
     ["s2_forest.tif", "s1_forest_vv.tif"], [("estimate_biomass", "s2_forest.tif"),
                                             ("estimate_biomass", "s1_forest_vv.tif")]),
    ("Give me the NDBI of the optical image and the water area of the SAR image.",
     ["s2_city.tif", "s1_vv_city.tif"], [("spectral_index", "s2_city.tif"),
                                         ("map_water", "s1_vv_city.tif")]),
])
def test_an_elliptical_part_asks_the_part_before_of_its_own_scene(
        planner: OfflinePlanner, request_: str, paths: list[str],
        planned: list[tuple[str, str]]) -> None:
    """"..., and how many in the last?", "what about scene 3?", "and in the optical one?":
    the part before asked again of the scene it names (it had been dropped or sent to the
    describer); each part is checked by the learned model on its own words."""
    plan = planner.plan(request_, _scenes(paths))
    assert [(t, a["image"]) for t, a in steps(plan)] == planned
    assert all(s.args.get("classes") == plan.steps[0].args.get("classes") for s in plan.steps
               if s.tool == "detect_objects")


@pytest.mark.parametrize(("request_", "paths", "planned"), [
    ("Count the ships in the harbour image, and the planes in the airport image.",
     ["harbour_P0023.png", "airport_P0024.png"],
     [("harbour_P0023.png", ["ship"], None), ("airport_P0024.png", ["plane"], None)]),
    ("Roundabouts in the left image; soccer fields in the right image.", ["l.png", "r.png"],
     [("l.png", ["roundabout"], None), ("r.png", ["soccer ball field"], None)]),
    ("Count the planes in the first two images, and the helicopters in the last.",
     ["b1.png", "b2.png", "b3.png"],
     [("b1.png", ["plane"], None), ("b2.png", ["plane"], None),
      ("b3.png", ["helicopter"], None)]),
    ("Count the vehicles in the first image and the buildings in the last two. GSD 0.5 m for "
     "all.", ["c1.png", "c2.png", "c3.png"],
     [("c1.png", ["vehicle"], 0.5), ("c2.png", ["building"], 0.5),
      ("c3.png", ["building"], 0.5)]),
    ("How many storage tanks in P0001 and how many planes in P0002?", ["P0001.png", "P0002.png"],
     [("P0001.png", ["storage tank"], None), ("P0002.png", ["plane"], None)]),
])
def test_each_part_counts_its_own_class_on_its_own_scenes(
        planner: OfflinePlanner, request_: str, paths: list[str],
        planned: list[tuple[str, list[str], float | None]]) -> None:
    """Scenes named by a word of their file name, by side, by the first / last n or by their
    bare name keep their own classes (they had all been counted on every scene); a GSD said
    of all of them reaches every part."""
    plan = planner.plan(request_, _scenes(paths))
    assert [(a["image"], a["classes"], a.get("gsd")) for _, a in steps(plan)] == planned


def test_a_setting_for_both_reaches_every_part(planner: OfflinePlanner) -> None:
    """"...; minimum confidence 0.4 for both" is said of each part; "in the first chip" picks
    that chip although "at 0.6" follows it."""
    plan = planner.plan("How many harbors in image 2; how many bridges in image 1; minimum "
                        "confidence 0.4 for both.",
                        [Scene(path="img1.tif"), Scene(path="img2.tif")])
    by_image = {s.args["image"]: s.args for s in plan.steps}
    assert by_image["img2.tif"]["classes"] == ["harbor"]
    assert by_image["img1.tif"]["classes"] == ["bridge"]
    assert all(args.get("min_confidence") == 0.4 for args in by_image.values())
    plan = planner.plan("Count roundabouts in the first chip at 0.6; count bridges in the second "
                        "chip at 0.4.", [Scene(path=f"c{i}.png") for i in (1, 2, 3)])
    assert [(s.args["image"], s.args["classes"]) for s in plan.steps] == [
        ("c1.png", ["roundabout"]), ("c2.png", ["bridge"])]


@pytest.mark.parametrize(("text", "own", "out"), [
    ("NDVI > 0.3 in the 2019 scene", "> 0.4 in the 2021 one", "NDVI > 0.4 in the 2019 scene"),
    ("count ships above 0.6 confidence in image 1", "above 0.3 in the second",
     "count ships above 0.3 confidence in image 1"),
    ("buildings larger than 200 m2 in image 1", "larger than 500 m2 in the second",
     "buildings larger than 500 m2 in image 1"),
    ("NDVI > 0.3 and EVI > 0.2 in the first", "> 0.4 in the second",  # one value for two
     "NDVI > 0.3 and EVI > 0.2 in the first"),
])
def test_an_elliptic_part_gives_the_earlier_work_its_values(text: str, own: str,
                                                            out: str) -> None:
    assert clause_scenes.with_values(text, own) == out
