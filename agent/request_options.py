"""A request's ``gsd`` and ``region`` given beside the question (``--gsd``, ``--region``, the
API's fields, a box drawn on the map), applied to the plan's scene-reading steps.

The planner may already have put them on a step from the request text; a step that has its own
value keeps it. A step that reads only earlier results (``measure`` of ``$s1``) gets neither:
it works on outputs that were already cut to the region and carry their pixel grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent import references
from agent.plan import Plan, PlanStep
from tools.core.errors import InputError
from tools.core.registry import ToolRecord
from tools.core.scene_options import SCENE_FIELDS

ToolLookup = Callable[[str], ToolRecord[Any, Any]]
Region = str | list[float]


def parse_region(text: str) -> Region:
    """A ``--region`` value: ``minx,miny,maxx,maxy`` (a bbox) or a file / ``$sN``.

    Raises:
        InputError: Comma-separated but not 4 numbers.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        return text
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return text  # a file name with commas
    if len(values) != 4:
        raise InputError(f"--region: a bbox is 4 numbers minx,miny,maxx,maxy; got {text!r}")
    return values


def _scene_values(step: PlanStep) -> list[Any]:
    out: list[Any] = []
    for name in SCENE_FIELDS:
        value = step.args.get(name)
        if value is None:
            continue
        out.extend(value if isinstance(value, list) else [value])
    return out


def _reads_scenes(values: Sequence[Any]) -> bool:
    """Whether the values name request scenes or files (not only earlier steps' results)."""
    for value in values:
        ref = references.parse(value)
        if ref is None or ref.is_scene:
            return True
    return False


def apply_request_options(plan: Plan, gsd: float | None, region: Region | None,
                          lookup: ToolLookup) -> Plan:
    """``plan`` with ``gsd`` and ``region`` on every step that reads a scene and takes them
    (steps that state their own keep it)."""
    if gsd is None and region is None:
        return plan
    steps = []
    for step in plan.steps:
        try:
            fields = lookup(step.tool).input_model.model_fields
        except Exception:  # an unknown tool fails its step with its own message
            steps.append(step)
            continue
        if not _reads_scenes(_scene_values(step)):
            steps.append(step)
            continue
        args = dict(step.args)
        if gsd is not None and "gsd" in fields and "gsd" not in args:
            args["gsd"] = gsd
        if region is not None and "region" in fields and "region" not in args:
            args["region"] = region
        steps.append(step.model_copy(update={"args": args}))
    return plan.model_copy(update={"steps": steps})
