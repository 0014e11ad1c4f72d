"""Check a plan against the public tool surface without running anything.

Every step must name a tool of ``tools.catalog``, take only arguments its input model knows,
read only earlier steps (``$sN``), and validate against the input model once the placeholders
(``$image``, ``$before``, ``$after``, ``$sN``) are filled in with stand-in paths.
"""

from __future__ import annotations

from typing import Any

from agent import references
from agent.plan import Plan
from tools.catalog import REGISTRY


def _fill(value: Any, step_ids: set[str]) -> Any:
    """``value`` with earlier-step and scene references replaced by stand-in file names (as
    the runner will replace them), others left for the unknown-reference check."""
    def stand_in(ref: references.Reference, where: str) -> Any:
        if ref.is_step and ref.name in step_ids:
            return f"{ref.name}.tif" if ref.field is None else 1.0
        if ref.is_scene:
            return ["a.tif", "b.tif"] if ref.name == "images" else f"{ref.name}.tif"
        return references.KEEP

    return references.substitute(value, stand_in)


def plan_problems(plan: Plan) -> list[str]:
    """What is wrong with ``plan`` (empty when every step would validate).

    Args:
        plan: A plan from any planner.

    Returns:
        One readable line per problem: unknown tool, unknown argument, reference to a later
        or missing step, unknown placeholder, or an input-model validation error.
    """
    from pydantic import ValidationError

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
        for found, _ in references.find(step.args):
            if not found.is_scene and not found.is_step:
                problems.append(f"{where}: unknown placeholder {str(found)!r}")
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
