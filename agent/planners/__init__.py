"""Planners: turn a request (and its scenes) into a :class:`agent.plan.Plan`.

``get_planner("offline")`` returns the deterministic keyword planner (no model, no network).
Planner modules are imported only when asked for, so ``import agent.planners`` stays light.
"""

from __future__ import annotations

from agent.plan import Planner

PLANNER_NAMES: tuple[str, ...] = ("offline",)
"""Names :func:`get_planner` accepts."""


def get_planner(name: str = "offline") -> Planner:
    """The planner called ``name``.

    Args:
        name: A planner name (see :data:`PLANNER_NAMES`); case and surrounding spaces ignored.

    Returns:
        A new planner instance.

    Raises:
        ValueError: When no planner has that name; the message lists the names.
    """
    key = name.strip().lower()
    if key == "offline":
        from agent.planners.offline import OfflinePlanner

        return OfflinePlanner()
    raise ValueError(f"unknown planner {name!r}; planners are: {', '.join(PLANNER_NAMES)}")


__all__ = ["PLANNER_NAMES", "get_planner"]
