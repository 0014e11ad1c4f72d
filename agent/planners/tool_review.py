"""The learned check of a rule plan: drop steps the request does not read as asking for, and
decline what reads as no tool's work.

The rules (:mod:`agent.planners.intents` and the builders) fire on words; a word can fire a
tool the analyst did not ask for ("the ponds" -> ``map_water`` in a request that counts
ponds). :mod:`agent.planners.tool_model` gives, from the gold plans of the development corpus,
the probability that requests worded like this one need each tool. The review:

* declines a plan when the probability that no tool answers the request is above
  :data:`DECLINE_AT` and no tool it plans is :data:`NEEDED_AT` probable, saying so and naming
  the steps the rules would have run (requests under :data:`MIN_WORDS` words are left alone);
* leaves out the steps of a tool whose probability is below :data:`DROP_BELOW` (never those of
  :data:`KEPT` nor a tool the request names, :data:`NAMED`; none in a request that asks for a
  share, :data:`SHARE`), unless a step that stays reads
  its output, or nothing would be left; each one left out is a plan note (tool, steps,
  probability); a ``segment`` step prompted by a dropped detector's boxes is prompted by its
  classes instead; the coverage check runs again on what stays, so a part of the request that
  only the dropped steps answered is reported as not done.

The thresholds were chosen on rounds of development sources the rules had not seen and on our
own probe requests; the README's planner section tells how the held-out readings went. A plan
the rules declined, an empty plan, and plans of tools the model has no label for are left as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent import references
from agent.plan import Plan, PlanStep
from agent.planners import coverage
from agent.planners.tool_model import DECLINE, get_model, words
from agent.planners.vocab import Vocabulary

DROP_BELOW = 0.1
"""A tool the rules planned is left out below this probability."""
DECLINE_AT = 0.65
"""A plan is declined above this probability that no tool answers the request ..."""
NEEDED_AT = 0.5
"""... unless a tool it plans is at least this probable: then the request reads as partly
answerable ("map the water in a.tif; tell me the month when it will dry up") and the rules'
plan, with what they report as not done, stands."""
KEPT = frozenset({"measure", "search_images", "assess", "trend"})
"""Tools never left out: their steps come from explicit asks (a number in a unit, an archive to
search, a reference to score against, how a value developed between dates), and a dropped
``measure`` loses the unit the analyst asked for even where the gold plan finds the step
optional."""
NAMED = {"segment": re.compile(r"\bsegment(?:er|ation)\b|"
                              r"\bsegment (?:it|them|the|all|every|each)\b|"
                              r"\bpixels? (?:that|which) belongs?\b"),
         "describe_scene": re.compile(r"\bdescri(?:be|ption)\b"),
         "map_water": re.compile(r"\binundat\w*|\bwater (?:extent|mask)\b|"
                                 r"\bflood(?:ed|ing)? (?:extent|area)\b"),
         "estimate_biomass": re.compile(r"\bagb\b|\bbiomass\b")}
"""A tool the request names outright is not left out ("with the segmenter", "mark every pixel
that belongs to a greenhouse roof", "a detailed description", "the inundation extent")."""
MIN_WORDS = 12
"""Shorter requests are left as the rules plan them: a few words ("metadata pls", "boxes for
every plane pls: apron.tif") give the model too little to go on, and its "no tool" label then
leans on how often short dev requests are out of scope."""
SHARE = re.compile(r"\bwhat (?:percentage|percent|share|fraction|proportion)\b|"
                   r"\bhow many percent\b")
"""A request that asks for a share leaves every step in: the rules plan the count or area of
the whole (the denominator) as a step of its own ("what percentage of all the houses was
destroyed" counts the houses on the earlier scene), which requests worded like it seldom need
alone. Percentages in the background ("87 % of turbines stand on cropland") ask for none."""


def _needed(steps: Sequence[PlanStep], drop: set[str]) -> set[str]:
    """The step ids of ``drop`` that a kept step reads, directly or through others."""
    kept = [s for s in steps if s.id not in drop]
    needed: set[str] = set()
    while True:
        reads = {r for s in kept for r in references.step_ids(s.args)} & (drop - needed)
        if not reads:
            return needed
        needed |= reads
        kept += [s for s in steps if s.id in reads]


def _prompted_by_class(steps: list[PlanStep], drop: set[str]) -> None:
    """Let a ``segment`` step that reads the boxes of a dropped ``detect_objects`` step take
    that step's classes instead (``segment`` finds them itself), so the detector step can go;
    only where the detector step has no argument the ``segment`` step lacks."""
    for k, step in enumerate(steps):
        ref = str(step.args.get("boxes", ""))
        source = next((s for s in steps if f"${s.id}" == ref and s.id in drop
                       and s.tool == "detect_objects" and s.args.get("classes")), None)
        if step.tool != "segment" or source is None or step.args.get("classes") or any(
                step.args.get(name) != value for name, value in source.args.items()
                if name not in ("image", "classes")):
            continue
        args = {n: v for n, v in step.args.items() if n != "boxes"}
        steps[k] = PlanStep(id=step.id, tool=step.tool,
                            args={**args, "classes": source.args["classes"]})


def _renumbered(steps: Sequence[PlanStep]) -> list[PlanStep]:
    names = {s.id: f"s{k}" for k, s in enumerate(steps, 1)}
    refs = {old: f"${new}" for old, new in names.items()}
    return [PlanStep(id=names[s.id], tool=s.tool, args=references.rename(s.args, refs))
            for s in steps]


def review(plan: Plan, norm: str, n_scenes: int, vocab: Vocabulary) -> Plan:
    """``plan`` after the learned check (see the module docstring).

    Args:
        plan: The rules' plan of the request.
        norm: The normalised request (:attr:`agent.planners.text.RequestText.norm`).
        n_scenes: How many scenes the request is about.
        vocab: The planner vocabulary (for the coverage check of what stays).
    """
    if plan.declined or not plan.steps or len(words(norm)) < MIN_WORDS:
        return plan
    model = get_model()
    p = model.probabilities(norm, n_scenes)
    tools = sorted({s.tool for s in plan.steps})
    if p[DECLINE] > DECLINE_AT and all(p.get(t, 0.0) < NEEDED_AT for t in tools):
        return Plan(request=plan.request, declined=(
            "This reads like a request none of EarthSight's tools answers (learned tool model, "
            f"fitted on {model.meta.get('requests', 'the')} annotated requests: probability "
            f"{p[DECLINE]:.2f} that no tool applies); the rules would have run "
            f"{', '.join(tools)}. If you need a map, a count or a measurement of the image, "
            "ask for that."))
    low = set() if SHARE.search(norm) else {
        t for t in tools if t in p and p[t] < DROP_BELOW and t not in KEPT
        and not (t in NAMED and NAMED[t].search(norm))}
    drop = {s.id for s in plan.steps if s.tool in low}
    rules = list(plan.steps)
    _prompted_by_class(rules, drop)
    drop -= _needed(rules, drop)
    rules = list(plan.steps)
    _prompted_by_class(rules, drop)  # only by the detectors that do go
    if not drop or len(drop) == len(rules):
        return plan
    notes = list(plan.notes)
    for tool in sorted({s.tool for s in rules if s.id in drop}):
        n = sum(s.id in drop and s.tool == tool for s in rules)
        notes.append(f"left out {tool} ({n} step{'s' if n > 1 else ''} the rules planned): "
                     "requests worded like this one do not ask for it (learned tool model, "
                     f"probability {p[tool]:.2f})")
    steps = _renumbered([s for s in rules if s.id not in drop])
    not_done = list(plan.not_done)
    not_done += [x for x in coverage.not_done(plan.request, steps, vocab, n_scenes)
                 if x not in not_done]
    return plan.model_copy(update={"steps": steps, "notes": notes, "not_done": not_done})
