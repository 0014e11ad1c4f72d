"""What a ruled-out part takes out of the plan (``ruled_out``)."""

from __future__ import annotations

import pytest

from agent.plan import Plan, PlanStep, Scene
from agent.planners.offline import OfflinePlanner
from agent.planners.ruled_out import without


def _steps(plan: Plan) -> list[tuple[str, object]]:
    return [(s.tool, s.args.get("index") or s.args.get("classes")) for s in plan.steps]


@pytest.mark.parametrize(("text", "steps"), [
    ("Compute NDVI, NDWI and NBR. Not needed: NBR.",
     [("spectral_index", "NDVI"), ("spectral_index", "NDWI")]),
    ("Compute NDVI and estimate biomass. Skip the biomass part, actually.",
     [("spectral_index", "NDVI")]),
    ("Count ships and tanks. Never mind the tanks.", [("detect_objects", ["ship"])]),
    ("Count the vehicles; don't count trucks.", [("detect_objects", ["vehicle"])]),  # a kind
    ("Count ships, tanks and planes. Skip the tanks, keep the planes.",
     [("detect_objects", ["ship", "plane"])]),
])
def test_ruled_out_work_leaves_the_plan(planner: OfflinePlanner, text: str,
                                        steps: list[tuple[str, object]]) -> None:
    plan = planner.plan(text, [Scene(path="s2_20220601.tif")])
    assert _steps(plan) == steps
    assert any(n.startswith("left out as asked") for n in plan.notes)


@pytest.mark.parametrize("text", ["Skip NDWI - actually, no, include NDWI with the NDVI.",
                                  "Compute NDVI and NDWI. Skip the NDWI - actually, keep it."])
def test_a_ruling_out_taken_back_leaves_nothing_out(planner: OfflinePlanner, text: str) -> None:
    plan = planner.plan(text, [Scene(path="s2_20220601.tif")])
    assert sorted(s.args["index"] for s in plan.steps) == ["NDVI", "NDWI"]
    assert not any(n.startswith("left out as asked") for n in plan.notes)


def test_steps_reading_what_went_go_too(planner: OfflinePlanner) -> None:
    steps = [PlanStep(id="s1", tool="spectral_index", args={"image": "a.tif", "index": "NDVI",
                                                            "threshold": 0.3}),
             PlanStep(id="s2", tool="measure", args={"source": "$s1", "statistic": "area"}),
             PlanStep(id="s3", tool="spectral_index", args={"image": "a.tif", "index": "NBR"})]
    raw = "Compute NDVI above 0.3 with its area, and NBR. Not needed: NDVI."
    kept, changed = without(steps, ["Not needed: NDVI"], raw,
                            "Compute NDVI above 0.3 with its area, and NBR.", planner.vocab)
    assert changed
    assert [(s.id, s.tool, s.args.get("index")) for s in kept] == [
        ("s1", "spectral_index", "NBR")]
    assert without(steps, ["Not needed: NDVI"], raw + " Actually, do NDVI as well.",
                   "Compute NDVI above 0.3 with its area, and NBR.", planner.vocab) == (
        steps, False)
