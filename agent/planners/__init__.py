"""Planners: turn a request (and its scenes) into a :class:`agent.plan.Plan`.

The offline planner (:mod:`agent.planners.offline`: deterministic keyword-and-slot planning, no
model) and the LLM planner (:mod:`agent.planners.llm`: a tool-calling chat model); every
interface gets them from :mod:`agent.planners.shared` (``load_planner``: built once per
configuration; ``get_planner``: a new one).
"""
