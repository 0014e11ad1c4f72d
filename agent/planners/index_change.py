"""How a request over two dates asks for an index's change: "where NDVI dropped by more than
0.3", "rose by more than 0.2", "vegetation loss greater than 0.2", "where did NDVI drop" - the
index of the later scene against the earlier one (``spectral_index`` with ``before``), with the
size as its threshold and a rise or a drop."""

from __future__ import annotations

import re

from agent.planners import ask
from agent.planners.analysis import Analysis
from agent.planners.slots import NUM

_INDICES = r"(?:ndvi|ndwi|mndwi|evi|savi|ndmi|ndbi|gndvi|ndre)"
"""Indices whose change over a pair is asked in words (NBR is dNBR, read by its own rules)."""
_INDEX_MOVED_BY = re.compile(
    r"\b(?:(dropped|fell|decreased|declined|dropping|falling|decreasing|declining|drops?|falls?|"
    r"decreases?|declines?|lost|loses?|losing|went down|goes down|go down)|increased|rose|risen|"
    r"increasing|rising|increases?|rises?|grew|grown|gained|gains?|gaining|went up|goes up|go up)"
    r"\s+(?:by\s+(?:more than|over|at least|above|greater than|>)?|(?:more than|over|at least|"
    r"greater than|>))\s*" + NUM + r"(?!\d|\.\d)(?!\s*(?:%|percent|m\b|km|ha\b|db\b))")


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


_SELECTS = re.compile(r"\b(?:more than|over|at least|greater than|exceeding)\s*-?\d*\.?\d|"
                     r">\s*-?\.?\d")
"""A change that selects pixels by its size ("fell by more than 0.25"), not one reported ("NDVI
decreased by 0.1 on average")."""


def moved_by(text: str, differences: bool = True) -> tuple[float | None, bool] | None:
    """The size of an index change asked for and whether it is a rise: "where NDVI dropped by
    more than 0.3" -> (0.3, False), "rose by more than 0.2" -> (0.2, True), "vegetation loss
    greater than 0.2" -> (0.2, False), "where did NDVI drop", "the NDVI difference" -> (None,
    False); ``differences``: also an index difference named as such (not when the request maps
    where the scenes changed: "the NDVI difference ... to see where vegetation changed")."""
    m = _INDEX_MOVED_BY.search(text) or _INDEX_MOVE_OF.search(text)
    if m is not None and (float(m.group(2)) > 2.5 or (float(m.group(2)) > 1 and re.search(
            r"\bat\s*[-.\d]+$", m.group(0)))):
        m = None  # "the NDVI drop at 2023 relative to 2019", "loss at 5 sites": no size
    if m is None:
        moved = _INDEX_MOVED.search(text)
        return (None, moved.group(1) is None) if moved else (
            (None, False) if differences and _INDEX_DIFFERENCE.search(text) else None)
    return float(m.group(2)), m.group(1) is None


_METHOD = re.compile(rf"\b(?:pixels?|areas?|where|flag\w*|mask\w*|cells?|places?|maps?|mapped|"
                     rf"mapping|selected|classified|defined)\b|=\s*{_INDICES}")
"""A statement of the method that selects pixels by an index's change ("pixels where NDVI fell
by more than 0.25 are flagged", "deforested = NDVI decrease greater than 0.2")."""
_REPORT = re.compile(r"\b(?:report\w*|according|says?|said|average\w*|in (?:19|20)\d\d|last "
                     r"(?:year|season|month))\b")
"""A change reported, not a method ("NDVI dropped more than 0.3 in 2019 according to the
report")."""


def read(a: Analysis, t: str, n_scenes: int) -> None:
    """Read an index's change over a pair into ``a`` ("where NDVI dropped by more than 0.3":
    the index of the later scene against the earlier, at 0.3; "where NBR decreased by more
    than 0.44": dNBR at 0.44). A method told as a statement counts when it selects pixels by
    the size ("pixels where NDVI fell by more than 0.25 are flagged"), not a change reported
    ("NDVI decreased by 0.1 on average, says the report"); NBR beside another index is computed
    per scene."""
    if not (n_scenes in (0, 2) and a.indices and "dNBR" not in a.indices) or (
            "NBR" in a.indices and len(set(a.indices)) > 1):
        return
    moved = moved_by(ask.blank(t, ask.statement_spans(t)), not a.change_map) or next((
        found for a_, b_ in ask.statement_spans(t) if _METHOD.search(t, a_, b_) and not (
            _REPORT.search(t, a_, b_)) and _SELECTS.search(t, a_, b_)
        for found in [moved_by(t[a_:b_], False)] if found is not None), None)
    if moved is None:
        return
    if a.indices[0] == "NBR":
        if not moved[1] and moved[0] is not None:  # dNBR with that threshold
            a.indices, a.change, a.threshold, a.below = ["dNBR"], False, moved[0], False
        return
    a.index_change, a.change, a.indices = "rise" if moved[1] else "drop", False, a.indices[:1]
    a.change_target = None  # (the index's change is the target, not the forest)
    if moved[0] is not None:
        a.threshold, a.below = moved[0], False
