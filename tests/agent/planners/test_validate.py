"""The plan checker finds every kind of invalid step."""

from __future__ import annotations

from typing import Any

import pytest

from agent.plan import Plan, PlanStep
from agent.planners.validate import check_plan, plan_problems


def make(*steps: tuple[str, dict[str, Any]], declined: str | None = None) -> Plan:
    return Plan(request="r", declined=declined,
                steps=[PlanStep(id=f"s{i}", tool=t, args=a) for i, (t, a) in enumerate(steps, 1)])


def test_valid_chain_with_placeholders() -> None:
    plan = make(("pseudo_rgb", {"image": "$image", "mode": "sar"}),
                ("detect_objects", {"image": "$s1", "classes": ["ship"]}),
                ("trend", {"images": ["$s2", "$before"]}))
    assert plan_problems(plan) == []
    assert check_plan(plan) is plan


@pytest.mark.parametrize(("plan", "fragment"), [
    (make(("teleport", {"image": "a.tif"})), "unknown tool"),
    (make(("detect_objects", {"image": "a.tif", "colour": "red"})), "unknown argument 'colour'"),
    (make(("segment", {"image": "a.tif", "boxes": "$s2"}),
          ("detect_objects", {"image": "a.tif"})), "not an earlier step"),
    (make(("spectral_index", {"image": "a.tif", "index": "XYZ"})), "index"),
    (make(("trend", {"images": ["$s9"]})), "images"),
    (make(("map_water", {"image": "$scene"})), "unknown placeholder"),
    (make(("detect_objects", {"image": "a.tif", "min_confidence": 2})), "min_confidence"),
    (make(), "must say why"),
    (make(("describe_raster", {"image": "a.tif"}), declined="no"), "declined plan has steps"),
])
def test_problems_are_reported(plan: Plan, fragment: str) -> None:
    problems = plan_problems(plan)
    assert any(fragment in p for p in problems), problems
    with pytest.raises(ValueError, match="invalid plan"):
        check_plan(plan)


def test_step_ids_must_count_up() -> None:
    plan = Plan(request="r", steps=[PlanStep(id="s2", tool="describe_raster",
                                             args={"image": "a.tif"})])
    assert any("expected s1" in p for p in plan_problems(plan))
