"""Check a plan against the public tool surface without running anything.

Every step must name a tool of ``tools.catalog``, take only arguments its input model knows,
read only earlier steps (``$sN``), and validate against the input model once the placeholders
(``$image``, ``$before``, ``$after``, ``$sN``) are filled in with stand-in paths.
"""

from __future__ import annotations

import re
from typing import Any

from agent.plan import Plan

SCENE_PLACEHOLDERS = ("$image", "$before", "$after")
_SCENE = re.compile(r"^\$(image\d*|images|before|after)$")


def is_scene_placeholder(value: str) -> bool:
    """Whether ``value`` names a request scene (``$image``, ``$imageN``, ``$images``, ...)."""
    return bool(_SCENE.match(value))


def _fill(value: Any, step_ids: set[str]) -> Any:
    if isinstance(value, list):
        return [_fill(v, step_ids) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        return f"{name}.tif" if name in step_ids or is_scene_placeholder(value) else value
    return value


def plan_problems(plan: Plan) -> list[str]:
    """What is wrong with ``plan`` (empty when every step would validate).

    Args:
        plan: A plan from any planner.

    Returns:
        One readable line per problem: unknown tool, unknown argument, reference to a later
        or missing step, unknown placeholder, or an input-model validation error.
    """
    from pydantic import ValidationError

    from tools.catalog import REGISTRY

    problems: list[str] = []
    if plan.declined and plan.steps:
        problems.append("a declined plan has steps")
    if not plan.declined and not plan.steps:
        problems.append("a plan with no steps must say why (declined)")
    seen: set[str] = set()
    for index, step in enumerate(plan.steps, start=1):
        where = f"{step.id} ({step.tool})"
        if step.id != f"s{index}":
            problems.append(f"{where}: step ids must run s1, s2, ... (expected s{index})")
        record = REGISTRY.get(step.tool)
        if record is None:
            problems.append(f"{where}: unknown tool; tools are: {', '.join(REGISTRY)}")
            seen.add(step.id)
            continue
        fields = record.input_model.model_fields
        for name in step.args:
            if name not in fields:
                problems.append(f"{where}: unknown argument {name!r}; it takes "
                                f"{', '.join(fields)}")
        for ref in step.references():
            if ref not in seen:
                problems.append(f"{where}: reads ${ref}, which is not an earlier step")
        for value in step.args.values():
            for item in value if isinstance(value, list) else [value]:
                if (isinstance(item, str) and item.startswith("$")
                        and not is_scene_placeholder(item) and item[1:] not in seen):
                    problems.append(f"{where}: unknown placeholder {item!r}")
        filled = {k: _fill(v, seen) for k, v in step.args.items()}
        try:
            record.input_model.model_validate(filled)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "arguments"
                problems.append(f"{where}: {loc}: {err['msg']}")
        seen.add(step.id)
    return problems


def check_plan(plan: Plan) -> Plan:
    """Return ``plan`` when it validates, else raise ValueError listing the problems.

    Args:
        plan: A plan from any planner.

    Returns:
        The same plan.

    Raises:
        ValueError: When :func:`plan_problems` finds anything.
    """
    problems = plan_problems(plan)
    if problems:
        raise ValueError("invalid plan: " + "; ".join(problems))
    return plan
