"""Water features asked as objects, not as open water to map.

* Ponds and lagoons named by their use ("the evaporation ponds", "how many shrimp ponds", "the
  manure lagoons"): counted or outlined by that name.
* The length of a watercourse ("the total length of the canals", "how long is the river
  channel"): the channel outlined by name and its length measured, not the water surface.

A water word in the request ("the water in the fish ponds", "which ponds dried up", "how many
km of the river still have water", NDWI) keeps the water map; so do a change over two dates and
a series (the water of the ponds then).
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.object_nouns import counted_nouns
from agent.planners.vocab import Vocabulary, singular

_USE_POND = re.compile(
    r"\b(evaporation|shrimp|fish|crystalli[sz]er|manure|slurry|aquaculture|tailings|salt|farm|"
    r"irrigation|retention|stormwater|detention|settling|brine)\s+(pond|lagoon|basin)s?\b")
_COURSE = (r"(canal|channel|river|creek|stream|drain|ditch)(?:e?s)?\b(?! (?:levee|bank|bed|bridge|"
           r"gap|breach|dam|crossing|mouth)s?\b)")
_NOT_TIME = r"\b(?! (?:ago|has|have|had|did|does|do|will|would|until|before|after|since|for)\b)"
_WATERCOURSE = re.compile(
    rf"\b(?:length|long){_NOT_TIME}[^.?!;]{{0,30}}?\b(?:[\w-]+ ){{0,3}}?{_COURSE}|\b{_COURSE}"
    rf"[^.?!;]{{0,60}}\b(?:length|long){_NOT_TIME}")
"""A watercourse whose length is asked ("the total length of the canals", "how long is the
river channel", "how long the intake canals are"; not "how long is the breach gap" of a river
levee)."""
_WATER_SAID = re.compile(
    r"\b(?:water|flood\w*|inundat\w*|wet|dry|dried|drained|filled|full|empty|level|turbid\w*|"
    r"algae|algal|blooms?|ndwi|mndwi|waterline|shoreline|ice)\b")
_OPEN = re.compile(r"^open ")
"""An "open well" is a well."""
_FIND = re.compile(r"\b(?:how many|count\w*|number of|find|detect|locate|spot|identify|box\w*)\b")
_OUTLINE = re.compile(r"\b(?:outline\w*|segment\w*|delineat\w*|digiti[sz]\w*|trace|map|area|"
                      r"areas|size|sizes|footprints?|extent|hectares?|m2|km2|acres?|square)\b")


def read(a: Analysis, t: str, n_scenes: int, vocab: Vocabulary) -> None:
    """Turn the water map of a pond named by its use, or of a watercourse whose length is
    asked, into that object class (``a`` changed in place; ``t`` the request's asks); other
    objects counted with the ponds ("open wells and farm ponds") stay counted."""
    if a.change or a.trend or a.indices or n_scenes > 1 or _WATER_SAID.search(t):
        return
    pond = _USE_POND.search(t)
    if a.water and pond is not None and all(c == pond.group(0) for c in a.classes):
        use = "crystallizer" if pond.group(1).startswith("crystalli") else pond.group(1)
        named = f"{use} {pond.group(2)}"
        a.detect = _FIND.search(t) is not None
        counted = [_OPEN.sub("", n) for n in counted_nouns(t, vocab)] if a.detect else []
        a.water, a.classes = False, [n for n in counted if n not in named and not n.endswith(
            pond.group(2))] + [named]  # (not "tailing" of "tailings pond")
        a.segment = not a.detect or _OUTLINE.search(t) is not None
        return
    course = _WATERCOURSE.search(t)
    if course is not None and a.statistic in (None, "length") and not (
            a.classes or a.counting) and (a.water or not (a.detect or a.segment or a.biomass)):
        a.water, a.detect, a.segment = False, False, True  # "the total length of the canals"
        a.statistic = "length"
        a.classes = [singular(course.group(1) or course.group(2))]
