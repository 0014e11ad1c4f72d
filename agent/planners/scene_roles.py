"""Pair roles said by the scenes' order, letter or date ("the first image as before and the second
as after", "image B as the baseline", "pre-fire is the first file, post-fire the second", "the
newer image as the reference"): which scene is "before" (:func:`roles_by_order`); such a
statement picks no scene of its own (:mod:`agent.planners.scene_refs` blanks it before reading
references).
"""

from __future__ import annotations

import re

from agent.planners import ask

EVENT = r"(?:[\s-]?(?:event|flood|fire|burn|storm|disaster|quake|earthquake|hurricane|cyclone))?"
"""An event after a pair role ("pre-flood", "post fire"), optional."""
_PLACE = (r"(?:the\s+)?(?:(first|second|1st|2nd|former|latter)(?:\s+(?:one|image|scene|file|chip|"
          r"photo|picture|tile|frame))?|(?:image|scene|photo|picture|tile|chip|frame|file)\s+"
          r"([ab12]))")
_ROLE = (r"(?:the\s+|a\s+|our\s+)?(pre|post|before|after|baseline|reference|earlier|later|t0|t1|"
         r"target)\b")
AS_ROLE = re.compile(rf"\b{_PLACE}(?:\s+(?:listed|given|named))?\s+(?:as|for|is|=|:|(?:is|was|"
                     r"were)\s+(?:taken|acquired|captured|shot|recorded|imaged)|is from)\s+"
                     rf"{_ROLE}")
ROLE_IS = re.compile(rf"\b{_ROLE}(?:{EVENT}|[\s-]+(?:image|scene|one|file))?(?:\s+(?:image|"
                      rf"scene|one|file))?\s+(?:is|=|:)\s+{_PLACE}|(?:[,;]\s*(?:and\s+)?|\s+and"
                      rf"\s+)(pre|post){EVENT}\s+{_PLACE}")
"""A role said of a scene by order ("pre-fire is the first file", "..., post-fire the
second", "post is the second frame and pre the first")."""
ROLE_TAIL = re.compile(rf"(?:[,;:]\s*(?:and\s+)?|\band\s+|^\s*){_PLACE}\s+(?:as\s+)?{_ROLE}\b"
                       r"(?=\s*(?:[,;.:)?!]|and\b|$))")
"""A pair's role said without a verb ("image B is the before scene, image A after", "image 2
before and image 1 after"; not "the second after the storm")."""
DATED_AS_ROLE = re.compile(r"\b(?:the\s+)?(later|newer|more recent|recent|latest|newest|earlier|"
                           r"older|oldest|earliest)(?:\s+(?:one|image|scene|file|photo|picture|"
                           rf"acquisition))?\s+(?:as|for|is|=|:)\s+{_ROLE}")
"""A role said of a scene by its date ("the newer image as the reference", "the later image as
before"): the later of the pair by file-name date (the second given when no dates say)."""
PLACE_DATED = re.compile(rf"(?:\b{_PLACE}|(?:^|[,;.]\s*)([ab])\b)\s+(?:is|was)\s+(?:the\s+)?"
                         r"(later|newer|more recent|recent|latest|newest|earlier|older|oldest|"
                         r"earliest)\b")
"""A date said of a scene by order or letter ("..., A is the newer one", "image 2 is the older
one")."""
FROM_TO = re.compile(rf"\bfrom\s+{_PLACE}\s+to\s+{_PLACE}")
"""A direction said by order or letter ("the change from image B to image A"): "from" is
before."""
LISTED = re.compile(r"\b(?:the\s+)?(pre|post|before|after|earlier|older|oldest|earliest|later|"
                    r"newer|newest|latest|more recent|most recent)(?:[\s-]?(?:event|fire|flood|"
                    r"storm|disaster))?(?:\s+(?:image|scene|one|file|date|acquisition|photo))?\s+"
                    r"(?:(?:is|was|comes?|came|goes|went)\s+)?(?:listed\s+|given\s+)?(?:the\s+)?"
                    r"(first|second|last)(?:\s+(?:one|image|scene|file))?(?:\s+(?:listed|given|"
                    r"here|in the list))?"
                    r"(?=\s*(?:[.,;:)!?]|$|here\b|and\b))")
"""A pair's order said by role or date ("the post-fire scene is listed first", "the newer
image comes first", "(earlier one second)", "the later image is the first one listed")."""
RELATED = re.compile(r"\b(?:appear\w*|disappear\w*|new|newly|gone|chang\w*|compar\w*|differ\w*|"
                     r"lost|gain\w*|since|versus|vs|built|demolish\w*|added|removed|than|more|"
                     r"less|fewer|listed|before|after|pre|post|baseline|order|earlier|later|"
                     r"older|newer)\b|(?:^|[.!?;]\s*)(?:is|are|does|do|did|was|were|has|have|"
                     r"can|could)\s[^.?!;]*,\s*(?:but\s+)?not\b[^.?!;]*\?")
"""Words that relate two scenes ("the after image is b.tif, not a.tif", "which has more water?
The 2020 scene is listed first, not the 2015 one"), or a yes/no question that asks of one and
not the other ("is the bridge in image B, not image A?"): with them, ", not ..." leaves no scene
out (:mod:`agent.planners.scene_refs`, :mod:`agent.planners.files`)."""
ALL_SCENES = re.compile(
    r"\b(?:both|all|each|every)\s+(?:of\s+)?(?:the\s+|these\s+|those\s+|my\s+)?"
    r"(?:two\s+|three\s+|\w+\s+)?(?:images?|scenes?|pictures?|photos?|tiles?|dates?|"
    r"acquisitions?|files?|rasters?|chips?|ones)\b|\b(?:in|on|for|across|from) both\b")
"""Every scene named as what a request is about ("in both images", "for every scene")."""


def excepted_here(text: str, pos: int) -> bool:
    """Whether a scene named at ``pos`` after "except", "apart from", "other than" ... is left
    out: in a sentence that asks ("compute NDVI for all images except b.tif", "all scenes except
    b.tif need a water map"), not in one that says how things are ("apart from b.tif, all
    scenes were taken in summer", "without b.tif we couldn't compare")."""
    said = next((text[a:b] for a, b in ask.sentences(text) if a <= pos < b), "")
    return ask.asked_at(text, pos) or _HOW_THINGS_ARE.search(said) is None


_HOW_THINGS_ARE = re.compile(r"\b(?:is|are|was|were|has|have|had|come|came|comes|look|looks|"
                             r"looked|seem|seems|could|couldn'?t|can'?t|cannot|would)\b")
"""The verbs of a sentence that says how the scenes are, not what to do with them."""


_EARLY = frozenset(("earlier", "older", "oldest", "earliest"))
_PRE = frozenset(("pre", "before", "earlier", "older", "oldest", "earliest"))
_FIRST = frozenset(("first", "1st", "former", "a", "1"))
_BEFORE = frozenset(("pre", "before", "baseline", "reference", "earlier", "t0"))


def roles_by_order(raw: str, second_later: bool = True) -> str | None:
    """"kept" or "swapped" when the request gives the roles by the scenes' order or letter
    ("the first image as before and the second as after", "image B as the baseline",
    "pre-event is the second file", "from image B to image A", "image A was taken after the
    storm", "A is the newer one") or by their dates ("the newer image as the reference";
    ``second_later``: the second scene given is the later one); None when it does not."""
    if m := LISTED.search(re.sub(r"[()]", ",", raw.lower())):  # "(earlier one second)"
        return "kept" if (m.group(1) in _PRE) == (m.group(2) == "first") else "swapped"
    text = re.sub(r"\s*\([^()]*\)", "", raw.lower())  # "image 1 (0.5 m) is after the hail"
    if m := FROM_TO.search(text):
        return "kept" if (m.group(1) or m.group(2)) in _FIRST else "swapped"
    if m := PLACE_DATED.search(text):
        first, early = (m.group(1) or m.group(2) or m.group(3)) in _FIRST, m.group(4) in _EARLY
        return "kept" if first == early else "swapped"
    if m := DATED_AS_ROLE.search(text):
        first, before = (m.group(1) in _EARLY) == second_later, m.group(2) in _BEFORE
        return "kept" if first == before else "swapped"
    for m in AS_ROLE.finditer(text):
        first, before = (m.group(1) or m.group(2)) in _FIRST, m.group(3) in _BEFORE
        return "kept" if first == before else "swapped"
    for m in ROLE_IS.finditer(text):
        first = (m.group(2) or m.group(3) or m.group(5) or m.group(6)) in _FIRST
        before = (m.group(1) or m.group(4)) in _BEFORE
        return "kept" if first == before else "swapped"
    for m in ROLE_TAIL.finditer(text):
        first, before = (m.group(1) or m.group(2)) in _FIRST, m.group(3) in _BEFORE
        return "kept" if first == before else "swapped"
    return None
