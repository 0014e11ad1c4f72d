"""EarthSight agent: plans a plain-language request into tool calls, runs them, answers.

``import agent`` is light (no LangGraph, no models): the public names below load on first use.

    from agent import Analyst
    result = Analyst(workspace="ws").ask("How much open water is there?", images=["s1.tif"])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.analyst import Analyst
    from agent.graph import build_graph, run_request
    from agent.plan import Plan, Planner, PlanStep, Scene
    from agent.sandbox import Sandbox
    from agent.state import AgentResult, NumberRecord, StepResult
    from agent.workflows.workflow import Workflow, WorkflowError, WorkflowResult, run_workflow

_EXPORTS = {
    "Analyst": "agent.analyst",
    "Sandbox": "agent.sandbox",
    "NumberRecord": "agent.state",
    "Workflow": "agent.workflows.workflow",
    "WorkflowError": "agent.workflows.workflow",
    "WorkflowResult": "agent.workflows.workflow",
    "run_workflow": "agent.workflows.workflow",
    "build_graph": "agent.graph",
    "run_request": "agent.graph",
    "Plan": "agent.plan",
    "PlanStep": "agent.plan",
    "Planner": "agent.plan",
    "Scene": "agent.plan",
    "AgentResult": "agent.state",
    "StepResult": "agent.state",
}

__all__ = ["AgentResult", "Analyst", "NumberRecord", "Plan", "PlanStep", "Planner", "Sandbox",
           "Scene", "StepResult", "Workflow", "WorkflowError", "WorkflowResult", "build_graph",
           "run_request", "run_workflow"]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    return getattr(import_module(module), name)
