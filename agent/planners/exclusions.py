"""Parts of a request the analyst says not to do: "Out of scope: vehicle counts", "Not needed:
biomass", "No need for a water mask", "Please don't count vehicles", "skip the NDVI", "we do
not need biomass this time", "(helicopters not needed)", "never mind the bridges".

Such a part names a tool or a class only to rule it out: it is cut from the text before the
request is read (the plan's notes say so), so that its words neither trigger a tool nor become a
class. A part that leaves out a scene ("skip the first file", "ignore c.tif") is kept: it
picks the scenes (:mod:`agent.planners.scene_refs`, :mod:`agent.planners.files`); so is one
that sets a filter ("don't count buildings under 50 m2", "do not include the ones outside the
park").
"""

from __future__ import annotations

import re
from collections.abc import Callable

_END = r"(?=\s*(?:\.(?!\w)|[;!?:\n]|\s[-•*]\s|\s\d{1,2}\)\s|$))"
_CLAUSE_TAIL = (r"[^;!?:\n]*?(?=\s*(?:\.(?!\w)|[;!?:\n]|\s[-•*]\s|\s\d{1,2}\)\s|$|"
                r"(?:,|\s+and|\s+but)\s*(?:just|only|but|and|then|instead|rather|simply|please|count|compute|map|"
                r"detect|segment|give|tell|show|use|caption|describe|estimate|classify|measure|"
                r"find|do|i|we|report|return|list)\b))")
_VERBS = (r"(?:count|compute|calculate|map|detect|segment|classify|estimate|run|make|produce|"
          r"create|do|include|generate|derive|report|measure|give|bother(?:\s+with)?|worry\s+"
          r"about|need|want|look\s+(?:at|for))")
_LABEL = re.compile(rf"\b(?:out\s+of\s+scope|not\s+needed|not\s+required|not\s+necessary|"
                    rf"no\s+need|excluded|exclusions?|not\s+wanted|not\s+requested|skip)\s*:\s*"
                    rf"{_CLAUSE_TAIL}", re.IGNORECASE)
"""A ticket's exclusion field ("Out of scope: vehicle counts.", "Not needed: 3) courts")."""
_SENTENCE = re.compile(
    rf"(?:(?<=^)|(?<=[.;:!?\n(,—–-])\s*|(?<=\s)(?:but|and|then|just|actually|so|oh),?\s+|"
    rf"(?<=\s)(?=please\b))"
    rf"(?:please\s+)?(?:(?:we|i)\s+(?:do\s+not|don'?t|dont|won'?t)\s+need\b|"
    rf"(?:there\s+is\s+)?no\s+need\s+(?:for|to)\b|(?:do\s+not|don'?t|dont|never)\s+{_VERBS}\b|"
    rf"never\s*mind\b|forget\s+(?:about\s+)?the\b|(?:skip|exclude|ignore|leave\s+out)\b)"
    rf"{_CLAUSE_TAIL}", re.IGNORECASE)
"""A clause that rules something out ("please don't count vehicles", "no need for a water
mask", "skip the NDVI", "never mind the bridges", "exclude helicopters")."""
_SAID_OF = re.compile(rf"(?:(?<=^)|(?<=[.;!?\n(])|(?<=,))[^.;!?\n(,]*?\b(?:is|are)\s+(?:out\s+of\s+"
                      rf"scope|not\s+needed|not\s+required|not\s+necessary)\s*\)?{_END}|"
                      rf"\([^()]*\bnot\s+(?:needed|required)\)|[^.;!?\n:(,]{{1,40}}:\s*not\s+"
                      rf"(?:needed|required){_END}", re.IGNORECASE)
"""Something said to be not needed ("Vehicles are out of scope.", "(helicopters not needed)",
"Vehicles: not needed.")."""
_KEEP = re.compile(r"\b(?:them|it|its|those|these|that|this|everything|pixels?|none|nothing|"
                   r"anything|clouds?|cloudy|shadows?|haze|hazy|no-?data|borders?|edges?|"
                   r"images?|scenes?|files?|pictures?|photos?|tiles?|dates?|frames?|chips?|"
                   r"rasters?|ones?|first|second|third|last|older|newer|earlier|later|radar|sar|"
                   r"optical|xfilex|(?:19|20)\d\d|smaller|larger|bigger|less|more|under|over|below|"
                   r"above|outside|inside|within|beyond|cloud\w*|shadows?|default|defaults|"
                   r"steps?|details?|rest|others?)\b|\w+\.(?:tif|tiff|png|jpg|jpeg|mat|nc|geojson|"
                   r"gpkg|shp)\b|\d", re.IGNORECASE)
"""Words of a part that leaves out a scene or sets a filter: such a part is kept."""
_WHEN = re.compile(r"\b(?:this time|for now|this round|right now|again|at all|this week)\b",
                   re.IGNORECASE)
"""When something is not needed ("we do not need biomass this time"): no scene."""


_SIGN_OFF = re.compile(r"(?:(?<=[.!?\n])|(?<=^))\s*(?i:(?:(?:kind|best|warm|many)\s+)?"
                       r"(?:regards|cheers|thanks|thank\s+you|sincerely|best|br|yours(?:\s+truly)?))"
                       r"\s*[,!.]?\s*(?:[-–—]+\s*)?(?:[A-Z][\w.&'-]*(?:\s+|$)){1,6}$|"
                       r"\s--+\s*[A-Z][\w .&'-]{0,40}$")
"""A letter's sign-off with a name ("Regards, NDVI Working Group", "-- Ops"): it asks
nothing (and its name triggers no tool)."""


_WORDS = ("scope", "need", "not", "n't", "dont", "skip", "exclud", "ignor", "leave", "never",
          "forget", "regard", "cheers", "thank", "sincerely", "best", "br", "yours", "--",
          "required", "necessary", "wanted", "requested")
"""Words one of the patterns needs: a request without any is left as it is (fast path)."""


def read_exclusions(raw: str, names_work: Callable[[str], bool]) -> tuple[str, list[str]]:
    """``raw`` with the parts that rule something out cut, and those parts as written (none:
    ``raw`` unchanged; a letter's sign-off is cut without a word).

    Args:
        raw: The request.
        names_work: Whether a part names work a tool does (a class, an index, a water map,
            biomass ...): only such a part is cut ("don't include the plantation to the north",
            "no need to vectorize" stay, conditions the plan may report as not done). A
            request that would be left with no words is kept whole.
    """
    low = raw.lower()
    if not any(word in low for word in _WORDS):
        return raw, []
    signed = _SIGN_OFF.search(raw)
    if signed and re.search(r"[a-z]{3}", raw[:signed.start()].lower()):
        raw = raw[:signed.start()].rstrip()
    spans: list[tuple[int, int]] = []
    for pattern in (_LABEL, _SENTENCE, _SAID_OF):
        for m in pattern.finditer(raw):
            part = m.group(0)
            if not part.strip() or _KEEP.search(_WHEN.sub(" ", part)) or not names_work(
                    part) or any(
                    a < m.end() and m.start() < b for a, b in spans):
                continue
            spans.append((m.start(), m.end()))
    if not spans:
        return raw, []
    spans.sort()
    out, last, cut = [], 0, []
    for a, b in spans:
        out.append(raw[last:a])
        cut.append(raw[a:b].strip(" ,;—–-"))
        last = b
    out.append(raw[last:])
    text = re.sub(r"\s+([,.;!?])", r"\1", re.sub(r"[ \t]{2,}", " ", "".join(out)))
    text = re.sub(r"\(\s*\)", "", text)
    while re.search(r"[.;!?:]\s*[.;,](?!\.)", text):  # "planes.. Due" -> "planes. Due"
        text = re.sub(r"(?<=[.;!?:])\s*[.;,](?!\.)", "", text)
    text = re.sub(r"\s[-–—]\s*[-–—](?=\s)", " -", text)  # "ships - - count" -> "ships - count"
    text = re.sub(r"^\s*[.;,]\s*|^\s*(?:and|but|then)\s+", "", text)
    if not re.search(r"[a-z]{3}", text.lower()):
        return raw, []
    return text.strip(), cut
