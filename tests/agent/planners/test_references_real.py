"""Image references and chat follow-ups on real scenes of ../shared/data (headers read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.graph import request_checks
from agent.plan import Plan
from agent.planners.followup import resolve_followup
from agent.planners.offline import OfflinePlanner
from tests.agent.planners.plans import steps

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def pair(data_dir: Path) -> list[str]:
    """A Sentinel-1 and a Sentinel-2 scene whose names say nothing of their modality."""
    return [str(data_dir / "sar" / "sen1floods11_Spain_7370579_S1Hand.tif"),
            str(data_dir / "multispectral" / "sen1floods11_Spain_7370579_S2Hand.tif")]


def _images(plan: Plan) -> set[str]:
    return {str(a["image"]) for _, a in steps(plan)
            if isinstance(a.get("image"), str) and not str(a["image"]).startswith("$")}


def test_radar_and_optical_by_header(planner: OfflinePlanner, pair: list[str]) -> None:
    scenes = request_checks().scenes(pair)
    assert [s.modality for s in scenes] == ["sar", "multispectral"]
    plan = planner.plan("How much water is in the radar image?", scenes)
    assert _images(plan) == {scenes[0].path}
    plan = planner.plan("NDVI of the optical one, please", scenes)
    assert _images(plan) == {scenes[1].path}
    plan = planner.plan("Compare the water extent in the radar and the optical image", scenes)
    assert {a["image"] for t, a in steps(plan) if t == "map_water"} == {s.path for s in scenes}


def test_the_2019_one_and_the_older_one(planner: OfflinePlanner, data_dir: Path) -> None:
    ms = data_dir / "multispectral"
    given = [str(ms / "landsat8_LC08_232066_20190727.tif"),
             str(ms / "landsat8_LC08_003069_20180906_clip.tif")]
    scenes = request_checks().scenes(given)
    assert _images(planner.plan("NDVI of the 2019 one", scenes)) == {scenes[0].path}
    assert _images(planner.plan("NDVI of the older image", scenes)) == {scenes[1].path}
    plan = planner.plan("what changed between these?", scenes)
    change = next(a for t, a in steps(plan) if t == "detect_changes")
    assert change["before"] == scenes[0].path  # the order given, with a note
    assert any("newer" in n for n in plan.notes)


def test_dry_run_plans_like_the_real_run(planner: OfflinePlanner, pair: list[str]) -> None:
    checks = request_checks()
    real = planner.plan("count the ships in the radar image", checks.scenes(pair))
    dry = planner.plan("count the ships in the radar image", checks.dry_run_scenes(pair))
    assert [s.tool for s in real.steps] == [s.tool for s in dry.steps]
    assert [s.tool for s in dry.steps] == ["pseudo_rgb", "detect_objects"]
    names = checks.dry_run_scenes(["nowhere/absent_vv.tif"])
    assert names[0].modality is None and names[0].path == "nowhere/absent_vv.tif"


def test_follow_ups_refer_to_the_right_image_and_result(planner: OfflinePlanner,
                                                        pair: list[str]) -> None:
    turn = {"request": "map the water in the radar image", "scenes": [pair[0]],
            "steps": [{"id": "s1", "tool": "map_water", "status": "ok",
                       "result_path": "ws/s1_water.tif", "vectors": []}]}
    other = resolve_followup("same for the other image", [turn], pair, planner)
    assert other is not None and other.plan is not None
    assert [s.path for s in other.scenes] == [pair[1]]
    assert {a["image"] for t, a in steps(other.plan) if t == "map_water"} == {pair[1]}
    first = resolve_followup("now the same for the first image", [turn], pair, planner)
    assert first is not None and [s.path for s in first.scenes] == [pair[0]]
    vague = resolve_followup("now only the big ones", [turn], pair, planner)
    assert vague is not None and vague.plan is not None and vague.plan.declined
    assert "ws/s1_water.tif" in vague.plan.declined and "500 m²" in vague.plan.declined
    sized = resolve_followup("now only the ones bigger than 2 ha", [turn], pair, planner)
    assert sized is not None and sized.plan is not None
    assert sized.plan.steps[0].args == {"source": "ws/s1_water.tif", "statistic": "count",
                                        "min_area_m2": 20000.0}


def test_a_different_ask_per_scene(planner: OfflinePlanner, pair: list[str]) -> None:
    """Each clause runs on the scene it names: no change between the two, no wrong image."""
    scenes = request_checks().scenes(pair)
    plan = planner.plan("In the radar image map the flood water. In the optical one, count "
                        "the buildings and give their total area.", scenes)
    assert [(t, a.get("image")) for t, a in steps(plan)] == [
        ("map_water", scenes[0].path), ("detect_objects", scenes[1].path),
        ("segment", scenes[1].path), ("measure", None)]
    assert plan.steps[2].args["boxes"] == "$s2" and plan.steps[3].args["source"] == "$s3"
    assert sum("planned on" in n for n in plan.notes) == 2
