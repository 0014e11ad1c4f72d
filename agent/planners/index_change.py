"""How a request over two dates asks for an index's change: "where NDVI dropped by more than
0.3", "rose by more than 0.2", "vegetation loss greater than 0.2", "where did NDVI drop" - the
index of the later scene against the earlier one (``spectral_index`` with ``before``), with the
size as its threshold and a rise or a drop."""

from __future__ import annotations

import re

from agent.planners.slots import NUM

_INDICES = r"(?:ndvi|ndwi|mndwi|evi|savi|ndmi|ndbi|gndvi|ndre)"
"""Indices whose change over a pair is asked in words (NBR is dNBR, read by its own rules)."""
_INDEX_MOVED_BY = re.compile(
    r"\b(?:(dropped|fell|decreased|declined|dropping|falling|decreasing|declining|drops?|falls?|"
    r"decreases?|declines?)|increased|rose|risen|increasing|rising|increases?|rises?|grew|grown)"
    r"\s+by\s+(?:more than|over|at least|above|greater than|>)?\s*" + NUM
    + r"(?!\d|\.\d)(?!\s*(?:%|percent|m\b|km|ha\b|db\b))")


_INDEX_MOVE_OF = re.compile(
    r"\b(?:(loss|losses|decrease|decline|drop|reduction)|gain|increase|rise)\s+(?:of\s+)?(?:more "
    r"than|over|at least|above|greater than|larger than|exceeding|>=?|at)\s*" + NUM
    + r"(?!\d|\.\d)(?!\s*(?:%|percent|m\b|km|ha\b|db\b|acres?\b|pixels?\b))")
"""A change named by its noun ("vegetation loss greater than 0.2", "an NDVI increase of more
than 0.1", "threshold the NDVI drop at 0.3")."""


_INDEX_MOVED = re.compile(
    r"\b(?:where|wherever)\s+(?:did\s+|has\s+|have\s+|does\s+)?(?:the\s+)?(?:mean\s+)?"
    rf"{_INDICES}\s+(?:has\s+|have\s+|had\s+|did\s+)?"
    r"(?:(dropped|drop|fell|fall|decreased|decrease|declined|decline)|rose|rise|increased|"
    r"increase)\b(?!\s+by\b)")
"""Where an index moved, with no size ("where did NDVI drop", "places where NDVI dropped
sharply"): the index change over the pair, no threshold."""


_INDEX_DIFFERENCE = re.compile(
    rf"\b{_INDICES}\s+(?:difference|differencing|anomal(?:y|ies)|change (?:map|image|raster|layer|"
    rf"between))\b|\bdifferenc\w* (?:of |in )?(?:the )?{_INDICES}\b")
"""An index difference named as such ("the NDVI difference between 2018 and 2022", "the NDVI
anomaly of 2022 compared with 2018", "difference the NDVI of the two dates")."""


def moved_by(text: str, differences: bool = True) -> tuple[float | None, bool] | None:
    """The size of an index change asked for and whether it is a rise: "where NDVI dropped by
    more than 0.3" -> (0.3, False), "rose by more than 0.2" -> (0.2, True), "vegetation loss
    greater than 0.2" -> (0.2, False), "where did NDVI drop", "the NDVI difference" -> (None,
    False); ``differences``: also an index difference named as such (not when the request maps
    where the scenes changed: "the NDVI difference ... to see where vegetation changed")."""
    m = _INDEX_MOVED_BY.search(text) or _INDEX_MOVE_OF.search(text)
    if m is not None and float(m.group(2)) > 1:
        return None  # "the NDVI drop at 2023 relative to 2019", "loss at 5 sites": no size
    if m is None:
        moved = _INDEX_MOVED.search(text)
        return (None, moved.group(1) is None) if moved else (
            (None, False) if differences and _INDEX_DIFFERENCE.search(text) else None)
    return float(m.group(2)), m.group(1) is None
