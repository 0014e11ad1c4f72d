"""Find the actual ask in a long request: background sentences and purpose clauses.

Analysts often write a paragraph of context before the ask ("As the analyst for a port
authority tracking how busy our terminals get, ... How many ships are at berth in x.tif?").
Words of that context must not trigger tools ("tracking" is no trend request, "the flood last
spring" no water mapping). This module marks, in the normalised request text, the spans that
are context, so the intent stage can blank them (same length, spaces) and still read every
slot (GSD, bbox, file names) from the whole text.

* **Background sentence**: a statement (no question mark, no request marker such as "please",
  "could you", "I need", "how many", or an imperative verb at its start) in a request that
  has an ask elsewhere, naming no file and carrying no argument (a threshold, GSD, labels,
  index, unit: "Treat NDVI above 0.3 as vegetation." stays readable; "CEMS counted 17,843
  affected buildings." does not).
* **Role clause**: "as the analyst for ..., i need ..." - the part before the comma or colon
  that ends the role, when a first-person ask follows; so is a programme the ask is part of
  ("as part of our monitoring programme, where we normally count ..., i need ...").
* **Later step**: "before i run the burn mapping, is there smoke in x.tif?", "before counting
  ships, ..." - what the analyst will do next, not part of this ask.
* **Purpose clause** (only for visualisation requests): ", so that water looks dark",
  "to monitor crop health", "making them valuable for ..." - why the picture is wanted, not
  another thing to compute.
"""

from __future__ import annotations

import re

from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary

Span = tuple[int, int]

_SENTENCE = re.compile(r"[^.?!;\n]+(?:[.?!;\n]+|$)|[.?!;\n]+")
_ASK_WORDS = re.compile(
    r"\b(please|pls|could you|can you|would you|will you|could we|can we|can i|could i|"
    r"i need|i want|i would like|id like|i wish|we need|we want|we would like|wed like|"
    r"i have to|we have to|i must|we must|help me|help us|tell me|tell us|show me|show us|"
    r"give me|give us|let me know|let us know|find out|i am looking for|im looking for|"
    r"we are looking for|were looking for|my question|the question|the task|your task|"
    r"how many|how much|(?:needs|wants|requires|asks for|asked for) (?:a|an) (?:[\w-]+ ){0,3}?"
    r"(?:picture|image|map|composite|count|estimate|mask|figure|number|layer)|(?:asks for|asked "
    r"for|would like|requested|requests) (?:a|an|the) (?:[\w-]+ ){0,3}?(?:picture|image|map|"
    r"composite|count|estimate|mask|figure|number|layer|area|extent|length|total|share|"
    r"percentage|trend|size))\b|"
    r"^\W*(?:and |so |but |also |then |now |ok |okay )?(what|which|where|"
    r"when|how|is|are|does|do|did|can|could|would|will|should)\b|"
    r"^\W*(?:actually|or rather|make (?:that|it)|on second thought|sorry)\b|"  # a correction
    r"^\W*(?:and\s+)?(?:in|as|into)\s+(?:square\s+)?(?:hectares?|ha|km2|m2|acres?|ft2|mi2|km|"
    r"kilomet(?:er|re)s?|met(?:er|re)s?|miles?|feet|percent)\b\W*(?:please\W*)?$|"  # "In ha."
    r"^\W*(?:options|choices|candidates)\s*:|"  # the answer options of a question
    r"^\W*(?:step\s*\d{1,2}|\(\d{1,2}\)|\d{1,2}\)|\([a-f]\))\s*[-:.)]?\s*(?!(?:was|were|is|are|has|had|"
    r"will|the|a|an|it|this|that|these|those|we|i|our|my)\b)[a-z]|"  # a numbered step of a
    # procedure (not "step 1 was done already", "1) the scene was captured at 0.5 m")
    r"^\W*(?:[\w-]+\s+)?(?:task|tasks|todo|to do|need|needed|request|deliverable|item\s+\w)"
    r"\s*:\s*[a-z0-9]")  # a ticket's fields ("Task: water km2 in s2.tif", "item a: ...")
_RHETORICAL = re.compile(r"^\W*(if you could|imagine|have you ever|ever wondered|did you know|"
                         r"whether \w+[^,?]*,)")
"""Openers of a rhetorical question or a concession ("If you could speed up time ... what would
it look like?", "Whether natural or not, fires change ..."): context, no ask."""
_IMPERATIVE = re.compile(
    r"(?:^\s*|[,:;]\s*|xfilex\s+|"
    r"^\s*(?:in|on|for) the [\w -]{1,25}? (?:image|scene|one|picture)\s+)"
    r"(?:\(\d{1,2}\)\s*)?(?:then |now |also |and |first |next |finally |just |so |please )?"
    r"(compute|calculate|count|obtain|"
    r"map|detect|segment|estimate|measure|classify|reclassify|split|bin|make|create|produce|"
    r"generate|run|render|plot|derive|extract|identify|locate|find|list|report|quantify|assess|determine|"
    r"delineate|outline|highlight|display|show|visuali[sz]e|compare|check|get|use|apply|take|"
    r"select|fit|analy[sz]e|evaluate|caption|describe|summari[sz]e|search|rank|retrieve|look|"
    r"give|tell|mark|draw|paint|convert|turn|build|prepare|provide|sum|total|tally|export|"
    r"save|print|return|output|label|tag|sort|filter|keep|drop|remove|exclude|do|go|try|"
    r"download|fetch|order|buy|predict|forecast|send|email|upload|choose|pick|decide|"
    r"specify|indicate|trace|digiti[sz]e|vectori[sz]e|flag|clip|crop|overlay|annotate|"
    r"circle|pinpoint|georeference|mosaic|stack|rate|grade|assign|triage|categori[sz]e|score|"
    r"screen|split|separate|group|bin|subtract|threshold|binari[sz]e|"
    r"point(?= out\b)|put(?! (?:simply|differently|another way|"
    r"briefly|bluntly)))\b")
_NUMBER_OR_FILE = re.compile(r"\d|xfilex|xfolderx")
_YEAR = re.compile(r"\b(?:19|20)\d\d(?:s|'s)?\b")  # 2019, the 1970s
_SLOT = re.compile(
    r"\b(threshold|cut[\s-]?off|cut (?:at|of)|treat|treated|consider|considered|define|defined|"
    r"count(?:ed)? as|labell?ed|classes|labels|gsd|per pixel|pixel size|bands?|ndvi|ndwi|mndwi|nbr|"
    r"dnbr|ndsi|ndbi|savi|evi|bbox|epsg|crs|lat|lon|longitude|latitude|mmu|min(?:imum)? "
    r"mapping unit)\b|\bconf(?:idence)?\b[^.?!;\d]{0,12}\d|[<>=]\s*-?\.?\d|"
    r"\b(above|below|greater|less|over|under|at least|at most|more than|fewer than|higher|"
    r"lower|between)\b[^.?!;\d]{0,15}(?!(?:19|20)\d\d\b)\d|"
    r"%(?=[^.?!;]{0,30}\b(?:as|threshold|cut ?off|or more|or less|and above|and below)\b)|"
    r"\d\s*(?:m|cm|km|ha|m2|km2|nm|px)\b|-\s?\d+(?:\.\d+)?\s*(?:db|decibels?)\b")
"""Words of a statement that carry an argument (a threshold, a GSD, labels, a box): such a
sentence stays readable even without an ask ("Treat NDVI above 0.3 as vegetation.")."""
_ROLE = re.compile(
    r"^\s*(?:as|being)\s+(?:a|an|the|our|my)\s+[^,:;.?!]{2,160}?[,:]\s*"
    r"(?=(?:i|we|please|could|can|would|kindly|help|tell|show|give)\b)")
_PART_OF = re.compile(
    r"^\s*(?:as part of|in the context of) (?:a|an|the|our|my|this) "
    r"(?![^:;.?!]{0,220}?\b(?:images?|scenes?|photos?|pictures?|tiles?|files?|radar|optical|"
    r"sentinel|landsat)\b[^:;.?!]*?,\s*(?:i|we|please|could|can|would|kindly|help|tell|show|"
    r"give)\b)[^:;.?!]{2,220}?,\s*(?=(?:i|we) (?:need|want|would like|d like|have to|must)\b|"
    r"(?:please|could you|can you|would you|kindly|help me|tell me|show me|give me)\b)")
"""A programme the ask is part of, with its own clauses ("as part of our monitoring programme
for the park, where we normally count elephants and track greenness, i need you to ..."):
context, unless it names the scene ("for the radar image, i need ...")."""
_BEFORE = re.compile(r"^\s*before (?:(?:i|we) (?!(?:had|have|was|were|did)\b)[a-z]+\b|"
                     r"(?:i |we )?(?:try to |want to |can |start to )?"
                     r"(?:(?:run|do|start|compute|map|count|use|compare|"
                     r"detect|analy[sz]e|process|classify|merge|mosaic|stack|train|go|add|load|"
                     r"submit|send|put|import|include|publish|feed|give|pass|hand|upload|apply)\b|"
                     r"\w+ing\b))"
                     r"[^,:;.?!]{0,140}[,:]")
_TRAINING_SET = re.compile(r"^\s*(?:for|to (?:build|make|train|grow|extend|label|fill)) "
                           r"(?:our|my|the|a) [^,:;.?!]{0,60}\b(?:training|validation|test) "
                           r"(?:set|data|dataset|chips|labels)\b[^,:;.?!]{0,30}[,:]")
"""A purpose that opens a sentence ("for our kiln detector's training set, sort ..."): it
asks for no detector."""
_DONE_BUT = re.compile(r"^\s*(?:i|we|our (?:team|office|lab|group)|the (?:team|office|lab))\s+"
                       r"(?:(?:have|has|had|already|also|once)\s+)?(?:ran|run|did|done|made|"
                       r"produced|built|used|completed|finished|conducted|carried out|mapped|"
                       r"computed|estimated|measured|surveyed|counted)\b[^.?!;]{0,160}?,?\s+but\b")
"""Work done before that opens a sentence ("we ran a biomass campaign last year and produced
carbon maps, but this question is different: ..."): context for the ask after "but"."""
_LATER_USE = re.compile(r"(?:,\s*|\s)so (?:that )?(?:(?:the|our|my|their|local) )?(?:[a-z]+ ){1,2}?"
                        r"(?:can|could|may|might|will)\b[^.?!;]*")
_PURPOSE = re.compile(
    r"(?:,\s*|\s)(?:so that|so|such that|in order to|to (?:monitor|see|show|help|check|"
    r"highlight|distinguish|assess|make|spot|tell|judge|compare|follow|track|visuali[sz]e)|"
    r"making|where|which (?:shows|helps|makes))\b[^.?!;]*?"
    r"(?=[.?!;:]|,?\s+(?:and\s+)?(?:then|also|afterwards|next)\b|,\s*and\s+(?:tell|give|show|map|"
    r"count|detect|measure|compute|calculate|outline|segment)\b|$)")
"""Ends where the next step starts ("..., then map what changed", "...: make a false colour
image")."""


_SENTENCE_END = re.compile(r"(?:(?<!\bsq)(?<!\bvs)(?<!\bapprox)(?<!\be\.g)(?<!\bi\.e)(?<!\bca)\.|"
                           r"[?!;\n])[.?!;\n]*(?=\s|$)")


def sentences(text: str) -> list[Span]:
    """Sentence spans of ``text`` (a decimal point, "sq. km", "e.g." and "vs." do not end a
    sentence)."""
    spans: list[Span] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [s for s in spans if text[s[0]:s[1]].strip(" .?!;\n")]


def carries_threshold(sentence: str) -> bool:
    """Whether a sentence states a threshold ("the water mask comes from a -17 dB VV
    threshold")."""
    return re.search(r"\b(?:threshold|cut[\s-]?off)\b|\d\s*(?:db|decibels?)\b",
                     sentence) is not None


def is_ask(sentence: str) -> bool:
    """Whether a sentence asks for something (question, request marker, imperative)."""
    if _RHETORICAL.search(sentence):
        return False
    past = _PAST.search(sentence) is not None  # "in 2019 the client asked for the water extent"
    asked = any(not (past and m.group(0).startswith(_OTHERS_ASKED))
                for m in _ASK_WORDS.finditer(sentence))
    return ("?" in sentence or asked
            or _IMPERATIVE.search(sentence) is not None or _TITLE.match(sentence) is not None)


def asked_at(text: str, pos: int) -> bool:
    """Whether the sentence of ``text`` around ``pos`` asks for something (:func:`is_ask`):
    "compute NDVI for all images except b.tif" does; "apart from b.tif, all scenes were taken
    in summer" only says how things are."""
    return any(a <= pos < b and (is_ask(text[a:b]) or _LEAVE.match(text, a) is not None)
               for a, b in sentences(text))


_LEAVE = re.compile(r"\W*(?:(?:please|now|then|also|and|so|just|but)\s+)*(?:skip|ignore|leave out|"
                    r"exclude|drop|omit|disregard|don'?t use|do not use)\b")
"""A sentence that opens by leaving something out ("skip the first file and count ...")."""


_OTHERS_ASKED = ("asks for", "asked for", "would like", "requested", "requests")
_PAST = re.compile(r"\b(?:last (?:time|month|year|week|season)|previously|back then|ago|used to)\b|"
                   r"^\W*in (?:19|20)\d\d\b")
"""When a third party's request was made in the past ("in 2019 the client asked for ...")."""


_TITLE = re.compile(r"\W*(?:[\w-]+\s+){0,3}(?:mapping|assessment|detection|analysis|monitoring|"
                    r"estimation|inventory|classification|extraction|delineation|severity|"
                    r"counting)\s+(?:sop|procedure|workflow|protocol|recipe|(?:recommended |"
                    r"standard )?practice)\W*$")
"""A procedure's title before its steps ("Flood mapping SOP. Step 1: ..."): it names the task."""


def background_spans(norm: str) -> list[Span]:
    """Spans of ``norm`` that are context, not the ask (see the module docstring)."""
    spans = sentences(norm)
    since = [m.span(1) for m in _SINCE.finditer(norm)]  # "taken each july since the flood"
    if len(spans) < 2:
        return _openers(norm, spans) + since
    labelled = [(a, b) for a, b in spans if _CONTEXT_LABEL.match(norm, a)
                and "xfilex" not in norm[a:b] and "?" not in norm[a:b]]
    return [(a, b) for a, b in statement_spans(norm) if "xfilex" not in norm[a:b]
            and (not _SLOT.search(norm[a:b]) or _reported(norm[a:b]))] + _openers(
        norm, spans) + since + labelled


def typical_spans(norm: str) -> list[Span]:
    """Statements of what is typical ("dense vegetation is typically above 0.6", "dNBR values
    above 0.66 indicate high severity"): explanations whose numbers yield to the ask's own."""
    return [(a, b) for a, b in statement_spans(norm) if _TYPICAL.search(norm[a:b])
            and not _DEFINES.search(norm[a:b])]


_TYPICAL = re.compile(r"\b(?:typically|usually|generally|normally|commonly|often|tends? to|typical|"
                      r"ranges?|ranging|indicates?|indicating|saturates?|recommended by|known to|"
                      r"expected to|can (?:also )?(?:have|be|reach|show))\b")
"""What a statement says is typical ("dense vegetation is typically above 0.6", "dNBR values
above 0.66 indicate high severity"): an explanation, its numbers no argument of the ask."""


_CONTEXT_LABEL = re.compile(r"\s*(?:background|context|for context|fyi|for your information)\s*"
                            r"[:,-]")
"""A sentence labelled as context ("Background: the port expanded in 2020 and traffic rose by
30%."): no ask, and no slot of the ask, though it holds numbers."""


_INDEX_MOVED = re.compile(r"\b(?:ndvi|ndwi|mndwi|nbr|ndsi|ndbi|savi|evi)\b (?:values? )?(?:has |"
                          r"have |had )?(?:fell|fallen|dropped|rose|risen|increased|decreased|"
                          r"declined|jumped|plummeted|surged|soared|collapsed|recovered|"
                          r"crashed)\b")


def _reported(sentence: str) -> bool:
    """A reported movement of an index with no argument ("ndvi fell sharply across the region
    in 2022 according to the ministry"): context, though it names an index."""
    return _INDEX_MOVED.search(sentence) is not None and not re.search(
        r"(?<![\w-])\d", _YEAR.sub(" ", sentence))


_SINCE = re.compile(r"\b(?:taken|acquired|captured|flown|shot|recorded|collected|each|every|"
                    r"monthly|yearly|annual|annually|weekly)\b[^.?!;]{0,40}?\b(since the "
                    r"(?:\w+ ){0,2}?(?:floods?|flooding|fires?|storm|hurricane|cyclone|typhoon|"
                    r"earthquake|quake|eruption|tsunami|war|invasion|disaster|landslide|spill|"
                    r"collapse|blast|explosion))\b")
"""A time said by its event ("photos taken each july since the flood"): no ask for it."""


def statement_spans(norm: str) -> list[Span]:
    """Sentences that ask nothing in a request that asks elsewhere (kept readable by
    :func:`background_spans` when they carry a file or a number)."""
    spans = sentences(norm)
    asks = [is_ask(norm[a:b]) for a, b in spans]
    if not any(asks):
        return []  # nothing asks: no sentence is context
    return [s for s, asked in zip(spans, asks, strict=True) if not asked]


def _openers(norm: str, spans: list[Span]) -> list[Span]:
    """Role clauses ("as the analyst for ..., i need") and later steps ("before i run the burn
    mapping, is there smoke?") that open a sentence: context, unless they carry a number or a
    file. A later step that names a file but no number ("before i run the tent detector on
    x.tif:") is context around the file, which stays readable (digits inside words, "b8",
    "sentinel-2", are no numbers there)."""
    out: list[Span] = []
    for a, b in spans:
        for pattern in (_ROLE, _PART_OF, _BEFORE, _TRAINING_SET, _DONE_BUT):
            m = pattern.search(norm[a:b])
            if m and not _NUMBER_OR_FILE.search(_YEAR.sub(" ", m.group(0))):  # a year: no arg
                out.append((a + m.start(), a + m.end()))
            elif m and pattern is _BEFORE and not re.search(r"(?<![\w-])\d",
                                                            _YEAR.sub(" ", m.group(0))):
                at = a + m.start()  # "before I run the tent detector on x.tif:" the step asks
                ends = [0] + [x.end() for x in re.finditer(r"xfilex|xfolderx", m.group(0))]
                starts = [x.start() for x in re.finditer(r"xfilex|xfolderx", m.group(0))]
                out += [(at + i, at + j) for i, j in zip(ends, [*starts, len(m.group(0))],
                                                        strict=True) if j > i]  # nothing; its
                # file stays
    return out


def later_use_spans(norm: str) -> list[Span]:
    """What the analyst or others will do with the result ("..., so I can check them against
    the AIS positions afterwards", "so residents can see where it burned"): no step of this
    request."""
    return [m.span() for m in _LATER_USE.finditer(norm)]


def purpose_spans(norm: str) -> list[Span]:
    """Purpose clauses of a visualisation request ("so I can see where ..."), numbers kept."""
    out: list[Span] = []
    for m in _PURPOSE.finditer(norm):
        if m.start() > 0 and not _NUMBER_OR_FILE.search(m.group(0)):
            out.append(m.span())
    return out


_REPORTED = re.compile(r"\b(estimated|found|counted|reported|recorded|mapped|measured|logged|"
                       r"flagged|says?|said|puts?|covered|covers|spans?|lost|grew|shrank|paced|"
                       r"guessed|observed|noted|claimed|described|showed|shows|analy[sz]ed|surveyed|"
                       r"processed|studied|quoted)\b")
_DEFINES = re.compile(r"\b(means?|defin\w*|counts? as|treat\w*|ignore\w*|drop\w*|exclud\w*|"
                      r"skip\w*|omit\w*|disregard\w*|leave out|must|should|keep\w*|discard\w*|"
                      r"minimum|at least|is a|are a|qualif\w*|"
                      r"out of scope|irrelevant|not needed|not of interest)\b|(?<=\s)=(?=\s)")


def reported_spans(norm: str) -> list[Span]:
    """Statements that report figures found elsewhere ("ICEYE estimated more than 534 km2
    flooded", "the audit found 532 sites over 115 ha"): their sizes are no filters of the
    ask, unlike a stated rule ("forest means land of more than 0.5 ha")."""
    return [(a, b) for a, b in statement_spans(norm)
            if _REPORTED.search(norm[a:b]) and not _DEFINES.search(norm[a:b])]


_WANTED = re.compile(r"\b(only|counts?|want\w*|care|matters?|interest\w*|relevant|needs?|"
                     r"consider\w*|(is|are) (too|what))\b")
"""Words of a statement that says what the ask wants ("we only want lakes over 1 ha")."""


def stated_spans(norm: str) -> list[Span]:
    """The reported statements and the others that ask nothing and state no rule ("the
    project would have needed more than 4 km of new roads"): their figures are no filters of
    the ask."""
    reported = reported_spans(norm)
    return reported + [(a, b) for a, b in statement_spans(norm) if (a, b) not in reported
                       and not _DEFINES.search(norm[a:b]) and not _WANTED.search(norm[a:b])]


def blank(text: str, spans: list[Span]) -> str:
    """``text`` with ``spans`` replaced by spaces (positions kept)."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


_WHY = re.compile(r"(?:^|[.?!;]|  )\s*(why|how can (we|you|i|one) tell|what (could|might|may) "
                  r"have (created|caused|made|formed)|what clues)\b")
_EVIDENCE = re.compile(
    r"\b(gives?|giving) it away\b|\bwhat ((in|on) (the|this) (photo|picture|image|frame|chip|"
    r"quicklook|scene|view) (points|supports|suggests|tells|shows|speaks)|(supports|suggests) "
    r"(that|this|it)|points (one way|to (it|that|this)))")
_AMOUNT = re.compile(r"\b(how many|how much|percent\w*|count\w*|hectares?|km2|(the|what|total) "
                     r"area)\b")


def asks_why(asks: str, norm: str) -> bool:
    """Whether a request asks why the picture looks as it does, or for its visual evidence ("is
    it burn scar or cloud shadow, and what gives it away?"), and no amount: the picture is
    described, nothing mapped (``asks`` the asking text, ``norm`` the whole request)."""
    return bool((_WHY.search(asks) or _EVIDENCE.search(norm)) and not _AMOUNT.search(asks))


def intent_sentence(raw: str, vocab: Vocabulary, intents: tuple[str, ...]) -> str:
    """The sentence of ``raw`` that carries one of ``intents``, an ask before a statement
    (else the whole request)."""
    found: list[tuple[bool, str]] = []
    for sentence in re.split(r"(?<=[.?!])\s+", raw.strip()):
        norm = read_request(sentence, None).norm
        if any(vocab.has(i, norm) for i in intents):
            found.append((is_ask(norm), sentence.strip()))
    asks = [s for is_ask, s in found if is_ask]
    return (asks or [s for _, s in found] or [raw.strip()])[0]
