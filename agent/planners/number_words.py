"""Numbers written in words, read as digits before the slots read a request: "twenty square
metres", "zero point three", "half a metre", "a quarter of a hectare", "greater than one tenth",
"larger than a hectare"; and a count word ("five") as an integer."""

from __future__ import annotations

import re

from agent.planners.vocab import Vocabulary

_UNIT_WORD = (r"(?=[\s-]*(?:square|sq\b|sq\.|m2|m\b|km|ha\b|hectares?|acres?|ac\b|met(?:er|re)s?|"
              r"kilomet(?:er|re)s?|feet|foot|ft\b|inch(?:es)?\b|percent|per cent|%))")


def numerals(text: str, vocab: Vocabulary) -> str:
    """Number words before a unit as digits ("twenty square metres" -> "20 square metres",
    "one acre" -> "1 acre"), decimals and fractions as thresholds ("zero point three", "greater
    than one tenth") and a single area unit as a bound ("larger than a hectare"), so size
    filters and thresholds read them."""
    words = "|".join(sorted((w for w in vocab.numbers if " " not in w), key=len, reverse=True))
    pattern = re.compile(rf"\b(?:an?\s+)?({words})\b{_UNIT_WORD}")
    text = re.sub(r"\b(above|below|over|under|than|exceeds?|exceeding|exceeded|at|of|to|threshold|"
                  r"cut[\s-]?off)\s+zero\b(?!\s+point)",
                  lambda m: m.group(1) + " 0".ljust(len(m.group(0)) - len(m.group(1))), text)
    text = _DECIMAL.sub(lambda m: f"{m.group(1) + ' ' if m.group(1) else ''}0." + "".join(
        str(vocab.numbers.get(d, 0)) for d in (m.group(2), m.group(3)) if d), text)  # zero: 0
    text = _HALF.sub(lambda m: f"{m.group(1) or m.group(3) or ''}"
                           f"{_FRACTIONS[m.group(2) or m.group(4)]}", text)
    text = _ONE_UNIT.sub(r"\1 1", text)  # "at least a hectare"
    text = _PART.sub(lambda m: f"{m.group(1)} {_PARTS[m.group(2)]}", text)  # "above one tenth"
    return pattern.sub(lambda m: str(vocab.numbers[m.group(1)]), text)


_PARTS = {"tenth": "0.1", "fifth": "0.2", "quarter": "0.25"}
_PART = re.compile(r"\b(above|below|over|under|than|exceeds?|exceeding|at|of|to)\s+(?:one|a)\s+"
                   r"(tenth|fifth|quarter)\b(?!\s+of\b)")
"""A fraction in words as a threshold ("MNDWI greater than one tenth")."""
_ONE_UNIT = re.compile(r"\b(than|least)\s+an?\b(?=\s+(?:hectare|acre|square|sq\b|km2))")
"""A single area unit as a bound ("larger than a hectare", "at least a square kilometre")."""


_DIGIT = "zero|one|two|three|four|five|six|seven|eight|nine"
_DECIMAL = re.compile(rf"\b(?:zero|nought|naught|(above|below|over|under|than|exceeds?|exceeding|"
                      rf"of|is|at) )\s*point ({_DIGIT})(?: ({_DIGIT}))?\b")
"""A decimal in words ("zero point three" -> 0.3, "above point two five" -> above 0.25)."""
_FRACTIONS = {"half": "0.5", "quarter": "0.25"}
_HALF = re.compile(r"\b((?:above|below|over|under|than|exceeds?|exceeding|of|at) )?(?:an?\s+)?"
                   r"(half|quarter)(?:\s+of)?(?:\s+an?)?\b(?=[\s-]*(?:met(?:er|re)s?\b|m\b|"
                   r"hectares?|ha\b|acres?|kilomet|km\b|feet|foot|ft\b))|"
                   r"\b((?:above|below|over|under|than|exceeds?|exceeding) )(?:an?\s+)?(half)\b"
                   r"(?=\s*(?:[.,;?!]|$|(?:counts?|is|as|and)\b))")
"""A half or a quarter before a unit ("half a metre", "a quarter of a hectare") or as a
threshold ("NDVI higher than a half")."""


def word_number(token: str, vocab: Vocabulary) -> int | None:
    """``"5"`` or ``"five"`` -> 5."""
    if token.isdigit():
        return int(token)
    return vocab.numbers.get(token)
