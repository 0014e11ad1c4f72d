"""Requests whose clauses ask different things of different scenes.

"Count the homes in the pre-flood image and map the water in the later one" is no change
between the two scenes: each clause names its own scene (by file name, order, date, modality
or pair role, see :mod:`agent.planners.scene_refs`). When at least two clauses pick different
scenes, the request is cut into groups - an asking clause that picks a scene starts a group, a
clause that picks none ("and how big is it?") or asks nothing joins the group before it (the
first group when it comes first) - and each group is planned on its own scenes; a group that only
says to do the same ("then do the same on the first") is planned with the text of the group
before it. A request with
words that relate its scenes ("compare", "gone", "new", "baseline", "over time") is about the
scenes together and is never cut. The steps are then joined into one
plan, their ids renumbered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent import references
from agent.plan import Plan, PlanStep, Scene
from agent.planners import ask, coverage, scene_refs
from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary, get_vocabulary

_RELATION = re.compile(
    r"\b(?:compar\w*|versus|vs|than|gone|new|newly|appear\w*|disappear\w*|remain\w*|still|"
    r"anymore|no longer|since|chang\w*|differ\w*|lost|loss|gain\w*|added|removed|baseline|"
    r"reference|between|over time|time series|series|trend\w*|evol\w*|dynamics|both|each|"
    r"as (?:the |an? )?(?:pre|post|before|after))\b")
"""Words that relate the scenes to each other ("how many are gone in the second image",
"with b.tif as the baseline"): such a request is about the scenes together, never split."""


def relates(norm: str) -> bool:
    """Whether the request relates its scenes to each other ("compare", "gone", "new", ...)."""
    return _RELATION.search(norm) is not None


@dataclass
class Group:
    """Consecutive clauses about the same scenes."""

    text: str
    scenes: list[int]


def groups(request: str, scenes: Sequence[tuple[str, str | None]],
           norm: str | None = None) -> list[Group]:
    """The clause groups of ``request``, or [] when its clauses do not pick different scenes.

    Args:
        request: The request as written.
        scenes: ``(path, modality)`` of its scenes, in the order given.
        norm: The request's normalised text when the caller has read it already.
    """
    if len(scenes) < 2:
        return []
    if relates(norm if norm is not None else read_request(request, None).norm):
        return []
    paths = [p for p, _ in scenes]
    out: list[Group] = []
    lead: list[str] = []  # clauses before the first one that picks a scene
    vocab = get_vocabulary()
    for part, cut in ((half, len(halves) > 1) for clause in coverage.clauses(request)
                      for halves in [_halves(clause, scenes, vocab)] for half in halves):
        req = read_request(part, None)
        norm = ask.blank(req.norm, ask.background_spans(req.norm))
        picked = sorted({paths.index(m) for m in req.mentions if m in paths}
                        | set(scene_refs.referenced(norm, scenes, roles=True)))
        if picked and len(picked) < len(scenes) and (ask.is_ask(norm) or cut or (
                out and _SAME.match(part)) or (
                _names_work(norm, vocab) and not _STATEMENT_VERB.search(norm))):  # "NDVI for the
            # first image; NDWI for the second" (verbless: work, not a statement); a half of a
            # clause cut at its "and" is work on its own scene
            out.append(Group(" ".join([*lead, part]), picked))
            lead = []
        elif out:
            out[-1].text = f"{out[-1].text} {part}"
        else:
            lead.append(part)
    if len({tuple(g.scenes) for g in out}) < 2:
        return []
    return out


_STATEMENT_VERB = re.compile(r"\b(?:is|are|was|were|shows?|showed|has|have|had|contains?|looks?|"
                     r"seems?|covers?|taken|acquired|captured)\b")
"""A verb that makes a clause a statement about a scene ("the first image shows ships")."""


_OPENS_WITH_SCENE = re.compile(r"\s*(?:for |on |in |with )?the [\w-]+ (?:one|image|scene|photo|"
                               r"picture|file)s? (?:to|for)\b")
"""A side that opens with its scene and the work it is for ("the radar one to map the water")."""


def _names_work(norm: str, vocab: Vocabulary, water: bool = False) -> bool:
    """Whether a clause names an index, an object class or a composite (a verbless "NDWI for
    the second", "a false colour one of the 2023 image"); ``water``: or water ("the radar one
    to map the water")."""
    return bool(vocab.index_pattern.search(norm) or vocab.class_pattern.search(norm)
                or vocab.has("composite", norm) or (water and vocab.has("water_strong", norm)))


def _halves(clause: str, scenes: Sequence[tuple[str, str | None]],
            vocab: Vocabulary) -> list[str]:
    """``clause`` cut at an "and" whose two sides each name work and a different scene, the
    second opening with its work ("NDVI on the first file and NDWI on the second one"); else
    ``[clause]``."""
    for m in re.finditer(r",?\s+and\s+", clause):
        left, right = clause[:m.start()], clause[m.end():]
        reads = [read_request(side, None) for side in (left, right)]
        sides = [r.norm for r in reads]
        paths = [p for p, _ in scenes]
        picks = [sorted({paths.index(m) for m in r.mentions if m in paths}
                        | set(scene_refs.referenced(r.norm, scenes, roles=True))) for r in reads]
        opens_with_work = _names_work(sides[0], vocab) and (
            _names_work(" ".join(sides[1].split()[:4]), vocab)
            or (_OPENS_WITH_SCENE.match(sides[1]) is not None
                and _names_work(sides[1], vocab, water=True)))
        # ("... and the radar one to map the water": its scene, then its work)
        if all(len(p) == 1 for p in picks) and picks[0] != picks[1] and (
                opens_with_work or all(vocab.has("composite", side) for side in sides)):
            return [left, right]  # (the right side opens with its work: not "from the pre-fire
            # scene a.tif and the post-fire scene b.tif, keep dNBR above 0.27"; or each side
            # names its own composite: "the 2019 one in natural colour and the 2023 one as CIR")
    return [clause]


_SAME = re.compile(r"\W*(?:(?:and|then|now|next|after that|afterwards)\W+)*(?:please\s+)?"
                   r"(?:(?:do|run|repeat|apply)\s+(?:the\s+)?(?:same|it|that|this|them)"
                   r"(?:\s+(?:thing|analysis|steps?|processing|workflow))?(?:\s+again)?|"
                   r"(?:the\s+)?same\s+(?:thing\s+)?(?:again\s+)?)\s*(?:on|for|with|to|in)\b",
                   re.IGNORECASE)
"""A clause that repeats the clause before it on its own scene ("then do the same on the first",
"same for the radar image")."""


_ROLE_WORD = re.compile(r"\b(pre|post)[\s-]?(?:flood|fire|burn|storm|quake|earthquake|hurricane|"
                        r"cyclone|disaster)\b", re.IGNORECASE)
"""The event in a pair role ("the pre-flood image") names a scene, not something to map."""


def plan_per_clause(request: str, scenes: Sequence[tuple[str, str | None]],
                    plan: Callable[[str, list[Scene]], Plan], norm: str | None = None,
                    ) -> Plan | None:
    """One plan of each clause group's plan (see :func:`groups`), or None when the request is
    not cut or a group has no plan (then the request is planned as a whole).

    Args:
        request: The request as written.
        scenes: ``(path, modality)`` of its scenes, in the order given.
        plan: Plans a group's text on its scenes (the planner's own ``plan``).
        norm: The request's normalised text, when read already.
    """
    found = groups(request, scenes, norm)
    if not found:
        return None
    steps: list[PlanStep] = []
    notes: list[str] = []
    not_done: list[str] = []
    for index, group in enumerate(found):
        own = [Scene(path=scenes[i][0], modality=scenes[i][1]) for i in group.scenes]
        text = group.text
        if index and _SAME.match(group.text):  # "then do the same on the first"
            text = found[index - 1].text
            notes.append(f"{group.text.strip()!r} repeats {text.strip()!r}")
        part = plan(_ROLE_WORD.sub(r"\1-event", text), own)
        if not part.steps:
            return None
        names = {s.id: f"s{len(steps) + k + 1}" for k, s in enumerate(part.steps)}
        steps += [PlanStep(id=names[s.id], tool=s.tool,
                           args=references.rename(s.args, {k: f"${v}" for k, v in names.items()}))
                  for s in part.steps]
        notes.append(f"{group.text.strip()!r} is planned on "
                     f"{', '.join(scenes[i][0] for i in group.scenes)} only")
        notes += part.notes
        not_done += part.not_done
    return Plan(request=request, steps=steps, notes=notes, not_done=not_done)
