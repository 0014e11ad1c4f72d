"""Follow-up requests in a session: plans that reuse the previous turn's request or results.

* **Filters** — "now only the ones bigger than 200 m²", "only those under 1 ha", "how many are
  bigger than half a hectare?", "only those longer than 150 m", "keep the ones above 0.8
  confidence": ``measure`` the previous turn's last object result (segment > detect_objects >
  map_water ...) again with ``min_area_m2`` / ``max_area_m2`` (count and area), ``min_length_m``
  or ``min_confidence`` (count); the size and unit words are those of a request
  (:mod:`agent.planners.unit_slots`). "now only the big ones" names no size: declined with how
  to say one.
* **Another unit** — "and in hectares?", "give it in acres": the area of that result again in
  the unit asked.
* **A figure of the objects** — "and how big is the largest one?", "what's the mean size in
  ha?", "and the total area?": ``measure`` of that result's polygons (its vector file, one
  feature per object) with max / min / mean / area.
* **Other scenes** — "same for the second image", "do the same with the other scene", "what
  about the May 2021 one?", "what about 2021?", "try the previous image", "now the other two",
  "same thing for all of them": the previous request planned again over those scenes of the
  session; with a new setting ("now do it with a -20 dB threshold on the radar one") the
  follow-up's words are planned after the previous request.
* **A comparison** — "compare it with the 2023 image", "what changed since the radar image?":
  the previous request planned again over its scene and the one named, as a pair in the
  order the session was given.
* **Outlines** — "can you outline them instead?": ``segment`` prompted with the boxes of the
  latest ``detect_objects`` result, on the image they were found in.
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
from agent.planners.slots import find_confidence
from agent.planners.text import read_request
from agent.planners.unit_slots import (
    find_area_filters,
    find_length_filter,
    find_length_units,
    find_output_units,
)
from agent.planners.vocab import get_vocabulary

if TYPE_CHECKING:
    from agent.sandbox import Paths

OBJECT_TOOLS = ("segment", "detect_objects", "map_water", "detect_changes")
_THOSE = re.compile(r"\b(?:only|just|keep|ones?|those|them|these|they|of them|of it|how many "
                    r"(?:are|were|have|remain)|(?:drop|remove|discard|exclude|ignore|filter "
                    r"out) (?:the |all |any )?(?:detections|boxes|objects))\b")
"""A filter refers back to the objects found before ("now only the ones bigger than 200 m²")."""
_REPEAT = re.compile(r"^\W*(?:and |now |ok |okay |then )?(?:repeat|redo|rerun|re-run|again|"
                     r"do (?:it|that) again)\b(?:[^.?!;]{0,12}\b(?:with|using|at)\b)")
"""A repeat with a filter value and no scene ("repeat with a confidence of 0.5"): the objects
found before, filtered."""
_VAGUE_SIZE = re.compile(r"\b(?:only|just|keep|drop|remove|exclude|ignore|skip|leave out|without) "
                         r"(?:the )?(?:big|large|bigger|larger|biggest|"
                         r"largest|small|smaller|tiny|huge|major|minor)(?: ones?| objects?)?\b"
                         r"(?!\s+than)", re.IGNORECASE)
_IN_UNITS = re.compile(r"^\W*(?:and|ok|okay|now|then|so)?\W*(?:(?:give|show|tell) (?:me )?"
                       r"(?:it|that|the (?:area|total|same)|(?:their|its|the) (?:total |combined )?"
                       r"area)\s+|"
                       r"what(?: is| s|s) (?:that|it|(?:its|their|the) (?:total )?area)\s+|"
                       r"how (?:much|big|large) is (?:that|it)\s+|"
                       r"the area\s+)?(?:in|as)\s+[a-z0-9 .]{1,20}\W*(?:please)?\W*$")
"""A request for the last figure in another unit ("and in hectares?", "give it in acres")."""
_SAME = re.compile(r"\b(same|again|repeat|redo|rerun|re-run|likewise)\b.*\b(image|scene|one|"
                   r"file|picture|photo|tile|chip|acquisition|date|them|others|rest|all|both|two|"
                   r"three|four|five)s?\b|"
                   r"\b(image|scene)\s*(\d+|[a-e])\b|"
                   r"^\W*(?:and|now|ok|okay|then)?\W*(?:(?:and|now|then) )?(?:what about|"
                   r"how about|and for|and on|now for|now on|now do|do it for|do it on|do that for|"
                   r"do that on|and with|now with|try|next|then|and|now|also|run it on|"
                   r"do(?= (?:the|it|that|this|all|both|every|each)\b)|"
                   r"the same (?:for|on|with))\b"
                   r"[^.?!;]{0,60}\b(image|scene|one|file|picture|photo|tile|chip|acquisition|date|"
                   r"radar|optical|sar|them|others|rest|oldest|newest|latest|earliest|middle|"
                   r"everything|all|that|it|(?:19|20)\d{2})s?"
                   r"\b(?:\s+(?:too|as well|also|please|"
                   r"instead|then))?\W*$", re.IGNORECASE)
"""A request to run the previous one on another scene ("same for the second image", "what about
the radar one?", "now do it for the 2019 one")."""
_SETTING = re.compile(r"\b(?:with|using|at)\b[^.?!;]{0,30}\d")
"""A repeat that changes a setting ("with a -20 dB threshold", "using 0.4 m pixels"): the
previous request is planned again with the follow-up's words after it."""
_STATISTIC = re.compile(
    r"^\W*(?:and|ok|okay|now|so|then)?\W*(?:how (?:big|large) (?:is|are) |what(?: is| s|s|"
    r" about) |which is |give me |tell me |show me |show |and )?(?:the |their |its )?"
    r"(?P<stat>largest|biggest|smallest|longest|shortest|"
    r"average|mean|typical|total)(?: (?:one|ones|of them|area|size|[a-z]+(?: [a-z]+)?))?"
    r"(?: in [a-z0-9 ]{1,12})?\W*(?:please)?\W*$")
"""A figure of the objects found before ("and how big is the largest water body?", "what's the
mean size?", "the total area in ha?")."""
_COUNT = re.compile(r"^\W*(?:and|ok|okay|now|so|then)?\W*how many (?:are there|were there|did you "
                    r"(?:find|get|detect|count)|of them are there|is that)(?: in total| in all| "
                    r"altogether)?\W*$")
"""The number of the objects found before ("how many are there in total?")."""
_STATISTICS = {"largest": "max", "biggest": "max", "smallest": "min", "average": "mean",
               "mean": "mean", "typical": "mean", "total": "area", "longest": "length",
               "shortest": "length"}
_LENGTH = re.compile(r"\b(?:length|lengths|long|longest|shortest)\b")
"""A figure of lengths ("their mean length", "the longest one"): measure's length (mean, min
and max of the objects' lengths)."""
_EXPORT = re.compile(r"\b(export|save|write|download)\b.*\b(geojson|vector|polygons?|"
                     r"shapes?|that|them|those|it)\b", re.IGNORECASE)


@dataclass
class FollowUp:
    """What a follow-up resolves to: a plan over some scenes, or files to export."""

    plan: Plan | None = None
    scenes: list[Scene] = field(default_factory=list)
    export: list[str] = field(default_factory=list)


def _last_object_step(turn: dict[str, Any],
                      tools: Sequence[str] = OBJECT_TOOLS) -> dict[str, Any] | None:
    ok = [s for s in turn.get("steps", []) if s.get("status") == "ok" and s.get("result_path")]
    for tool in tools:
        found = [s for s in ok if s["tool"] == tool]
        if found:
            step: dict[str, Any] = found[-1]
            return step
    return None


def _source(turns: Sequence[dict[str, Any]], detections: bool = False,
            ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The latest turn with an object result, and that result (``detections``: a
    ``detect_objects`` result first, the one a confidence filters)."""
    for turn in reversed(turns):
        source = (_last_object_step(turn, ("detect_objects",)) if detections else None) \
            or _last_object_step(turn)
        if source is not None:
            return turn, source
    return None


def _filter(request: str, turns: Sequence[dict[str, Any]]) -> FollowUp | None:
    norm = read_request(request, None).norm
    min_area, max_area, _ = find_area_filters(norm)
    min_length, _ = find_length_filter(norm)
    confidence, _ = find_confidence(norm)
    bounds = {k: v for k, v in (("min_area_m2", min_area), ("max_area_m2", max_area),
                                ("min_length_m", min_length), ("min_confidence", confidence))
              if v is not None}
    vague = _VAGUE_SIZE.search(request)
    units = find_output_units(norm) if _IN_UNITS.match(norm) else None
    figure = (_STATISTIC.match(norm) or _COUNT.match(norm)) if not bounds else None
    if "xfilex" in norm or (not units and not vague and not figure and not (
            bounds and (_THOSE.search(norm) or _REPEAT.match(norm)))):
        return None  # a file named: a request of its own ("count only the ... in a.tif")
    found = _source(turns, "min_confidence" in bounds)
    if found is None:
        return None
    turn, source = found
    if figure:  # "and how big is the largest one?": that figure of the objects found
        statistic = "count" if figure.re is _COUNT else "length" if _LENGTH.search(
            norm) else _STATISTICS[figure.group("stat")]
        what = "their lengths: mean, min and max" if statistic == "length" else \
            "their number" if statistic == "count" else f"{statistic} of their areas"
        note = (f"Follow-up: the objects of the {source['tool']} result of the previous "
                f"request ({turn.get('request', '')!r}) measured again ({what}).")
        return FollowUp(plan=Plan(request=request, steps=[PlanStep(
            id="s1", tool="measure", args={"source": (source.get("vectors") or [
                source["result_path"]])[0], "statistic": statistic} | (  # per object
                {"units": units} if (units := (find_length_units if statistic == "length" else
                                               find_output_units)(norm)) else {}))],
            notes=[note]),
            scenes=[Scene(path=p) for p in turn.get("scenes", [])])
    if not bounds and not units:  # "now only the big ones": which objects is clear, the size not
        words = vague.group(0) if vague else request
        return FollowUp(plan=Plan(request=request, declined=(
            f"{words!r} gives no size, so I did not guess one: the objects are the "
            f"{source['tool']} result of {turn.get('request', '')!r} ({source['result_path']}); "
            "say e.g. 'only the ones bigger than 500 m²' (or 'smaller than 1 ha') and I will "
            "measure them again")))
    path = source["result_path"]
    steps = [PlanStep(id="s1", tool="measure", args={"source": path, "statistic": "area",
                                                     "units": units})] if units else [
        PlanStep(id="s1", tool="measure", args={"source": path, "statistic": "count", **bounds})]
    if "min_area_m2" in bounds or "max_area_m2" in bounds:
        steps.append(PlanStep(id="s2", tool="measure",
                              args={"source": path, "statistic": "area", **bounds}))
    said = ", ".join(f"{k} = {v:g}" for k, v in bounds.items()) or f"the area in {units}"
    note = (f"Follow-up: the {source['tool']} result of the previous request "
            f"({turn.get('request', '')!r}) measured again with {said}.")
    scenes = [Scene(path=p) for p in turn.get("scenes", [])]
    return FollowUp(plan=Plan(request=request, steps=steps, notes=[note]), scenes=scenes)


_ALL_SCENES = re.compile(r"\beverything\b|\ball\W*$|\ball (?:two|three|four|five|six|\d+)\b|"
                         r"\b(?:all|each|every)(?: (?:of )?(?:them|the "
                         r"(?:\w+ )?(?:images|scenes|files|dates|ones|tiles|pictures|photos)|"
                         r"(?:the )?(?:other|rest)|"
                         r"(?:image|scene|file|date|one|tile|picture|photo)s?))\b|\bthe rest\b|"
                         r"\bthe others\b|\b(?:both|remaining)\b|\bother (?:two|three|four|"
                         r"images|scenes|files|ones|dates|tiles|pictures|photos)\b")
"""The follow-up goes to several scenes: every one ("for all of them") or every one not used
yet ("the other two images", "the rest", "the remaining ones")."""


def _scene_indices(request: str, count: int, used: Sequence[str],
                   scenes: Sequence[str]) -> list[int]:
    """The scenes of the session a follow-up names ("the radar one", "the 2019 image", "image
    B", "the first one", "the other image", "the other two", "all of them"); [] for none."""
    lowered = request.lower()
    if re.search(r"\b(previous|prior|preceding)\b|\bbefore (?:that|it|this)\b", lowered) and \
            used and used[0] in scenes:
        at = scenes.index(used[0])  # the one before the scene of the last turn
        return [at - 1] if at > 0 else []
    if re.search(r"\b(?:after (?:that|it|this)|the next one)\b", lowered) and used and \
            used[-1] in scenes:
        at = scenes.index(used[-1])  # the one after it ("and the one after that?")
        return [at + 1] if at + 1 < len(scenes) else []
    norm = read_request(request, None).norm
    vocab = get_vocabulary()
    picked = referenced(norm, list(zip(scenes, facts.guess_modalities(list(scenes), vocab),
                                       strict=True)))
    if picked and re.search(r"\bother\b", lowered):  # "the other optical image": not the one
        picked = [i for i in picked if scenes[i] not in used] or picked  # used last
    if picked:  # "the radar one", "the 2019 image", "image B", "the older one"
        return picked
    years = re.findall(r"\b(?:19|20)\d{2}\b", lowered)
    dated = [i for i, p in enumerate(scenes) if years and (facts.file_date(p) or "")[:4] in years]
    if dated:  # "what about 2021?"
        return dated
    unused = [i for i, p in enumerate(scenes) if p not in used]
    every = _ALL_SCENES.search(lowered)
    if every:
        others = re.search(r"\b(?:other|rest|remaining|others)\b", every.group(0))
        return unused if others or (every.group(0) == "both" and len(unused) == 2) else \
            list(range(len(scenes)))
    number = re.search(r"\b(?:image|scene)\s*(\d+)\b", lowered)
    if number:
        return [int(number.group(1)) - 1]
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered):
            index = count + index if index < 0 else index
            return [index] if 0 <= index < count else []
    if re.search(r"\b(other|next)\b", lowered):
        return unused[:1]
    return []


def _same_for(request: str, turn: dict[str, Any], session_scenes: Sequence[str],
              planner: Planner, sandbox: Paths | None) -> FollowUp | None:
    if not _SAME.search(request) or not turn.get("request"):
        return None
    indices = _scene_indices(request, len(session_scenes), turn.get("scenes", []),
                             session_scenes)
    if not indices or not all(0 <= i < len(session_scenes) for i in indices):
        return None
    chosen = [Scene(path=session_scenes[i]) for i in indices]
    asked = str(turn["request"])
    if _SETTING.search(request):  # "now do it with a -20 dB threshold on the radar one"
        asked = f"{asked.rstrip(' .?!')}; {request}"
    return _replan(asked, chosen, f"Follow-up: the previous request ({turn['request']!r}) on "
                   f"{', '.join(s.path for s in chosen)}"
                   + (f", with {request!r} after it." if asked != turn["request"] else "."),
                   planner, sandbox)


def _replan(asked: str, chosen: list[Scene], note: str, planner: Planner,
            sandbox: Paths | None) -> FollowUp:
    """``asked`` planned over ``chosen``, the follow-up's ``note`` first among the notes."""
    plan = plan_request(planner, asked, chosen, sandbox=sandbox)
    return FollowUp(plan=plan.model_copy(update={"notes": [note, *plan.notes]}), scenes=chosen)


_COMPARE = re.compile(r"^\W*(?:and |now |ok |okay |then |so )?(?:compare (?:it|that|this|them|"
                      r"those|the result) (?:with|to|against)|what (?:has )?changed (?:since|from|"
                      r"after)|"
                      r"what is different (?:from|since|in)|how (?:does|did) (?:it|that|this) "
                      r"(?:compare|differ) (?:with|to|from))\b", re.IGNORECASE)
"""The previous request set against another scene ("compare it with the 2023 image", "what
changed since the radar image?")."""


def _compare_with(request: str, turn: dict[str, Any], session_scenes: Sequence[str],
                  planner: Planner, sandbox: Paths | None) -> FollowUp | None:
    used = [p for p in turn.get("scenes", []) if p in session_scenes]
    compare = _COMPARE.search(request)
    if compare is None or not turn.get("request") or len(used) != 1:
        return None
    indices = _scene_indices(request[compare.end():], len(session_scenes), used,
                             session_scenes)  # (the scene after "since": no baseline phrase)
    other = [session_scenes[i] for i in indices if 0 <= i < len(session_scenes)
             and session_scenes[i] != used[0]]
    if len(other) != 1:
        return None
    pair = sorted([used[0], other[0]], key=session_scenes.index)  # the session's order
    asked = f"{str(turn['request']).rstrip(' .?!')}, and what changed between the two images?"
    return _replan(asked, [Scene(path=p) for p in pair],
                   f"Follow-up: the previous request ({turn['request']!r}) compared between "
                   f"{pair[0]} (before) and {pair[1]} (after), in the order the scenes were given.",
                   planner, sandbox)


_OUTLINE = re.compile(r"^\W*(?:and |now |ok |okay |then |so )?(?:can you |could you |please |"
                      r"now )*(?:outline|segment|delineate|trace|digiti[sz]e|get (?:the )?"
                      r"(?:outlines|masks|footprints) (?:of|for)) (?:them|those|these|it|each "
                      r"(?:one|of them)|"
                      r"all of them|the (?:detections|boxes|detected \w+))\b[^.?!;]{0,20}\W*$")
"""Outlines of the objects detected before ("can you outline them instead?")."""


def _outline(request: str, turns: Sequence[dict[str, Any]]) -> FollowUp | None:
    """``segment`` prompted with the boxes of the latest ``detect_objects`` result, on the image
    those boxes were found in."""
    if not _OUTLINE.match(read_request(request, None).norm):
        return None
    for turn in reversed(turns):
        found = _last_object_step(turn, ("detect_objects",))
        if found is None:
            continue
        planned = {p.get("id"): p.get("args", {}) for p in turn.get("plan", [])}
        image = planned.get(found["id"], {}).get("image")
        if isinstance(image, str) and image.startswith("$"):  # a composite made in that turn
            made = {s["id"]: s.get("result_path") for s in turn.get("steps", [])}
            image = made.get(image[1:])
        scenes = turn.get("scenes", [])
        image = image or (scenes[0] if len(scenes) == 1 else None)
        if not isinstance(image, str):
            return None
        note = (f"Follow-up: the detections of the previous request ({turn.get('request', '')!r})"
                f" outlined: segment prompted with their boxes ({found['result_path']}) on "
                f"{image}.")
        return FollowUp(plan=Plan(request=request, steps=[PlanStep(
            id="s1", tool="segment", args={"image": image, "boxes": found["result_path"]})],
            notes=[note]), scenes=[Scene(path=p) for p in scenes])
    return None


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
    return _filter(request, turns) or _outline(request, turns) or _same_for(
        request, last, session_scenes, planner, sandbox) or _compare_with(
        request, last, session_scenes, planner, sandbox)
