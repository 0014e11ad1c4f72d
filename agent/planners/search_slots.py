"""Slot of the search tool: what a retrieval looks for.

"images in archive/ that look most like a solar farm" -> ``search_images.query`` "solar farm".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

from agent.planners import number_words
from agent.planners.analysis import Analysis
from agent.planners.slots import Span
from agent.planners.vocab import Vocabulary

_QUERY_CUES = (
    r"(?:look|looks)(?:\s+(?:most|more|the most|a lot|very much))?\s+(?:similar to|like)",
    r"similar(?:\s+\w+){0,2}\s+to|resembl\w*|match(?:es|ing)?",
    r"show(?:s|ing)?|contain(?:s|ing)?|depict(?:s|ing)?|featur(?:e|es|ing)|includ(?:e|es|ing)"
    r"|have|has",
    r"\bwith|\bof|\bfor",
)
_QUERY_END = (r"(?=\s*(?:[.;?!]|,|\bthen\b|\band (?:then|count|detect|segment|tell|give|return|"
              r"show|list|rank|sort|label|classify|tag|mark)\b|"
              r"\b(?:across|in|within|from|through|over) "
              r"(?:the |my |our |this |that )?(?:whole |entire )?"
              r"(?:archive|collection|catalog\w*|database|library)\b|$))")


def find_search_query(text: str, start: int = 0) -> tuple[str, Span] | None:
    """What a retrieval looks for ("look most like a solar farm" -> "solar farm")."""
    for cue in _QUERY_CUES:
        m = re.compile(rf"\b(?:{cue})\s+(.+?){_QUERY_END}").search(text, start)
        if m:
            query = re.sub(r"^(?:(?:this|that|the|my|our)\s+)?(?:[\w-]+\s+){0,2}?(?:mosaic|scene|"
                           r"image|raster|orthomosaic|archive|folder|collection)\s+(?:for|of|with|"
                           r"showing)\s+|^(?:for|of|with)\s+(?=[\"'])", "", m.group(1).strip())
            # ("the tiles of this big mosaic for solar farms", 'matches for "a runway"')
            query = re.sub(r"^(?:an?|the|some|any)\s+", "", query.strip().strip("'\""))
            query = re.sub(r"^(?:images|tiles|scenes|pictures|photos|chips) (?:of|showing|with)\s+",
                           "", query)  # "for images of eroding cliffs"
            query = re.sub(r"\s+(?:in|from|within|of|inside)\s+(?:the\s+)?(?:\w+\s+){0,2}"
                           r"(?:xfilex|xfolderx).*$", "", query)
            query = re.sub(r"\s+(?:in (?:it|them)|there|xfilex.*|xfolderx.*)$", "", query).strip(
                " '\"")
            if query and "xfilex" not in query and "xfolderx" not in query:
                return query, m.span()
    return None



_RANKING = re.compile(r"\b(best|top|rank\w*|similar\w*|resembl\w*|look(s|ing)? (most|for)|"
                      r"most (like|similar|alike|resembl\w*)|closest|nearest|match\w*|"
                      r"retriev\w*|search\w*|query)\b")
"""What makes a search of scenes the analyst named a ranking of them, not a question to each
("which of these looks most like a quarry"); "how many of these photos look like farmland" and
"which of them has the most clouds" ask each scene."""


def read(a: Analysis, text: str, vocab: Vocabulary, n_scenes: int = 0,
         folders: Sequence[str] = ()) -> Span | None:
    """Set whether ``text`` asks a search, its query and how many hits; the query's span.

    Several scenes named one by one and no folder or archive are searched only when the
    request ranks them ("the 3 of these that look most like a quarry"); "which of the tiles
    a.png, b.png and c.png show a quarry" asks each of them (a label per scene)."""
    a.search = vocab.has("search", text)
    if not a.search:
        return None
    a.top_k = find_top_k(text, vocab)
    if n_scenes >= 2 and not folders and a.top_k is None and not _RANKING.search(text) and \
            not re.search(r"\b(archive|index|catalog\w*|collection|database|library)\b", text):
        a.search = False
        return None
    cue = vocab.cues["search"].search(text)
    found = find_search_query(text, cue.start() if cue else 0)
    if found is None:
        return None
    a.query, span = found
    return span


def yield_to_labels(a: Analysis, query: Span | None, labels: Span) -> None:
    """No search when its query is one of the labels asked ("whether it looks most like A, B or
    C", "which like A and which B"); a query before the labels stays ("match 'glacier', then
    tell me whether it shows glacier, bare rock or cloud": labels asked of the hits)."""
    asked = a.labels or []
    if a.search and query is not None and query[1] > labels[0] and (
            a.query in asked or any(lab in (a.query or "") for lab in asked)):
        a.search, a.query, a.top_k = False, None, None


_ITEMS = (r"(?:images|tiles|scenes|hits|results|matches|candidates|pictures|photos|patches|chips|"
          r"frames|snapshots|acquisitions|quads)")


def find_top_k(text: str, vocab: Vocabulary) -> int | None:
    """How many hits a retrieval asks for ("top 5", "the five images", "10 best tiles", "the
    five hundred that look most cloudy")."""
    words = "|".join(sorted(vocab.numbers, key=len, reverse=True))
    text = re.sub(rf"\b(\d+|{words}) (hundred|thousand)\b", lambda m: str(
        (number_words.word_number(m.group(1), vocab) or 1)
        * (100 if m.group(2) == "hundred" else 1000)), text)
    text = re.sub(r"\ba dozen\b", "12", text)  # "pull up a dozen images"
    num = rf"(\d+|{words})"
    for pattern in (rf"\btop\s*-?\s*{num}\b", rf"\b(?:best|first)\s+{num}\b",
                    rf"\b{num}\s+most\s+likely\b", rf"\bthe\s+{num}\s+(?:that|which)\s+(?:\w+\s+)?"
                    r"(?:most|best|closest)\b",
                    rf"\bthe\s+{num}\s+[a-z-]+\b[^.?!;]{{0,60}}?\b(?:that|which)\s+(?:look|looks|"
                    r"resemble|match)\b",  # "the 20 after-images in our archive that look"
                    rf"\bwhich\s+{num}\s+(?:\w+\s+)?(?:are|is)\s+"
                    r"(?:the\s+)?most\b",
                    rf"(?<![\w-])(?<!-\s){num}\s+(?:best\s+|(?:most|least)\s+\w+\s+|closest\s+|"
                    r"top\s+)?"
                    rf"(?:\w+\s+)?{_ITEMS}"):
        for m in re.finditer(pattern, text):
            value = number_words.word_number(m.group(1), vocab)
            if value and not 1900 <= value <= 2100:  # "the 2019 tiles" name a year
                return value
    return None


def archive_of(paths: Sequence[str]) -> str:
    """The folder of the first scene, as a search archive."""
    parent = str(PurePath(paths[0]).parent)
    return parent + "/" if parent not in ("", ".") else "."
