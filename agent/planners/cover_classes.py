"""Cover classes mapped pixel by pixel with an area for each: "classify the subset into water,
forest, agriculture, urban and bare soil, and give me the area of each class in hectares", "map
forest, agricultural land, lake and snow, and give me the surface of each class", "split it into
pavement, cracks and vegetation and give me the square metres of each", "separate permeable
from impermeable surfaces: how many hectares each covers?".

Each class is outlined by name (``segment`` with ``classes``) and ``measure`` gives its area;
``classify_scene`` would give one label for the whole image, no areas.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.unit_slots import find_output_units
from agent.planners.vocab import PRONOUNS, Vocabulary, singular

_PER_CLASS = re.compile(
    r"\b(?:area|surface|extent|square met\w+|m2|hectares?|ha|km2|acres?)\s+(?:of|for|per|in)\s+"
    r"(?:each|every)\b|\bhow (?:many|much) (?:hectares|km2|square \w+|acres|area)\s+(?:each|every)"
    r"\b|\b(?:area|surface) per (?:class|category|type|cover)\b|\beach (?:class|category)'?s? "
    r"(?:area|surface)\b")
"""An area asked for each class."""
_VERB = re.compile(r"\b(?:classify|map|split|separate|divide|partition|segment|outline|delineate|"
                   r"digiti[sz]e)\b")
_INTO = re.compile(r"\binto\s+(?:the\s+)?(?:following\s+)?(?:classes\s*:?\s+)?")
_END = re.compile(r",?\s+(?:and\s+)?(?:then\s+)?(?:give|tell|report|compute|calculate|show|list|"
                  r"measure|return|print)\b|[.;?!:(]|\s+(?:on|in|inside|within)\s+(?:the|this|"
                  r"that|xfilex)\b|$")
_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|from)\s+")
_ANAPHOR = re.compile(r"^(?:those|these|the|that|them|it)\b")
_DETERMINER = re.compile(r"^(?:the|all|any|every|each|its|their)\s+")
_HABITAT = re.compile(r"(?<=\w)\s+(?:canopy|canopies|cover|patch|patches|areas?|class|classes|"
                      r"stands?|carpets?|mats?|beds?)$")
"""A habitat word after a named class ("the giant kelp canopy" -> giant kelp)."""
_BAD = re.compile(r"\b(?:xfilex|xfolderx|image|images|scene|scenes|tile|tiles|photo|subset)\b|\d")


def _parts(body: str) -> list[str]:
    """The class names of a list ("water, forest, urban and bare soil")."""
    out = []
    for part in _SPLIT.split(body):
        part = _HABITAT.sub("", _DETERMINER.sub("", re.sub(r"\s+\w+ly$", "", part.strip())))
        if part and not _BAD.search(part):
            out.append(part)
    return out


def _listed(t: str, start: int) -> list[str]:
    """The list a cover verb at ``start`` maps: after "into" when the clause has one (the
    words between name the image), else right after the verb."""
    clause = t[start:]
    into = _INTO.search(clause[:120])
    body = clause[into.end():] if into else _VERB.sub("", clause, count=1)
    end = _END.search(body)
    body = body[:end.start()] if end else body
    return _parts(body)


_COUNTS = {"both": 2, "two": 2, "three": 3, "four": 4, "five": 5}
_NUMBER = re.compile(r"^(?:the\s+|all\s+)?(both|two|three|four|five)\b")
_NAMING = re.compile(r"\b(?:both|between|tell|distinguish|separate)\s+(?:the\s+)?([^.;:?!]+)")
_TRAIL = re.compile(r"\s+(?:apart|it|that|which|they|we|in|on|at|from|of)\b.*$")


def _named_before(text: str, n: int) -> list[str]:
    """The ``n`` things an earlier sentence names ("shows both heap leach pads and evaporation
    ponds", "tell fresh sargassum apart from decomposing sargassum and the brown tide")."""
    for m in reversed(list(_NAMING.finditer(text))):
        parts = [_TRAIL.sub("", p) for p in _parts(m.group(1).replace(" apart from ", ", "))]
        if len(parts) == n:
            return parts
    return []


def read(a: Analysis, t: str, full: str, vocab: Vocabulary, n_scenes: int) -> None:
    """Turn an area per listed class of one scene into outlines of each class by name.

    Args:
        a: The analysis so far (changed in place).
        t: The asks of the request (normalised, context blanked).
        full: The whole normalised request ("into those five classes" names its list there).
        vocab: The planner vocabulary (canonical class names).
        n_scenes: How many scenes the request is about.
    """
    ask = _PER_CLASS.search(t)
    if n_scenes > 1 or not ask:
        return
    verbs = [m for m in _VERB.finditer(t[:ask.start()])]
    if not verbs:
        return
    parts = _listed(t, verbs[-1].start())
    if len(parts) == 1 and (n := _NUMBER.match(parts[0])):  # "outline the two separately"
        parts = _named_before(full[:verbs[-1].start()], _COUNTS[n.group(1)])
    elif len(parts) == 1 and _ANAPHOR.search(parts[0]):  # "into those five classes"
        earlier = [m for m in re.finditer(r"\binto\s+", full[:full.find(parts[0])])]
        parts = _listed(full, earlier[-2].start()) if len(earlier) >= 2 else []
    if len(parts) < 2 or any(len(p.split()) > 3 or p in PRONOUNS
                             for p in parts):  # "count the potholes, outline them and ..."
        return
    if len(parts) == 2 and len(parts[0].split()) == 1 and len(parts[1].split()) == 2 and \
            not any(vocab.canonical_class(p) for p in parts):  # "permeable from impermeable
        # surfaces": the head noun is shared
        parts[0] = f"{parts[0]} {parts[1].split()[-1]}"
    a.classes = list(dict.fromkeys(vocab.canonical_class(p) or singular(p) for p in parts))
    a.segment, a.object_area = True, True
    a.classify, a.labels, a.detect, a.water, a.composite = False, None, False, False, False
    a.product = None  # "the area of each class" of a scene to segment, no given map
    a.indices, a.units = [], a.units or find_output_units(t)
