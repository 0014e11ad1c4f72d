"""The settings of a change map a request states: the size of a change that counts ("a
threshold of 0.08 on the difference", "changed by more than 3 dB") and the method ("with
change vector analysis", "a learned change model")."""

from __future__ import annotations

import re

from agent.planners.slots import NUM


def find_change_threshold(text: str) -> float | None:
    """A change-magnitude threshold stated for a before/after difference ("a threshold of
    0.08 on the difference", "use 0.05 on the before-minus-after values", "changed by more
    than 3 dB")."""
    if (moved := _MOVED_BY_UNIT.search(text)) is not None and float(moved.group(1)) > 0:
        return float(moved.group(1))
    if not re.search(r"\b(differen\w*|change|minus|before|after|during|pre|post)\b", text):
        return None
    m = re.search(r"\bthreshold(?:\s+(?:of|at|=|value|to|on))?\s*(?:of\s*)?:?\s*" + NUM, text) \
        or re.search(r"\buse\s+" + NUM + r"\s+(?:as the threshold|on|for the difference)\b", text) \
        or re.search(r"\bdifferences?\s+(?:larger|greater|bigger|higher|more|above|over)\s+"
                     r"(?:than\s+)?" + NUM + r"(?!\s*(?:%|percent|m\b|km|ha\b|db\b))", text)
    if m is None:
        return None
    value = float(m.group(1))
    return value if 0 < value < 100 else None


_MOVED_BY_UNIT = re.compile(
    r"\b(?:chang\w*|rise|rose|risen|increase[ds]?|gain\w*|drop\w*|fell|fall\w*|decrease[ds]?|"
    r"decline[ds]?|lost|los(?:es|ing)|went (?:up|down))\s+(?:of\s+|by\s+)?(?:more than|over|"
    r"at least|above|greater than|>=?)\s*" + NUM + r"\s*(?:db\b|decibels?|nw\b|nanowatts?)")
"""A change of backscatter or radiance by a size in its unit ("changed by more than 3 dB", "a
rise of more than 1.65 dB", "dropped by more than 200 nW/cm2/sr")."""


def change_method(text: str) -> str | None:
    """The change method asked for: "cva" ("with change vector analysis"; not "the deep
    model, not CVA"), "deep" ("a learned change model", "method=deep"), else None."""
    if re.search(r"(?<!\bnot )(?<!\bno )(?<!instead of )(?<!rather than )"
                 r"\b(change vector analysis|cva)\b", text):
        return "cva"
    if re.search(r"\b(deep|learned|neural|siamese)\b[^.?!;]{0,20}\bchange\b|\b(?:deep|learned|"
                 r"neural) (?:method|model|network)\b|\bmethod\s*[:=]?\s*(?:deep|learned)\b", text):
        return "deep"
    return None
