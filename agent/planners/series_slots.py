"""Slots of a dated series: which statistic of each date a trend follows, and whether the dates'
figures are compared ("which date had the smallest flooded area")."""

from __future__ import annotations

import re

OF_DATES = re.compile(r"\b(?:which|what) (?:date|day|month|year|image|scene|acquisition|season|"
                      r"snapshot|time)s? (?:had|has|have|shows?|showed|saw|sees|with)\b[^.?!;]"
                      r"{0,15}\b(?:largest|biggest|smallest|widest)\b|\b(?:when|on (?:which|what) "
                      r"(?:date|day)|in (?:which|what) (?:month|year|season|image|scene|date))\s+"
                      r"(?:was|were|is|did)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:area|extent|"
                      r"surface|coverage)\s+(?:at its\s+|the\s+)?(?:largest|biggest|smallest|"
                      r"widest|greatest)\b")
"""The dates' figures compared ("which date had the smallest flooded area", "when was the
flooded area largest"): no per-object statistic."""
_PER_DATE_EXTREME = re.compile(
    r"\b(maximum|max|peak|highest|minimum|min|lowest)\b(?!\s+(?:mean|average|median)\b)"
    r"(?=[^.?!;]{0,40}\b(?:per|each|every)\b)")


def series_statistic(t: str) -> str | None:
    """The per-date value a trend follows when an extreme is asked of each date ("the maximum
    NDVI of each period" -> "max"); None for an extreme over the dates ("the peak NDVI reached
    across the season", "the lowest mean NDVI": the dates' means)."""
    extreme = _PER_DATE_EXTREME.search(t)
    if extreme is None:
        return None
    return "min" if extreme.group(1) in ("minimum", "min", "lowest") else "max"
