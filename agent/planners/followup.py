"""Follow-up requests in a session: plans that reuse the previous turn's request or results.

* **Filters** — "now only the ones bigger than 200 m²", "only those under 1 ha": ``measure``
  the previous turn's last object result (segment > detect_objects > map_water ...) again with
  ``min_area_m2`` / ``max_area_m2`` (count and area).
* **Another scene** — "same for the second image", "do the same with the other scene": the
  previous request planned again over that scene of the session.
* **Export** — "export that as GeoJSON": the previous turn's vector files (no tool runs;
  the session copies them, see :mod:`agent.session.session`).

Turns are plain dicts (they live in the session checkpoint): ``{"request", "scenes": [path],
"steps": [{"id", "tool", "status", "result_path", "vectors": [path]}]}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.plan import Plan, Planner, PlanStep, Scene, plan_request
from agent.planners import scenes as facts
from agent.planners.scene_refs import ORDINALS, referenced
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

if TYPE_CHECKING:
    from agent.sandbox import Paths

OBJECT_TOOLS = ("segment", "detect_objects", "map_water", "detect_changes")
_UNIT_M2 = {"m": 1.0, "ha": 10_000.0, "hectare": 10_000.0, "km": 1_000_000.0}
_FILTER = re.compile(
    r"\b(bigger|larger|greater|more|over|above|at least|smaller|less|under|below|at most)"
    r"(?:\s+than)?\s+(\d+(?:[.,]\d+)?)\s*(m²|m2|m\b|sq\.?\s*m|square met\w*|ha\b|hectares?|"
    r"km²|km2|square kilomet\w*)", re.IGNORECASE)
_VAGUE_SIZE = re.compile(r"\bonly (?:the )?(?:big|large|bigger|larger|biggest|largest|small|"
                         r"smaller|tiny|huge|major|minor)(?: ones?| objects?)?\b(?!\s+than)",
                         re.IGNORECASE)
_SAME = re.compile(r"\b(same|again|repeat|likewise)\b.*\b(image|scene|one|file|picture|photo|"
                   r"tile|chip|acquisition|date)\b|\b(image|scene)\s*(\d+|[a-e])\b|"
                   r"^\W*(?:and|now|ok|okay|then)?\W*(?:what about|how about|and for|and on|"
                   r"now for|now on|now do|do it for|do it on|do that for|do that on|and with|"
                   r"now with)\b"
                   r"[^.?!;]{0,40}\b(image|scene|one|file|picture|photo|tile|chip|acquisition|date|"
                   r"radar|optical|sar)\b", re.IGNORECASE)
"""A request to run the previous one on another scene ("same for the second image", "what about
the radar one?", "now do it for the 2019 one")."""
_EXPORT = re.compile(r"\b(export|save|write|download)\b.*\b(geojson|vector|polygons?|"
                     r"shapes?|that|them|those|it)\b", re.IGNORECASE)


@dataclass
class FollowUp:
    """What a follow-up resolves to: a plan over some scenes, or files to export."""

    plan: Plan | None = None
    scenes: list[Scene] = field(default_factory=list)
    export: list[str] = field(default_factory=list)


def _area_m2(number: str, unit: str) -> float:
    value = float(number.replace(",", "."))
    unit = unit.lower()
    if unit.startswith(("ha", "hect")):
        return value * _UNIT_M2["ha"]
    if unit.startswith("km") or "kilomet" in unit:
        return value * _UNIT_M2["km"]
    return value


def _last_object_step(turn: dict[str, Any]) -> dict[str, Any] | None:
    ok = [s for s in turn.get("steps", []) if s.get("status") == "ok" and s.get("result_path")]
    for tool in OBJECT_TOOLS:
        found = [s for s in ok if s["tool"] == tool]
        if found:
            step: dict[str, Any] = found[-1]
            return step
    return None


def _filter(request: str, turns: Sequence[dict[str, Any]]) -> FollowUp | None:
    match = _FILTER.search(request)
    vague = _VAGUE_SIZE.search(request)
    if match is None and vague is None:
        return None
    for turn in reversed(turns):
        source = _last_object_step(turn)
        if source is not None:
            break
    else:
        return None
    if match is None:  # "now only the big ones": which objects is clear, the size is not
        words = vague.group(0) if vague else request
        return FollowUp(plan=Plan(request=request, declined=(
            f"{words!r} gives no size, so I did not guess one: the objects are the "
            f"{source['tool']} result of {turn.get('request', '')!r} ({source['result_path']}); "
            "say e.g. 'only the ones bigger than 500 m²' (or 'smaller than 1 ha') and I will "
            "measure them again")))
    area = _area_m2(match.group(2), match.group(3))
    bound = "max_area_m2" if match.group(1).lower() in (
        "smaller", "less", "under", "below", "at most") else "min_area_m2"
    path = source["result_path"]
    steps = [PlanStep(id="s1", tool="measure",
                      args={"source": path, "statistic": "count", bound: area}),
             PlanStep(id="s2", tool="measure",
                      args={"source": path, "statistic": "area", bound: area})]
    note = (f"Follow-up: the {source['tool']} result of the previous request "
            f"({turn.get('request', '')!r}) measured again with {bound} = {area:g} m².")
    scenes = [Scene(path=p) for p in turn.get("scenes", [])]
    return FollowUp(plan=Plan(request=request, steps=steps, notes=[note]), scenes=scenes)


def _scene_index(request: str, count: int, used: Sequence[str],
                 scenes: Sequence[str]) -> int | None:
    norm = read_request(request, None).norm
    vocab = get_vocabulary()
    picked = referenced(norm, [(p, facts.guess_modality(p, vocab)) for p in scenes])
    if len(picked) == 1:  # "the radar one", "the 2019 image", "image B", "the older one"
        return picked[0]
    lowered = request.lower()
    number = re.search(r"\b(?:image|scene)\s*(\d+)\b", lowered)
    if number:
        return int(number.group(1)) - 1
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered):
            index = count - 1 if index < 0 else index
            return index if index < count else None
    if re.search(r"\b(other|next)\b", lowered):
        unused = [i for i, p in enumerate(scenes) if p not in used]
        return unused[0] if unused else None
    return None


def _same_for(request: str, turn: dict[str, Any], session_scenes: Sequence[str],
              planner: Planner, sandbox: Paths | None) -> FollowUp | None:
    if not _SAME.search(request) or not turn.get("request"):
        return None
    index = _scene_index(request, len(session_scenes), turn.get("scenes", []), session_scenes)
    if index is None or not 0 <= index < len(session_scenes):
        return None
    scene = Scene(path=session_scenes[index])
    plan = plan_request(planner, str(turn["request"]), [scene], sandbox=sandbox)
    note = f"Follow-up: the previous request ({turn['request']!r}) on {scene.path}."
    plan = plan.model_copy(update={"notes": [note, *plan.notes]})
    return FollowUp(plan=plan, scenes=[scene])


def resolve_followup(request: str, turns: Sequence[dict[str, Any]],
                     session_scenes: Sequence[str], planner: Planner, *,
                     sandbox: Paths | None = None) -> FollowUp | None:
    """The follow-up ``request`` makes of the previous turn, or None when it is a new request.

    Args:
        request: The analyst's new request.
        turns: The session's earlier turns (latest last).
        session_scenes: Every scene the session knows, in the order they were given.
        planner: Plans a repeated request over another scene.
        sandbox: The session's sandbox, handed to a context planner (the LLM planner).

    Returns:
        A FollowUp, or None when the request does not refer to an earlier turn.
    """
    if not turns:
        return None
    last = turns[-1]
    if _EXPORT.search(request):
        vectors = [v for s in last.get("steps", []) for v in s.get("vectors", [])]
        if vectors:
            return FollowUp(export=vectors)
    return _filter(request, turns) or _same_for(request, last, session_scenes, planner,
                                                     sandbox)
