"""The noun that graded labels share: "low, medium or high congestion" -> every grade with
"congestion"; "good, fair or poor condition" -> the grades alone; a catch-all last label
("something else") by its usual name, "other"."""

from __future__ import annotations

_GRADES = frozenset((
    "low", "medium", "moderate", "high", "light", "heavy", "minor", "major", "severe", "mild",
    "healthy", "unhealthy", "stressed", "dense", "sparse", "young", "old", "thin", "thick",
    "small", "large", "full", "empty", "partial", "complete", "new", "intact", "damaged"))
"""Adjectives that grade one thing: "low, medium or high congestion" shares "congestion"."""


_OTHER = {"something else": "other", "anything else": "other", "none of these": "other",
          "none of them": "other", "none of those": "other"}
"""A catch-all last label, by its usual name."""
_STATE_HEADS = frozenset(("condition", "state", "quality", "status", "shape", "health"))
"""Nouns after graded labels that name the scale, not a thing ("poor condition")."""


def _grade(word: str) -> bool:
    return word in _GRADES or (word.endswith("ed") and len(word) > 4)  # "diseased", "flooded"


def shared_head(labels: list[str], last: bool = True) -> list[str]:
    """Grades of one thing given their noun once ("low, medium or high congestion"; "healthy
    oil palms and which are unhealthy" when not ``last``) -> the noun on every grade. In a
    list only the last item shares its noun ("no damage, minor, major" keeps its grades)."""
    labels = [_OTHER.get(lab, lab) for lab in labels]
    headed = [lab.split() for lab in labels if len(lab.split()) >= 2]
    if len(headed) == 1 and len(headed[0]) == 2 and headed[0][1] in _STATE_HEADS and \
            labels[-1] == " ".join(headed[0]):  # "good, fair or poor condition": the grades
        return [*labels[:-1], headed[0][0]]
    if len(headed) != 1 or not _grade(headed[0][0]) or _grade(headed[0][1]) or (
            last and len(labels[-1].split()) < 2):
        return labels
    bare = [lab for lab in labels if " " not in lab]
    if len(bare) != len(labels) - 1 or not all(_grade(lab) for lab in bare):
        return labels
    head = " ".join(headed[0][1:])
    return [lab if " " in lab else f"{lab} {head}" for lab in labels]
