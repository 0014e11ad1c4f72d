"""The learned check of a rule plan: what it leaves out, rewires, declines, and never drops."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agent.plan import Plan, PlanStep, Scene
from agent.planners import tool_model as tm
from agent.planners.offline import OfflinePlanner
from agent.planners.tool_review import ADD_AT, DECLINE_AT, DROP_BELOW, NEEDED_AT, review
from agent.planners.validate import plan_problems
from agent.planners.vocab import get_vocabulary

TOOLS = ("detect_objects", "segment", "measure", "map_water", "pseudo_rgb", "describe_scene",
         "detect_changes", "spectral_index", "trend")


def model(default: float = 0.6, **low: float) -> tm.ToolModel:
    """A model that gives every request these probabilities (``default`` for tools not named:
    probable enough to be kept, not sure enough to be added)."""
    p = {t: low.get(t, default) for t in TOOLS} | {tm.DECLINE: low.get("DECLINE", 0.01)}
    return tm.ToolModel(labels=tuple(p), index={"x": 0}, idf=np.ones(1, np.float32),
                        coef=np.zeros((1, len(p)), np.float32),
                        intercept=np.array([math.log(v / (1 - v)) for v in p.values()],
                                           np.float32))


def plan(*steps: tuple[str, dict[str, Any]]) -> Plan:
    return Plan(request="Outline the reed beds in a.tif and give their area in ha. Thanks.",
                steps=[PlanStep(id=f"s{k}", tool=t, args=a) for k, (t, a) in enumerate(steps, 1)])


def checked(p: Plan, m: tm.ToolModel) -> Plan:
    with tm.using(m):
        out = review(p, "outline the reed beds in  xfilex  and give their area in ha.", 1,
                     get_vocabulary())
    assert not plan_problems(out)
    return out


WATER = plan(("map_water", {"image": "a.tif"}),
             ("detect_objects", {"image": "a.tif", "classes": ["ship"]}))


def test_a_tool_the_request_does_not_read_as_asking_for_is_left_out_with_a_note() -> None:
    out = checked(WATER, model(map_water=0.02))
    assert [s.tool for s in out.steps] == ["detect_objects"] and out.steps[0].id == "s1"
    assert any("left out map_water" in n and "probability 0.02" in n for n in out.notes)
    assert checked(WATER, model(map_water=DROP_BELOW + 0.01)) == WATER


def test_a_step_another_step_reads_stays() -> None:
    p = plan(("map_water", {"image": "a.tif"}),
             ("measure", {"source": "$s1", "statistic": "area", "units": "ha"}))
    assert checked(p, model(map_water=0.01)) == p


def test_measure_is_never_left_out_nor_the_whole_plan() -> None:
    p = plan(("measure", {"source": "a.tif", "statistic": "area", "units": "ha"}))
    assert checked(p, model(measure=0.01)) == p
    only = plan(("describe_scene", {"image": "a.tif", "question": "what is it?"}))
    assert checked(only, model(describe_scene=0.01)) == only


def test_a_segment_step_takes_the_classes_of_the_detector_that_goes() -> None:
    p = plan(("detect_objects", {"image": "a.tif", "classes": ["reed bed"], "gsd": 0.5}),
             ("segment", {"image": "a.tif", "boxes": "$s1", "gsd": 0.5}),
             ("measure", {"source": "$s2", "statistic": "area", "units": "ha"}))
    out = checked(p, model(detect_objects=0.03))
    assert [(s.id, s.tool) for s in out.steps] == [("s1", "segment"), ("s2", "measure")]
    assert out.steps[0].args == {"image": "a.tif", "gsd": 0.5, "classes": ["reed bed"]}
    assert out.steps[1].args["source"] == "$s1"
    other = plan(("detect_objects", {"image": "a.tif", "classes": ["ship"], "gsd": 0.5}),
                 ("segment", {"image": "a.tif", "boxes": "$s1"}))  # the gsd would be lost
    assert checked(other, model(detect_objects=0.03)) == other


def test_a_request_that_reads_as_no_tools_work_is_declined_with_the_reason() -> None:
    unlikely = {"map_water": 0.3, "detect_objects": 0.3}
    out = checked(WATER, model(DECLINE=0.9, **unlikely))
    assert not out.steps and out.declined
    assert "detect_objects, map_water" in out.declined and "probability 0.90" in out.declined
    assert checked(WATER, model(DECLINE=DECLINE_AT - 0.05, **unlikely)) == WATER
    # a planned tool that is itself probable: partly answerable, the rules' plan stands
    assert checked(WATER, model(DECLINE=0.9, map_water=0.3, detect_objects=NEEDED_AT)) == WATER


def test_declined_plans_are_left_as_they_are() -> None:
    declined = Plan(request="what will it cost?", declined="prices are out of scope")
    assert checked(declined, model(DECLINE=0.01)) == declined


def test_offline_planner_runs_the_check_on_its_rules_plan() -> None:
    planner, request = OfflinePlanner(), ("Count the fishing boats moored along the north quay "
                                          "of the old harbour in harbour.tif, please.")
    assert [s.tool for s in planner.plan(request).steps] == ["detect_objects"]
    with tm.using(model(DECLINE=0.9, detect_objects=0.2)):
        out = planner.plan(request)
    assert not out.steps and out.declined and "detect_objects" in out.declined


def test_a_dry_run_without_files_plans_what_the_run_with_the_file_does() -> None:
    planner = OfflinePlanner()
    request = "How much open water is in this Sentinel-1 scene?"
    bare, given = planner.plan(request), planner.plan(request, [Scene(path="s1.tif")])
    assert [s.tool for s in bare.steps] == [s.tool for s in given.steps] == ["map_water"]


def test_a_named_tool_and_the_steps_of_an_asked_share_are_never_left_out() -> None:
    p = plan(("detect_objects", {"image": "a.tif", "classes": ["building"]}),
             ("segment", {"image": "a.tif", "classes": ["building"]}))

    def reviewed(norm: str, m: tm.ToolModel) -> Plan:
        with tm.using(m):
            return review(p, norm, 1, get_vocabulary())

    town = " in the old town on  xfilex , all of them please"
    assert reviewed("split it into buildings with the segmenter" + town, model(segment=0.01)) == p
    assert [s.tool for s in reviewed("outline the buildings" + town,
                                     model(segment=0.01)).steps] == ["detect_objects"]
    share = "what percentage of the buildings are damaged" + town
    assert reviewed(share, model(detect_objects=0.01)) == p
    background = "87 % of them stand on cropland. outline the buildings" + town
    assert [s.tool for s in reviewed(background, model(detect_objects=0.01)).steps] == [
        "segment"]


def test_short_requests_are_left_as_the_rules_plan_them() -> None:
    with tm.using(model(map_water=0.01, DECLINE=0.99, detect_objects=0.01)):
        assert review(WATER, "map water and ships in  xfilex  pls", 1, get_vocabulary()) == WATER


def planned(request: str, m: tm.ToolModel, scenes: tuple[str, ...] = ()) -> Plan:
    with tm.using(m):
        out = OfflinePlanner().plan(request, [Scene(path=p) for p in scenes])
    assert not plan_problems(out)
    return out


def steps(p: Plan) -> list[tuple[str, dict[str, Any]]]:
    return [(s.tool, {k: v for k, v in s.args.items() if k != "image"}) for s in p.steps]


SHIPS = ("For the berth report, on harbour.tif find the cargo ships at the container quay "
         "so we can see how much of the berth they take up.")


def test_a_tool_the_model_is_sure_of_is_planned_with_the_slots_the_rules_read() -> None:
    assert steps(planned(SHIPS, model())) == [("detect_objects", {"classes": ["ship"]})]
    out = planned(SHIPS, model(segment=ADD_AT + 0.01))
    assert steps(out) == [("detect_objects", {"classes": ["ship"]}),
                          ("segment", {"boxes": "$s1"})]
    assert any(n.startswith("added segment") and "probability 0.71" in n for n in out.notes)
    assert steps(planned(SHIPS, model(segment=ADD_AT - 0.01))) == steps(planned(SHIPS, model()))


def test_an_outline_the_rules_read_as_water_is_the_named_thing_when_the_model_is_sure() -> None:
    request = ("We surveyed the quarry district last summer. On quarry.tif, outline the pit "
               "lakes left by the old workings and give me their total area in km2.")
    assert [s.tool for s in planned(request, model()).steps] == ["map_water"]
    out = planned(request, model(segment=0.95, map_water=0.2))
    assert steps(out) == [("segment", {"classes": ["pit lake"]}),
                          ("measure", {"source": "$s1", "statistic": "area", "units": "km2"})]
    water = ("We surveyed the quarry district last summer. On quarry.tif, outline the water in "
             "each of the old pits and give me its total area in km2.")
    assert [s.tool for s in planned(water, model(segment=0.95, map_water=0.2)).steps] == [
        "map_water"]  # the water itself is outlined: a water map (it reports km2 itself)


def test_two_scenes_the_model_reads_as_a_comparison_get_their_change_in_the_given_order() -> None:
    request = ("Our rangers flew the reserve again. Compare reserve_2023.tif with "
               "reserve_2019.tif and show me where the boats left the moorings.")
    out = planned(request, model(detect_changes=0.99))
    assert steps(out)[0] == ("detect_changes", {"before": "reserve_2023.tif",
                                                "after": "reserve_2019.tif", "target": "ship"})
    assert any(n.startswith("before = reserve_2023.tif") and "looks newer" in n
               for n in out.notes)  # the dates disagree with the order given: said, not swapped
    assert "detect_changes" not in [s.tool for s in planned(request, model()).steps]


def test_a_measure_the_model_is_sure_of_measures_the_last_result_in_the_asked_unit() -> None:
    request = ("The spring flood report needs this number: map the flood water on flood.tif "
               "and tell me how large it is, in square metres please.")
    base = [s.tool for s in planned(request, model()).steps]
    out = planned(request, model(measure=0.9))
    if "measure" in base:
        assert steps(out) == steps(planned(request, model()))
    else:
        assert steps(out)[-1] == ("measure", {"source": f"${out.steps[-2].id}",
                                              "statistic": "area", "units": "m2"})


def test_the_shipped_model_completes_plans_the_rules_left_short() -> None:
    planner = OfflinePlanner()
    snow = planner.plan("For the spring melt report, between the two Sentinel-2 scenes "
                        "(alps_2021-04-10.tif and alps_2021-05-20.tif) show me where the snow "
                        "has gone and how many km2 melted out.")
    assert steps(snow) == [
        ("detect_changes", {"before": "alps_2021-04-10.tif", "after": "alps_2021-05-20.tif"}),
        ("measure", {"source": "$s1", "statistic": "area", "units": "km2"})]
    pits = planner.plan("We surveyed the quarry district last summer. On quarry_s2_2023.tif, "
                        "outline the pit lakes left by the old workings and give me their total "
                        "area in km2.")
    assert steps(pits)[0] == ("segment", {"classes": ["pit lake"]})


def test_a_counted_thing_the_rules_read_as_water_is_detected_when_the_model_is_sure() -> None:
    request = ("For our heron survey this spring, how many herons are standing in the flooded "
               "meadow on meadow_drone_0412.jpg?")
    assert "detect_objects" not in [s.tool for s in planned(request, model()).steps]
    out = planned(request, model(detect_objects=0.95, map_water=0.2))
    assert steps(out) == [("detect_objects", {"classes": ["heron"]})]
    assert any(n.startswith("added detect_objects") for n in out.notes)


def test_whether_the_number_of_objects_changed_stays_a_count_on_each_scene() -> None:
    request = ("I have two images of the same marina from 2019 and 2021 (marina_2019.tif, "
               "marina_2021.tif). Did the number of boats change between them?")
    out = planned(request, model(detect_changes=0.95), ("marina_2019.tif", "marina_2021.tif"))
    assert [s.tool for s in out.steps] == ["detect_objects", "detect_objects"]


def test_a_clause_plainly_in_scope_keeps_the_plan_of_a_request_read_as_out_of_scope() -> None:
    """The whole request reads as no tool's work, but one of its clauses asks plainly for one
    ("find the solar panels"): that clause is planned and the rest reported; a clause that
    only refers back to the rest ("and how much it changed") keeps the decline."""
    planner = OfflinePlanner()
    plan_ = planner.plan("Find the solar panels and estimate how much electricity they generate "
                         "per year.", [Scene(path="roofs.tif")])
    assert [s.tool for s in plan_.steps] == ["detect_objects"] and not plan_.declined
    assert any("a power or energy figure" in n for n in plan_.not_done)
    plan_ = planner.plan("Our canopy height model should show how tall the vegetation is. Give me "
                         "the mean canopy height of the project forest from a_2024.tif and how "
                         "much it changed since a_2021.tif.",
                         [Scene(path="a_2024.tif"), Scene(path="a_2021.tif")])
    assert plan_.declined and not plan_.steps
