"""Argument checks of an evaluation: every argument a gold plan names, compared with the step
of that tool that matches it best (the rules are the "Arguments" part of ``agent.evaluate``'s
module doc, which the report carries as its method).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from agent.plan import Plan
from agent.planners.vocab import canonical_class, singular
from tools.catalog import REGISTRY

NUMBER_TOLERANCE = 0.05
"""Relative tolerance of a number argument (exact for 0)."""


class ArgCheck(BaseModel):
    """One gold argument compared with the plan."""

    tool: str
    arg: str
    expected: Any
    got: Any = None
    correct: bool = False


def _norm_str(value: str) -> str:
    """A class or label name as compared: canonical, singular ("pastures" = "pasture"), a
    hyphen the same as a space ("oil-stained sand" = "oil stained sand")."""
    return " ".join(singular(canonical_class(value)).replace("-", " ").split())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _close(expected: float, got: float) -> bool:
    if expected == 0:
        return abs(got) <= 1e-9
    return abs(got - expected) <= NUMBER_TOLERANCE * abs(expected)


def values_match(expected: Any, got: Any) -> bool:
    """Compare a gold argument value with a planned one (see the module docstring)."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if _is_number(expected):
        return _is_number(got) and _close(float(expected), float(got))
    if isinstance(expected, str):
        return isinstance(got, str) and _norm_str(expected) == _norm_str(got)
    if isinstance(expected, list):
        if not isinstance(got, list):
            return False
        if all(_is_number(v) for v in expected + got):
            want, have = sorted(set(expected)), sorted(set(got))
            return len(want) == len(have) and all(_close(w, h) for w, h in zip(want, have,
                                                                                strict=True))
        def key(v: Any) -> str:
            return _norm_str(v) if isinstance(v, str) else json.dumps(v, sort_keys=True)
        return {key(v) for v in expected} == {key(v) for v in got}
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(expected) == set(got)
                and all(values_match(v, got[k]) for k, v in expected.items()))
    return bool(expected == got)


def _default(tool: str, arg: str) -> Any:

    record = REGISTRY.get(tool)
    field = record.input_model.model_fields.get(arg) if record else None
    if field is None or field.is_required():
        return None
    return field.get_default(call_default_factory=True)


_PAIR_NBR = ("NBR", "dNBR")
"""Index names that mean dNBR on a ``spectral_index`` step with a ``before`` scene."""


def _detected_classes(plan: Plan, boxes: Any) -> Any:
    """The classes of the ``detect_objects`` step that a ``segment`` step's ``boxes`` refer to
    ("$s1"): segmenting a detector's boxes of classes C is segmenting C (detect-then-segment);
    None when the boxes come from elsewhere."""
    if not isinstance(boxes, str) or not boxes.startswith("$"):
        return None
    ref = boxes[1:].split(".", 1)[0]
    step = next((s for s in plan.steps if s.id == ref), None)
    if step is None or step.tool != "detect_objects":
        return None
    return step.args.get("classes")


def _over_water_maps(plan: Plan, args: dict[str, Any]) -> bool:
    """Whether a trend step reads only ``map_water`` steps (its water area is their area)."""
    tools = {s.id: s.tool for s in plan.steps}
    refs = [str(i) for i in args.get("images") or []]
    return bool(refs) and all(r.startswith("$") and tools.get(r[1:]) == "map_water" for r in refs)


def _zonal_file(plan: Plan, step_id: str) -> str | None:
    """The polygon file a zonal ``measure`` summarises step ``step_id``'s output in, if any."""
    for step in plan.steps:
        source = str(step.args.get("source", "$"))
        if step.tool == "measure" and step.args.get("image") == f"${step_id}" \
                and not source.startswith("$"):
            return source
    return None


def check_args(plan: Plan, gold_args: dict[str, dict[str, Any]],
               optional: Iterable[str] = ()) -> list[ArgCheck]:
    """One check per argument that ``gold_args`` names (see the module docstring)."""
    checks: list[ArgCheck] = []
    for tool, wanted in gold_args.items():
        steps = [s for s in plan.steps if s.tool == tool]
        if not steps and tool in optional:
            continue  # how to call an acceptable extra step, when the plan has one

        def got_of(args: dict[str, Any], name: str, _tool: str = tool,
                   _wanted: dict[str, Any] = wanted, _id: str = "") -> Any:
            value = args[name] if name in args else _default(_tool, name)
            if name == "region" and value is None and _id and (zonal := _zonal_file(plan, _id)):
                return zonal  # its output summarised inside the polygons of a file
            if _tool == "spectral_index" and name == "index" and args.get("before") \
                    and value in _PAIR_NBR:
                return _wanted[name] if _wanted.get(name) in _PAIR_NBR else value
            if _tool == "trend" and name == "statistic" and value == "water_area" \
                    and _wanted.get(name) == "area" and _over_water_maps(plan, args):
                return "area"  # the area of each date's water map
            if _tool == "segment" and name == "classes" and value is None:
                return _detected_classes(plan, args.get("boxes"))
            if _tool == "measure" and name == "region" and value is None and args.get("image") \
                    and not str(args.get("source", "$")).startswith("$"):
                return args["source"]  # zonal statistics: the image inside the file's polygons
            return value

        best: dict[str, Any] | None = None
        best_hits, best_id = -1, ""
        for step in steps:
            hits = sum(values_match(v, got_of(step.args, k, _id=step.id))
                       for k, v in wanted.items())
            if hits > best_hits:
                best, best_hits, best_id = step.args, hits, step.id
        for name, value in wanted.items():
            got = got_of(best, name, _id=best_id) if best is not None else None
            ok = best is not None and values_match(value, got)
            checks.append(ArgCheck(tool=tool, arg=name, expected=value, got=got, correct=ok))
    return checks
