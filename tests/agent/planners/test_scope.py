"""``gsd`` and ``region`` from the request text on every step that reads a scene."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main as cli
from agent.plan import PlanStep, Scene
from agent.planners.analysis import Analysis
from agent.planners.gsd_slots import Gsd
from agent.planners.offline import OfflinePlanner
from agent.planners.scope import scene_entries, scene_options
from tests.agent.planners.plans import steps


def test_gsd_on_scene_steps_not_on_measure(planner: OfflinePlanner) -> None:
    plan = planner.plan("Outline the buildings at 30 cm per pixel and give their total area",
                        [Scene(path="chip.png")])
    assert steps(plan) == [
        ("detect_objects", {"image": "chip.png", "classes": ["building"], "gsd": 0.3}),
        ("segment", {"image": "chip.png", "boxes": "$s1", "gsd": 0.3}),
        ("measure", {"source": "$s2", "statistic": "area"})]
    plan = planner.plan("count the planes in P0001.png, GSD 0.5 m")
    assert steps(plan) == [("detect_objects", {"image": "P0001.png", "classes": ["plane"],
                                               "gsd": 0.5})]


def test_gsd_words_are_no_metadata_request_or_threshold(planner: OfflinePlanner) -> None:
    plan = planner.plan("NDVI of a.tif, ground sample distance = 0.5 m")
    assert steps(plan) == [("spectral_index", {"image": "a.tif", "index": "NDVI", "gsd": 0.5})]
    plan = planner.plan("what is the ground sample distance of a.tif?")
    assert [t for t, _ in steps(plan)] == ["describe_raster"]


def test_change_pair_with_two_gsds_gets_a_list(planner: OfflinePlanner) -> None:
    plan = planner.plan("what changed? the before is at 0.5 m and the after at 0.3 m",
                        [Scene(path="t1.png"), Scene(path="t0.png")])
    assert steps(plan) == [("detect_changes", {"before": "t0.png", "after": "t1.png",
                                               "gsd": [0.5, 0.3]})]
    plan = planner.plan("new buildings between a.png and b.png, 0.5 m resolution")
    assert steps(plan)[0][1]["gsd"] == 0.5


def test_gsds_listed_for_several_scenes_go_in_order(planner: OfflinePlanner) -> None:
    """"0.3 m and 0.5 m resolution respectively": one value per scene, in the order given,
    and the plan says so; one value is every scene's."""
    plan = planner.plan("These chips have 0.3 m and 0.5 m resolution respectively; count the "
                        "planes in both", [Scene(path="a.png"), Scene(path="b.png")])
    assert [s.args["gsd"] for s in plan.steps] == [0.3, 0.5]
    assert any("in the order stated" in n and "b.png 0.5 m" in n for n in plan.notes)
    plan = planner.plan("The two images are at 0.5 m and 1 m GSD. Detect the ships in each",
                        [Scene(path="x.png"), Scene(path="y.png")])
    assert [s.args["gsd"] for s in plan.steps] == [0.5, 1.0]
    plan = planner.plan("Resolution is 0.5 m. Count ships in both images",
                        [Scene(path="x.png"), Scene(path="y.png")])
    assert [s.args["gsd"] for s in plan.steps] == [0.5, 0.5]


def test_bbox_region_on_every_scene_step(planner: OfflinePlanner) -> None:
    plan = planner.plan("count ships in the box 500000 4100000 501000 4101000",
                        [Scene(path="scene_s1.tif")])
    box = [500000.0, 4100000.0, 501000.0, 4101000.0]
    assert steps(plan) == [
        ("pseudo_rgb", {"image": "scene_s1.tif", "mode": "sar", "region": box}),
        ("detect_objects", {"image": "$s1", "classes": ["ship"], "region": box})]
    plan = planner.plan("map the water between lon 10.3 and 10.1 and lat 45.2 and 45.4",
                        [Scene(path="s2.tif", modality="multispectral")])
    assert steps(plan) == [("map_water", {"image": "s2.tif", "method": "optical",
                                          "region": [10.1, 45.2, 10.3, 45.4]})]


def test_vector_file_region(planner: OfflinePlanner) -> None:
    plan = planner.plan("detect buildings inside fields.geojson", [Scene(path="a.tif")])
    assert steps(plan) == [("detect_objects", {"image": "a.tif", "classes": ["building"],
                                               "region": "fields.geojson"})]
    plan = planner.plan("biomass within the AOI in aoi.gpkg", [Scene(path="s2.tif")])
    assert steps(plan) == [("estimate_biomass", {"image": "s2.tif", "region": "aoi.gpkg"})]


def test_unrelated_numbers_add_nothing(planner: OfflinePlanner) -> None:
    for request in ("count ships longer than 50 m", "find the top 5 ships",
                    "water area in 2019, 2020, 2021 and 2022", "ships bigger than 100 m2"):
        for step in planner.plan(request, [Scene(path="a.png")]).steps:
            assert "gsd" not in step.args and "region" not in step.args, request


def test_scene_options_keeps_step_values_and_orders_pair_values() -> None:
    plan_steps = [
        PlanStep(id="s1", tool="spectral_index",
                 args={"image": "post.png", "index": "dNBR", "before": "pre.png"}),
        PlanStep(id="s2", tool="estimate_biomass", args={"image": "pre.png", "region": "$s1"}),
        PlanStep(id="s3", tool="measure", args={"source": "$s1", "statistic": "area"}),
        PlanStep(id="s4", tool="assess", args={"result": "$s1", "reference": "gt.png"}),
    ]
    a = Analysis(gsd=Gsd(values=[0.5, 0.3], by_role={"before": 0.5, "after": 0.3}),
                 bbox=[0.0, 0.0, 64.0, 64.0])
    notes: list[str] = []
    scene_options(plan_steps, a, ("pre.png", "post.png"), notes.append)
    assert plan_steps[0].args["gsd"] == [0.3, 0.5]  # image (after), then before
    assert plan_steps[1].args == {"image": "pre.png", "region": "$s1", "gsd": 0.5}
    assert plan_steps[2].args == {"source": "$s1", "statistic": "area"}
    assert plan_steps[3].args == {"result": "$s1", "reference": "gt.png",
                                  "region": [0.0, 0.0, 64.0, 64.0]}
    assert notes == []
    assert scene_entries(PlanStep(id="s5", tool="detect_objects", args={"image": "$s1"})) == []


def test_gsd_and_box_from_the_text_reach_the_tools(data_dir: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A real LEVIR-CD pair (PNG chips, no georeference): the GSD and the box are only in the
    request, and the change tool measures the box's area from them (128 x 128 px at 0.5 m)."""
    chip = "test_102_0512_0000.png"
    before = data_dir / "change" / "levir_cd" / "A" / chip
    after = data_dir / "change" / "levir_cd" / "B" / chip
    request = ("How much has changed between these two images? The GSD is 0.5 m; only look "
               "within 0, 0, 128, 128.")
    argv = ["ask", request, "--image", str(before), "--image", str(after),
            "--workspace", str(tmp_path / "ws"), "--json"]
    assert cli.main([*argv, "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    change = next(s for s in plan["steps"] if s["tool"] == "detect_changes")
    assert change["args"]["gsd"] == 0.5 and change["args"]["region"] == [0, 0, 128, 128]
    assert all(s["tool"] != "describe_raster" for s in plan["steps"])  # "GSD" asks no metadata
    assert cli.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    numbers = {n["name"]: n for n in result["numbers"]}
    assert numbers["region_area"]["value"] == pytest.approx(128 * 128 * 0.25)


@pytest.mark.parametrize(("request_text", "paths", "expected"), [
    ("Count buildings in these three tiles. a.png is 0.5 m GSD, the rest are 0.3 m.",
     ["a.png", "b.png", "c.png"], [0.5, 0.3, 0.3]),
    ("Count the cars in both images; the first is 0.5 m per pixel, the other 0.3 m.",
     ["a.tif", "b.tif"], [0.5, 0.3]),
    ("Count the cars in each image. The first is 0.5 m per pixel, the rest 0.3 m.",
     ["a.png", "b.png", "c.png"], [0.5, 0.3, 0.3]),
    ("Detect ships in each image (resolutions: 1 m, 0.5 m and 3 m respectively).",
     ["x.png", "y.png", "z.png"], [1.0, 0.5, 3.0]),
])
def test_gsds_per_scene_and_for_the_rest(planner: OfflinePlanner, request_text: str,
                                         paths: list[str], expected: list[float]) -> None:
    """A value said of one scene and one "for the rest": each scene gets its own, and the plan
    names the scenes that took the rest's value."""
    plan = planner.plan(request_text, [Scene(path=p) for p in paths])
    assert [s.args["gsd"] for s in plan.steps if s.tool == "detect_objects"] == expected
    if "rest" in request_text or "other" in request_text:
        assert any("not given their own" in n for n in plan.notes), plan.notes
