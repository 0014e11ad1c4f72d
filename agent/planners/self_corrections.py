"""Self-corrections in a request: the later value replaces the earlier one.

Analysts type as they think: "threshold NDVI at 0.3, no make it 0.4", "count the cars - I mean
the boats", "compute NDVI... sorry, SAVI", "GSD is 0.5 m, no wait, it's 0.3 m". A correction
marker ("no,", "no wait", "sorry", "actually", "I mean", "make that", "or rather", "never mind
the bridges,") followed by a
value of one kind - a number (with its unit, or a range "2018 and 2021"), a spectral index, an
object class - replaces the last value of that kind before the marker (in its sentence or the
one before: "How many planes? Actually no, count the helicopters"); the marker and the new value
are dropped from the text, the rest of the sentence kept. The request is read as corrected and
the plan's notes say what was replaced. Units have their own rule
(:mod:`agent.planners.unit_slots`: "in acres... actually hectares"). A setting said of an
earlier run and then of this one ("last year we used NDVI above 0.4; this time use above 0.3")
is read the same way: this run's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.planners.vocab import Vocabulary

_SEP = r"(?:\s*(?:[,;:!]|\.\.\.|…|\.|\?|--?|—|–)\s*|\s+)"
_STOP = r"\s*[,.!:]?\s*"
_MARKER = re.compile(
    rf"{_SEP}(?:(?:oh\s+)?(?:no|nope)(?:\s*[,!—–-]\s*|\s+(?=wait|sorry|make|i\s+mean|use|"
    rf"actually))(?:wait{_STOP})?(?:sorry{_STOP})?(?:actually{_STOP})?|sorry{_STOP}(?:no{_STOP})?|"
    rf"wait{_STOP}(?:no{_STOP})?|actually{_STOP}(?:no{_STOP})?|(?<=[,;:.!?—–-])\s*correction:?"
    rf"\s*|scratch\s+that{_STOP}|or\s+rather{_STOP}|on\s+second\s+thoughts?{_STOP}|"
    rf"never\s*mind(?:\s+(?:about\s+)?(?:the\s+)?[a-z-]+){{0,3}}?\s*[,;.]\s*|"
    rf"(?=i\s+mean|make\s+(?:that|it)\b))"
    r"(?:(?:i\s+meant?|make\s+(?:that|it)|change\s+(?:that|it)\s+to|let'?s\s+(?:say|use|do|go\s+"
    r"with)|use|(?:it'?s|it\s+is|that'?s|that\s+is)(?:\s+actually)?)\s*[,:]?\s*)?",
    re.IGNORECASE)
"""A correction marker, from the separator before it to the value after it."""
_NUMBER = r"-?\d+(?:\.\d+)?"
_UNIT = (r"(?:\s*(?:m²|m2|km²|km2|sq\.?\s*m|square\s+met(?:er|re)s?|m\b|met(?:er|re)s?\b|cm\b|"
         r"db\b|%|percent\b|ha\b|hectares?\b))?")
_VALUE = re.compile(rf"(?:to\s+|at\s+|of\s+|above\s+|below\s+|over\s+|under\s+|[<>]=?\s*)?"
                    rf"({_NUMBER}{_UNIT}(?:\s*(?:and|to|-|–)\s*{_NUMBER}{_UNIT})?)(?!\w|\.\d)",
                    re.IGNORECASE)
_BARE = re.compile(rf"{_NUMBER}(?:\s*(?:and|to|-|–)\s*{_NUMBER})?")
_VERB = re.compile(r"(?:(?:count|detect|find|segment|outline|map|show|locate|get|give\s+me|do)"
                   r"\s+)?(?:the\s+|all\s+|only\s+)?", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"\s+(?!(?:m2|km2|ha|m|db|and|then|instead|please|for|in|on|as)\b)"
                         r"[a-z]{3,}")
"""A word after a number that makes it a count or another setting ("3 planes", "0.3
confidence"), not the corrected value."""
_ADDED = re.compile(r"\s*,?\s*(?:too|as well|also)\b")
"""A term after "actually" that adds to what came before ("actually the EVI too")."""
_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")


_WORDS = ("no", "sorry", "wait", "actually", "mean", "make", "scratch", "rather", "second",
          "correction", "never", "this time", "now", "instead", "this run", "this one")
"""Words a marker needs: a request without any is left as it is (fast path)."""


@dataclass
class Correction:
    """One value replaced: ``old`` as written, ``new`` as written."""

    old: str
    new: str


def read_corrections(raw: str, vocab: Vocabulary) -> tuple[str, list[Correction]]:
    """``raw`` with each self-correction applied (see the module docstring), and the
    corrections made (none: ``raw`` unchanged)."""
    low = raw.lower()
    if len(low) != len(raw) or not any(word in low for word in _WORDS):
        return raw, []
    text, done = raw, []
    for _ in range(4):  # a few corrections at most in one request
        found = _first(text, vocab) or _this_time(text)
        if found is None:
            break
        text, correction = found
        done.append(correction)
    return text, done


_PAST = re.compile(r"\b(?:last|previous|previously|earlier|used|former|prior|ago)\b")
_SETTING_BEFORE = re.compile(r"(?:above|below|over|under|least|most|[<>]=?|threshold|cut-?off|"
                             r"confidence|of|at)\s*$")
_THIS_TIME = re.compile(r"\b(?:this\s+time|now|this\s+run|for\s+this\s+one|instead)\b"
                        r"(?P<gap>[^.;?!]{0,40}?\b(?:above|below|over|under|at\s+least|at\s+most|of|"
                        r"at|to)\s+)", re.IGNORECASE)


def _this_time(text: str) -> tuple[str, Correction] | None:
    """A setting said of an earlier run and then of this one ("last year we used NDVI above
    0.4; this time use above 0.3", "the previous run used a confidence of 0.25; now count the
    ships with at least 0.5"): the earlier value is read as this one."""
    low = text.lower()
    for marker in _THIS_TIME.finditer(low):
        new = _VALUE.match(low, marker.end())
        window = _window(low, marker.start())
        if new is None or not _PAST.search(low, window, marker.start()):
            continue
        old = [m for m in _VALUE.finditer(low, window, marker.start())
               if _kind(m.group(1)) == _kind(new.group(1)) and m.group(1) != new.group(1)
               and _SETTING_BEFORE.search(low, window, m.start(1))
               and not re.fullmatch(r"(?:19|20)\d\d", m.group(1))]  # (not "we counted 40
        # ships", not a year: a setting only)
        if old:
            o = old[-1]
            value = text[new.start(1):new.end(1)]
            return (text[:o.start(1)] + value + text[o.end(1):],
                    Correction(old=text[o.start(1):o.end(1)], new=value))
    return None


def _first(text: str, vocab: Vocabulary) -> tuple[str, Correction] | None:
    low = text.lower()
    for marker in _MARKER.finditer(low):
        start, end = marker.start(), marker.end()
        if start == 0:
            continue
        stop = re.match(r"\s*[.?!]", low[start:end])  # "How many planes? Actually no, ...":
        cut = start + stop.end() if stop else start  # the question mark stays
        window = _window(low, start)
        new = _VALUE.match(low, end)
        if new and _NOUN_AFTER.match(low, new.end()):
            new = None  # "sorry, 3 planes were missed", "actually use 0.3 confidence": no value
            # of the setting before
        if new and re.search(r"\d", low[window:start]):
            old = [m for m in _VALUE.finditer(low, window, start)
                   if _kind(m.group(1)) == _kind(new.group(1)) or _kind(new.group(1)) == ""]
            if old:
                o = old[-1]
                value = text[new.start(1):new.end(1)]
                if _kind(new.group(1)) == "" and _kind(o.group(1)):  # "50 m2, sorry, 80":
                    bare = _BARE.match(o.group(1))  # 80 m2
                    value += o.group(1)[bare.end() if bare else 0:]
                return _replace(text, o.start(1), o.end(1), value, cut, new.end())
        verb = _VERB.match(low, end)
        after = verb.end() if verb else end
        for pattern in (vocab.index_pattern, vocab.class_pattern):
            new_term = pattern.match(low, after)
            if new_term is None:
                continue
            olds = [m for m in pattern.finditer(low, window, start)]
            if _ADDED.match(low, new_term.end()):
                continue  # "compute NDVI, actually the EVI too": one more, no correction
            if olds and olds[-1].group(0) != new_term.group(0):
                o = olds[-1]
                return _replace(text, o.start(), o.end(), text[new_term.start():new_term.end()],
                                cut, new_term.end())
    return None


def _kind(value: str) -> str:
    """The unit family of a written value ("" when it has none)."""
    unit = re.sub(r"[\d.\s\-–]|and|to", "", value.lower())
    if not unit:
        return ""
    if unit in ("db",):
        return "db"
    if unit in ("%", "percent"):
        return "%"
    if unit in ("ha", "hectare", "hectares") or "2" in unit or "²" in unit or "sq" in unit:
        return "area"
    return "length"


def _window(low: str, start: int) -> int:
    """Where the earlier value may be: the sentence of the marker and the one before it."""
    ends = [m.end() for m in _SENTENCE_END.finditer(low, 0, start)]
    return ends[-2] if len(ends) >= 2 else 0


def _replace(text: str, old_start: int, old_end: int, value: str, cut_start: int,
             cut_end: int) -> tuple[str, Correction]:
    old = text[old_start:old_end]
    rest = text[cut_end:]
    glue = "" if re.match(r"\s*(?:[,.;:?!]|$)", rest) else " "
    out = text[:old_start] + value + text[old_end:cut_start] + glue + rest.lstrip() \
        if glue else text[:old_start] + value + text[old_end:cut_start] + rest
    return out, Correction(old=old, new=value)
