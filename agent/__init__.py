"""EarthSight agent: plans a plain-language request into tool calls, runs them, answers.

    from agent import Analyst
    result = Analyst(workspace="ws").ask("How much open water is there?", images=["s1.tif"])

``import agent`` loads no model library and no LangGraph (they load when a graph is built or a
model runs); see ``ARCHITECTURE.md`` for where things live.
"""

from __future__ import annotations

from agent.analyst import Analyst
from agent.graph import build_graph, run_request
from agent.plan import Plan, Planner, PlanStep, Scene
from agent.runtime import Runtime, make_runtime
from agent.sandbox import Sandbox
from agent.state import AgentResult, NumberRecord, StepResult
from agent.workflows.run import run_workflow
from agent.workflows.workflow import Workflow, WorkflowError, WorkflowResult

__all__ = ["AgentResult", "Analyst", "NumberRecord", "Plan", "PlanStep", "Planner", "Runtime",
           "Sandbox", "Scene", "StepResult", "Workflow", "WorkflowError", "WorkflowResult",
           "build_graph", "make_runtime", "run_request", "run_workflow"]
