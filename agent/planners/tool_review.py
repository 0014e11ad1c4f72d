"""The learned check of a rule plan: add what the rules missed, drop steps the request does not
read as asking for, and decline what reads as no tool's work.

The rules (:mod:`agent.planners.intents` and the builders) fire on words; a word can fire a
tool the analyst did not ask for ("the ponds" -> ``map_water`` in a request that counts
ponds), and a wording the rules do not know fires nothing. :mod:`agent.planners.tool_model`
gives, from the gold plans of the development corpus, the probability that requests worded
like this one need each tool. Before the rules build the plan, :func:`lean` turns on the
intent of a tool the model is sure of (:data:`ADD_AT`) and the rules did not read, and
:func:`measure_last` measures the last result when a number is that sure; the steps are built
from the slots the rules read, and each addition is a plan note. The review of the built plan:

* declines a plan when the probability that no tool answers the request is above
  :data:`DECLINE_AT` and no tool it plans is :data:`NEEDED_AT` probable, saying so and naming
  the steps the rules would have run (requests under :data:`MIN_WORDS` words are left alone,
  and get no additions either), unless one asking clause of a request with scenes reads on its
  own as plainly in scope (:data:`CLAUSE_IN_SCOPE`; "find the solar panels and estimate the
  energy they make"): then the rules' plan stands and the coverage check reports the rest;
* leaves out the steps of a tool whose probability is below :data:`DROP_BELOW` (never those of
  :data:`KEPT` nor a tool the request names, :data:`NAMED`; none in a request that asks for a
  share, :data:`SHARE`), unless a step that stays reads
  its output, or nothing would be left; each one left out is a plan note (tool, steps,
  probability); a ``segment`` step prompted by a dropped detector's boxes is prompted by its
  classes instead; the coverage check runs again on what stays, so a part of the request that
  only the dropped steps answered is reported as not done.

The thresholds were chosen on rounds of development sources the rules had not seen, by
source-fold cross-validation and on our own probe requests; the README's planner section
tells how the held-out readings went. A plan the rules declined, an empty plan, and plans of
tools the model has no label for are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent import references
from agent.plan import Plan, PlanStep
from agent.planners import ask, coverage, outline_nouns, per_scene
from agent.planners.analysis import Analysis
from agent.planners.builder import Builder
from agent.planners.scope import RESULT_TOOLS
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
         "spectral_index": re.compile(r"\b(?:snow|glacier|glacial ice|ice) (?:cover|extent|area|"
                                      r"loss|lost|was lost|were lost)\b|\bglaciers? "
                                      r"(?:shr[aiu]nk\w*|retreat\w*|melt\w*)\b"),
         "map_water": re.compile(r"\binundat\w*|\bwater (?:extent|mask)\b|"
                                 r"\bflood(?:ed|ing)? (?:extent|area)\b"),
         "estimate_biomass": re.compile(
             r"\bagb\b|\bbiomass\b|\bwood volume\b|\b(?:tonnes|tons|megagrams) of carbon\b|"
             r"\bcarbon (?:(?:was|were|has been|had been) )?(?:lost|loss|stocks?|stored|storage|"
             r"content|density|released|emitted)\b|\b(?:lost|loss of|stored|released?|much|"
             r"above[\s-]?ground) carbon\b")}
"""A tool the request names outright is not left out ("with the segmenter", "mark every pixel
that belongs to a greenhouse roof", "a detailed description", "the inundation extent", "the
carbon lost": carbon is biomass for the planner's rules; "the glacier ice lost", "the snow
cover": the snow index maps it on each date)."""
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


ADD_AT = 0.7
"""A tool the rules did not read is planned at or above this probability (:func:`lean`,
:func:`measure_last`; chosen by source-fold cross-validation on the development corpus)."""
_WATER_SURFACE = re.compile(rf"\b(?:{outline_nouns.VERBS}) (?:the |its |their )?"
                            r"(?:[\w']+ ){0,2}water\b")
"""An outline of water ("outline the water in each pothole", "the pond's water surface") maps
the water; water bodies named as things ("the pit lakes", "the ponds") are outlined."""
_COUNTED = re.compile(r"\b(?:how many |count(?:ing)? (?:up )?(?:all )?(?:of )?(?:the )?|"
                      r"number of )((?:[a-z-]+ ){0,3}[a-z-]+)")
"""What a request counts ("how many hotspots", "count the parked trains")."""
_NUMBER_OF = re.compile(r"\bnumber of\b")
"""Whether the number of objects changed is a count on each scene, not a change map."""


def probabilities(norm: str, n_scenes: int) -> dict[str, float]:
    """The model's probabilities for a request of :data:`MIN_WORDS` words or more (else none:
    too few words to go on)."""
    return get_model().probabilities(norm, n_scenes) if len(words(norm)) >= MIN_WORDS else {}


def lean(a: Analysis, p: dict[str, float], n_scenes: int, norm: str,
         vocab: Vocabulary) -> list[str]:
    """Turn on the intents of tools the model finds at least :data:`ADD_AT` probable and the
    rules did not read, where the rules' slots say how to run them; returns those tools.

    * ``describe_scene``: the request's question goes to the picture;
    * ``detect_changes`` (two scenes): the pair is compared, in the order the request gives
      (the dates are checked and a disagreement said, as for any pair), the target being the
      class the request names, else water when it asks for water (the later water map is
      added, as for any water change); a yearly series the model does not read is no longer
      planned; "did the number of ships change" stays a count on each scene;
    * ``segment``: the named or detected objects are outlined; where the rules read an
      outline as water or an index ("outline the pit lakes"), the thing the outline names is
      segmented by name (an outline of the water itself stays a water map);
    * ``detect_objects``: the named classes are detected, or the thing counted ("how many
      hotspots are in these frames") when no class is named.

    A water map or index the rules read only instead of the added tool goes unless the model
    reads it too. The builders then write the steps from the slots the rules read (classes,
    units, region, before/after order), so an added step is planned as if the rules had
    fired; :func:`complete` notes each tool added with its probability."""
    return [tool for tool, add in _ADDERS.items()
            if p.get(tool, 0.0) >= ADD_AT and add(a, p, n_scenes, norm, vocab)]


def _question(a: Analysis, p: dict[str, float], n_scenes: int, norm: str,
              vocab: Vocabulary) -> bool:
    if a.caption or a.vqa:
        return False
    a.vqa = True
    return True


def _change(a: Analysis, p: dict[str, float], n_scenes: int, norm: str,
            vocab: Vocabulary) -> bool:
    if n_scenes != 2 or (a.composite and not (a.quantity or a.change)) or (
            a.detect and _NUMBER_OF.search(norm)) or (
            a.change and (a.change_target or a.change_map)) or (
            per_scene.figures_per_scene(a, norm)):
        # ("compare the total building area in both chips": a figure of each)
        return False
    a.change, a.change_map = True, True
    if not a.change_target and (a.classes or a.water):
        a.change_target = a.classes[0] if a.classes else "water"  # and the later water map
    if p.get("trend", 0.0) < NEEDED_AT:  # two scenes compared, not a yearly series
        a.trend = a.trend_strong = False
    return True


def _outline(a: Analysis, p: dict[str, float], n_scenes: int, norm: str,
             vocab: Vocabulary) -> bool:
    if a.classes or a.detect:
        if a.segment:
            return False
        a.segment = True  # the named or detected objects outlined
        return True
    if a.segment and not (a.water or a.indices):
        return False  # the rules outline something already
    noun = outline_nouns.outlined_noun(norm, vocab, rgb=p.get("spectral_index", 0.0) < NEEDED_AT)
    if noun is None or _WATER_SURFACE.search(norm):
        return False
    a.segment, a.classes = True, [noun]  # "outline the pit lakes": not the open water
    _instead(a, p)
    return True


def _detector(a: Analysis, p: dict[str, float], n_scenes: int, norm: str,
              vocab: Vocabulary) -> bool:
    if a.detect or a.segment:
        return False
    if not a.classes:
        counted = _COUNTED.search(norm)
        noun = counted and outline_nouns.outlined_noun("outline the " + counted.group(1), vocab,
                                                       rgb=True)
        if not noun:
            return False
        a.classes = [vocab.canonical_class(noun) or noun]
        _instead(a, p)  # "how many birds sit on the flooded field": birds, not the water
    a.detect = True
    return True


def _instead(a: Analysis, p: dict[str, float]) -> None:
    """Turn off the water map and the index the model does not read (the rules read the
    added tool's thing as one of them)."""
    if p.get("map_water", 0.0) < NEEDED_AT:
        a.water = False
    if p.get("spectral_index", 0.0) < NEEDED_AT:
        a.indices, a.threshold = [], None


_ADDERS = {"describe_scene": _question, "detect_changes": _change, "segment": _outline,
           "detect_objects": _detector}
"""How each tool is added (in this order); each returns whether it turned an intent on."""


def complete(b: Builder, leaned: Sequence[str], p: dict[str, float]) -> None:
    """After the builders: :func:`measure_last`, and a note for each tool added (those of
    ``leaned``, from :func:`lean`, that made it into the plan)."""
    added = [*leaned, "measure"] if measure_last(b, p) else list(leaned)
    for tool in added:
        if any(s.tool == tool for s in b.steps):
            b.note(f"added {tool}: requests worded like this one ask for it (learned tool "
                   f"model, probability {p[tool]:.2f})")


def measure_last(b: Builder, p: dict[str, float]) -> bool:
    """Measure the last result the builder made when the model finds ``measure`` at least
    :data:`ADD_AT` probable and nothing is measured: the statistic the request names, else a
    count when it counts, else the area (in its unit; its size filters applied). Not when the
    last tool ran on several scenes (their own numbers answer; the answer sums counts asked in
    total)."""
    made = [s for s in b.steps if s.tool in RESULT_TOOLS and (
        s.tool != "spectral_index" or s.args.get("threshold") is not None)]
    if p.get("measure", 0.0) < ADD_AT or not made or any(s.tool == "measure" for s in b.steps):
        return False
    if len({str(s.args.get("image")) for s in made if s.tool == made[-1].tool}) > 1:
        return False  # one result per scene: measuring the last would answer for one scene
    a = b.a
    b.amounts(f"${made[-1].id}",
              a.statistic or ("count" if a.counting or a.count_words else "area"))
    return True


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


CLAUSE_IN_SCOPE = 0.2
"""Below this probability of "no tool" one clause reads as plainly in scope on its own."""
_ANAPHOR = re.compile(r"\b(?:it|its|them|they|their|this|that|these|those)\b")


def _clause_in_scope(norm: str, n_scenes: int) -> bool:
    """Whether one asking clause of a request of several, with scenes, reads on its own as
    asking for a tool (the request as a whole reads as out of scope); a clause that refers to
    the others ("how much it changed") does not count."""
    asks = [c for c in coverage.clauses(norm) if ask.is_ask(c)]
    if len(asks) < 2 or not n_scenes:
        return False
    model = get_model()
    for clause in asks:
        if _ANAPHOR.search(clause):
            continue  # "and how much it changed", "difference them": about what the rest says
        p = model.probabilities(clause, n_scenes)
        if p[DECLINE] < CLAUSE_IN_SCOPE and any(p.get(t, 0.0) >= NEEDED_AT for t in p
                                                 if t != DECLINE):
            return True
    return False


def review(plan: Plan, norm: str, n_scenes: int, vocab: Vocabulary,
           p: dict[str, float] | None = None) -> Plan:
    """``plan`` after the learned check (see the module docstring).

    Args:
        plan: The rules' plan of the request.
        norm: The normalised request (:attr:`agent.planners.text.RequestText.norm`).
        n_scenes: How many scenes the request is about.
        vocab: The planner vocabulary (for the coverage check of what stays).
        p: The model's probabilities for this request when computed already
            (:func:`probabilities`); else they are computed here.
    """
    if plan.declined or not plan.steps or len(words(norm)) < MIN_WORDS:
        return plan
    model = get_model()
    p = p or model.probabilities(norm, n_scenes)
    tools = sorted({s.tool for s in plan.steps})
    if p[DECLINE] > DECLINE_AT and all(p.get(t, 0.0) < NEEDED_AT for t in tools):
        if _clause_in_scope(norm, n_scenes):
            return plan  # "find the solar panels and estimate the power they make": the
            # panels are found, the rest reported (the request's coverage check)
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
