"""``gsd`` and ``region`` on every plan step that reads a scene.

Every tool that reads a scene takes ``gsd`` (metres per pixel, for images without
georeference) and ``region`` (a bbox or a vector file). The offline planner writes its steps
first and then gives both, as the request states them, to each step whose scene arguments
(``image``, ``before``, ``after``, ``images``) name a scene rather than an earlier step's
output; ``measure`` reads results and gets neither; ``assess`` gets the region (its result
and reference are compared inside it) and, for a result file, the GSD.

A step reading two scenes of different GSD gets one value per scene, in the order the tool
reads its scene arguments (``image``, ``before``, ``after``, ``images``: ``[before, after]``
for ``detect_changes``, ``[after, before]`` for a dNBR ``spectral_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent import references
from agent.plan import PlanStep
from agent.planners import scenes as facts
from agent.planners.analysis import Analysis

SCENE_ARGS = ("image", "before", "after", "images")
"""Scene arguments in the order tools read them (as ``tools.core.scene_options.SCENE_FIELDS``)."""

RESULT_TOOLS = ("segment", "detect_objects", "map_water", "detect_changes", "spectral_index")
"""Tools whose output an accuracy request checks (the last one made)."""



def _is_scene(value: str) -> bool:
    """A request scene or file (``a.tif``, ``$image``), not an earlier step's result."""
    ref = references.parse(value)
    return ref is None or ref.is_scene


def scene_entries(step: PlanStep) -> list[tuple[str, str]]:
    """``(argument, path)`` of each scene a step reads, in tool order; empty when it reads
    only earlier results (``$sN``) or is ``measure``. ``assess`` reads its ``result``."""
    if step.tool == "measure":
        return []
    if step.tool == "assess":
        result = step.args.get("result")
        return [("result", result)] if isinstance(result, str) and _is_scene(result) else []
    out: list[tuple[str, str]] = []
    for name in SCENE_ARGS:
        value = step.args.get(name)
        items = value if isinstance(value, list) else [value]
        out += [(name, v) for v in items if isinstance(v, str)]
    if not any(_is_scene(path) for _, path in out):
        return []
    return out


def _gsd(entries: list[tuple[str, str]], a: Analysis,
         pair: tuple[str, str] | None) -> float | list[float] | None:
    values: list[float] = []
    for name, path in entries:
        role = name if name in ("before", "after") else None
        if role is None and pair is not None:
            role = "before" if path == pair[0] else "after" if path == pair[1] else None
        value = a.gsd.of(path, role)
        if value is None:
            return None
        values.append(value)
    if not values:
        return None
    return values[0] if len(set(values)) == 1 else values


def _copy(region: Any) -> Any:
    """A step's own copy of the region (a bbox list is never shared between steps)."""
    return list(region) if isinstance(region, list) else region


def _fields(tool: str) -> set[str]:
    from tools.catalog import REGISTRY  # the tool records say which outputs have a 4326 copy

    record = REGISTRY.get(tool)
    return set(record.input_model.model_fields) if record is not None else set()


def scene_options(steps: list[PlanStep], a: Analysis, pair: tuple[str, str] | None,
                  note: Callable[[str], None], order: Sequence[str] = (),
                  given: Sequence[str] = ()) -> None:
    """Give ``gsd`` and ``region`` from the request to every step that reads a scene.

    Args:
        steps: The plan's steps (changed in place).
        a: The request's analysis (``gsd``, ``bbox`` / region file).
        pair: The (before, after) scenes of a change pair, when the plan has one.
        note: Adds a note to the plan.
        order: The request's scenes in the order given: without a change pair, "the first
            ... and the second ..." GSDs bind to the first and second of them.
        given: Every scene given, when the request analyses only some (``order``): "image 3
            (0.5 m)", "the older one is 1 m" name their scene among all of them.
    """
    region: Any = a.region
    gsd_values = a.gsd.values
    every = list(given) or list(order)
    for index, value in a.gsd.by_index.items():  # "image 3 (0.5 m)": the third scene given
        if len(every) > 1 and -len(every) <= index < len(every):
            a.gsd.by_file.setdefault(every[index], value)
    for year, value in a.gsd.by_year.items():  # "0.5 m in 2017 and 0.3 m in 2023"
        dated = [p for p in every if (facts.file_date(p) or "").startswith(year)]
        if len(every) > 1 and len(dated) == 1:
            a.gsd.by_file.setdefault(dated[0], value)
    if len(every) == 2 and len(order) < 2 and a.gsd.by_role:  # "the older image is 1 m and the
        dates = [facts.file_date(p) for p in every]  # newer 0.5 m. count in the newer one"
        ranked = sorted(every, key=lambda p: str(facts.file_date(p))) if all(dates) else every
        for role, path in zip(("before", "after"), ranked, strict=True):
            if role in a.gsd.by_role:
                a.gsd.by_file.setdefault(path, a.gsd.by_role[role])
    if (len(order) > 1 and len(gsd_values) == len(order) and len(set(gsd_values)) > 1
            and not a.gsd.by_file and not a.gsd.by_role):  # "0.3 m and 0.5 m respectively"
        a.gsd.by_file = dict(zip(order, gsd_values, strict=True))  # one per scene, in order
        note("GSDs taken in the order stated: " + ", ".join(
            f"{path} {value:g} m" for path, value in a.gsd.by_file.items()))
    if a.gsd.rest is not None and pair is None and len(order) > 2 and "before" in a.gsd.by_role:
        a.gsd.by_file.setdefault(order[0], a.gsd.by_role["before"])  # "the first is 0.5 m, the
        # rest 0.3 m" over a set: the first scene given
    if pair is None and len(order) == 2:
        pair = (order[0], order[1])
    roles = dict(zip(pair, ("before", "after"), strict=True)) if pair else {}
    rest = [p for p in order if p not in a.gsd.by_file and roles.get(p) not in a.gsd.by_role]
    if a.gsd.rest is not None and rest:
        note(f"GSD {a.gsd.rest:g} m for the scenes not given their own: {', '.join(rest)}")
    touched = False
    composites = {f"${s.id}": s for s in steps if s.tool == "pseudo_rgb"}
    for step in steps:
        if a.wgs84 and "wgs84" in _fields(step.tool):  # "their positions in WGS84"
            step.args["wgs84"] = True
        entries = scene_entries(step)
        if step.tool == "assess" and region is not None:
            step.args.setdefault("region", _copy(region))
        source = composites.get(str(step.args.get("image")))
        if not entries and source is not None and step.tool != "measure":
            gsd = _gsd(scene_entries(source), a, pair)  # a composite keeps its scene's GSD
            if gsd is not None:
                step.args["gsd"] = gsd
            if region is not None:  # the step reading the composite: its numbers too
                step.args.setdefault("region", _copy(region))
            continue
        if not entries:
            continue
        gsd = _gsd(entries, a, pair)
        if gsd is not None:
            step.args["gsd"] = gsd
            touched = True
        if region is not None:
            step.args.setdefault("region", _copy(region))
    if touched and len(set(a.gsd.values)) > 1 and not (a.gsd.by_file or a.gsd.by_role
                                                        or a.gsd.rest is not None):
        note(f"several GSDs stated ({', '.join(f'{v:g} m' for v in a.gsd.values)}): the "
             f"first is used for every scene ({', '.join(order) or '$image'})")
