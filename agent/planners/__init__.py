"""Planners: turn a request (and its scenes) into a :class:`agent.plan.Plan`.

``get_planner("offline")`` returns the deterministic keyword planner (no model, no network);
``get_planner("llm", backend=..., model=..., base_url=...)`` a tool-calling chat model planner
configured by :func:`agent.llm.config.load_config` (flags > env > config files).
Planner modules are imported only when asked for, so ``import agent.planners`` stays light.
"""

from __future__ import annotations

from typing import Any

from agent.plan import Planner

PLANNER_NAMES: tuple[str, ...] = ("offline", "llm")
"""Names :func:`get_planner` accepts."""


def get_planner(name: str = "offline", **options: Any) -> Planner:
    """The planner called ``name``.

    Args:
        name: A planner name (see :data:`PLANNER_NAMES`); case and surrounding spaces ignored.
        **options: For ``llm``: LLM settings (``backend``, ``model``, ``base_url``, ``images``
            ..., see :class:`agent.llm.config.LLMConfig`; None values are ignored) and
            ``workspace`` / ``sandbox`` / ``chat_model`` (a ready LangChain chat model).

    Returns:
        A new planner instance.

    Raises:
        ValueError: When no planner has that name; the message lists the names.
    """
    key = name.strip().lower()
    if key == "offline":
        from agent.planners.offline import OfflinePlanner

        return OfflinePlanner()
    if key == "llm":
        from agent.llm.config import load_config
        from agent.planners.llm import LLMPlanner

        planner_keys = ("workspace", "sandbox", "fallback", "label")
        kwargs = {k: options.pop(k) for k in planner_keys if options.get(k) is not None}
        chat_model = options.pop("chat_model", None)
        config = load_config(options)
        if chat_model is not None:
            return LLMPlanner(chat_model, max_retries=config.max_retries, images=config.images,
                              **kwargs)
        return LLMPlanner.from_config(config, **kwargs)
    raise ValueError(f"unknown planner {name!r}; planners are: {', '.join(PLANNER_NAMES)}")


__all__ = ["PLANNER_NAMES", "get_planner"]
