"""Answer formats of exam-style questions, read as what they ask for.

A question may end with its answer options or the form of its answer: "Which land use
dominates? A) residential B) industrial C) farmland", "What type of scene is this? 1) harbor
2) airport 3) forest", "Answer with one word from: airport, beach, forest", "Answer yes or no",
"Answer with a number in m²". In the normalised text, lettered or numbered options of words
become one list ("options: residential, industrial or farmland", which the label and class
readers understand), options that name no label ("A) first B) second", "A) a.png B) b.png", "D)
none of the above"), damage grades ("A) no damage B) destroyed") or numbers ("A) 3 B) 5") are
dropped, the word choices of an answer become that list, a yes/no format is
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
                     r"yes\s*(?:/|or)\s*no|\(\s*yes\s*/\s*no\s*\)|(?:^|(?<=[.?!;]\s))yes\s*(?:or|/)\s*"
                     r"no\s*[:?-](?=\s*\w))\s*[.!]?")
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
                           "all of these", "cannot tell", "not sure", "the same", "same number",
                           "none of the above", "all of the above", "none of them", "all of them",
                           "cannot be determined", "can't tell", "unknown", "not visible",
                           "other", "skip", "no change", "xfilex", "last", "neither of them",
                           "before", "after", "earlier", "later", "nothing", "top", "bottom",
                           "middle", "center", "centre", "top left", "top right", "bottom left",
                           "bottom right", "upper left", "upper right", "lower left",
                           "lower right", "north", "south", "east", "west", "a few", "few",
                           "many", "several", "some", "most", "all", "a lot", "half"))
"""Options that name no label ("A) first B) second C) same", "D) none of the above", a file):
the answer's form only."""
DIRECTIONS = frozenset(("increase", "decrease", "increased", "decreased", "increasing",
                        "decreasing", "stable", "unchanged", "grew", "shrank", "grown", "shrunk",
                        "up", "down", "gain", "loss"))
"""Options that say which way a change went, not what changed (they stay in the text: "how did
the number of ships change? a) increased b) decreased" still asks for a trend)."""
_SCENE_ANSWER = re.compile(r"^(?:the )?(?:(?:first|second|third|fourth|last|left|right|top|"
                           r"bottom|earlier|later|older|newer|before|after) (?:image|scene|one|"
                           r"photo|picture|date)|(?:image|scene|photo|picture) [a-j])$")
"""An option that names an image of the set ("B) the second image", "A) image A"): an answer."""
_WHEN = re.compile(r"^(?:in )?(?:early |late |mid )?(?:january|february|march|april|may|june|july|"
                   r"august|september|october|november|december|spring|summer|autumn|fall|"
                   r"winter)$")
"""An option that is a month or a season ("(A) January (B) May", "C) winter"): a time, an
answer to choose, no scene label."""
_GRADE = re.compile(r"^(?:(?:no|none|minor|major|moderate|severe|slight|light|heavy|partial|"
                    r"total|complete|un)\s*)?(?:damaged?|destroyed|intact|affected|unaffected|"
                    r"collapsed)$")
"""A damage grade ("no damage", "minor damage", "destroyed"): grades per building, which no
scene label gives (the question's own words are planned)."""


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


def options_span(text: str) -> tuple[int, int] | None:
    """Where the first lettered or numbered options of a question are in ``text`` (any case),
    or None."""
    low = text.lower()
    return next((m.span() for m in _OPTIONS.finditer(low) if _as_list(m) != m.group(0)), None)


def listed_span(text: str) -> tuple[list[str], tuple[int, int] | None]:
    """The options a normalised request lists after "options:" ("options: water, road or tree"),
    as written, and where that part is (None when it has none)."""
    m = _LISTED.search(text)
    items = re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", m.group(1).strip()) if m else []
    return [i for i in items if i], m.span() if m else None


_LISTED = re.compile(r"\boptions:\s*([^.?!;]*)")
_CHOOSE = (r"(?:options|choices|candidates|answers?|choose|select|pick)(?: one)?"
           r"(?: from| among)?")
"""The words that open an options part ("Choose from:", "Options:", "pick one:")."""
CHOICE = re.compile(rf"\b{_CHOOSE}\s*:")
"""Answers to choose from, as read or as written ("options:", "choose one:")."""


def names_no_label(option: str) -> bool:
    """Whether an answer option names no label: "first", a file (``xfilex`` in the normalised
    text), "the second image", "none of the above", "top left", "a few", a number, a month."""
    return option in _ANSWER_WORDS or _SCENE_ANSWER.match(option) is not None or re.search(
        r"\d", option) is not None or _WHEN.match(option) is not None


_OPENER = re.compile(rf"^(?:{_CHOOSE}\s*:?\s*)+")
"""An options part's opening words, at its start."""


def only_options(part: str) -> bool:
    """Whether a part of a request (any case) is only a question's answer options ("(A) first
    (B) second", "Choose from: (a) no damage (b) destroyed", "Options: 1, 2, 3"): no ask of its
    own to plan or to report as not done."""
    rest = read_options("? " + part.lower().strip()).strip(" ?.!;,")
    if rest.startswith("options:") or not _OPENER.sub("", rest).strip(" ?.!;,"):
        return True
    opener = _OPENER.match(rest)  # "choices: desert, beach or meadow"
    items = re.split(r"\s*(?:,|/|\bor\b)\s*", rest[opener.end():]) if opener and opener.group(
        0).strip() else []
    return len(items) >= 2 and all(i and len(i.split()) <= 4 and not _TASK.search(i)
                                   for i in items)


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
    items = [i for i in items if i not in _ANSWER_WORDS and not _SCENE_ANSWER.match(i)]
    if not items or all(_GRADE.match(i) for i in items):  # ("D) none of these")
        return " "
    if len(items) < 2:
        return " options: " + items[0]  # ("a) bridge b) none of the above")
    return " options: " + ", ".join(items[:-1]) + " or " + items[-1]
