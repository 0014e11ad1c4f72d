"""The graph ``langgraph dev`` serves (see ``langgraph.json`` at the repository root).

The graph is the plan → act → answer agent with the offline planner; its input is an
:class:`~agent.state.AgentState` (``request``, ``scenes``, ``workspace``). File arguments are
sandboxed to the workspace (``EARTHSIGHT_WORKSPACE``, default ``./workspace``) and the data
roots, as for every embedded interface. ``describe_scene`` answers with EarthSight's LLM when
one is configured on purpose (``[llm]`` naming a backend or model in a config file, or
``EARTHSIGHT_LLM_BACKEND`` / ``EARTHSIGHT_LLM_MODEL``), else from measured facts.
"""

from __future__ import annotations

import os
from typing import Any


def make_graph(config: Any = None) -> Any:
    """Build the compiled agent graph (offline planner, sandboxed tools, configured describer).

    Args:
        config: The run configuration LangGraph passes to graph factories (unused).
    """
    from agent.graph import build_graph
    from agent.llm.describe import configured_describer
    from agent.planners import get_planner
    from agent.sandbox import Sandbox

    workspace = os.environ.get("EARTHSIGHT_WORKSPACE", "workspace")
    return build_graph(get_planner("offline"), sandbox=Sandbox.from_env(workspace),
                       describer=configured_describer())
