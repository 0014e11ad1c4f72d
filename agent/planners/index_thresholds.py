"""The thresholds an index request states: the first index's ("NDVI above 0.3", "use 0.3", a
class defined by a value) and those said per index in one request ("MNDWI with threshold 0.05,
then NDVI with threshold 0.3", "NDVI above 0.3 and NDBI above 0 on this scene"): each later index
with a comparison of its own, between its name and the next index's, gets that value (not the
first one's, and not none)."""

from __future__ import annotations

import re

from agent.planners import ask
from agent.planners.analysis import Analysis
from agent.planners.slots import Span, find_threshold

_MEAN_ONLY = re.compile(r"\b(?:report|give|compute|calculate|what is|tell me)\b[^.?!;]{0,30}\b"
                        r"(?:mean|average|its mean|the mean)\b(?![^.?!;]{0,30}\b(?:area|above|"
                        r"below|mask|map|share|percent|fraction|pixels)\b)")
"""An ask for an index's mean only: a typical value said beside it is no threshold."""
_AMOUNT_ASKED = re.compile(r"\b(?:how much|how many|count|share|percent\w*|fraction|extent|area|"
                           r"patch\w*|mask|map|show|highlight|where)\b")
"""A second amount asked beside the mean ("... and tell me how much is stressed")."""
_LIMIT = {"EVI": 2.5, "dNBR": 2.0}
"""Indices whose values reach past 1 (a threshold up to this is theirs)."""


def read(a: Analysis, text: str, full: str, named: list[tuple[str, int]],
         used: list[Span]) -> None:
    """Set ``a.threshold``/``a.below`` for the first of the ``named`` indices (name, position in
    ``text``) and ``a.index_thresholds`` for later ones with their own. A value said to be
    typical ("dense vegetation is typically above 0.6") is no threshold unless nothing else
    is; ``full``: the request with its statements (a class defined by a value there counts);
    ``used``: spans that are no thresholds (confidences, areas, lengths)."""
    limit = _LIMIT.get(named[0][0], 1.0)
    typical = ask.typical_spans(text)
    untypical = ask.blank(text, typical)
    kept = find_threshold(untypical, named[0][1], used, limit)
    a.threshold, a.below = kept if kept[0] is not None or (typical and _MEAN_ONLY.search(
        untypical) and not _AMOUNT_ASKED.search(untypical)) else find_threshold(
        text, named[0][1], used, limit, stated=full)
    a.index_thresholds = own_thresholds(untypical, named, used, a.threshold)


def own_thresholds(text: str, named: list[tuple[str, int]], skip: list[Span],
                   first: float | str | None) -> dict[str, tuple[float, bool]]:
    """``{index: (threshold, below)}`` for the indices after the first in ``named`` whose own
    stretch of ``text`` gives a threshold, when the first index's stretch gives its own as well
    (``first``, the request's slot); empty otherwise ("NDVI and NDWI above 0.3": one threshold,
    read as before). ``skip``: spans that are no thresholds."""
    text = ask.blank(text, skip)
    head = named[0][0]
    named = sorted(named, key=lambda n: n[1])  # (each index's stretch ends at the next name)
    bounds = [at for _, at in named[1:]] + [len(text)]
    found: dict[str, tuple[float, bool]] = {}
    for i, (name, at) in enumerate(named):
        value, below = find_threshold(text[at:bounds[i]], 0, [], _LIMIT.get(name, 1.0))
        if value is not None:
            found[name] = (value, below)
    if len(found) < 2 or head not in found or found[head][0] != first:
        return {}
    return {name: cut for name, cut in found.items() if name != head}
