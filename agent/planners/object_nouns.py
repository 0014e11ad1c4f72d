"""Objects asked for that are no known class: "how many intersections", "mark every wildebeest
and every oryx", "put a point on every walrus", "run the elephant detector".

Read when nothing else in the request names the objects (see
:func:`agent.planners.intents.analyse`), next to a water question ("count the cranes, and how
much is open water"), next to known classes in one list ("the solar panels and the
inverters"), or when the known classes only say where the counted thing is ("how many cracks"
on the photo of the bridge): the nouns then go to the detector as its classes.
Each noun is the counted phrase up to its plural ("steller sea lions") in the singular, without
a leading modifier of state or origin ("nesting birds" -> bird, "African elephants" ->
elephant).
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.ask import Span, blank, statement_spans
from agent.planners.outline_nouns import ADVERB, OUTLINE_VERB, UNLAWFUL, outlined_noun
from agent.planners.slots import find_classes, topic_index
from agent.planners.vocab import SAME_PLURAL, Vocabulary, participle, singular

_VERB = (r"(?:(?:count )?how many|(?:total )?number of|"
         r"count(?: the| all| of)?(?: (?:total )?number of)?|"
         r"find|spot|identify|mark|locate|detect|pinpoint|flag|(?:put|place|drop) (?:a )?"
         r"(?:point|dot|marker|pin) on)")
_DET = r"(?:(?:every|each|all|any|the|individual|single|of|only|just|both)\s+)*"
_PHRASE = r"([a-z]+(?:-[a-z]+)*)(?:\s+([a-z]+))?(?:\s+([a-z]+))?"  # "fixed-chimney kilns"
_FIRST = re.compile(rf"\b{_VERB}\s+{_DET}{_PHRASE}")
_MORE = re.compile(rf"\s*(?:\([^)]{{0,30}}\)\s*)?(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)"
                   rf"(?:how many\s+)?{_DET}{_PHRASE}")  # "how many ducks and how many geese"
_PER_OBJECT = re.compile(r"\bfor (?:every|each) ([a-z]+)\b[^.?!;]{0,80}?\b(?:its|their) "
                         r"(?:\w+ ){0,2}?(length|width|area|size)\b")
"""A number per object ("for every iceberg in the scene, its maximum length")."""
_COUNTING = re.compile(r"how many|(?:total )?number of|count")
_EVERY = re.compile(r"\b(?:every|each|all|any)\s")
"""A find/mark verb names objects only with "every/each/all/any" or a plural noun."""
_DETECTOR = re.compile(r"\bthe ([a-z]+) (?:detector|detection model|counter|counting model)\b")
_MODIFIERS = frozenset((
    "african", "asian", "indian", "american", "european", "arctic", "antarctic", "adult",
    "juvenile", "young", "wild", "live", "dead", "individual", "single", "large", "small", "big",
    "visible", "possible", "potential", "nesting", "breeding", "roosting", "grazing", "resting",
    "moving", "parked", "feral", "domestic", "local", "separate", "distinct", "isolated",
    "floating", "submerged", "derelict", "abandoned", "stranded", "lit")) | UNLAWFUL


_PEOPLE = frozenset(("people", "persons", "pedestrians"))
_IRREGULAR = frozenset(("geese", "mice", "oxen", "feet", "teeth", "women", "men", "children"))
_VERB_AFTER = frozenset(("came", "comes", "went", "showed", "shows", "gave", "gives", "rose",
                         "fell", "dropped", "reached", "stood", "stands",  # "the count came out"
                         "pass", "passes", "did", "does", "do", "exceed", "exceeds", "meet",
                         "meets", "fall", "falls", "lie", "lies", "sit", "sits", "remain",
                         "remains", "have", "has", "are", "is", "were", "was"))


_AFTER_NOUN = frozenset(("and", "in", "on", "at", "inside", "within", "along", "across", "near",
                         "around", "over", "that", "which", "there"))
"""Words after a two-word singular compound ("every fish cage in the bay", "each roof vent
and ...")."""


_NO_NOUN = frozenset(("on", "in", "at", "up", "out", "off", "for", "to", "from", "by", "with",
                      "of", "over", "into", "onto", "about", "around", "across", "came", "went",
                      "where", "what", "which", "when", "who", "why", "how", "hours", "minutes",
                      "days", "weeks", "months", "years", "seconds", "times"))
"""Words after a count that name nothing ("our aerial count on opening Sunday")."""


_LEFT = frozenset(("rest", "remainder", "others", "remaining"))
"""What a filter leaves ("ignore buildings under 50 m2 and count the rest"): no noun."""
_PLURAL_MODIFIERS = frozenset(("sports", "arms", "goods", "customs", "works", "glass",
                               "athletics"))
"""Words ending in s that modify the noun after them ("sports fields", "athletics tracks")."""


def _noun(words: list[str], vocab: Vocabulary) -> tuple[str | None, int]:
    """The noun of a counted phrase and how many of its words it takes."""
    if words[0] in _PEOPLE:
        return "person", 1  # "count the people in these frames" (a population is declined)
    if words[0] in vocab.not_objects or words[0] in vocab.label_stopwords or ADVERB.search(
            words[0]) or words[0] in _VERB_AFTER or words[0] in _NO_NOUN or words[0] in _SELF or \
            words[0] in _LEFT or (
            participle(words[0]) and (len(words) == 1 or words[1] in _NO_NOUN)):
        return None, 0  # "how many pass that size", "how many ended up", "the count on Sunday"
    if len(words) > 1 and singular(words[0]) != words[0] and words[0] not in SAME_PLURAL and \
            words[0] not in _PLURAL_MODIFIERS and \
            not words[1].endswith("s"):
        words = words[:1]  # "the boats still in the harbour", "the stumps left"
    for i, word in enumerate(words[1:], 1):  # "sea lions", "steller sea lions": up to the plural
        if i == 1 and word in ("rows", "row"):
            words = words[:2]  # "how many vine rows"
            break
        if word in vocab.not_objects or word in vocab.label_stopwords or not word.isalpha():
            words = words[:i] if i >= 2 and vocab.canonical_class(" ".join(words[:i])) is None \
                and words[i - 1] not in vocab.not_objects and word in _AFTER_NOUN and not words[
                    i - 1].endswith(("ed", "ing")) else words[:1]
            break  # "every drainage outlet and every roof vent": a compound in the singular
        if (word.endswith("s") or word in _IRREGULAR or (word in SAME_PLURAL and not (
                words[i + 1:] and words[i + 1].endswith("s")))) and \
                (not words[i - 1].endswith("s") or words[i - 1] in _PLURAL_MODIFIERS):
            # "the red deer and roe deer" (fish cages); "athletics tracks"
            words = words[:i + 1]
            break
    else:  # the phrase ends at a comma or the end: "find each green roof, outline it"
        words = words[:2] if len(words) == 2 and not words[0].endswith(("s", "ed", "ing")) \
            and vocab.canonical_class(words[0]) is None else words[:1]
    used = len(words)
    if len(words) == 1 and words[0] in _MODIFIERS:
        return None, 0  # "how many large and small vehicles": a size, the noun comes later
    while len(words) > 1 and words[0] in _MODIFIERS:
        words = words[1:]
    noun = re.sub(r" (?:section|piece|part|structure)$", "", singular(" ".join(words)))
    # "barricade sections" are barricades, "billboard structures" billboards
    if noun in vocab.not_objects or noun in vocab.label_stopwords:
        return None, 0
    return noun, used


def _after(m: re.Match[str], used: int) -> int:
    """Where the ``used`` words of a phrase match end."""
    return m.end(used) if m.group(used) else m.end(1)


def no_class_spans(t: str) -> tuple[list[Span], list[Span]]:
    """Spans whose words name no objects to find: ``cover`` (land cover, "palm concessions",
    "the harbour scenes", a car park, the analyst's own polygons) and ``incidental`` (words
    that only locate or give a purpose: "for port management", "tracks that run between the
    turbines"); the classes are read without the incidental spans first."""
    cover = [m.span() for m in re.finditer(  # land cover, no crowns; "palm concessions"
        r"\btrees? cover\b|\b\w+\s+(?:concessions?|permits?|licen[cs]es?|industry|sector)\b|"
        r"\bcar ?parks?\b|\b(?:vehicle|car|truck|lorry|tyre|tire) (?=tracks?\b|parking\b)|"
        r"\bpalm(?= (?:oil|plantations?|estates?|mills?|stands?|layer|blocks?)\b)|"
        r"\b(?:tank|freight|rail|hopper|box|coal|grain|flat|stored) ?cars?\b|"  # rolling stock
        r"\b(?:sandhill|whooping|siberian|common|grey|gray|demoiselle|red-crowned|tower|"
        r"construction|crawler|mobile|luffing) cranes?\b|"  # birds, builders' cranes
        r"\bbull(?= kelp)|\banti[\s-]tank\b|"
        r"\b(?:evaporation|brine|settling|tailings|salt|crystalli[sz]\w*) pools?\b|"
        # a car park names no cars, palm oil and oil palm plantations no crowns; "our tank
        # polygons (t.geojson)": given
        r"(?:(?<=\bour )|(?<=\bmy )|(?<=\bthe given ))[a-z]+ "
        r"(?=(?:polygons?|footprints?|outlines?|masks?)\b[^.?!;]{0,25}xfilex)|"
        r"(?<=s )ships? (?=with\b)|\b[a-z]+ (?=(oil )?(spill|slick|leak|collision|grounding|"
        r"wreck|incident)s?\b)|\b[a-z]+ (?=((uav|drone|aerial|satellite|radar|optical|rgb|"
        r"thermal|survey) )?(scenes?|images?|imagery|tiles?|photos?|frames?|snapshots?|chips?|"
        r"mosaics?|quicklooks?|captures?)\b)", t)]
    cover += [m.span(1) for m in re.finditer(
        r"\b(?:frames?|scenes?|images?|photos?|tiles?|views?|chips?|shots?|snapshots?) "
        r"(?:of|from|over) (?:the "
        r"|this |that |our |my )?(?:same |whole |entire )?((?:[a-z]+ )?[a-z]+)\b", t)]
    # "ship with scores": a verb; "the tanker spill", "the harbour scenes", "two frames of the
    # marina": no tanker, harbour, marina
    incidental = [m.span() for m in re.finditer(  # "ships, for port and harbor management",
        r"\b(?:offshore|oil|wind|fixed|marine|gas)\s+(?:\w+\s+)?structures?\b|"  # no buildings
        r"\b(?:sentinel\S*|landsat\S*|satellite|modis|s1|s2|three|two|daily|each)\s+(?:\w+\s+)?"
        r"overpass(?:es)?\b|"  # a satellite overpass is no bridge
        r"\bfor (?:\w+ ){0,3}(?:management|planning|monitoring|purposes?|estimation|research)\b|"
        r"\b(?:are|is|lie|lying|sit|sitting|stand|standing|stacked|piled)(?: there)? (?:along|"
        r"beside|next to|near|lining) (?:the |a |every |each )?(?:\w+ )?\w+|"  # "log piles along
        # the road"
        r"\b(?:that|which) (?:run|lie|sit|stand|go|lead|link|connect)s? (?:between|around|to|from|"
        r"along|past|through|near) (?:the )?(?:\w+ )?\w+", t)]  # "tracks that run between the
    # turbines": the turbines locate the tracks
    return cover, incidental


_MAYBE = re.compile(r"\s+(?:that|which)\s+(?:(?:could|might|may|would)\s+(?:well\s+|possibly\s+)?"
                    r"be|(?:are|is)\s+(?:probably|possibly|likely|perhaps))\s+(?:an?\s+)?"
                    r"(?:possible\s+|potential\s+|suspected\s+)?([a-z]+(?:\s+[a-z]+)?)")
"""What the counted things may be ("dark patches that could be oil slicks")."""


def counted_nouns(text: str, vocab: Vocabulary) -> list[str]:
    """The objects a count, a find or a detector names in ``text`` when they are no known
    class ("how many intersections?" -> ["intersection"]); [] for none."""
    found = list(_FIRST.finditer(text))
    if not found:
        named = _DETECTOR.search(text)
        noun = _noun([named.group(1)], vocab)[0] if named else None
        return [noun] if noun else []
    first: str | None = None
    for m in found:  # "how many are lined up? ... count the barchan dunes": the one that names
        first, used = _named(m, vocab, counting=bool(_COUNTING.match(m.group(0))))
        if first is not None:
            break
    if first is None:
        return []  # "find the coordinates", "identify statistically ...": no objects named
    maybe = _MAYBE.match(text, _after(m, used))
    if maybe and (kind := _noun(maybe.group(1).split(), vocab)[0]):
        return [vocab.canonical_class(kind) or kind]  # "dark patches that could be oil
    out = [first]  # slicks": the slicks are asked for
    while (more := _MORE.match(text, _after(m, used))) is not None:
        noun, used = _named(more, vocab)
        if noun is None or noun.split()[0] in _STEP_VERBS:  # "the crop circles, outline each"
            break
        out.append(noun)
        m = more
    return list(dict.fromkeys(out))


def counts(t: str) -> list[re.Match[str]]:
    """The explicit counts of ``t`` ("how many X", "count the X", "number of X"), in order."""
    return [m for m in _FIRST.finditer(t) if _COUNTING.match(m.group(0))]


_COUNTED = re.compile(r"\b(?:how many|count|number of|detect|find|identify|spot)\b[^.?!;]{0,40}")


def counts_no_water(text: str, vocab: Vocabulary) -> bool:
    """Whether a count names objects and no water bodies ("count the deer on the frame" of the
    river terrace; not "how many of the on-farm reservoirs"): a water word elsewhere only
    places the scene."""
    nouns = counted_nouns(text, vocab)
    named = [n for n in nouns if not vocab.has("water_weak", n.split()[-1])]  # "water pumps"
    return bool(nouns) and not any(vocab.has("water_weak", _PLACED.sub(" ", re.sub(
        "|".join(rf"\b{re.escape(n)}\w*" for n in named) or "^$", " ", m.group(0))))
        for m in _COUNTED.finditer(text))


_PLACED = re.compile(r"\b(?:across|on|over|along|under|into|beside|near|in) (?:the|that|this) "
                     r"(?:\w+ )?\w+")
"""A place after the counted noun ("how many booms are across the water"): no water asked."""


def _named(m: re.Match[str], vocab: Vocabulary, counting: bool = False) -> tuple[str | None, int]:
    """The noun a phrase match names, when it names objects: after a count, or with "every /
    each / all / any", or in the plural ("find the coordinates" names none)."""
    words = [w for w in m.groups() if w]
    noun, used = _noun(words, vocab)
    if noun is None or not (counting or _EVERY.search(m.group(0)) or re.match(
            r"detect\b", m.group(0)) or words[used - 1] in
                            SAME_PLURAL or words[used - 1] != noun.split()[-1]):
        return None, 0
    return noun, used


_BUILDING_KINDS = frozenset(("school", "pagoda", "temple", "church", "mosque", "hospital",
                             "clinic", "shop", "store", "office", "hotel", "factory"))
"""Kinds of building listed beside the homes ("count the homes, schools and pagodas"): the
buildings the detector counts, no class of their own."""
_STEP_VERBS = frozenset(("outline", "segment", "trace", "delineate", "measure", "count", "give",
                         "tell", "report", "map", "compute", "calculate", "list", "mark", "show",
                         "then", "estimate", "draw", "digitise", "digitize", "ignoring",
                         "ignore", "excluding", "exclude", "including", "skipping", "skip",
                         "dropping", "leaving", "keeping", "using", "discarding"))
"""Words after a comma that start the next step or a filter, not another object."""
_OUTLINE_THEM = re.compile(r"\b(?:outline|delineate|segment|trace|digiti[sz]e)\s+(?:them|each"
                           r"(?: one| of them)?|every one|those|it)"
                           r"(?=\s*(?:[,.;:!?]|$|(?:and|then|so|to|with|in|on)\b))")


def detect_named(a: Analysis, t: str, vocab: Vocabulary, counting: bool = False) -> None:
    """Send the objects a request counts or marks to the detector when nothing else in it is
    understood.

    Args:
        a: The analysis so far (changed in place).
        t: The normalised request, context blanked.
        vocab: The planner vocabulary.
        counting: Read before the topic words ("snow", "fire") give an index: only an explicit
            count ("how many penguins" on snow) whose asking sentences name no topic, of
            objects that are no topic themselves.
    """
    if a.water and not (a.classes or a.segment or a.indices or a.change or a.classify or a.search) \
            and (found := counts(t)):  # "count the cranes and the geese, and how much is open
        clause = t[found[0].start():found[0].end() + 60].split(",")[0]  # water": both asked
        nouns = counted_nouns(clause, vocab)
        if nouns and not vocab.has("water_weak", clause) and not vocab.has("water_strong", clause):
            a.classes, a.detect = nouns, True
        return
    if a.classes and (a.detect or a.counting) and not (
            a.segment or a.water or a.indices or a.change or a.classify or a.search):
        listed = counted_nouns(t, vocab)  # "count the solar panels and the inverters": the
        if {vocab.canonical_class(n) or vocab.canonical_class(n.split()[-1])  # unknown ones
                for n in listed} & set(a.classes):  # too ("the support buildings": a building)
            a.classes += [n for n in listed if not vocab.class_pattern.search(n)
                          and n.split()[0] not in ("how", "other", "any")
                          and topic_index(n, vocab) is None and n not in a.classes
                          and not ("building" in a.classes and n in _BUILDING_KINDS)]
        return
    them = a.segment and not a.classes and _OUTLINE_THEM.search(t) is not None  # "find
    # the ice floes, outline them": found by name, then outlined
    if a.classes or (a.detect and counting) or (a.segment and not them) or a.water or a.indices \
            or a.biomass or a.change or a.classify or a.search or a.metadata or a.everything:
        return
    each = None if counting else _PER_OBJECT.search(t)
    if each and (noun := _noun([each.group(1)], vocab)[0]) and topic_index(noun, vocab) is None:
        a.classes, a.detect = [noun], True  # "for every iceberg, its length in metres"
        a.statistic = "length" if each.group(2) in ("length", "width") else None
        a.object_area = a.statistic is None
        return
    if not (a.counting if counting else a.count_words or a.detect or them):
        return  # "detect the icebergs": the detector is asked for them by name
    if counting and topic_index(blank(t, statement_spans(t)), vocab) is not None:
        return  # "how many fire alerts? ... map the burned area": the asks name the topic
    nouns = counted_nouns(t, vocab)
    if nouns and not (counting and any(topic_index(n, vocab) for n in nouns)):
        a.classes, a.detect = nouns, True


def asks_unknown(t: str, vocab: Vocabulary) -> bool:
    """Whether the count or outline of a request names an object no known class names ("how
    many cracks" on the photo of the girder bridge, "outline the corrosion"), while the known
    classes stand elsewhere: those only say where it is."""
    asked = counts(t)
    if any(vocab.class_pattern.search(m.group(0)) for m in asked):
        return False  # "how many vaccine doses? ... count every dwelling": the dwellings
    count = asked[0] if asked else None
    noun, span = None, (0, 0)
    if count is not None:
        noun, used = _named(count, vocab, counting=True)
        starts = [m.end() for m in re.finditer(r"[.?!;]", t[:count.start()])]
        span = (starts[-1] if starts else 0, len(t) if (end := re.search(  # its sentence
            r"[.?!;]", t[count.end():])) is None else count.end() + end.start())
        if t[_after(count, used):_after(count, used) + 1] == "-":
            return False  # "center-pivot fields", "semi-trailers": a compound, cut
    elif _FIRST.search(t) is None and (outline := OUTLINE_VERB.search(t)) is not None:
        noun, span = outlined_noun(t[outline.start():], vocab), outline.span()
    return noun is not None and not vocab.canonical_class(noun) and not any(
        w in vocab.label_stopwords or w in _PRONOUN for w in noun.split()) \
        and not vocab.class_pattern.search(t[span[0]:span[1]]) and not any(
            key.endswith(" " + noun) for key in vocab.class_of)  # "the panel": a solar panel


_SELF = frozenset(("yourself", "yourselves", "ourselves", "themselves", "myself", "himself",
                   "herself", "itself"))
"""Reflexive pronouns: "check the count ourselves" counts no "ourselve"."""
_PRONOUN = _SELF | frozenset(("it", "them", "each", "one", "ones", "roof", "hull", "deck"))
"""Words that name no counted noun (a part of a known object: "outline the roof")."""


_ANAPHOR = re.compile(r"\b(?:count|detect|locate|segment|outline|mark)\s+(?:all\s+(?:of\s+)?)?"
                      r"(?:them|those|these)\b(?=\s*(?:[.,;:!?]|$|(?:in|on|at|for|again|too|as|"
                      r"now|please|all|and|then|from|above|below|over|under|with)\b))|"
                      r"\bhow many (?:are there|do you see|can you see|are visible|are present|are "
                      r"left|now|today)\b")
"""An ask that counts what a statement before it named ("The airport claims 62 planes. Count
them.", "The port reported 120 ships; how many are there now?")."""
_OBJECT_NAMED = re.compile(r"\b(?:find|detect|locate|outline|segment|map|mark|count|delineate)\s+"
                           r"(?:all\s+|every\s+|each\s+)?(?:of\s+)?(?:the|all|every|each)\s+"
                           r"(?!(?:ones?|objects?|things?)\b)[a-z]")
"""An ask that names its own objects ("find all the HVAC units ..., outline them")."""


def antecedent_classes(t: str, full: str, vocab: Vocabulary, skip: list[Span]) -> list[str]:
    """The classes a context statement names when the ask (``t``, context blanked) counts them
    with a pronoun and names none itself; ``full``: the request with its context."""
    if not _ANAPHOR.search(t) or find_classes(t, vocab, skip) or counted_nouns(t, vocab) or (
            _OBJECT_NAMED.search(t)):
        return []  # ("outline the puddles, count them": the ask names its objects)
    return find_classes(full, vocab, skip)
