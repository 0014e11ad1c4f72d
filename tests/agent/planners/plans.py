"""Helpers of the planner tests."""

from __future__ import annotations

from typing import Any

from agent.plan import Plan, Scene
from agent.planners.offline import OfflinePlanner
from agent.planners.validate import plan_problems


def steps(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """(tool, args) of each step of a plan that validates against the tool records."""
    assert plan_problems(plan) == [], plan.to_design_json()
    return [(s.tool, s.args) for s in plan.steps]


def assert_planned_as_annotated(planner: OfflinePlanner, query: dict[str, Any]) -> None:
    """The plan of an evaluation query is valid, exact, in order and right in every gold arg."""
    from agent.evaluate import Query, score_item

    q = Query.model_validate(query)
    plan = planner.plan(q.question, [Scene(path=p) for p in q.images])
    item = score_item(q, plan)
    assert item.problems == []
    assert item.exact, (item.missing, item.extra, plan.to_design_json())
    assert item.in_order is not False
    assert all(c.correct for c in item.args), [c for c in item.args if not c.correct]
