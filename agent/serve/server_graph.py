"""The graph ``langgraph dev`` serves (see ``langgraph.json`` at the repository root).

The graph is the plan → act → answer agent with the offline planner; its input is an
:class:`~agent.state.AgentState` (``request``, ``scenes``, ``workspace``). It is built from a
runtime (:func:`agent.runtime.make_runtime`) like every other entry point: file arguments are
sandboxed to the workspace (``EARTHSIGHT_WORKSPACE``, default ``./workspace``) and the data
roots, outputs go to that workspace whatever the input state says, and ``describe_scene``
follows :func:`agent.runtime.choose_describer`.
"""

from __future__ import annotations

import os
from typing import Any

from agent.graph import build_graph
from agent.runtime import make_runtime


def make_graph(config: Any = None) -> Any:
    """Build the compiled agent graph (offline planner, sandboxed tools, the describer rule).

    Args:
        config: The run configuration LangGraph passes to graph factories (unused).
    """
    runtime = make_runtime(os.environ.get("EARTHSIGHT_WORKSPACE", "workspace"), sandbox=True)
    return build_graph(runtime.planner, runtime.tool_lookup, describer=runtime.describer,
                       new_checks=runtime.checks, workspace=runtime.root)
