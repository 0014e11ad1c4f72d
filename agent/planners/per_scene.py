"""Figures asked of each scene of a set, not of a change between them: "compare the total
building area in both chips", "which image has more buildings?" (a count per image, no change
map); a land use compared between images ("which image is more urban?") is a label per image.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.topics import names_scene_label
from agent.planners.vocab import Vocabulary

PER_SCENE = re.compile(r"\b(?:in|on|for|of) (?:each|both)(?: of the)?(?: two)? (?:images|scenes|"
                       r"chips|tiles|photos|frames|dates)\b|"
                       r"\bper (?:image|scene|chip|tile|photo|frame)\b|"
                       r"\bcompar\w*\b[^.?!;]{0,30}\b(?:counts|numbers|totals)\b|\bcounts? "
                       r"between\b|\bwhich (?:of (?:the|these|those) (?:two |three )?)?(?:images?|"
                       r"scenes?|ones?|dates?|photos?|chips?|tiles?)\b[^.?!;]{0,30}\b(?:more|fewer|"
                       r"most|fewest)\b")
"""Figures asked of each scene of a pair ("compare the total building area in both chips",
"compare the vessel counts between the two dates", "which image has more buildings?"): two
figures, no change map, unless a change is said in words."""
CHANGE_WORDS = re.compile(r"\b(?:chang\w*|differen\w*|lost|loss|gain\w*|new|gone|destr\w*|"
                          r"demoli\w*|damag\w*|appear(?:ed|s)?|disappear\w*|removed|built(?!-))\b")
"""Words that say a change ("where buildings were destroyed"): a change map is asked."""


def asks_figures(t: str, vocab: Vocabulary) -> bool:
    """Whether a request over a set asks a figure of each scene ("which image has more
    buildings?"), not a land use compared between them ("which image is more urban?", "which
    tile shows more farmland?": a label per image)."""
    return PER_SCENE.search(t) is not None and not any(
        names_scene_label(m.group(1), vocab) for m in _MORE_WORD.finditer(t))


_MORE_WORD = re.compile(r"\b(?:more|most|less|least)\s+([a-z]+(?: [a-z]+)?)")


def figures_per_scene(a: Analysis, t: str) -> bool:
    """Whether a pair request asks a figure of each scene and no change ("compare the total
    building area in both chips"): no change map, neither read by the rules nor added by the
    learned review; a change said in words or a change target keeps it."""
    return not (a.change_target or a.change_event or a.change_threshold is not None) and (
        PER_SCENE.search(t) is not None and not CHANGE_WORDS.search(t))
