"""Zonal statistics, accuracy assessment and index presets planned from plain language."""

from __future__ import annotations

import json

import pytest

from agent.cli import main as cli
from agent.plan import Scene
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import steps

# --- zonal statistics -----------------------------------------------------------------------


def test_index_inside_zones_of_an_earlier_step(planner: OfflinePlanner) -> None:
    plan = planner.plan("mean NDVI inside the water areas", [Scene(path="s2.tif")])
    assert steps(plan) == [
        ("map_water", {"image": "s2.tif", "method": "optical"}),
        ("spectral_index", {"image": "s2.tif", "index": "NDVI"}),
        ("measure", {"source": "$s1", "statistic": "mean", "image": "$s2"})]
    plan = planner.plan("highest EVI within the detected buildings of town.tif")
    assert steps(plan) == [
        ("detect_objects", {"image": "town.tif", "classes": ["building"]}),
        ("spectral_index", {"image": "town.tif", "index": "EVI"}),
        ("measure", {"source": "$s1", "statistic": "max", "image": "$s2"})]


def test_values_per_polygon_of_a_file(planner: OfflinePlanner) -> None:
    plan = planner.plan("mean NDVI per field in fields.geojson", [Scene(path="s2.tif")])
    assert steps(plan) == [
        ("spectral_index", {"image": "s2.tif", "index": "NDVI"}),
        ("measure", {"source": "fields.geojson", "statistic": "mean", "image": "$s1"})]
    plan = planner.plan("total biomass for each parcel of parcels.shp", [Scene(path="s2.tif")])
    assert steps(plan) == [
        ("estimate_biomass", {"image": "s2.tif", "region": "parcels.shp"}),  # inside them only
        ("measure", {"source": "parcels.shp", "statistic": "sum", "image": "$s1"})]
    plan = planner.plan("count buildings per parcel in parcels.shp", [Scene(path="a.tif")])
    assert steps(plan)[0][1]["region"] == "parcels.shp"  # no value to summarise: a region


# --- accuracy ---------------------------------------------------------------------------------


def test_assess_named_result_against_reference(planner: OfflinePlanner) -> None:
    cases = {
        "what is the IoU / F1 / kappa of pred.tif against gt.tif?": ("pred.tif", "gt.tif"),
        "compare water_mask.tif with the reference water.tif": ("water_mask.tif", "water.tif"),
        "validate detections.geojson against truth.geojson at an IoU threshold of 0.3":
            ("detections.geojson", "truth.geojson"),
    }
    for request, (result, reference) in cases.items():
        (tool, args), = steps(planner.plan(request))
        assert tool == "assess" and (args["result"], args["reference"]) == (result, reference)
    plan = planner.plan("validate detections.geojson against truth.geojson at IoU 0.3")
    assert plan.steps[0].args["iou_threshold"] == pytest.approx(0.3)


def test_assess_the_given_scene(planner: OfflinePlanner) -> None:
    plan = planner.plan("how accurate is this mask against label.tif", [Scene(path="mask.tif")])
    assert steps(plan) == [("assess", {"result": "mask.tif", "reference": "label.tif"})]
    plan = planner.plan("how accurate is this mask against label.tif")
    assert steps(plan) == [("assess", {"result": "$image", "reference": "label.tif"})]


def test_make_then_assess(planner: OfflinePlanner) -> None:
    plan = planner.plan("map the water and check it against label.tif", [Scene(path="s1.tif")])
    assert steps(plan) == [("map_water", {"image": "s1.tif", "method": "sar"}),
                           ("assess", {"result": "$s1", "reference": "label.tif"})]
    plan = planner.plan("segment the buildings in a.png (GSD 0.5 m) and validate them against "
                        "truth.geojson")
    assert steps(plan) == [
        ("detect_objects", {"image": "a.png", "classes": ["building"], "gsd": 0.5}),
        ("segment", {"image": "a.png", "boxes": "$s1", "gsd": 0.5}),
        ("assess", {"result": "$s2", "reference": "truth.geojson"})]


# --- index presets ---------------------------------------------------------------------------


def test_snow_takes_the_default_threshold_single_scene_burn_none(planner: OfflinePlanner) -> None:
    for request in ("snow cover percentage of s2.tif", "how much snow is there in s2.tif?"):
        assert steps(planner.plan(request)) == [
            ("spectral_index", {"image": "s2.tif", "index": "NDSI", "threshold": "default"})]
    plan = planner.plan("burned area in post.tif")  # no single-date NBR preset: no mask
    assert steps(plan) == [("spectral_index", {"image": "post.tif", "index": "NBR"})]
    assert any("pre-fire scene" in n for n in plan.notes)
    assert steps(planner.plan("NDSI of s2.tif")) == [  # no amount asked: no mask
        ("spectral_index", {"image": "s2.tif", "index": "NDSI"})]
    assert steps(planner.plan("snow cover of s2.tif where NDSI > 0.5"))[0][1]["threshold"] == 0.5


def test_burn_pair_is_dnbr(planner: OfflinePlanner) -> None:
    plan = planner.plan("burned area in hectares", [Scene(path="post_fire.tif"),
                                                    Scene(path="pre_fire.tif")])
    burned = ("measure", {"source": "$s1", "statistic": "area", "units": "ha"})  # as asked
    assert steps(plan) == [("spectral_index", {"image": "post_fire.tif", "index": "NBR",
                                               "before": "pre_fire.tif",
                                               "threshold": "default"}), burned]
    plan = planner.plan("burned area in hectares between the pre-fire and post-fire scenes")
    assert steps(plan) == [("spectral_index", {"image": "$after", "index": "NBR",
                                               "before": "$before", "threshold": "default"}),
                           burned]
    plan = planner.plan("burn severity from pre.tif and post.tif")
    assert steps(plan) == [("spectral_index", {"image": "post.tif", "index": "NBR",
                                               "before": "pre.tif"})]
    plan = planner.plan("dNBR of a.tif")
    assert steps(plan) == [("spectral_index", {"image": "a.tif", "index": "NBR"})]
    assert any("dNBR needs" in n for n in plan.notes)


# --- the command line ------------------------------------------------------------------------


def test_ask_dry_run_json_prints_the_new_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    request = ("burned area in hectares from pre_fire.png and post_fire.png, before at 0.5 m "
               "and after at 0.3 m, within 0, 0, 512, 512")
    assert cli.main(["ask", request, "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["steps"] == [{"id": "s1", "tool": "spectral_index", "args": {
        "image": "post_fire.png", "index": "NBR", "before": "pre_fire.png",
        "threshold": "default", "gsd": [0.3, 0.5], "region": [0.0, 0.0, 512.0, 512.0]}},
        {"id": "s2", "tool": "measure", "args": {"source": "$s1", "statistic": "area",
                                                 "units": "ha"}}]
    assert cli.main(["ask", "IoU of pred.tif against gt.tif", "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["steps"] == [{"id": "s1", "tool": "assess",
                              "args": {"result": "pred.tif", "reference": "gt.tif"}}]
