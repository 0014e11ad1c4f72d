"""Helpers of the planner tests."""

from __future__ import annotations

from typing import Any

from agent.plan import Plan
from agent.planners.validate import plan_problems


def steps(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """(tool, args) of each step of a plan that validates against the tool records."""
    assert plan_problems(plan) == [], plan.to_design_json()
    return [(s.tool, s.args) for s in plan.steps]
