"""Two object sets in one request: objects counted in one clause, something outlined by name
in another ("count the anchored boats, and outline the seagrass and give me its area").

The counted objects go to ``detect_objects`` on their own (:attr:`Analysis.counted`); the
outlined thing stays the request's classes, outlined (and measured) by name.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.object_nouns import counted_nouns, counts
from agent.planners.outline_nouns import outlined_noun
from agent.planners.vocab import Vocabulary

_OUTLINE_VERB = re.compile(r"(?:^|[,.;:!?]\s*|\b(?:and|then|also|please|to|you)\s+)(?:\w+ly\s+)?"
                           r"(?:outline|"
                           r"delineate|segment|trace|digiti[sz]e)\s+(?!(?:them|it|each|every one|"
                           r"those|these)\b)")
"""An outline asked (an imperative, not "the district outline")."""
_UNITS = frozenset(("m", "m2", "km", "km2", "ha", "hectare", "acre", "percent", "patch", "area",
                    "region", "stand", "polygon", "blob", "spot", "one"))
"""Amounts and region words a count may name ("how many m2", "how many patches"): no set."""
_AMOUNT_OF = re.compile(
    r"\b(?:total |combined |overall )?(area|length|extent|surface)\s+of\s+(?:the |all (?:the )?)?"
    r"(?=(?:[a-z-]+ ){0,2}[a-z-]+s\b)|\bhow (?:many|much) (?:square )?(hectares|ha|acres|km2|m2|"
    r"(?:square )?(?:kilomet|met)(?:er|re)s|km|miles)\s+(?:of|do|does|are)\s+(?:the )?|"
    r"\bhow (big|large) (?:is|are) (?:the )?")
"""An amount of something named ("the total length of vehicle tracks", "how many hectares do
the coal piles cover", "how many kilometres of seawall")."""
_LENGTH = re.compile(r"length|kilomet|met|km\b|miles")  # (not km2)
_CLAUSE_END = re.compile(r"[.;?!]|,|\band (?=(?:then |also )?(?:outline|delineate|segment|trace|"
                         r"give|tell|how|map|report)\b)")


def split(a: Analysis, t: str, vocab: Vocabulary, n_scenes: int = 0) -> None:
    """Read a count and an outline of different things into two sets (``a.counted`` detected,
    ``a.classes`` outlined by name, measured by area when an area unit is asked: the count
    belongs to the detection); an amount of a named thing stands for its outline without an
    outline verb ("how many hectares do the coal piles cover", "the total length of the
    tracks"); nothing changes when one clause does both ("count the buildings and outline
    them") or other tools are asked (a change word on one scene asks for none: "the
    construction sites")."""
    if not a.count_words or a.water or a.indices or (a.change and n_scenes != 1) or a.classify \
            or a.search or a.biomass or a.files.boxes or a.points or a.files.assess:
        return  # ("how many match" the reference counts no objects)
    outline = _OUTLINE_VERB.search(t) if a.segment else None
    amount = _AMOUNT_OF.search(t) if outline is None and not re.search(
        r"\b(?:outline|delineate|segment|trace) (?:them|each|those|these)\b|\b(?:they|it) (?:"
        r"cover|occupy|take)", t) else None  # "outline them: how many m2 of the lot they cover"
    if amount is not None:  # "how many towers, and how many hectares do the coal piles cover"
        outline = amount
        clause_end = _CLAUSE_END.search(t, amount.end())
        said = t[amount.end():clause_end.start() if clause_end else len(t)]
        cover = re.search(r"\bdo(?:es)? (?:the )?((?:[a-z-]+ )?[a-z-]+) (?:cover|occupy|take up)\b",
                          said)  # "how many m2 of the marina do the pontoons cover"
        outlined = outlined_noun("outline the " + (cover.group(1) if cover else said), vocab)
    elif outline is not None:
        clause_end = _CLAUSE_END.search(t, outline.end())
        outlined = a.classes[0] if len(a.classes) == 1 and not vocab.canonical_class(
            a.classes[0]) else outlined_noun(
            t[outline.start():clause_end.start() if clause_end else len(t)], vocab)
    else:
        return
    words = re.findall(r"[a-z]+", t[outline.end():outline.end() + 40])
    known = [c for c in (vocab.canonical_class(" ".join(words[i:i + n]))
                         for i in range(len(words)) for n in (2, 1)) if c]
    outlined = outlined or (known[0] if known else None)
    if outlined is None:
        return
    for m in counts(t):  # the explicit counts, read as object_nouns reads them
        if outline.start() <= m.start() < (clause_end.start() if clause_end else len(t)):
            continue  # a count inside the outline's own clause
        end = _CLAUSE_END.search(t, m.end())
        nouns = [n for n in counted_nouns(t[m.start():end.start() if end else len(t)], vocab)
                 if not set(n.split()) & _UNITS]  # "how many m2 of the plots": an amount
        said = t[outline.start():clause_end.start() if clause_end else len(t)]
        if not nouns or any(re.search(rf"{re.escape(n.split()[-1])}(?:e?s)?\b", said)
                            for n in nouns):
            continue  # "outline the sandbars ... how many bars": one set
        counted = [c for c in dict.fromkeys(_canonical(n, vocab) for n in nouns) if c != outlined]
        if counted:
            kept = [c for c in a.classes if not (outlined == c or outlined.endswith(" " + c))
                    and not any(c in n for n in counted)]
            a.counted, a.classes = counted, [outlined, *kept]
            a.detect, a.counting, a.segment = False, False, True
            if amount is not None and "square" not in amount.group(0) and _LENGTH.match(
                    amount.group(1) or amount.group(2) or ""):
                a.statistic = "length"  # "the total length of the vehicle tracks"
            elif amount is not None:
                a.object_area = True  # "how many hectares do the coal piles cover"
            a.object_area = a.object_area or a.units is not None  # its area
            return


def _canonical(noun: str, vocab: Vocabulary) -> str:
    """A counted noun as its class ("anchored boat" -> ship), else as said."""
    words = noun.split()
    if len(words) > 1 and words[0].endswith("ed"):
        return vocab.canonical_class(noun) or vocab.canonical_class(" ".join(words[1:])) or noun
    return vocab.canonical_class(noun) or noun
