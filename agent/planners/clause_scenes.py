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
from agent.planners import ask, composite_slots, coverage, gsd_slots, scene_refs
from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary, get_vocabulary

_RELATION = re.compile(
    r"\b(?:compar\w*|versus|vs|than(?!\s+(?:about\s+|some\s+|around\s+)?\d)|gone|new|newly|"
    r"appear\w*|disappear\w*|remain\w*|still|anymore|no longer|since|chang\w*|differ\w*|lost|"
    r"loss|gain\w*|added|removed|baseline|"
    r"reference|between|against|agree\w* with|over time|time series|series|trend\w*|evol\w*|"
    r"dynamics|both|each|as (?:the |an? )?(?:pre|post|before|after))\b")
"""Words that relate the scenes to each other ("how many are gone in the second image",
"with b.tif as the baseline", "check it against gt.tif"): such a request is about the scenes
together, never split ("more than 534 km2" compares a number, no scenes)."""


def relates(norm: str) -> bool:
    """Whether the request relates its scenes to each other ("compare", "gone", "new", ...)."""
    return _RELATION.search(norm) is not None


@dataclass
class Group:
    """Consecutive clauses about the same scenes."""

    text: str
    scenes: list[int]
    own: str = ""  # the text before what is said of every group is added


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
    whole = norm if norm is not None else read_request(request, None).norm
    if relates(ask.blank(whole, [(a, b) for a, b in ask.statement_spans(whole)
                                 if gsd_slots.find_gsd(whole[a:b])[0].values or (
                                     _ARGUMENT.search(whole, a, b) and re.search(
                                         r"\d", whole[a:b]) and not _REPORTED.search(
                                         whole, a, b))])):
        return []  # (a size or a setting relates no scenes: "GSD 0.3 m for both.", "minimum
        # confidence 0.4 for both.")
    paths = [p for p, _ in scenes]
    out: list[Group] = []
    lead: list[str] = []  # clauses before the first one that picks a scene
    shared: list[str] = []  # sizes said of no scene in particular
    vocab = get_vocabulary()
    for part, cut in ((half, len(halves) > 1) for clause in coverage.clauses(request)
                      for halves in [_halves(clause, scenes, vocab)] for half in halves):
        req = read_request(part, None)
        norm = ask.blank(req.norm, ask.background_spans(req.norm))
        picked = sorted({paths.index(m) for m in req.mentions if m in paths}
                        | set(scene_refs.referenced(norm, scenes, roles=True)))
        if not picked and not ask.is_ask(norm) and gsd_slots.find_gsd(norm)[0].values:
            shared.append(part)  # "GSD 0.5 m for all.": said of every group's scenes
            continue
        if not picked and out and _ARGUMENT.search(norm) and re.search(
                r"\b(?:both|all|each|every)\b", norm) and not _REPORTED.search(norm):
            shared.append(part)  # "...; minimum confidence 0.4 for both.": every group's
            continue
        if picked and len(picked) < len(scenes) and (ask.is_ask(norm) or cut or (
                out and _repeats(part, vocab)) or (
                _names_work(norm, vocab, water=True) and not _STATEMENT_VERB.search(norm))):
            # "NDVI for the first image; NDWI for the second", "- flood extent from the radar
            # scene" (verbless: work, not a statement); a half of a
            # clause cut at its "and" is work on its own scene
            out.append(Group(_joined([*lead, part]), picked))
            lead = []
        elif out:
            out[-1].text = _joined([out[-1].text, part])
        elif ask.is_ask(norm) or req.vectors:  # (one that names a vector file names the
            lead.append(part)  # region: "I buffered the sites (sites.geojson)")
        elif not picked and _ARGUMENT.search(norm) and not _REPORTED.search(norm):
            shared.append(part)  # "Confidence threshold 0.5.": said of every part (not a
            # report, "ICEYE estimated 2,600 buildings affected", nor context without a value)
    if len({tuple(g.scenes) for g in out}) < 2:
        return []
    for group in out:
        group.own, group.text = group.text, _joined([group.text, *shared])
    return out


def _joined(parts: Sequence[str]) -> str:
    """Clauses joined back into one text, each still ending its clause ("segment the seagrass;
    give its area", not "the seagrass give its area")."""
    out = ""
    for part in parts:
        out = part if not out else f"{out} {part}" if re.search(r"[.?!;:,]\s*$", out) \
            else f"{out}; {part}"
    return out


_ARGUMENT = re.compile(r"\b(?:confiden\w*|threshold|cut[\s-]?off|min(?:imum)?|max(?:imum)?|"
                       r"at least|at most|(?:larger|bigger|smaller|longer|shorter|greater|less|"
                       r"more|wider) than|above|below|over|under)\b[^.;]{0,30}\d")
"""A value said for the work ("confidence threshold 0.5", "only ships longer than 50 m")."""
_REPORTED = re.compile(r"\b(?:estimated|reported|said|says|found|counted|mapped|measured|showed|"
                       r"shows|quoted|claimed|recorded|logged|was|were|had|did|used)\b")
"""A statement that reports what happened or what others found: context, no argument."""
_STATEMENT_VERB = re.compile(r"\b(?:is|are|was|were|shows?|showed|has|have|had|contains?|looks?|"
                     r"seems?|covers?|taken|acquired|captured|used|uses|gave|gives|provided|"
                     r"provides|served|serves)\b")
"""A verb that makes a clause a statement about a scene ("the first image shows ships")."""


_OPENS_WITH_SCENE = re.compile(r"\s*(?:for |on |in |with )?the [\w-]+ (?:one|image|scene|photo|"
                               r"picture|file)s? (?:to|for|with|using)\b")
"""A side that opens with its scene and the work it is for ("the radar one to map the water")."""
_LISTED_SCENE = re.compile(r"\s*(?:the\s+)?(?:image|scene|photo|picture|chip|tile|frame)s?\s*#?\s*"
                           r"(?:\d{1,2}|[a-h])\b|\s*\S+\.(?:tif|tiff|png|jpe?g)\b", re.IGNORECASE)
"""A side that opens with another scene of a list ("... in image 2 and image 3 and ...")."""
_SCENE_THEN_VERB = re.compile(r"\s*(?:on|in|for|with|from) the [\w-]+ (?:one|image|scene|photo|"
                              r"picture|file)s?,? (?:count|map|segment|outline|detect|delineate|"
                              r"compute|calculate|measure|estimate|classify|find|trace|make|"
                              r"render)\b")
"""A side that opens with its scene and then its verb ("..., and on the Sentinel-2 image segment
the seagrass")."""


def _names_work(norm: str, vocab: Vocabulary, water: bool = False,
                composite: bool = True) -> bool:
    """Whether a clause names an index, an object class, a composite or biomass (a verbless
    "NDWI for the second", "a false colour one of the 2023 image"); ``water``: or water ("the
    radar one to map the water"); ``composite``: a composite counts."""
    return vocab.names_work(norm, ("biomass", "water_strong", "water_weak") if water else (
        "biomass",)) or (composite and vocab.has("composite", composite_slots.blank_temporal(norm)))


def _halves(clause: str, scenes: Sequence[tuple[str, str | None]],
            vocab: Vocabulary) -> list[str]:
    """``clause`` cut at an "and" whose two sides each name work and a different scene, the
    second opening with its work ("NDVI on the first file and NDWI on the second one"); else
    ``[clause]``."""
    for m in re.finditer(r",?\s+(?:and|but)\s+|,\s+", clause):  # ("ship count on image 2, plane
        # count on image 1")
        left, right = clause[:m.start()], clause[m.end():]
        valued = _VALUED.match(right) is not None and re.search(r"\d", left) is not None
        if m.group(0).strip() == "but" and not valued:
            continue  # ("NDVI > 0.3 in the 2019 scene but > 0.4 in the 2021 one": values)
        if left.count("(") > left.count(")") or _LISTED_SCENE.match(right):
            continue  # inside parentheses: "(a.tif, b.tif, c.tif)" is one list; "planes in
            # image 2 and image 3 and ...": the scenes of one part
        reads = [read_request(side, None) for side in (left, right)]
        sides = [r.norm for r in reads]
        paths = [p for p, _ in scenes]
        picks = [sorted({paths.index(m) for m in r.mentions if m in paths}
                        | set(scene_refs.referenced(r.norm, scenes, roles=True))) for r in reads]
        opens_with_work = _names_work(sides[0], vocab, water=True) and (
            _names_work(" ".join(sides[1].split()[:4]), vocab, water="xfilex" not in sides[1],
                        composite=m.group(0).strip() != ",")  # ("the water area of the SAR
            # image"; not "the flood extent flood.tif": a product named; not "..., 560 and 480
            # nm": after a bare comma, a composite's bands are no work of their own)
            or (_OPENS_WITH_SCENE.match(sides[1]) is not None
                and _names_work(sides[1], vocab, water=True))
            or _SCENE_THEN_VERB.match(sides[1]) is not None
            or valued or (_repeats(right, vocab) and m.group(0).strip() != ","))  # "how much
        # water in the radar one, and in the optical one?": the right side asks the left's
        # work of its own scene (a bare comma cuts only before a side that opens with its work)
        # ("... and the radar one to map the water": its scene, then its work)
        if all(picks) and not set(picks[0]) & set(picks[1]) and (opens_with_work or (
                m.group(0).strip() != "," and all(vocab.has(
                    "composite", composite_slots.blank_temporal(side)) for side in sides))):
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


_ELLIPTIC = re.compile(r"\W*(?:(?:and|but|then|now|also|plus)\W+)*(?:how\s+(?:many|much|big|large)|"
                       r"(?:what|how)\s+about|what\s+(?:was|is|were|are)\s+(?:it|they|that|"
                       r"the\s+same)\b|(?:(?:in|for|on|with)\s+)?the\s+(?:[\w-]+\s+){0,3}?[\w-]+"
                       r"(?:\s+(?:one|image|scene|photo|picture|file|chip|tile|composite|"
                       r"mosaic)s?)?"
                       r"(?:\s*\([^()]*\))?\W*(?:too|as well|also)?\W*$)", re.IGNORECASE)
"""A clause that asks the clause before it again without naming its work ("..., and how many in
the last?", "what about the 2019 one?", "what was it afterwards?", "and the 2022 one?", "also
the 2018 image.", "and in the optical one?")."""


_REFERENCE_WORDS = re.compile(
    r"\b(?:and|but|then|now|also|plus|what|how|about|many|much|big|large|is|are|was|were|it|they|"
    r"that|there|the|same|in|on|for|with|of|from|too|as|well|one|ones|image|images|scene|scenes|"
    r"photo|picture|file|chip|tile|composite|mosaic|first|second|third|fourth|fifth|last|other|"
    r"left|right|middle|earlier|earliest|older|oldest|newer|newest|later|latest|most|recent|"
    r"optical|radar|sar|multispectral|hyperspectral|rgb|sentinel|landsat|xfilex|afterwards|"
    r"before|after|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|winter|spring|summer|autumn|fall|pre|post|event|disaster|flood|fire|"
    r"storm|earthquake|quake|hurricane|\d+|[a-h])\b|[^\w\s]")
"""The words of an elliptical part that only name its scene ("and how many in the last one?",
"what about the 2019 radar scene?"); any other word asks something of its own."""


_VALUED = re.compile(
    r"\W*(?:(?:and|but|while|whereas)\W+)?(?:(?:with\s+)?(?:an?\s+)?(?:min(?:imum)?\s+)?"
    r"(?:confidence|threshold|cut-?off)(?:\s+(?:of|at))?\s*)?(?:above|over|below|under|(?:larger|"
    r"smaller|bigger|greater|more|less|higher|lower|longer|shorter) than|at least|at most|"
    r"[<>]=?)?\s*-?\d[\d.]*\s*(?:m2|m²|km2|ha|m|%|db)?\s+(?:in|on|for)\s+(?:the\s+)?\S",
    re.IGNORECASE)
"""A side that gives the other side's work another value on its own scene ("... above 0.6 in
the first scene and above 0.3 in the second", "NDVI > 0.3 in the 2019 scene but > 0.4 in the
2021 one", "larger than 200 m2 in image 1 and larger than 500 m2 in image 2")."""
_SETTING = re.compile(r"(?:above|over|below|under|than|least|most|[<>]=?|confidence|threshold|"
                      r"cut-?off|of|at)\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
"""A value set for the work ("above 0.3", "> 0.4", "confidence 0.6", "larger than 500")."""
_BARE_VALUE = re.compile(r"\W*(?:(?:and|but|while|whereas)\W+)?(-?\d+(?:\.\d+)?)(?![\d.])")


def with_values(text: str, own: str) -> str:
    """``text`` (the group a value ellipsis repeats) with the values ``own`` sets in place of
    its own, in order, when both set as many ("NDVI > 0.3 in the 2019 scene" with "> 0.4 in the
    2021 one": "NDVI > 0.4 in the 2019 scene", planned on the 2021 scene); else ``text``."""
    new = [m.group(1) for m in _SETTING.finditer(own)] or [
        m.group(1) for m in [_BARE_VALUE.match(own)] if m]  # "... and 0.25 in the second"
    old = list(_SETTING.finditer(text))
    if not new or len(new) != len(old):
        return text
    out, last = [], 0
    for m, value in zip(old, new, strict=True):
        out += [text[last:m.start(1)], value]
        last = m.end(1)
    return "".join(out) + text[last:]


def _repeats(text: str, vocab: Vocabulary) -> bool:
    """Whether a clause group repeats the group before it on its own scenes: "do the same on the
    first", an elliptical "and how many in the last?" that names no work of its own, or one that
    gives the work another value ("and above 0.3 in the second")."""
    if _SAME.match(text) or (_VALUED.match(text) and not _names_work(
            read_request(text, None).norm, vocab, water=True)):
        return True
    norm = read_request(text, None).norm
    rest = _REFERENCE_WORDS.sub(" ", norm)  # "and the shadows in image 2?", "how many are
    return bool(_ELLIPTIC.match(text)) and not re.search(r"[a-z]{3,}", rest) and not _names_work(
        norm, vocab, water=True)  # damaged in image 2?": new words ask something else


_ROLE_WORD = re.compile(r"\b(pre|post)[\s-]?(?:flood|fire|burn|storm|quake|earthquake|hurricane|"
                        r"cyclone|disaster)\b", re.IGNORECASE)
"""The event in a pair role ("the pre-flood image") names a scene, not something to map."""


_INSIDE_WATER = re.compile(r"\b(?:inside|within|in)\s+(?:the|that|this)\s+(?:flood(?:ed)?|water|"
                           r"inundat\w*|submerged)\s+(?:area|extent|zone|mask|map|part)s?\b|"
                           r"\b(?:are|is|stand|lie|sit)s?\s+(?:in|under)\s+(?:the\s+)?(?:flood\s*)?"
                           r"water\b")
"""A part asked of the area a water map of an earlier part outlines ("count the buildings on
the optical image that lie inside the flooded area", "how many of them are in the water")."""


class JoinedPlan(Plan):
    """A plan joined from the plans of a request's parts, each already checked by the learned
    tool model on its own words (:meth:`agent.planners.offline.OfflinePlanner.plan` does not
    check it again on the whole request)."""


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
    vocab = get_vocabulary()
    for index, group in enumerate(found):
        own = [Scene(path=scenes[i][0], modality=scenes[i][1]) for i in group.scenes]
        text = group.text
        if index and _repeats(group.own or group.text, vocab):  # "then do the same on the
            text = with_values(found[index - 1].text, group.own or group.text)  # first";
            # "... above 0.3 in the second": the earlier work with this group's values
            valued = _VALUED.match(group.own or group.text) is not None
            notes.append(f"{group.text.strip()!r} repeats {found[index - 1].text.strip()!r}"
                         + (" with its own values" if text != found[index - 1].text else
                            " (its own value could not be matched to the earlier one: not "
                            "applied)" if valued else ""))
        elif len(own) > 1 and not all(s.path in group.text for s in own):  # "NDWI in image 2,
            own = [Scene(path=p, modality=m) for p, m in scenes]  # NBR in image 3": its words
            # pick its scenes among all of them (files named by name stay their own)
        water = next((s.id for s in reversed(steps) if s.tool == "map_water"), None)
        said = _INSIDE_WATER.search(text.lower())
        inside = water is not None and said is not None and not vocab.has(
            "water_strong", ask.blank(text.lower(), [said.span()]))  # (not "map the water in
        # the second, then count the fields in the flooded area": its own map)
        if inside and said is not None:  # "map the flood on the radar scene, then count the
            text = text[:said.start()] + text[said.end():]  # buildings on the optical image
            # that lie inside the flooded area": the first part's map is the region, the part
            # is planned without those words (no water map of its own)
        part = plan(_ROLE_WORD.sub(r"\1-event", text), own)
        if not part.steps:
            return None
        names = {s.id: f"s{len(steps) + k + 1}" for k, s in enumerate(part.steps)}
        steps += [PlanStep(id=names[s.id], tool=s.tool, args=references.rename(s.args, {
            k: f"${v}" for k, v in names.items()}) | ({"region": f"${water}"} if inside and (
                s.tool in ("detect_objects", "segment") and "region" not in s.args) else {}))
            for s in part.steps]
        if inside:
            notes.append(f"{group.text.strip()!r} is read inside the water map ${water}")
        notes.append(f"{group.text.strip()!r} is planned on "
                     f"{', '.join(scenes[i][0] for i in group.scenes)} only")
        notes += part.notes
        not_done += part.not_done
    return JoinedPlan(request=request, steps=steps, notes=notes, not_done=not_done)
