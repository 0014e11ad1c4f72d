"""The offline planner: intents, chains, scenes, declines, validity on every query we have."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.plan import Plan, Scene
from agent.planners.offline import OfflinePlanner
from agent.planners.shared import PLANNER_NAMES, get_planner
from agent.planners.validate import plan_problems
from tests.agent.planners.plans import assert_planned_as_annotated

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEV_FILE = REPO.parent / "shared" / "eval" / "queries_dev.jsonl"
EXTRA_FILE = HERE / "extra_queries.jsonl"


def _queries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _dev_queries() -> list[dict[str, Any]]:
    if not DEV_FILE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"dev queries not found: {DEV_FILE}")
        pytest.skip(f"dev queries not found: {DEV_FILE}")
    return _queries(DEV_FILE)


def tools_of(plan: Plan) -> list[str]:
    return [s.tool for s in plan.steps]


def step(plan: Plan, tool: str) -> dict[str, Any]:
    found = [s.args for s in plan.steps if s.tool == tool]
    assert found, f"no {tool} step in {tools_of(plan)}"
    return found[0]


# --- registry and imports ----------------------------------------------------------------


def test_get_planner_offline_and_unknown_name() -> None:
    assert get_planner("offline").name == "offline"
    assert get_planner(" Offline ").name == "offline"
    assert "offline" in PLANNER_NAMES
    with pytest.raises(ValueError, match=r"unknown planner 'gpt'.*planners are: offline"):
        get_planner("gpt")


def test_planner_imports_nothing_heavy() -> None:
    code = ("import sys, agent, agent.planners.offline as o; "
            "o.OfflinePlanner().plan('count ships'); print(sorted(m for m in "
            "('torch', 'ultralytics', 'transformers', 'langgraph') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         check=True)
    assert out.stdout.strip() == "[]"


# --- every query we have: valid plans, and the extra phrasings planned as annotated ----------


def test_every_dev_query_plans_validly(planner: OfflinePlanner) -> None:
    for q in _dev_queries():
        for scenes in ([Scene(path=p) for p in q["images"]], []):
            plan = planner.plan(q["question"], scenes)
            assert plan_problems(plan) == [], (q["id"], plan.to_design_json())
            assert bool(plan.declined) == (not q["gold"]["required"]), q["id"]


EXTRA = _queries(EXTRA_FILE)


@pytest.mark.parametrize("query", EXTRA, ids=[q["id"] for q in EXTRA])
def test_extra_phrasings(planner: OfflinePlanner, query: dict[str, Any]) -> None:
    assert_planned_as_annotated(planner, query)
    assert len(EXTRA) >= 40


# --- chains ------------------------------------------------------------------------------


def test_detect_then_segment_then_measure_area(planner: OfflinePlanner) -> None:
    plan = planner.plan("Outline each house in town.tif and give the total roof area in hectares")
    assert tools_of(plan) == ["detect_objects", "segment", "measure"]
    assert step(plan, "detect_objects") == {"image": "town.tif", "classes": ["building"]}
    assert step(plan, "segment") == {"image": "town.tif", "boxes": "$s1"}
    assert step(plan, "measure") == {"source": "$s2", "statistic": "area", "units": "ha"}


def test_size_filters_convert_units(planner: OfflinePlanner) -> None:
    plan = planner.plan("how many buildings bigger than 0.1 ha?", [Scene(path="a.tif")])
    assert step(plan, "measure")["min_area_m2"] == pytest.approx(1000.0)
    plan = planner.plan("count boats longer than 0.2 km", [Scene(path="a.tif")])
    assert step(plan, "measure") == {"source": "$s1", "statistic": "count",
                                     "min_length_m": pytest.approx(200.0)}


def test_sar_and_hsi_get_pseudo_rgb_before_rgb_specialists(planner: OfflinePlanner) -> None:
    for modality, mode in (("sar", "sar"), ("hyperspectral", "hsi")):
        plan = planner.plan("segment the ships", [Scene(path="x.tif", modality=modality)])
        assert tools_of(plan) == ["pseudo_rgb", "detect_objects", "segment"]
        assert step(plan, "pseudo_rgb") == {"image": "x.tif", "mode": mode}
        assert step(plan, "detect_objects")["image"] == "$s1"
        assert step(plan, "segment")["image"] == "$s1"
    plan = planner.plan("classify this scene", [Scene(path="s1_x.tif")])
    assert step(plan, "classify_scene")["images"] == ["$s1"]
    for scene in (Scene(path="x.tif", modality="rgb"), Scene(path="s2_tile.tif")):
        assert tools_of(planner.plan("count ships", [scene])) == ["detect_objects"]


def test_modality_from_request_text_when_file_name_says_nothing(planner: OfflinePlanner) -> None:
    plan = planner.plan("count ships in this Sentinel-1 scene", [Scene(path="scene.tif")])
    assert tools_of(plan) == ["pseudo_rgb", "detect_objects"]
    plan = planner.plan("map the water", [Scene(path="scene.tif", modality="multispectral")])
    assert step(plan, "map_water") == {"image": "scene.tif", "method": "optical"}


def test_index_thresholds_and_below(planner: OfflinePlanner) -> None:
    cases = {
        "NDVI > 0.3 on a.tif": ("NDVI", 0.3, None),
        "where is MNDWI above 0.2 in a.tif": ("MNDWI", 0.2, None),
        "EVI on a.tif, thresh -0.1": ("EVI", -0.1, None),
        "mask pixels with NDWI < 0 in a.tif": ("NDWI", 0.0, True),
        "savi for a.tif": ("SAVI", None, None),
    }
    for request, (index, threshold, below) in cases.items():
        args = step(planner.plan(request), "spectral_index")
        assert args["index"] == index, request
        assert args.get("threshold") == threshold, request
        assert args.get("below") == below, request


def test_biomass_regions(planner: OfflinePlanner) -> None:
    plan = planner.plan("AGB where NDVI exceeds 0.55 on s2.tif")
    assert tools_of(plan) == ["spectral_index", "estimate_biomass"]
    assert step(plan, "estimate_biomass") == {"image": "s2.tif", "region": "$s1"}
    plan = planner.plan("biomass lost in the changed areas", [Scene(path="t0.tif"),
                                                              Scene(path="t1.tif")])
    assert tools_of(plan) == ["detect_changes", "estimate_biomass"]
    assert step(plan, "estimate_biomass") == {"image": "t0.tif", "region": "$s1"}


def test_multitemporal_one_step_per_date_sorted_then_trend(planner: OfflinePlanner) -> None:
    scenes = [Scene(path=p) for p in ("b_2021-06-01.tif", "b_2019-06-01.tif", "b_2020-06-01.tif")]
    plan = planner.plan("is the water area shrinking?", scenes)
    assert tools_of(plan) == ["map_water"] * 3 + ["trend"]
    assert [s.args["image"] for s in plan.steps[:3]] == [
        "b_2019-06-01.tif", "b_2020-06-01.tif", "b_2021-06-01.tif"]
    assert step(plan, "trend") == {"images": ["$s1", "$s2", "$s3"], "statistic": "water_area",
                                   "dates": ["2019-06-01", "2020-06-01", "2021-06-01"]}


def test_search_then_detect_on_the_hits(planner: OfflinePlanner) -> None:
    plan = planner.plan("find the top ten tiles in tiles/*.tif that show a marina, then count "
                        "the boats there")
    assert tools_of(plan) == ["search_images", "detect_objects"]
    assert step(plan, "search_images") == {"query": "marina", "archive": "tiles/*.tif",
                                           "top_k": 10}
    assert step(plan, "detect_objects") == {"image": "$s1", "classes": ["ship"]}


def test_classify_labels_from_the_request(planner: OfflinePlanner) -> None:
    plan = planner.plan("Is this tile a golf course, a parking lot or dense residential?",
                        [Scene(path="t.tif")])
    assert step(plan, "classify_scene") == {
        "images": ["t.tif"], "labels": ["golf course", "parking lot", "dense residential"]}


# --- scenes, placeholders, roles ------------------------------------------------------------


def test_placeholders_without_scenes(planner: OfflinePlanner) -> None:
    assert step(planner.plan("count the planes"), "detect_objects")["image"] == "$image"
    plan = planner.plan("what changed between the two images?")
    assert step(plan, "detect_changes") == {"before": "$before", "after": "$after"}
    assert plan_problems(plan) == []


def test_before_after_keep_the_given_order_and_say_when_dates_disagree(
        planner: OfflinePlanner) -> None:
    plan = planner.plan("what changed?", [Scene(path="x_2023.tif"), Scene(path="x_2019.tif")])
    assert step(plan, "detect_changes") == {"before": "x_2023.tif", "after": "x_2019.tif"}
    assert any("x_2023.tif" in n and "x_2019.tif" in n and "newer" in n for n in plan.notes)
    plan = planner.plan("what changed?", [Scene(path="x_2019.tif"), Scene(path="x_2023.tif")])
    assert not any("newer" in n for n in plan.notes)
    plan = planner.plan("what changed from 2019 to 2023?",
                        [Scene(path="x_2023.tif"), Scene(path="x_2019.tif")])
    assert step(plan, "detect_changes") == {"before": "x_2019.tif", "after": "x_2023.tif"}
    assert not any("newer" in n for n in plan.notes)


def test_before_after_roles_from_names_and_words(planner: OfflinePlanner) -> None:
    plan = planner.plan("compare post_event.tif with pre_event.tif")
    assert step(plan, "detect_changes") == {"before": "pre_event.tif", "after": "post_event.tif"}
    plan = planner.plan("new buildings: b.tif (later) vs a.tif (earlier)")
    assert step(plan, "detect_changes")["before"] == "a.tif"


def test_file_names_in_text_are_scenes_and_never_cues(planner: OfflinePlanner) -> None:
    plan = planner.plan("NDVI for water_ships_2020.tif")
    assert tools_of(plan) == ["spectral_index"]
    assert step(plan, "spectral_index")["image"] == "water_ships_2020.tif"


# --- typos, declines, determinism -----------------------------------------------------------


def test_typos_are_tolerated_and_noted(planner: OfflinePlanner) -> None:
    plan = planner.plan("detetc the vesels in a.tif")
    assert step(plan, "detect_objects")["classes"] == ["ship"]
    assert "read 'vesels' as 'vessels'" in plan.notes
    plan = planner.plan("segmnet evrything in a.tif")
    assert step(plan, "segment") == {"image": "a.tif", "everything": True}


def test_real_words_are_not_corrected(planner: OfflinePlanner) -> None:
    plan = planner.plan("what kind of place is a.tif: port, airport or farmland?")
    assert tools_of(plan) == ["classify_scene"]
    plan = planner.plan("make a true colour composite of s2.tif")
    assert plan.notes == []


@pytest.mark.parametrize("request_text", [
    "What will the weather be like tomorrow over a.tif?",
    "download the latest Landsat image of Nairobi",
    "shortest route from the port to the airport in city.tif",
    "tell me a joke",
    "whats the capital of Peru?",
    "who owns the house in a.tif?",
])
def test_out_of_scope_is_declined_with_a_reason(planner: OfflinePlanner,
                                                request_text: str) -> None:
    plan = planner.plan(request_text)
    assert plan.steps == []
    assert plan.declined and len(plan.declined) > 20


def test_plans_are_deterministic(planner: OfflinePlanner) -> None:
    request = "count ships longer than 50 m and map the water in s1_x.tif"
    first = planner.plan(request).model_dump()
    assert all(OfflinePlanner().plan(request).model_dump() == first for _ in range(3))


def test_unknown_counted_nouns_go_to_the_detector(planner: OfflinePlanner) -> None:
    plan = planner.plan("how many intersections are there?", [Scene(path="a.png")])
    assert step(plan, "detect_objects")["classes"] == ["intersection"]
    plan = planner.plan("how many pixels are there?", [Scene(path="a.png")])
    assert tools_of(plan) == ["describe_scene"]


def test_random_word_salad_always_gives_valid_plans(planner: OfflinePlanner) -> None:
    import random

    words = EXTRA_FILE.read_text().replace('"', " ").split()
    rnd = random.Random(7)
    for _ in range(300):
        request = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 30)))
        scenes = [Scene(path=f"x{i}.tif", modality=rnd.choice([None, "sar", "rgb"]))
                  for i in range(rnd.randint(0, 4))]
        plan = planner.plan(request, scenes)
        assert plan_problems(plan) == [], (request, plan.to_design_json())
    for odd in ("", "   ", "?", "scene.tif", "x" * 5000, "🛰️ ships??"):
        assert plan_problems(planner.plan(odd)) == []


def test_named_objects_that_are_no_class(planner: OfflinePlanner) -> None:
    """Found, marked or counted objects the vocabulary lacks go to the detector by name;
    places, coordinates and adverbs do not."""
    scene = [Scene(path="a.png")]
    plan = planner.plan("put a point on every walrus and every seal you can tell apart", scene)
    assert step(plan, "detect_objects")["classes"] == ["walrus", "seal"]
    plan = planner.plan("count the nesting pelicans", scene)
    assert step(plan, "detect_objects")["classes"] == ["pelican"]
    for request in ("find the coordinates of the place it shows",
                    "identify statistically significant clusters"):
        assert "detect_objects" not in tools_of(planner.plan(request, scene)), request


def test_single_date_nbr_takes_no_default_threshold(planner: OfflinePlanner) -> None:
    """The tool has no single-date burned preset: the plan must not ask for one."""
    plan = planner.plan("how many hectares burned in post_fire.tif? use NBR",
                        [Scene(path="post_fire.tif")])
    assert "threshold" not in step(plan, "spectral_index")
    assert any("single-date NBR" in n for n in plan.notes)
    plan = planner.plan("burned area in hectares from pre.tif (before) and post.tif (after)")
    assert step(plan, "spectral_index")["threshold"] == "default"


def test_tiles_of_one_acquisition_make_no_trend(planner: OfflinePlanner) -> None:
    """Pieces of one image (one date, no time apart) are counted each, not fitted over time;
    names with times or weeks are no pieces of one image."""
    tiles = [Scene(path=f"wv2_20111112_map00{i}.tif") for i in range(18, 22)]
    assert "trend" not in tools_of(planner.plan("count the seals in these tiles", tiles))
    from agent.planners.scenes import one_acquisition

    assert one_acquisition([s.path for s in tiles])
    assert not one_acquisition([f"port_20240901T{h}00.tif" for h in ("06", "12", "18")])
    assert not one_acquisition(["s1_2025-W01.tif", "s1_2025-W02.tif"])
