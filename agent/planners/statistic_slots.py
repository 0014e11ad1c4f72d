"""Slot of ``measure``: the statistic a request asks of its objects or mask ("average length of
the ships" is a length, "the largest lake" a maximum, "how many km of road" a length)."""

from __future__ import annotations

import re

from agent.planners import series_slots
from agent.planners.analysis import Analysis
from agent.planners.vocab import Vocabulary


def read(a: Analysis, t: str, ruled: str, vocab: Vocabulary) -> None:
    """Set ``a.statistic`` from the request ``t`` (``ruled``: with reported statements
    blanked, whose sizes are no asks); "the total length of the roads" also outlines them
    (``a.segment``)."""
    if re.search(r"\b(average|avg|mean|median|typical|total|combined|longest|shortest|max|maximum|"
                 r"min|minimum|largest|biggest|greatest|smallest)(?! lengths? of \d)"
                 r"( [a-z]+){0,2}? lengths?\b|\blengths? of the (longest|shortest)\b|"
                 r"\b(longest|shortest) (?!(time|period|wait|queue|route|duration|stretch of "
                 r"time)\b)[a-z]+", t) \
            and a.classes and not a.area_filter:
        a.statistic = "length"  # "average length of the ships" (> 50 m) is a length, no area
    elif series_slots.OF_DATES.search(t):
        pass  # "which date had the smallest flooded area": the dates' figures compared
    elif vocab.has("measure_max", ruled) and not re.search(
            r"\b(?:largest|biggest|highest|greatest) (?:combined |overall )?total\b", ruled):
        a.statistic = "max"  # (not "which chip has the largest total building area": totals
        # compared; nor "the largest cluster in the world covers 820 km2")
    elif vocab.has("measure_min", ruled):
        a.statistic = "min"
    elif vocab.has("measure_mean", ruled):
        a.statistic = "mean"
    elif (vocab.has("measure_length", ruled if a.has_filter else t) or re.search(
            r"(?<!\d )(?<!\d)(?<!square )\b(km|kilomet\w*|met(?:er|re)s|miles?)\s+of\s+"
            r"(it|them|(the\s+)?(new\s+)?(\w+\s+)?"
            r"(roads?|streets?|rivers?|"
            r"coast\w*|shore\w*|railways?|tracks?|canals?|dikes?|levees?|fences?))\b", t)) \
            and (a.classes or vocab.has("segment", t) or a.water) and not a.area_filter:
        a.statistic = "length"  # (a water map's: its waterline; with a filter: said in an ask)
    named = re.escape(a.classes[0]) if a.classes else ""
    if named and a.statistic == "length" and not (a.detect or a.segment or a.water) and \
            re.search(rf"\blengths? of (?:the |all |its |their )?(?:[a-z-]+ )?{named}s?\b", t):
        a.segment = True  # "the total length of the roads": outlined, then measured
