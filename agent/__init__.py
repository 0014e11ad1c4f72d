"""EarthSight agent: plans a plain-language request into tool calls, runs them, answers.

``import agent`` is light (no LangGraph, no models): the public names below load on first use.

    from agent import run_request
    result = run_request("How much open water is there?", ["s1.tif"], "workspace", planner)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.graph import build_graph, run_request
    from agent.plan import Plan, Planner, PlanStep, Scene
    from agent.state import AgentResult, StepResult

_EXPORTS = {
    "build_graph": "agent.graph",
    "run_request": "agent.graph",
    "Plan": "agent.plan",
    "PlanStep": "agent.plan",
    "Planner": "agent.plan",
    "Scene": "agent.plan",
    "AgentResult": "agent.state",
    "StepResult": "agent.state",
}

__all__ = ["AgentResult", "Plan", "PlanStep", "Planner", "Scene", "StepResult", "build_graph",
           "run_request"]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    return getattr(import_module(module), name)
