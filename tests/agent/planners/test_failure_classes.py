"""The failure classes of the planner issue, on our own phrasings (none copied from a benchmark).

Long scenario requests, sets of images, pre/post pairs, land-cover conversion, arguments in
words, visualisation, image references, out-of-scope parts, and honest plans: what was not
done is said, assumptions name their files, before/after keep the analyst's order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.plan import Plan, Scene
from agent.planners import coverage
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import assert_planned_as_annotated, steps

FILE = Path(__file__).with_name("failure_class_queries.jsonl")
QUERIES = [json.loads(x) for x in FILE.read_text().splitlines() if x.strip()]


@pytest.mark.parametrize("query", QUERIES, ids=[q["id"] for q in QUERIES])
def test_failure_class_phrasings(planner: OfflinePlanner, query: dict[str, Any]) -> None:
    assert_planned_as_annotated(planner, query)


def _tools(plan: Plan) -> list[str]:
    return [tool for tool, _ in steps(plan)]


# --- long scenario requests: background words trigger nothing -------------------------------


def test_background_paragraph_triggers_no_tool(planner: OfflinePlanner) -> None:
    plan = planner.plan(
        "Our agency tracks how the harbour district develops over the years and reports to the "
        "ministry every quarter. The flood last spring changed a lot there. Count the cranes "
        "in quay.tif, please.")
    assert _tools(plan) == ["detect_objects"]
    assert plan.steps[0].args["classes"] == ["container crane"]


def test_a_role_clause_is_no_ask(planner: OfflinePlanner) -> None:
    plan = planner.plan("As the person monitoring deforestation trends for a charity, I need "
                        "the number of trees in plot_7.tif.")
    assert _tools(plan) == ["detect_objects"]


def test_work_done_before_but_is_context(planner: OfflinePlanner) -> None:
    """"we ran a biomass campaign ..., but" opens the ask with what was done: no biomass."""
    plan = planner.plan("We ran a biomass campaign last year and produced carbon maps, but "
                        "this question is different: what land cover classes are present in "
                        "this tile: forest, cropland, urban or water?", [Scene(path="tile.tif")])
    assert "classify_scene" in _tools(plan) and "estimate_biomass" not in _tools(plan)


# --- arguments in words -------------------------------------------------------------------


def test_per_image_gsd_in_words(planner: OfflinePlanner) -> None:
    plan = planner.plan("Count the vehicles in both images; the first one is 0.3 m per pixel "
                        "and the second 0.5 m per pixel.", [Scene(path="lot_a.png"),
                                                            Scene(path="lot_b.png")])
    gsd = {s.args["image"]: s.args.get("gsd") for s in plan.steps}
    assert gsd == {"lot_a.png": 0.3, "lot_b.png": 0.5}


def test_units_and_statistics_in_words(planner: OfflinePlanner) -> None:
    plan = planner.plan("How large is the largest building in chip.png in hectares? "
                        "The resolution is 0.4 m per pixel.")
    measure = [a for t, a in steps(plan) if t == "measure"]
    assert measure and measure[0]["statistic"] == "max" and measure[0].get("units") == "ha"
    plan = planner.plan("What is the average length of the ships in harbour.tif?")
    assert [a["statistic"] for t, a in steps(plan) if t == "measure"] == ["length"]


# --- image references ---------------------------------------------------------------------


@pytest.mark.parametrize(("request_text", "images", "chosen"), [
    ("count the cars in the second image", ["a.tif", "b.tif"], ["b.tif"]),
    ("detect the planes in image B", ["airport_A.tif", "airport_B.tif"], ["airport_B.tif"]),
    ("map water in the older image", ["lake_2019.tif", "lake_2015.tif"], ["lake_2015.tif"]),
    ("NDVI of the most recent scene", ["f_2019.tif", "f_2021.tif", "f_2020.tif"],
     ["f_2021.tif"]),
    ("how many ships are in the radar image?", ["optical_port.tif", "s1_port_vv.tif"],
     ["s1_port_vv.tif"]),
    ("how much water does the one from August show?",
     ["lake_2022-03-10.tif", "lake_2022-08-10.tif"], ["lake_2022-08-10.tif"]),
])
def test_image_references_pick_their_scene(planner: OfflinePlanner, request_text: str,
                                           images: list[str], chosen: list[str]) -> None:
    plan = planner.plan(request_text, [Scene(path=p) for p in images])
    read = {a.get("image") for _, a in steps(plan) if "image" in a} - {None}
    read = {r for r in read if not str(r).startswith("$")}
    assert read == set(chosen)
    assert any(chosen[0] in n and "only" in n for n in plan.notes)


def test_both_modalities_named_runs_on_both(planner: OfflinePlanner) -> None:
    plan = planner.plan("Compare the water between the radar and the optical image",
                        [Scene(path="s1.tif", modality="sar"),
                         Scene(path="s2.tif", modality="multispectral")])
    assert sorted(a["image"] for t, a in steps(plan) if t == "map_water") == ["s1.tif", "s2.tif"]


# --- honest plans -------------------------------------------------------------------------


def test_unplanned_and_out_of_scope_parts_are_reported(planner: OfflinePlanner) -> None:
    plan = planner.plan("Count the ships in port.tif and what is the weather forecast for "
                        "tomorrow?")
    assert _tools(plan) == ["detect_objects"]
    assert len(plan.not_done) == 1 and "forecast" in plan.not_done[0]
    plan = planner.plan("Compute NDVI for a.tif, then download the newest Sentinel-2 tile.")
    assert _tools(plan) == ["spectral_index"]
    assert "download" in plan.not_done[0]


def test_new_objects_of_one_scene_are_found_and_said_untold(planner: OfflinePlanner) -> None:
    """"Point out the new buildings" of one scene: the buildings are found, and the plan says
    which of them are new needs an earlier scene; a question that only mentions a new object
    ("are boats using the new jetty?") is no such ask."""
    plan = planner.plan("Point out the new buildings.", [Scene(path="town.tif")])
    assert _tools(plan) == ["detect_objects"]
    assert len(plan.not_done) == 1 and "earlier scene" in plan.not_done[0]
    plan = planner.plan("Are boats using the new jetty?", [Scene(path="harbour.tif")])
    assert not any("earlier scene" in x for x in plan.not_done)
    pair = planner.plan("Point out the new buildings.", [Scene(path="a.tif"), Scene(path="b.tif")])
    assert _tools(pair) == ["detect_changes"] and pair.not_done == []


def test_a_fully_planned_request_reports_nothing(planner: OfflinePlanner) -> None:
    plan = planner.plan("Map the water in s2.tif and give me its area in hectares.")
    assert plan.not_done == []
    plan = planner.plan("Compute the burn area as pixels where dNBR exceeds 0.1 between the "
                        "two images and give the result in acres.",
                        [Scene(path="pre.tif"), Scene(path="post.tif")])
    assert _tools(plan) == ["spectral_index", "measure"] and plan.not_done == []
    plan = planner.plan("Compute NDVI for both dates and flag a drop of more than 0.3 as "
                        "landslides. Count the polygons and report their total area in km2.",
                        [Scene(path="pre.tif"), Scene(path="post.tif")])
    assert _tools(plan) == ["spectral_index", "measure", "measure"] and plan.not_done == []
    plan = planner.plan("Our NGO supports farmers in Malawi; after the cyclone many fields were "
                        "flooded and we need to prioritise aid. Which of these village tiles "
                        "show flooded fields?", [Scene(path=f"v{i}.tif") for i in range(4)])
    assert _tools(plan) == ["classify_scene"] and plan.not_done == []  # the flooded label
    plan = planner.plan("Compute dNBR from the two scenes and give the area of high severity "
                        "burn in hectares.", [Scene(path="pre.tif"), Scene(path="post.tif")])
    assert _tools(plan)[0] == "spectral_index" and plan.not_done == []  # dNBR's classes
    plan = planner.plan("I want to check that band on May composites from three years: a_2001.tif, "
                        "b_2004.tif, c_2007.tif. Compute NDSI on each, treat 0.4 and above as "
                        "snow, and tell me whether the snow-covered area has a trend.")
    assert "pseudo_rgb" not in _tools(plan) and plan.not_done == []  # composites as the data
    plan = planner.plan("With the Landsat scenes a_2016.tif and b_2021.tif, please (1) compute "
                        "NDVI on both, and (2) map the water on the 2021 scene.")
    assert not any("With the Landsat" in n for n in plan.not_done)  # the lead-in of step 1


def test_the_given_before_after_order_is_kept_and_questioned(planner: OfflinePlanner) -> None:
    plan = planner.plan("what changed between these two?",
                        [Scene(path="town_2021.tif"), Scene(path="town_2016.tif")])
    change = next(a for t, a in steps(plan) if t == "detect_changes")
    assert (change["before"], change["after"]) == ("town_2021.tif", "town_2016.tif")
    assert any("town_2021.tif" in n and "town_2016.tif" in n for n in plan.notes)


def test_dry_run_plans_from_names_alone(planner: OfflinePlanner) -> None:
    names = planner.plan("count the ships in the radar image",
                         [Scene(path="missing_s1_vv.tif"), Scene(path="missing_s2.tif")])
    assert _tools(names) == ["pseudo_rgb", "detect_objects"]


def test_objects_inside_the_flood_are_detected_in_the_water_mask(
        planner: OfflinePlanner) -> None:
    plan = planner.plan("How many houses stand inside the flood water?",
                        [Scene(path="post_flood_ortho.tif")])
    assert [s.tool for s in plan.steps] == ["map_water", "detect_objects"]
    assert plan.steps[1].args["region"] == "$s1"
    plain = planner.plan("How many boats are on the lake?", [Scene(path="lake.tif")])
    assert "region" not in plain.steps[0].args


def test_a_participle_describes_the_data_and_asks_for_nothing(planner: OfflinePlanner) -> None:
    described = planner.plan("This orthorectified PlanetScope scene is 3 m per pixel: count the "
                             "ships.", [Scene(path="bay.png")])
    assert [s.tool for s in described.steps] == ["detect_objects"]
    assert described.steps[0].args["gsd"] == 3.0
    asked = planner.plan("Orthorectify bay.png for me.", [Scene(path="bay.png")])
    assert asked.declined and not asked.steps


def test_a_composite_keeps_the_stated_gsd_of_its_scene(planner: OfflinePlanner) -> None:
    plan = planner.plan("Count the buildings in the radar tile (0.5 m per pixel).",
                        [Scene(path="tile_sar.tif", modality="sar")])
    assert [s.tool for s in plan.steps] == ["pseudo_rgb", "detect_objects"]
    assert plan.steps[1].args["gsd"] == 0.5


def test_a_year_range_or_each_dated_image_keeps_the_whole_series(
        planner: OfflinePlanner) -> None:
    scenes = [Scene(path=f"delta_{y}.tif") for y in range(2017, 2021)]
    for text in ("For each spring image from 2017 to 2020 compute NDVI and tell me how it "
                 "evolved.", "How did NDVI change between 2017 and 2020?"):
        plan = planner.plan(text, scenes)
        assert [s.tool for s in plan.steps].count("spectral_index") == 4, text
        assert plan.steps[-1].tool == "trend"


def test_a_loss_over_a_dated_series_is_a_change_not_a_trend(planner: OfflinePlanner) -> None:
    scenes = [Scene(path=f"reserve_{y}.tif") for y in (2016, 2018, 2020, 2022)]
    lost = planner.plan("How much woodland was cleared across these years?", scenes)
    assert lost.steps[0].tool == "detect_changes"
    assert (lost.steps[0].args["before"], lost.steps[0].args["after"]) == (
        "reserve_2016.tif", "reserve_2022.tif")
    evolved = planner.plan("How did the woodland area evolve across these years?", scenes)
    assert evolved.steps[-1].tool == "trend"


def test_a_statistic_of_a_value_raster_is_measured_on_it(planner: OfflinePlanner) -> None:
    plan = planner.plan("What is the lowest depth value in bathymetry_gulf.tif?",
                        [Scene(path="bathymetry_gulf.tif")])
    assert [(s.tool, s.args.get("statistic")) for s in plan.steps] == [("measure", "min")]
    assert plan.not_done == []


def test_a_mask_the_request_defines_by_threshold_is_no_missing_outline(
        planner: OfflinePlanner) -> None:
    from agent.plan import PlanStep
    from agent.planners.coverage import not_done

    plan = planner.plan("Anything with NDVI below 0.2 in plot.tif is bare soil; how many "
                        "hectares of bare soil are there?")
    assert _tools(plan) == ["spectral_index", "measure"] and plan.not_done == []
    index = [PlanStep(id="s1", tool="spectral_index",
                      args={"image": "plot.tif", "index": "NDVI", "threshold": 0.2})]
    assert not_done("NDVI above 0.2 in plot.tif is grass; how many hectares of bare soil are "
                    "there?", index, planner.vocab, 1)  # not what the threshold defines


def test_what_the_index_step_gives_is_no_missing_part(planner: OfflinePlanner) -> None:
    """The index step's own statistics and its threshold answer clauses that read as a measure
    or a classification; a statistic of something else still needs its own step."""
    from agent.plan import PlanStep
    from agent.planners.coverage import not_done

    evi = planner.plan("Create an EVI image and tell me the max value", [Scene(path="s2.tif")])
    assert _tools(evi) == ["spectral_index"] and evi.not_done == []
    graded = planner.plan("Compute dNBR from the two scenes and classify high severity where "
                          "it exceeds 0.66", [Scene(path="pre.tif"), Scene(path="post.tif")])
    assert _tools(graded) == ["spectral_index"] and graded.not_done == []
    plain = [PlanStep(id="s1", tool="spectral_index", args={"image": "a.tif", "index": "NDVI"})]
    assert not_done("Compute NDVI of a.tif, then classify the fields where it exceeds 0.5 as "
                    "crop or fallow", plain, planner.vocab, 1)  # no threshold: no grades
    varies = planner.plan("Count the cars in each image and tell me how the number varies",
                          [Scene(path=f"lot_{k}.png") for k in "abc"])
    assert _tools(varies)[-1] == "trend" and varies.not_done == []


def test_a_clip_to_the_region_is_no_missing_part(planner: OfflinePlanner) -> None:
    plan = planner.plan("Clip the image to the county boundary (county.geojson) and compute the "
                        "mean NDVI", [Scene(path="s2.tif")])
    assert steps(plan) == [("spectral_index", {"image": "s2.tif", "index": "NDVI",
                                               "region": "county.geojson"})]
    assert plan.not_done == []


@pytest.mark.parametrize(("request_text", "images"), [
    ("I am a student following a tutorial on vegetation monitoring. The tutorial computes NDVI "
     "from Landsat 8 bands 5 and 4. Could you do the same for my image and tell me the average?",
     ["LC08_20210704.tif"]),
    ("Our NGO supports farmers in the delta. After last year's cyclone, many fields were "
     "salinised. Can you look at the two images and tell me how much farmland has become "
     "barren?", ["delta_2021.tif", "delta_2023.tif"]),
])
def test_a_clause_that_opens_the_ask_is_no_missing_part(planner: OfflinePlanner,
                                                         request_text: str,
                                                         images: list[str]) -> None:
    plan = planner.plan(request_text, [Scene(path=p) for p in images])
    assert plan.steps and plan.not_done == []


def test_an_index_change_between_two_dates_is_one_step_over_the_pair(
        planner: OfflinePlanner) -> None:
    """"where NDVI dropped by more than 0.3": the change of NDVI over the pair (before = the
    earlier scene), selected at 0.3; a rise is selected with direction "rise"; a drop said as
    context is no ask; an index range is reported as not done."""
    pair = [Scene(path="a_2019.tif"), Scene(path="b_2021.tif")]
    plan = planner.plan("Find the pixels where NDVI dropped by more than 0.3 between the two "
                        "dates", pair)
    assert steps(plan) == [("spectral_index", {"image": "b_2021.tif", "index": "NDVI",
                                               "before": "a_2019.tif", "threshold": 0.3})]
    assert plan.not_done == []
    rise = planner.plan("Flag where NDWI rose by more than 0.2 and give the area in ha", pair)
    assert steps(rise)[0][1] == {"image": "b_2021.tif", "index": "NDWI", "before": "a_2019.tif",
                                 "threshold": 0.2, "direction": "rise"}
    context = planner.plan("NDVI decreased by 0.1 on average according to the report. Compute "
                           "NDVI for each image.", pair)
    assert [args.get("before") for _, args in steps(context)] == [None, None]
    ranged = planner.plan("Map areas with NDVI between 0.2 and 0.5 as sparse vegetation",
                          [Scene(path="s2.tif")])
    assert len(ranged.not_done) == 1 and "index range" in ranged.not_done[0]


@pytest.mark.parametrize(("request_text", "figure"), [
    ("What is the median building size in town.tif?", "a median"),
    ("Report the number of planes per hectare in apron.tif.", "a density per area"),
    ("Measure the perimeter of the reservoir in dam.tif.", "a perimeter"),
    ("How wide is the river in river.tif?", "a width"),
    ("How many metres per year is the shoreline retreating between a_2010.tif, a_2015.tif and "
     "a_2020.tif?", "a rate of movement"),
])
def test_a_figure_no_tool_gives_is_reported(planner: OfflinePlanner, request_text: str,
                                            figure: str) -> None:
    plan = planner.plan(request_text)
    assert len(plan.not_done) == 1 and f"no EarthSight tool gives {figure}" in plan.not_done[0]


@pytest.mark.parametrize("request_text", [
    "Generate a median VH/VV composite of s1.tif.",  # a compositing method, no statistic
    "Map the fire perimeter in burn.tif.",  # an outline
    "Count the ships in each image so I can see how far the two sensors agree.",  # an idiom
    "What is the mean size of the swimming pools in villas.tif?",
])
def test_words_that_ask_for_no_missing_figure(planner: OfflinePlanner, request_text: str) -> None:
    assert not any("no EarthSight tool gives" in n for n in planner.plan(request_text).not_done)


def test_water_asked_of_both_scenes_keeps_both_water_maps(planner: OfflinePlanner) -> None:
    plan = planner.plan("Map the water in paddy_0601.tif and paddy_0701.tif and the change "
                        "between them.")
    assert _tools(plan) == ["detect_changes", "map_water", "map_water"]
    assert [s.args["image"] for s in plan.steps[1:]] == ["paddy_0601.tif", "paddy_0701.tif"]
    plan = planner.plan("Where did the water spread between paddy_0601.tif and paddy_0701.tif?")
    assert [s.args.get("image") for s in plan.steps if s.tool == "map_water"] in (
        [], ["paddy_0701.tif"])  # the later extent at most, not a map per date


@pytest.mark.parametrize("request_text", [
    "Count planes in a.png (GSD 0.5 m), b.png (GSD 0.3 m) and c.png (GSD 1 m).",
    "The three chips a.png, b.png and c.png have resolutions of 0.5, 0.3 and 1 m. Count the "
    "planes in each.",
])
def test_per_image_gsd_listed_for_three_images(planner: OfflinePlanner, request_text: str) -> None:
    plan = planner.plan(request_text, [Scene(path=p) for p in ("a.png", "b.png", "c.png")])
    assert {s.args["image"]: s.args.get("gsd") for s in plan.steps} == {
        "a.png": 0.5, "b.png": 0.3, "c.png": 1.0}


# --- honest plans: classes the detectors do not tell apart, totals over scenes ---------------


@pytest.mark.parametrize(("request_text", "names"), [
    ("Count the large vehicles and the small vehicles separately.", "large vehicle and small "
     "vehicle are one class, vehicle"),
    ("How many large and small vehicles are there, per class?", "large vehicle and small "
     "vehicle are one class, vehicle"),
    ("Count cars and trucks separately in lot.png.", "car and truck are one class, vehicle"),
])
def test_classes_asked_apart_that_are_one_class_are_reported(
        planner: OfflinePlanner, request_text: str, names: str) -> None:
    plan = planner.plan(request_text, [Scene(path="lot.png")])
    assert _tools(plan) == ["detect_objects"] and plan.steps[0].args["classes"] == ["vehicle"]
    assert len(plan.not_done) == 1 and names in plan.not_done[0]


@pytest.mark.parametrize("request_text", [
    "Count the planes and helicopters separately.",  # two classes of the detector
    "How many cars and trucks are there?",  # not asked apart
    "Richer areas have more pools. Count the water tanks and the swimming pools separately.",
])
def test_classes_the_detectors_tell_apart_or_not_asked_apart(
        planner: OfflinePlanner, request_text: str) -> None:
    assert planner.plan(request_text, [Scene(path="lot.png")]).not_done == []


def test_a_count_over_several_scenes_is_not_measured_on_the_last_alone(
        planner: OfflinePlanner) -> None:
    """"how many tanks in total" over two chips: one detection per chip and no measure of the
    second chip's detections alone (the answer sums the counts)."""
    plan = planner.plan("a.png: 0.5 m/px; b.png: 0.3 m/px. How many storage tanks in total?",
                        [Scene(path="a.png"), Scene(path="b.png")])
    assert _tools(plan) == ["detect_objects", "detect_objects"]


def test_a_state_of_counted_objects_is_reported(planner: OfflinePlanner) -> None:
    """"how many of them are empty": the detector counts pools, not empty ones; a size filter
    is no state (measure filters it)."""
    plan = planner.plan("Count the swimming pools, and then tell me how many of them are empty.",
                        [Scene(path="suburb.png")])
    assert _tools(plan) == ["detect_objects"]
    assert len(plan.not_done) == 1 and "which objects are empty" in plan.not_done[0]
    plan = planner.plan("Count the ships; how many of them are longer than 100 m?",
                        [Scene(path="port.png")])
    assert plan.not_done == []


@pytest.mark.parametrize(("request_text", "part"), [
    ("Outline every building in the north-east quarter of the image.", "the north-east quarter"),
    ("Count the cars in the top left corner.", "the top left corner"),
    ("How much water is in the southern half of the scene?", "the southern half"),
    ("Count the ships in the first 512 rows.", "the first 512 rows"),
])
def test_a_part_of_the_image_no_region_reads_is_reported(
        planner: OfflinePlanner, request_text: str, part: str) -> None:
    """A part of the image needs the image's size to become a box: the plan covers the whole
    image and says so, naming the part."""
    plan = planner.plan(request_text, [Scene(path="city.tif")])
    assert plan.steps and len(plan.not_done) == 1
    assert part in plan.not_done[0] and "whole image" in plan.not_done[0]


@pytest.mark.parametrize("request_text", [
    "Segment the crop circles in the upper-left 1000 by 1000 pixels.",  # a pixel box
    "What colour is the roof of the building in the bottom right corner?",  # the describer
    "On the image of the northern section, trace the fence line.",  # the whole image
])
def test_a_part_that_is_read_or_is_the_image_is_no_report(planner: OfflinePlanner,
                                                          request_text: str) -> None:
    assert planner.plan(request_text, [Scene(path="site.tif")]).not_done == []


def test_the_extreme_of_dates_is_no_object_statistic(planner: OfflinePlanner) -> None:
    """"which date had the smallest flooded area" compares the dates' areas: no measure of the
    smallest water body on each date."""
    plan = planner.plan("Which date had the smallest flooded area?",
                        [Scene(path=f"f_d{i}.tif") for i in (1, 2, 3)])
    assert _tools(plan) == ["map_water"] * 3
    plan = planner.plan("What is the area of the smallest lake?", [Scene(path="lakes.tif")])
    assert ("measure", "min") in [(s.tool, s.args.get("statistic")) for s in plan.steps]


def test_the_area_of_an_index_mask_is_no_missing_outline(planner: OfflinePlanner) -> None:
    """A clause asking the vegetated area, with the threshold in another clause, is answered by
    the index mask: nothing reported as not done."""
    plan = planner.plan("Treat NDVI above 0.3 as vegetated. Then give me the vegetated area in "
                        "hectares.", [Scene(path="veg_s2.tif")])
    assert _tools(plan) == ["spectral_index", "measure"] and plan.not_done == []


def test_the_overlap_of_two_products_measured_alone_is_reported(planner: OfflinePlanner) -> None:
    """The cropland affected by the flood, from a land-cover map and a flood extent: each file is
    measured alone, and the plan says the overlap is not computed."""
    plan = planner.plan("What is the area of cropland affected by the flood, using the land "
                        "cover map lc.tif and the flood extent flood.tif?",
                        [Scene(path="lc.tif"), Scene(path="flood.tif")])
    assert _tools(plan) == ["measure", "measure"]
    assert any("overlap of lc.tif and flood.tif" in x for x in plan.not_done)


def test_a_role_and_its_duty_is_no_part_left_out(planner: OfflinePlanner) -> None:
    """"As the port authority's environmental officer I have to report ... quarterly." is the
    background of the ask: not reported as a part no tool matched."""
    plan = planner.plan("As the port authority's environmental officer I have to report dredging "
                        "impacts quarterly. Compare harbour_2024-02.tif with harbour_2024-04.tif "
                        "and tell me how much the sediment plume area grew, in km2.",
                        [Scene(path="harbour_2024-02.tif"), Scene(path="harbour_2024-04.tif")])
    assert "detect_changes" in _tools(plan) and plan.not_done == []


def test_burn_severity_classes_are_the_dnbr_step(planner: OfflinePlanner) -> None:
    """"classify burn severity using the USGS thresholds" after a dNBR is the dNBR step's own
    severity classes, not a scene classification left out."""
    plan = planner.plan("Compute the difference NBR between the pre-fire and post-fire Landsat "
                        "scenes and classify burn severity using the USGS thresholds.",
                        [Scene(path="LC08_20200701.tif"), Scene(path="LC08_20200915.tif")])
    assert _tools(plan) == ["spectral_index"] and plan.not_done == []


@pytest.mark.parametrize(("request_text", "figure"), [
    ("Find the solar farms and estimate how many MW they produce.", "power or energy"),
    ("Count the cars in the parking lot and estimate how full it is in percent.", "occupancy"),
    ("Segment the fields and report how many are larger than 5 ha and what crop each grows.",
     "crop type per field"),
    ("Map the water, compute NDVI outside the water, and give me the mean NDVI of the land.",
     "outside a mask"),
])
def test_a_part_no_tool_answers_is_not_dropped_silently(planner: OfflinePlanner,
                                                        request_text: str, figure: str) -> None:
    """A clause that reads like a detail of the other's result ("how many MW they produce",
    "how full it is") but asks a figure no tool gives is reported, not passed over."""
    plan = planner.plan(request_text, [Scene(path="scene.tif")])
    assert any(figure in x for x in plan.not_done), plan.not_done


def test_a_land_cover_the_figure_is_limited_to_is_reported(planner: OfflinePlanner) -> None:
    """"how many hectares of cropland were flooded" with no land-cover step or region: the flood
    is measured whole and the plan says it is not limited to cropland; with a region, nothing
    is reported."""
    pair = [Scene(path="s1_pre.tif"), Scene(path="s1_post.tif")]
    plan = planner.plan("How many hectares of cropland were flooded?", pair)
    assert any("not limited to cropland" in x for x in plan.not_done), plan.not_done
    plan = planner.plan("How many hectares of cropland were flooded inside fields.geojson?", pair)
    assert not any("not limited to" in x for x in plan.not_done), plan.not_done


def test_a_figure_no_tool_gives_is_reported_once(planner: OfflinePlanner) -> None:
    """"give me the area of each class" is one not-done item (what the figure is), not also a
    "no measure step matched"; "their density per hectare" after a count is reported."""
    plan = planner.plan("classify the scene and give me the area of each class",
                        [Scene(path="s2.tif")])
    assert len(plan.not_done) == 1 and "an area per class" in plan.not_done[0]
    plan = planner.plan("ground resolution is 30cm. count the cars in the lot and give their "
                        "density per hectare", [Scene(path="lot.png")])
    assert _tools(plan) == ["detect_objects"]
    assert len(plan.not_done) == 1 and "density per area" in plan.not_done[0]


def test_steps_the_tools_do_not_do_are_reported(planner: OfflinePlanner) -> None:
    """Preprocessing, cloud masks and exports the tools do not do are said, not dropped; what
    the radar water map does itself (speckle filter, dB) is no missing part."""
    plan = planner.plan("Step 1: radiometrically calibrate the Sentinel-1 GRD to sigma0. Step 2: "
                        "apply a Lee speckle filter. Step 3: terrain-correct with the SRTM DEM. "
                        "Step 4: threshold VV at -17 dB to get water. Step 5: compute the "
                        "flooded area in km2.", [Scene(path="S1A_GRD_20231012.tif")])
    assert [s.tool for s in plan.steps] == ["map_water"]
    assert plan.steps[0].args["threshold"] == -17.0
    assert [n.split(":")[0] for n in plan.not_done] == ["'Step 1", "'Step 3"]
    plan = planner.plan("Steps: (1) apply the precise orbit file, (2) calibrate to sigma0, (3) "
                        "speckle filter, (4) threshold VV at -19 dB, (5) report the flood area.",
                        [Scene(path="S1A_IW_GRDH_20230415.tif")])
    assert [s.tool for s in plan.steps] == ["map_water"] and len(plan.not_done) == 2
    plan = planner.plan("Apply a cloud mask to s2.tif using the QA60 band, then compute NDVI.")
    assert _tools(plan) == ["spectral_index"] and "cloud mask" in plan.not_done[0]
    plan = planner.plan("Compute NDVI on s2.tif and save it as a Cloud Optimized GeoTIFF in my "
                        "bucket.")
    assert _tools(plan) == ["spectral_index"] and "bucket" in plan.not_done[0]


def test_context_openers_and_sensor_names_do_not_swallow_the_ask(planner: OfflinePlanner) -> None:
    """"For the water bodies, please give me the area" asks (no programme to blank); "S3" is
    Sentinel-3, no bucket; a noise floor "at -22 dB" is no water threshold; two files that both
    fit "the flood extent" are scenes, not a region."""
    plan = planner.plan("For the water bodies, please give me the total area in hectares.",
                        [Scene(path="s2.tif")])
    assert _tools(plan)[0] == "map_water"
    plan = planner.plan("Save the water mask from this S3 OLCI scene.", [Scene(path="s3.tif")])
    assert not plan.declined
    plan = planner.plan("Map the water in this radar scene, with the noise floor at -22 dB.",
                        [Scene(path="s1.tif")])
    assert plan.steps[0].args.get("threshold") is None
    plan = planner.plan("Compare the flood extent in 2019 to the flood extent in 2020.",
                        [Scene(path="flood_extent_2019.tif"), Scene(path="flood_extent_2020.tif")])
    assert all(s.args.get("region") is None for s in plan.steps)


def test_a_cross_polarised_threshold_is_reported_not_applied(planner: OfflinePlanner) -> None:
    plan = planner.plan("Map flooding in s1.tif using VH below -22 dB and VV below -15 dB.",
                        [Scene(path="s1.tif")])
    assert steps(plan) == [("map_water", {"image": "s1.tif", "method": "sar",
                                          "threshold": -15.0})]
    assert any("VH -22 dB threshold is not applied" in n for n in plan.not_done)


def test_per_image_gsd_by_number_and_letter(planner: OfflinePlanner) -> None:
    plan = planner.plan("How many swimming pools in image 1 (0.3 m), image 2 (0.4 m) and image "
                        "3 (0.5 m)?", [Scene(path=p) for p in ("p1.png", "p2.png", "p3.png")])
    assert [(a["image"], a["gsd"]) for _, a in steps(plan)] == [
        ("p1.png", 0.3), ("p2.png", 0.4), ("p3.png", 0.5)]
    plan = planner.plan("Image A is 0.3 m and image B is 0.5 m. Count the planes in each.",
                        [Scene(path=p) for p in ("A_field.png", "B_field.png")])
    assert [(a["image"], a["gsd"]) for _, a in steps(plan)] == [
        ("A_field.png", 0.3), ("B_field.png", 0.5)]


def test_search_hits_asked_in_a_fragment_are_read_and_not_reported(
        planner: OfflinePlanner) -> None:
    plan = planner.plan("Which images in my archive /srv/imgs show landslides? Top 3.")
    assert steps(plan) == [("search_images", {"query": "landslides", "archive": "/srv/imgs",
                                              "top_k": 3})]
    plan = planner.plan("Search our archive folder /data/archive/ for scenes that look like "
                        "open-pit mines. Give me the top 10.")
    assert plan.steps[0].args["top_k"] == 10 and plan.not_done == []


def test_shares_and_densities_of_objects_are_reported(planner: OfflinePlanner) -> None:
    """Counts and areas of objects come separately: a share of the image or a density per km2
    is said not computed (a water map reports its own share)."""
    for text, said in (("What percentage of the image is covered by trees? GSD 0.5 m.",
                        "the share of the image is not computed"),
                       ("What is the density of storage tanks per km²? GSD 0.5 m.",
                        "a density per area")):
        plan = planner.plan(text, [Scene(path="x.png")])
        assert any(said in n for n in plan.not_done), plan.not_done
    plan = planner.plan("What percentage of the image is covered by water?",
                        [Scene(path="x.tif")])
    assert plan.not_done == []


def test_verbless_items_each_on_their_image(planner: OfflinePlanner) -> None:
    plan = planner.plan("Task: ship count on image 2, plane count on image 1",
                        [Scene(path="img1.png"), Scene(path="img2.png")])
    assert [(a["image"], a["classes"]) for _, a in steps(plan)] == [
        ("img2.png", ["ship"]), ("img1.png", ["plane"])]
    plan = planner.plan("I want the picture of three composites (c_20170125.tif, c_20170401.tif, "
                        "c_20170618.tif) put into red, green and blue.",
                        [Scene(path=p) for p in ("c_20170125.tif", "c_20170401.tif",
                                                 "c_20170618.tif")])
    assert {t for t, _ in steps(plan)} == {"pseudo_rgb"}  # (a list in parentheses is no cut)


def test_a_count_and_a_mean_area_are_both_measured(planner: OfflinePlanner) -> None:
    plan = planner.plan("Find the trees, outline their crowns, keep only crowns larger than 3 m2, "
                        "and tell me how many there are and their average crown area. GSD 0.5 m.",
                        [Scene(path="tile.png")])
    assert [a["statistic"] for t, a in steps(plan) if t == "measure"] == ["count", "mean"]


def test_numbered_items_only_when_a_first_item_opens_them(planner: OfflinePlanner) -> None:
    """"1) ... 2) ..." items are clauses; "(channel 3)" or "(bands 7, 4 and 2)" are none."""
    assert len(coverage.clauses("1) count ships in a.png 2) map water in b.tif")) == 2
    assert len(coverage.clauses("NDVI from the red channel (channel 3) and the near infrared "
                                "channel (channel 4)")) == 1


@pytest.mark.parametrize(("text", "paths", "planned"), [
    ("Map the water in the January scene; how many fields are flooded in the March scene?",
     ["s1_2021-01-10.tif", "s1_2021-03-10.tif"],
     [("map_water", "s1_2021-01-10.tif"), ("map_water", "s1_2021-03-10.tif"),
      ("measure", "$s2")]),
    ("NDVI in image 1, NDWI in image 2, NBR in image 3", ["x1.tif", "x2.tif", "x3.tif"],
     [("spectral_index", "x1.tif"), ("spectral_index", "x2.tif"), ("spectral_index", "x3.tif")]),
    ("Detect planes in image 2 and image 3 and ships in image 1", ["a.png", "b.png", "c.png"],
     [("detect_objects", "b.png"), ("detect_objects", "c.png"), ("detect_objects", "a.png")]),
    ("Only the second image matters, its GSD is 0.5 m. Count cars.", ["a.png", "b.png"],
     [("detect_objects", "b.png")]),
])
def test_parts_and_picks_after_the_review(planner: OfflinePlanner, text: str, paths: list[str],
                                          planned: list[tuple[str, str]]) -> None:
    """A part flooded in its own scene maps its own water; parts naming several scenes pick
    them among all; "image 2 and image 3" are one part's scenes; a statement that picks one
    scene is a pick, not a size said of all."""
    plan = planner.plan(text, [Scene(path=p) for p in paths])
    assert [(t, a.get("image", a.get("source"))) for t, a in steps(plan)] == planned


def test_statements_before_the_parts_reach_every_part(planner: OfflinePlanner) -> None:
    plan = planner.plan("Confidence threshold 0.5. Count ships in image 1 and planes in image 2.",
                        [Scene(path="a.png"), Scene(path="b.png")])
    assert [(a["image"], a["classes"], a.get("min_confidence")) for _, a in steps(plan)] == [
        ("a.png", ["ship"], 0.5), ("b.png", ["plane"], 0.5)]


@pytest.mark.parametrize("text", [
    "Count ships in image 1. And the shadows in image 2?",
    "Count the buildings in image 1, and how many are damaged in image 2?",
])
def test_a_part_with_words_of_its_own_repeats_nothing(planner: OfflinePlanner,
                                                        text: str) -> None:
    plan = planner.plan(text, [Scene(path="a.png"), Scene(path="b.png")])
    assert not any(t == "detect_objects" and a["image"] == "b.png" for t, a in steps(plan))
