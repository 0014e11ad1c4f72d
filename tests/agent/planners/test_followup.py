"""Chat follow-ups that run the previous request on another scene, named in any way."""

from __future__ import annotations

from typing import Any

import pytest

from agent.planners.followup import resolve_followup
from agent.planners.offline import OfflinePlanner

SCENES = ["harbour_S1_VV_2019-05-02.tif", "harbour_S2_2021-05-04.tif", "harbour_S2_2023-05-06.tif"]
TURN: dict[str, Any] = {"request": "count the ships", "scenes": [SCENES[2]],
                        "steps": [{"id": "s1", "tool": "detect_objects", "status": "ok",
                                   "result_path": "ws/s1.geojson", "vectors": []}]}


@pytest.mark.parametrize(("request_text", "index"), [
    ("what about the radar one?", 0),
    ("now do it for the 2021 image", 1),
    ("and for the oldest scene?", 0),
    ("same for image 2", 1),
    ("how about the second picture", 1),
    ("now do it for the 2021 image as well", 1),
])
def test_the_other_scene_is_the_one_named(planner: OfflinePlanner, request_text: str,
                                          index: int) -> None:
    follow = resolve_followup(request_text, [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert [s.path for s in follow.scenes] == [SCENES[index]]
    images = {a.get("image") for a in (s.args for s in follow.plan.steps)}
    assert SCENES[index] in images or any(s.tool == "pseudo_rgb" for s in follow.plan.steps)


def test_a_new_request_is_no_follow_up(planner: OfflinePlanner) -> None:
    assert resolve_followup("what about the weather tomorrow?", [TURN], SCENES, planner) is None
    assert resolve_followup("count the planes in a.tif", [TURN], SCENES, planner) is None


@pytest.mark.parametrize(("request_text", "args"), [
    ("only those longer than 150 m", {"statistic": "count", "min_length_m": 150.0}),
    ("how many are bigger than half a hectare?", {"statistic": "count", "min_area_m2": 5000.0}),
    ("keep the ones under 2 acres", {"statistic": "count", "max_area_m2": 2 * 4046.8564224}),
    ("show only those with confidence above 0.8", {"statistic": "count",
                                                   "min_confidence": 0.8}),
    ("and in hectares?", {"statistic": "area", "units": "ha"}),
    ("give it in acres", {"statistic": "area", "units": "acre"}),
    ("give me their total area in acres", {"statistic": "area", "units": "acre"}),
    ("what's that in square kilometres?", {"statistic": "area", "units": "km2"}),
    ("what is their area in km2?", {"statistic": "area", "units": "km2"}),
    ("how much of it is bigger than 1 ha?", {"statistic": "count", "min_area_m2": 10000.0}),
    ("how many are there in total?", {"statistic": "count"}),
    ("and how many did you find?", {"statistic": "count"}),
])
def test_filters_and_units_measure_the_last_result_again(
        planner: OfflinePlanner, request_text: str, args: dict[str, Any]) -> None:
    follow = resolve_followup(request_text, [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    first = follow.plan.steps[0]
    assert first.tool == "measure" and first.args["source"] == "ws/s1.geojson"
    assert {k: v for k, v in first.args.items() if k != "source"} == pytest.approx(args)
    assert [s.path for s in follow.scenes] == [SCENES[2]]


@pytest.mark.parametrize(("request_text", "indices"), [
    ("what about the May 2021 one?", [1]),
    ("try the previous image", [1]),
    ("now the first one", [0]),
    ("redo it on the S1 file", [0]),
    ("ok, now the other two images", [0, 1]),
    ("same thing for all of them", [0, 1, 2]),
    ("do the last two images too", [1, 2]),
    ("and for the oldest?", [0]),
    ("what about the middle image?", [1]),
    ("now skip the 2019 one and do the rest", [1, 2]),
    ("do the same for the Sentinel-1 scene", [0]),
    ("now the sentinel-2 images", [1, 2]),
    ("run it on everything", [0, 1, 2]),
    ("run it on all", [0, 1, 2]),
    ("what about the one before that?", [1]),
    ("what about 2021?", [1]),
])
def test_the_scenes_a_follow_up_names(planner: OfflinePlanner, request_text: str,
                                      indices: list[int]) -> None:
    follow = resolve_followup(request_text, [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert [s.path for s in follow.scenes] == [SCENES[i] for i in indices]


def test_a_new_request_with_a_size_is_no_filter(planner: OfflinePlanner) -> None:
    """A size bound alone does not refer back: "count the buildings bigger than 100 m² in
    a.tif" is a request of its own."""
    for text in ("count the buildings bigger than 100 m2 in a.tif",
                 "count only the buildings bigger than 100 m2 in a.tif"):
        assert resolve_followup(text, [TURN], SCENES, planner) is None


def test_a_vague_size_or_a_question_is_no_repeat(planner: OfflinePlanner) -> None:
    """"drop the small ones" gives no size: declined with how to say one; "do you see ships in
    the first image?" asks anew."""
    follow = resolve_followup("drop the small ones", [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None and "no size" in follow.plan.declined
    assert resolve_followup("do you see ships in the first image?", [TURN], SCENES,
                            planner) is None


def test_the_scene_after_the_last_one(planner: OfflinePlanner) -> None:
    """"the one after that" is the scene after the last turn's; after the newest there is none
    (a new request, not a guess)."""
    turn = {**TURN, "scenes": [SCENES[0]]}
    follow = resolve_followup("and the one after that?", [turn], SCENES, planner)
    assert follow is not None and [s.path for s in follow.scenes] == [SCENES[1]]
    assert resolve_followup("and the one after that?", [TURN], SCENES, planner) is None


WATER_TURN: dict[str, Any] = {
    "request": "map the water", "scenes": [SCENES[1]],
    "steps": [{"id": "s1", "tool": "map_water", "status": "ok", "result_path": "ws/s1.tif",
               "vectors": ["ws/s1.geojson"]}]}


@pytest.mark.parametrize(("request_text", "args"), [
    ("and how big is the largest water body?", {"statistic": "max"}),
    ("what's the smallest one?", {"statistic": "min"}),
    ("the average size in ha?", {"statistic": "mean", "units": "ha"}),
    ("and the total area?", {"statistic": "area"}),
])
def test_a_figure_of_the_objects_found(planner: OfflinePlanner, request_text: str,
                                       args: dict[str, Any]) -> None:
    """A figure of the last result's objects is measured on its polygons (one per water body),
    not on its mask's pixel values."""
    follow = resolve_followup(request_text, [WATER_TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    (step,) = follow.plan.steps
    assert step.tool == "measure" and step.args["source"] == "ws/s1.geojson"
    assert {k: v for k, v in step.args.items() if k != "source"} == args


def test_a_repeat_with_a_new_setting_keeps_it(planner: OfflinePlanner) -> None:
    """"now do it with a -20 dB threshold on the radar one": the previous request on that scene,
    with the setting the follow-up gives."""
    follow = resolve_followup("now do it with a -20 dB threshold on the radar one",
                              [WATER_TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    (step,) = follow.plan.steps
    assert step.tool == "map_water" and step.args["image"] == SCENES[0]
    assert step.args["threshold"] == -20.0


def test_more_follow_up_wordings(planner: OfflinePlanner) -> None:
    """"do that again but on all three", "show me the biggest one", "and their total area in
    hectares?", "repeat with a confidence of 0.5" (the detections filtered), "and how much is
    that in km2?", "what about the optical image from 2023?"."""
    turn = {**TURN, "steps": [*TURN["steps"], {"id": "s2", "tool": "segment", "status": "ok",
                                               "result_path": "ws/s2.geojson", "vectors": []}]}
    follow = resolve_followup("do that again but on all three", [turn], SCENES, planner)
    assert follow is not None and [s.path for s in follow.scenes] == SCENES
    for text, args in (("show me the biggest one", {"statistic": "max"}),
                       ("and their total area in hectares?", {"statistic": "area",
                                                               "units": "ha"})):
        follow = resolve_followup(text, [turn], SCENES, planner)
        assert follow is not None and follow.plan is not None, text
        (step,) = follow.plan.steps
        assert step.args == {"source": "ws/s2.geojson", **args}, text
    follow = resolve_followup("repeat with a confidence of 0.5", [turn], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert follow.plan.steps[0].args == {"source": "ws/s1.geojson", "statistic": "count",
                                         "min_confidence": 0.5}
    follow = resolve_followup("and how much is that in km2?", [WATER_TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert follow.plan.steps[0].args == {"source": "ws/s1.tif", "statistic": "area",
                                         "units": "km2"}
    follow = resolve_followup("what about the optical image from 2023?", [WATER_TURN], SCENES,
                              planner)
    assert follow is not None and [s.path for s in follow.scenes] == [SCENES[2]]


def test_a_comparison_with_another_scene(planner: OfflinePlanner) -> None:
    """"compare it with the 2023 image" / "what changed since the radar image?": the previous
    request over its scene and the one named, in the session's order; no scene named, no
    comparison."""
    follow = resolve_followup("compare it with the 2023 image", [WATER_TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert [s.path for s in follow.scenes] == [SCENES[1], SCENES[2]]
    assert {s.args.get("image") for s in follow.plan.steps} >= {SCENES[1], SCENES[2]}
    follow = resolve_followup("what changed since the radar image?", [TURN], SCENES, planner)
    assert follow is not None and [s.path for s in follow.scenes] == [SCENES[0], SCENES[2]]
    assert resolve_followup("compare it with the weather", [WATER_TURN], SCENES,
                            planner) is None


def test_lengths_outlines_and_dropped_detections(planner: OfflinePlanner) -> None:
    """"give me their mean length" is measure's length (not the mean area), with the length
    unit asked; "can you outline them instead?" prompts segment with the boxes found, on the
    image they were found in (a composite of that turn when the boxes came from one); "drop
    the detections under 0.4 confidence" filters the detections."""
    turn = {**TURN, "steps": [*TURN["steps"], {"id": "s2", "tool": "segment", "status": "ok",
                                               "result_path": "ws/s2.geojson", "vectors": []}]}
    for text, args in (("give me their mean length", {"statistic": "length"}),
                       ("what is the longest one?", {"statistic": "length"}),
                       ("and the total length in km?", {"statistic": "length", "units": "km"})):
        follow = resolve_followup(text, [turn], SCENES, planner)
        assert follow is not None and follow.plan is not None, text
        assert follow.plan.steps[0].args == {"source": "ws/s2.geojson", **args}, text
    follow = resolve_followup("can you outline them instead?", [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert [(s.tool, s.args) for s in follow.plan.steps] == [
        ("segment", {"image": SCENES[2], "boxes": "ws/s1.geojson"})]
    radar = {"request": "count the ships", "scenes": [SCENES[0]],
             "plan": [{"id": "s1", "tool": "pseudo_rgb", "args": {"image": SCENES[0]}},
                      {"id": "s2", "tool": "detect_objects", "args": {"image": "$s1"}}],
             "steps": [{"id": "s1", "tool": "pseudo_rgb", "status": "ok",
                        "result_path": "ws/s1.tif", "vectors": []},
                       {"id": "s2", "tool": "detect_objects", "status": "ok",
                        "result_path": "ws/s2.geojson", "vectors": []}]}
    follow = resolve_followup("now segment them", [radar], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert follow.plan.steps[0].args == {"image": "ws/s1.tif", "boxes": "ws/s2.geojson"}
    assert resolve_followup("outline it", [WATER_TURN], SCENES, planner) is None
    follow = resolve_followup("drop the detections under 0.4 confidence", [turn], SCENES,
                              planner)
    assert follow is not None and follow.plan is not None
    assert follow.plan.steps[0].args == {"source": "ws/s1.geojson", "statistic": "count",
                                         "min_confidence": 0.4}


def test_the_other_scene_of_a_kind_is_not_the_one_used(planner: OfflinePlanner) -> None:
    """"the other optical image" after a water map of one optical scene is the second optical
    scene only (not both optical scenes)."""
    turn = {**WATER_TURN}
    follow = resolve_followup("now do the same on the other optical image", [turn], SCENES,
                              planner)
    assert follow is not None and [s.path for s in follow.scenes] == [SCENES[2]]
