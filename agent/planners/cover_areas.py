"""The area of a land cover asked in words: "how has the forest area changed", "the tree canopy
area in hectares", "how many hectares of forest are there", "how much of the plot is covered by
mangrove canopy", "how much of the field is bare ground", "how many hectares of the estate are
under oil palm". The cover is outlined by name and its area measured (an index without a
threshold gives a mean, not an area).
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.vocab import canonical_class, singular

_COVER_AREA = re.compile(
    r"\b(?P<a>forest(?:ed)?|tree canopy|canopy|tree cover|vegetation|vegetated|cropland|"
    r"green cover)(?: land)? (?:area|cover(?:age)? area|extent)\b|"
    r"\b(?:area|extent) (?:of|under|covered by) (?:the )?(?P<b>forest|tree canopy|canopy|"
    r"vegetation|cropland)\b|\b(?P<c>forest|tree canopy|vegetation) cover(?:age)? (?:is |has "
    r"been |was )?(?:shrink\w*|grow\w*|declin\w*|increas\w*|decreas\w*|going (?:up|down))|"
    r"\bhow (?:many|much) (?:hectares|ha|acres|square \w+|sq \w+|km2|m2)(?: of)? (?:the )?"
    r"(?P<d>forest|cropland)\b")
_COVER_CLASS = {"forested": "forest", "tree canopy": "tree", "canopy": "tree",
                "tree cover": "tree", "vegetated": "vegetation", "green cover": "vegetation"}
COVER_CLASSES = frozenset(("forest", "tree", "vegetation", "cropland"))
"""The land covers whose area :func:`area_by_class` outlines (an index mask answers them too)."""
_NOT_COVER_AREA = re.compile(r"\b(?:deforest\w*|clear(?:ed|ing)|loss|lost|gain\w*|non[\s-]forest|"
                             r"differentiat\w*|classif\w*|pixels?)\b")
"""Loss and gain (a change), a classification into forest and non-forest, or pixel counts:
read by their own rules."""
_COVERED_SHARE = re.compile(
    r"\b(?:how much|what (?:share|fraction|percentage|proportion|part)|how many (?:hectares|ha|"
    r"acres|square \w+|km2|m2))\s+of\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:is|are)\s+(?:now\s+|"
    r"still\s+)?(?:(?:covered|taken up|occupied)\s+(?:by|with|in)|planted (?:with|to)|under)\s+"
    r"(?:the\s+)?(?P<n>[a-z]+(?: (?!"
    r"(?:in|on|at|and|or|by|of|now|today|this|these)\b)[a-z]+)?)\b")
"""The share of a place covered by a land cover ("how much of the plot is covered by mangrove
canopy"): the cover outlined and its area measured."""
_IS_COVER = re.compile(
    r"\b(?:how much|what (?:share|fraction|percentage|proportion|part)|how many (?:hectares|ha|"
    r"acres|square \w+|km2|m2))\s+of\s+(?:the |that |this |it\b)?(?:[\w-]+\s+){0,4}?(?:is|are)\s+"
    r"(?:now\s+|still\s+)?(?P<n>bare(?:,? [a-z]+)? (?:soil|ground|earth|land)|"
    r"mangroves?(?: forest)?|seagrass|reed ?beds?|scrub)\b")
"""A place that "is" a land cover ("how much of the field is bare, poached ground", "how many
km2 of it is mangrove forest"): that cover outlined and measured."""
_BARE = re.compile(r"^bare(?:,? [a-z]+)? (?:soil|ground|earth|land)$")
_COUNTED = re.compile(r"\b(?:how many|count|number of)\s+(?!(?:hectares|ha|acres?|square|km2|"
                      r"m2|percent)\b)")
"""Objects counted beside the area they cover (not "how many hectares")."""
_OWN_TOOL = frozenset(("water", "snow", "ice", "clouds", "cloud", "shadow", "shadows", "flood",
                       "floodwater", "it", "them"))
"""Covers with a tool or index of their own (water, snow), or no noun."""
_CUT = re.compile(r"(?:above|over|below|under|greater than|less than|>|<)\s*-?\d*\.\d")


def area_by_class(a: Analysis, text: str, topic: str | None, pair_change: bool) -> str | None:
    """The index a vegetation topic implies, unless the request asks the area of a land cover
    without an index or a threshold ("how has the forest area changed", "the tree canopy area
    in hectares") or the share of a place a cover takes ("how much of the plot is covered by
    mangrove canopy", any cover without a tool of its own): that class is outlined and its area
    measured (an index without a threshold gives a mean, not an area), and no index is left."""
    covered = _COVERED_SHARE.search(text) or _IS_COVER.search(text)
    noun = re.sub(r"(?<=\w) (?:canopy|cover|forest)$", "", covered.group("n")) if covered else ""
    noun = "bare ground" if _BARE.match(noun) and not noun.endswith("soil") else noun
    own = bool(a.classes) and {canonical_class(c) for c in a.classes} == {
        canonical_class(noun.split()[-1] if noun else "")}  # "under oil palm" of the palms
    if covered and noun not in _OWN_TOOL and not (
            (a.classes and not own) or a.water or a.indices or pair_change or a.metadata
            or _CUT.search(text)):
        counted = own and _COUNTED.search(text) is not None
        if counted:  # "... under oil palm, and how many palms are there": counted as well
            a.counted = list(a.classes)
        a.segment, a.object_area, a.vqa = True, True, False  # "how much of the plot is covered
        a.detect = False  # by mangrove canopy": outlined
        a.classes = [_COVER_CLASS.get(noun, singular(noun))]
        return None
    m = _COVER_AREA.search(text)
    if topic != "NDVI" or a.classes or pair_change or a.vqa or a.metadata or m is None or \
            _CUT.search(text) or _NOT_COVER_AREA.search(text):
        return topic
    word = m.group("a") or m.group("b") or m.group("c") or m.group("d")
    a.segment, a.object_area, a.classes = True, True, [_COVER_CLASS.get(word, word)]
    return None
