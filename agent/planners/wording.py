"""Wordings of learners and translations, read as the words the slot readers know.

Analysts write in a second language: "NDVI more big than 0.3", "NBR inferior to -0.1", "bigger
of 200 m^2", "the area in qm", "the pixel is of 10 cm", "the picture has 50 cm of resolution",
"the medium surface of the buildings", "the photo of before and the photo of after"; or name a
step by its plan reference ("segment the boxes of $s1"). Each such wording is rewritten to the
usual one ("above 0.3", "below -0.1", "m2", "the pixel is 10 cm", "resolution 50 cm", "the mean
area", "the before photo", "step 1") in the lower-case text, before any slot is read.
"""

from __future__ import annotations

import re

_NUMBER_AHEAD = r"(?=\s*-?\.?\d)"
_NO_UNIT = (r"\s*-?\d*\.?\d+(?!\d|\s*(?:%|percent|m\b|m2|km|ha\b|hect|acre|sq|square|met|cm|ft|"
            r"feet|db\b))")
"""A number with no unit after it: an index value ("bigger than 0.3"; "bigger than 200 m2"
stays, the area readers know it)."""
_OF_OBJECTS = (r"(?!\s+(?:water|temperature|reflectance|elevation|runoff|roughness|moisture|soil|"
               r"height|level|albedo|radiance)\b)")
"""Not a surface property ("the mean surface temperature", "the average surface water")."""
_REWRITES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (("more ", "superior", "major", "bigger", "higher ", "greater "),
     re.compile(r"\b(?:(?:more big|more high|more large|superior|major)\s+(?:than|of|to|as)|"
                r"(?:bigger|higher|greater)\s+(?:of|to|as)|bigger than(?=" + _NO_UNIT + r"))"
                + _NUMBER_AHEAD), "above"),
    (("more ", "inferior", "minor", "smaller ", "lower "),
     re.compile(r"\b(?:(?:more small|more low|inferior|minor)\s+(?:than|of|to|as)|(?:smaller|"
                r"lower)\s+(?:of|to|as))" + _NUMBER_AHEAD), "below"),
    (("over of", "above of"), re.compile(r"\b(?:over|above) of" + _NUMBER_AHEAD), "above"),
    (("of minimum",), re.compile(r"\bof minimum" + _NUMBER_AHEAD), "of at least"),
    (("qm", "mq", "quadrat", "metri ", "metros ", "carres", "m^2"),
     re.compile(r"(?<=\d)\s*(?:qm|mq|quadratmeters?|quadratmetern|metri quadri|metros "
                r"cuadrados|metres carres|m\^2)\b"), " m2"),
    (("qm", "mq", "quadrat"), re.compile(r"\b(?:qm|mq|quadratmeters?|quadratmetern)\b"), "m2"),
    (("qkm", "km^2"), re.compile(r"(?<=\d)\s*(?:qkm|km\^2)\b"), " km2"),
    (("qkm",), re.compile(r"\bqkm\b"), "km2"),
    (("is of", "are of", "was of"),
     re.compile(r"\b(pixels?|gsd|resolution|pixel size) (is|are|was) of" + _NUMBER_AHEAD),
     r"\1 \2"),
    (("of resolution", "of pixel", "of gsd"),
     re.compile(r"\b(?:has|have|with|of)\s+(\d+(?:\.\d+)?\s*(?:cm|m|mm))\s+of\s+(?:resolution|"
                r"pixel size|gsd)\b"), r"with resolution \1"),
    (("medium ",), re.compile(r"\bmedium (?:surface|area|dimension)s?\b(?=\s+of\b|\s*[?.]|$)"),
     "mean area"),
    (("surface", "dimension"),
     re.compile(r"\b(average|mean) (surface|dimension)s?\b" + _OF_OBJECTS), r"\1 area"),
    (("$s",), re.compile(r"\$s(\d{1,2})\b"), r"step \1"),
    (("of before", "of after"),
     re.compile(r"\b(image|photo|picture|scene)s? of (before|after)\b(?!\s+(?:the|a|an|it)\b)"),
     r"\2 \1"),
)
"""(words, pattern, replacement): applied in order, each only where one of its words occurs."""
_ANY = re.compile("|".join(re.escape(w) for words, _, _ in _REWRITES for w in words))
"""Any word of any rewrite: a text without one is left as it is at once."""


def read_wording(text: str) -> str:
    """``text`` (lower case) with each learner's or translated wording read as the usual one
    (see the module docstring)."""
    if not _ANY.search(text):
        return text
    for words, pattern, replacement in _REWRITES:
        if any(word in text for word in words):
            text = pattern.sub(replacement, text)
    return text
    for pattern, words in _REWRITES:
        text = pattern.sub(words, text)
    return text
