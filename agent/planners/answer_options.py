"""Answer formats of exam-style questions, read as what they ask for.

A question may end with its answer options or the form of its answer: "Which land use
dominates? A) residential B) industrial C) farmland", "What type of scene is this? 1) harbor
2) airport 3) forest", "Answer with one word from: airport, beach, forest", "Answer yes or no",
"Answer with a number in m²". In the normalised text, lettered or numbered options of words
become one list ("options: residential, industrial or farmland", which the label and class
readers understand), options that name no label ("A) first B) second") or are numbers
("A) 3 B) 5") are dropped, the word choices of an answer become that list, a yes/no format is
dropped (it names no label) and "answer ... in m²" keeps its unit only. Options that are
numbers set no threshold: they are answers, not arguments. Numbered items of
work ("1) count the planes 2) map the water") are no options: an option is a few words with no
digit, after a question mark or an options word.
"""

from __future__ import annotations

import re

_MARK = (r"(?:\(\s*(?:[a-j]|[1-9]|10)\s*\)|(?<![\w.])(?:[a-j]|[1-9]|10)\s*\)|"
         r"(?<![\w.])[a-j]\.(?=\s))")
_DOT_MARK = re.compile(r"(?<![\w.])[a-j]\.\s")
_ITEM = rf"\s*{_MARK}\s*([a-z][a-z /&'-]{{0,40}}?)\s*[,;]?"
_OPTIONS = re.compile(rf"(?<=[?:])((?:{_ITEM}){{2,10}})(?=\s*(?:[.?!]|$|{_MARK}\s*\d))")
"""Two to ten lettered or numbered options of words after a question or a colon."""
_TASK = re.compile(r"\b(?:count|map|detect|compute|calculate|segment|measure|estimate|classify|"
                   r"find|give|show|make|report|outline|list|describe|there|is|are|more|less|"
                   r"than)\b")
_WORD_CHOICE = re.compile(r"\b(?:answer|reply|respond)(?: with)? (?:one|a single) (?:word|label|"
                          r"class|category) (?:from|among|out of)\s*:?\s*")
_YES_NO = re.compile(r"(?:\b(?:please\s+)?(?:answer|reply|respond)(?: with| only with| only)?"
                     r"(?: a)?\s*:?\s*\(?(?:yes|y)\s*(?:or|/)\s*(?:no|n)\)?|\bchoose one\s*:?\s*"
                     r"yes\s*(?:/|or)\s*no|\(\s*yes\s*/\s*no\s*\))\s*[.!]?")
_UNIT_FORMAT = re.compile(r"(?:(?<=^)|(?<=[.?!;]\s)|(?<=[.?!;]))(?:please\s+)?"
                          r"(?:answer|reply|respond)"
                          r"(?: with| as)? (?:an? |one )?(?:single )?(?:number|value|figure|"
                          r"integer)?\s*(?=in\s+(?:m2|km2|ha|hectares?|square|sq|acres?|m\b|km\b|"
                          r"met(?:er|re)s?|kilomet(?:er|re)s?|percent|%|ft2|mi2))")


_NUMBERS = re.compile(rf"(?<=[?:])(?:\s*{_MARK}\s*(?:about\s+|~\s*)?[<>]?\s*-?[\d.,]+\s*"
                      rf"(?:%|m2|km2|ha|m|km|percent)?\s*[,;]?){{2,8}}(?=\s*(?:[.?!]|$))")
"""Options that are numbers ("A) 3 B) 5 C) 8", "a) 1000 m2 b) 5000 m2"): answers to choose
from, which set no argument (dropped)."""
_ANSWER_WORDS = frozenset(("first", "second", "third", "same", "both", "neither", "none",
                           "equal", "yes", "no", "true", "false", "left", "right", "none of these",
                           "all of these", "cannot tell", "not sure", "the same", "same number"))
"""Options that name no label ("A) first B) second C) same"): the answer's form only."""


def read_options(text: str) -> str:
    """``text`` (normalised) with its answer options and answer format read (see the
    module docstring)."""
    if ")" in text or _DOT_MARK.search(text):
        text = _OPTIONS.sub(_as_list, _NUMBERS.sub(" ", text))
    if "one " in text or "single " in text:
        text = _WORD_CHOICE.sub("options: ", text)
    if "yes" in text:
        text = _YES_NO.sub(" ", text)
    if "answer" in text or "reply" in text or "respond" in text:
        text = _UNIT_FORMAT.sub("", text)
    return text


def has_options(text: str) -> bool:
    """Whether ``text`` (any case) ends a question with lettered or numbered options of words."""
    low = text.lower()
    return any(_as_list(m) != m.group(0) for m in _OPTIONS.finditer(low))


_ASKS_CHOICE = re.compile(r"(?:\?|\b(?:which|what|classify|choose|select|pick|options?|choices?|"
                          r"candidates?|answers?|identify|is it|are they|one of|from)\b[^.?!]*:)"
                          r"\s*$")
"""A question, or a colon after words that ask for a choice ("Classify this patch:",
"options:"), before the options; not "Deliverables: 1) flood extent 2) damaged buildings"."""


def _as_list(match: re.Match[str]) -> str:
    if not _ASKS_CHOICE.search(match.string, 0, match.start()):
        return match.group(0)
    items = [i.strip(" ,;") for i in re.split(_MARK, match.group(1))[1:]]
    if any(not i or _TASK.search(i) or len(i.split()) > 4 for i in items):
        return match.group(0)
    if all(i in _ANSWER_WORDS for i in items):
        return " "
    items = [i for i in items if i not in _ANSWER_WORDS]  # ("D) none of these")
    if len(items) < 2:
        return match.group(0)
    return " options: " + ", ".join(items[:-1]) + " or " + items[-1]
