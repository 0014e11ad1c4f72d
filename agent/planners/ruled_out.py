"""A request planned as the analyst said it: corrected, and without what it rules out.

:func:`agent.planners.exclusions.read_exclusions` cuts "Not needed: NBR", "never mind the
tanks", "skip the biomass part" from the text before it is read; the work such a part names may
still be named in the rest ("Compute NDVI, NDWI and NBR. Not needed: NBR."), so the plan's steps
for it are taken out here: an index's ``spectral_index`` steps, a class from the detector and
segmenter steps (a step left with no class goes), a tool named by its work (biomass, a trend, a
caption, a composite, a water mask, a change map), and the steps that only read what went. A
class ruled out by another word than the one that asks for it ("count the vehicles; don't
count trucks") stays: the detector does not separate a kind of its class; so does work named
again after the part ("skip NDWI - actually, no, include NDWI") or in the rest of its sentence
("skip the tanks, keep the planes"; "skip the EVI - actually, keep it" rules nothing out).
Corrections ("0.3, no make it 0.4") are read first
(:func:`agent.planners.self_corrections.read_corrections`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent import references
from agent.plan import Plan, PlanStep
from agent.planners.exclusions import read_exclusions
from agent.planners.self_corrections import read_corrections
from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary, singular

_TOOL_WORDS = {
    "estimate_biomass": re.compile(r"\bbiomass\b"),
    "trend": re.compile(r"\btrends?\b"),
    "describe_scene": re.compile(r"\bcaptions?\b"),
    "pseudo_rgb": re.compile(r"\b(?:pseudo[\s-]?rgb|composites?|(?:false|true)[\s-]colou?r)\b"),
    "map_water": re.compile(r"\b(?:water|flood) (?:masks?|maps?|mapping)\b"),
    "detect_changes": re.compile(r"\bchange detection\b"),
    "classify_scene": re.compile(r"\b(?:classification|classifying|scene labels?)\b"),
}
"""The tools a ruled-out part names by their work ("skip the biomass part", "no water mask")."""
_CLASS_TOOLS = ("detect_objects", "segment")
_TURN = re.compile(r"\b(?:keep|but|include|including|actually|on second thought|instead|"
                   r"rather)\b", re.IGNORECASE)
"""Where a ruling-out part turns to what is asked ("skip the tanks, keep the planes")."""
_BACK = re.compile(r"\b(?:keep|include|actually|on second thought)\b", re.IGNORECASE)
"""The rest of a ruling-out sentence taking it back ("skip the EVI - actually, keep it")."""
_BACK_NEXT = re.compile(r"[\s.;,!:–—-]*(?:(?:actually|on second thought|no|wait|hmm|sorry|oh)"
                        r"[\s.;,!:–—-]*)*(?:keep|include|do (?:count|compute|include|map|keep))\b",
                        re.IGNORECASE)
"""The next sentence taking it back ("skip the EVI... actually keep it", "skip the EVI; on
second thought keep it")."""


def plan_as_said(request: str, vocab: Vocabulary, plan_of: Callable[[str], Plan],
                 names_work: Callable[[str], bool]) -> Plan:
    """The plan (``plan_of`` a text) of ``request`` as the analyst said it: corrections read
    ("0.3, no make it 0.4"), the parts that rule work out cut (:func:`read_exclusions`, with
    ``names_work`` telling which parts name work) and that work left out of the plan
    (:func:`without`); the notes say both."""
    read, corrected = read_corrections(request, vocab)
    text, cut = read_exclusions(read, lambda part: names_work(part) and not taken_back(
        part, read))  # ("skip it - actually, keep it": nothing ruled out, nothing cut)
    plan = plan_of(text)
    if cut and (ruled := without(plan.steps, cut, read, text, vocab))[1]:
        plan = plan.model_copy(update={"steps": ruled[0]})
    said = [f"left out as asked: {part!r}" for part in cut] + [
        f"read {c.old!r} as corrected to {c.new!r}" for c in corrected]
    if said or text != request:
        plan = plan.model_copy(update={"request": request, "notes": [*said, *plan.notes]})
    return plan


def without(steps: Sequence[PlanStep], cut: Sequence[str], raw: str, rest: str,
            vocab: Vocabulary) -> tuple[list[PlanStep], bool]:
    """``steps`` without the work the ``cut`` parts of ``raw`` rule out (see the module
    docstring), and whether any step changed; ``rest``: the request with those parts cut.
    Work named again after the part that rules it out is asked after all ("skip NDWI -
    actually, no, include NDWI")."""
    rest_norm = read_request(rest, None).norm
    indices: set[str] = set()
    classes: set[str] = set()
    tools: set[str] = set()
    for part in cut:
        at = raw.find(part)
        turn = _TURN.search(part)  # "skip the tanks, keep the planes": the planes are asked
        norm = read_request(part[:turn.start()] if turn else part, None).norm
        later = read_request((part[turn.start():] if turn else "") + " " + (
            raw[at + len(part):] if at >= 0 else ""), None).norm
        indices |= _indices(norm, vocab) - _indices(later, vocab)
        classes |= {name for m in vocab.class_pattern.finditer(norm)
                    if (name := vocab.canonical_class(m.group(0))) and _same_word(
                        m.group(0), name, rest_norm, vocab) and not _same_word(
                        m.group(0), name, later, vocab, 1)}
        tools |= {tool for tool, words in _TOOL_WORDS.items()
                  if words.search(norm) and not words.search(later)}
    if not (indices or classes or tools):
        return list(steps), False
    drop: set[str] = set()
    kept: list[PlanStep] = []
    for step in steps:
        named = step.args.get("classes")
        if step.tool in tools or (step.tool == "spectral_index"
                                  and step.args.get("index") in indices):
            drop.add(step.id)
        elif step.tool in _CLASS_TOOLS and isinstance(named, list) and set(named) & classes:
            left = [c for c in named if c not in classes]
            if not left:
                drop.add(step.id)
                continue
            kept.append(PlanStep(id=step.id, tool=step.tool, args={**step.args,
                                                                    "classes": left}))
            continue
        else:
            kept.append(step)
    while reading := [s for s in kept if set(references.step_ids(s.args)) & drop]:
        drop |= {s.id for s in reading}  # what only read a step that went
        kept = [s for s in kept if s.id not in drop]
    if not kept or kept == list(steps):
        return list(steps), False  # (nothing would be left: the plan stays as read)
    names = {s.id: f"s{k}" for k, s in enumerate(kept, 1)}
    refs = {old: f"${new}" for old, new in names.items()}
    return [PlanStep(id=names[s.id], tool=s.tool, args=references.rename(s.args, refs))
            for s in kept], True


def taken_back(part: str, raw: str) -> bool:
    """Whether the sentence of ``raw`` that rules ``part`` out takes it back after it ("skip
    the EVI - actually, keep it"): nothing is left out."""
    at = raw.find(part)
    after = raw[at + len(part):] if at >= 0 else ""
    return at >= 0 and (_BACK.search(re.split(r"[.;!?]", after, maxsplit=1)[0]) is not None
                        or _BACK_NEXT.match(after) is not None)


def _indices(norm: str, vocab: Vocabulary) -> set[str]:
    """The indices ``norm`` names."""
    return {name for m in vocab.index_pattern.finditer(norm)
            if (name := vocab.index_of.get(" ".join(m.group(0).replace("-", " ").split())))}


def _same_word(word: str, name: str, rest: str, vocab: Vocabulary, least: int = 0) -> bool:
    """Whether ``rest`` asks for class ``name`` only by the word that rules it out (or not at
    all), naming it at least ``least`` times: "count ships and tanks. never mind the tanks"
    drops the tanks; "count the vehicles; don't count trucks" keeps the vehicles."""
    said = [m.group(0) for m in vocab.class_pattern.finditer(rest)
            if vocab.canonical_class(m.group(0)) == name]
    cut = singular(word)
    return len(said) >= least and all(singular(s) == cut or singular(s).endswith(" " + cut)
                                      for s in said)  # ("storage tanks ... skip the tanks")
