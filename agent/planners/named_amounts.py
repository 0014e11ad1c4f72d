"""Maps and amounts of a thing no class names, asked without an outline verb ("map the
plastic mulch on a.tif", "the total area of the craters, in m2", "how many square metres of
mulch film", "how long is the strip"): the thing is outlined by name (``segment`` with the
noun as its class) and measured by area or length. "How much tree canopy is there" is the
area of a known class too (no count); over three or more dated scenes "has the gravel-pad area
been growing" and "are heron numbers falling" are per-date outlines or counts and their trend.

Only when nothing else is asked: water, an index, a change over a pair, labels, a search, a
detection or an outline already planned keep their own reading.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.outline_nouns import OUTLINE_VERB, outlined_noun
from agent.planners.slots import places_only
from agent.planners.vocab import Vocabulary, participle

_MAP = re.compile(r"(?:^|[,.;:!?]\s*|\b(?:and|then|also|please|to|you|i|we|can|could|would|"
                  r"should|must)\s+)(?:\w+ly\s+)?(?:map|extract|digiti[sz]e|vectori[sz]e)\s+"
                  r"(?!(?:it|them|this|that|these|those|out|where|how|what|which|whether)\b)")
"""A map asked of a thing ("map the plastic mulch film", "extract the lane markings")."""
_AREA = re.compile(r"\b(?:total |combined |overall |summed |(mean|average|median) )?"
                   r"(area|surface area|footprint|extent|length|size)\s*"
                   r"(?:,?\s*in [a-z0-9]+\s*,?)?\s+(?:covered by|taken up by|occupied by|of)\s+"
                   r"(?:each of (?:the )?|each |every )?"
                   r"(?!(?:interest|concern|study|operations?|it|them|this|that|each|the image|the "
                   r"scene|the chip|the tile|the photo|the picture|the frame|land|ground)\b)")
"""An area or length of a thing ("the total area of the craters")."""
_HOW_MUCH = re.compile(r"\b(?:what (?:total |ground |surface )?area(?:,? in [a-z0-9]+,?)?|"
                       r"how much (?:ice|ground|land|space|room|surface|beach|lawn)) (?=do |does )|"
                       r"\bhow (?:many|much) (?:(?:square |sq )(?:kilomet|met)(?:er|re)s|km2|m2|"
                       r"hectares|ha|acres|(km|kilomet(?:er|re)s|met(?:er|re)s|miles)|area|"
                       r"ground|land|space)\s+(?:of|(?:do|does|is|are|was|were) "
                       r"(?:\w+ly |still |now |already )?"
                       r"(?:covered (?:by|in|with)|taken up by|occupied by|under)|do|does)\s+")
"""An amount in units ("how many square metres of mulch film", "how many km of strips")."""
_HOW_LONG = re.compile(r"\bhow (long|big|large)(?:,? in [a-z0-9]+,?)? (?:is|are|was|were) "
                       r"(?:the |each |every )?"
                       r"(?=[a-z-]+)")
"""A length or size of the thing ("how long is the strip")."""
_WHICH = re.compile(r"\bwhich (?:one )?(?:is|was) the (?:largest|biggest|smallest|longest|"
                    r"shortest) "
                    r"(?=[a-z-]+(?: [a-z-]+)?\b[^.?!;]{0,60}\bhow (?:big|large|long) (?:is|was) "
                    r"it\b)")
"""The size of the one picked ("which is the largest field and how big is it")."""
_ABSTRACT = frozenset((
    "abundance", "distribution", "density", "concentration", "presence", "location", "spread",
    "fraction", "proportion", "cover", "coverage", "condition", "health", "status", "change",
    "damage", "severity", "risk", "suitability", "value", "intensity", "temperature", "depth",
    "height", "elevation", "moisture", "productivity", "yield", "fine", "fee", "penalty", "cost",
    "difference", "problem", "effect", "impact", "loss", "gain", "increase", "decrease", "share",
    "error", "season", "period", "time", "day", "week", "month", "year", "trip", "journey",
    "life", "delay", "wait", "shadow", "gap", "buffer", "distance", "range", "result",
    "map", "layer", "image", "mosaic", "scene", "dataset", "file", "output", "raster", "product",
    "room", "space", "capacity", "volume", "gradient", "slope", "angle", "width", "length",
    "area", "size", "drought", "traffic", "erosion", "pollution", "salinity", "outage", "flooding",
    "flood", "fire", "rain", "storm", "heat"))
"""Words that name no thing to outline ("the length of the fishing season", "how big is the
fine", "map the abundance of each mineral")."""
_QUESTION = re.compile(r"(?:^|[.?!;:]\s*)(?:[^.?!;:,]{0,40},\s*)?(?:is|are|was|were|does|do|"
                       r"did|has|have|will|would)\s(?!you\b)[^.?!;]*$")
"""A yes/no question before the match ("is the area occupied by the grassland larger")."""
_NOUN_AREA = re.compile(r"\b(?:what(?:'?s| s| is) the|give me the|report the|total|combined|"
                        r"(?:need|want|calculate|compute|get) the|"
                        r"(?P<series>(?:has|have|did|is|was) the))\s+(?:"
                        r"total\s+)?(?!(?:study|project|survey|catchment|city|town|district|site|"
                        r"plot|parcel|image|scene|tile|sample|test|target|burn\w*|flood\w*|water|"
                        r"urban|built|floor|land|surface|green|protected|affected|damaged|mapped|"
                        r"changed|total|the|watershed|swath|valid data|valid|data|nodata|cloud|"
                        r"pixel|image)\s+"
                        r"(?:area|length|footprint)\b)(?!(?:mean|average|median|typical)\b)"
                        r"(?P<noun>[a-z]+(?:[ -][a-z]+)?)\s+(?P<stat>area|length|footprint)\b")
"""A named thing's area or length ("what's the crosswalk area", "the total sidewalk area")."""
_NUMBERS = re.compile(r"\b(?:are|is|have|has)\s+(?:the\s+)?(?P<noun>[a-z]+(?:\s[a-z]+)?)\s+(?:"
                      r"numbers?|counts?)\s+(?:been\s+)?(?:falling|rising|going (?:up|down)|"
                      r"declining|increasing|dropping|growing|shrinking)\b")
"""A count followed over a series ("are gull numbers falling")."""
_THERE = re.compile(r"\bhow much (?P<noun>(?:[a-z-]+ ){0,2}[a-z-]+) (?:is|are) (?:there|left|"
                    r"in (?:flower|bloom)|flowering|blooming)\b")
"""An amount of a named cover ("how much bare ground is there")."""
_MEASURE = re.compile(r"(?:^|[,.;:!?]\s*|\b(?:and|then|please|to|you|can|could)\s+)measure\s+"
                      r"(?!(?:the |each |every |all (?:the )?)?(?:length|area|size|distance|width|"
                      r"extent|mean|average|total|number|amount|it|them|how)\b)")
"""A thing measured ("measure the kiwifruit canopy inside the blocks, in hectares")."""
_WATER = frozenset(("sea", "ocean", "lake", "lagoon", "river", "pond", "reservoir", "estuary"))
"""Water bodies a map asks for: the water map."""
_NOT_OUTLINED = re.compile(r"\b(?:how tall|heights?|spectral (?:matching|unmixing)|minerals?)\b")
"""Heights and mineral maps are no outlines."""
_THEIR = re.compile(r"\b(?:their|its) (?:total |combined |overall |summed )?(length|area|"
                    r"footprint|surface area|size)\b")
"""The amount of things found ("find the clamps and tell me their total length")."""
_FOUND = re.compile(r"\b(?:locate|find|detect|identify|spot|pick out|mark)\s+(?:the |all (?:the )?|"
                    r"every |each |any )?(?P<noun>[a-z][a-z -]{1,40})")
"""What a request finds before asking its amount ("locate the hay stacks and give me ...")."""
_COVER = re.compile(r"^((?:[a-z-]+ ){0,2}[a-z-]+)(?: (?:in|on|inside|within|at|near|along|by) "
                    r"(?:it|them|this|that| xfilex |the (?:[a-z0-9]+ ){0,3}[a-z]+))?\s+(?:cover|"
                    r"occupy|take up|enclose|span)\b")
"""The subject of "how much area do the X cover"."""


def read(a: Analysis, t: str, vocab: Vocabulary, n_scenes: int) -> None:
    """Outline and measure a named thing no other reading claims (see the module doc)."""
    if a.water or a.indices or a.biomass or a.classify \
            or a.search or a.labels or a.metadata or a.composite or a.points or a.files.assess \
            or a.files.boxes or (a.change and n_scenes != 1) \
            or a.text_modality == "hyperspectral" or _NOT_OUTLINED.search(t):
        return
    if a.segment and not a.classes and not a.everything and not OUTLINE_VERB.search(t) \
            and (m := _MAP.search(t)):
        noun = _named(t[m.end():m.end() + 80], vocab)  # "map the mango canopy": mango
        if noun is not None and noun not in _WATER:
            _outline(a, noun)
    their = _THEIR.search(t) if a.detect and len(a.classes) <= 1 and not a.counting \
        and not OUTLINE_VERB.search(t) else None  # "find them, outline them": detect, segment
    found = _FOUND.search(t) if their else None
    thing = (a.classes[0] if a.classes else _named(found.group("noun"), vocab)) if found else None
    if their and thing and not vocab.canonical_class(thing):
        _outline(a, thing)  # "find the beet clamps and tell me their total length"
        a.statistic = "length" if their.group(1) == "length" else a.statistic
        a.object_area = their.group(1) != "length"
        return
    if a.segment or a.everything:
        return
    there = _THERE.search(t)
    noun = _named(there.group("noun"), vocab, known=True) if there else None
    if noun and (not a.classes or noun in a.classes):
        _outline(a, noun)  # "how much tree canopy is there": its area, no count
        a.object_area = True
        return
    if _known_amount(a, t, vocab):
        return
    if (a.detect or a.classes) and not places_only(a.classes, t, vocab):  # "on the runway"
        return
    numbers = _NUMBERS.search(t) if n_scenes >= 3 else None
    if numbers and (noun := outlined_noun("outline the " + numbers.group("noun") + "s", vocab)):
        a.detect, a.classes, a.trend, a.vqa, a.question = True, [noun], True, False, False
        return  # "are gull numbers falling" over three or more dates: counts and their trend
    for pattern in (_AREA, _HOW_MUCH, _WHICH, _HOW_LONG, _NOUN_AREA, _MAP, _MEASURE):
        m = pattern.search(t)
        series = pattern is _NOUN_AREA and m is not None and m.group("series") is not None
        if m is None or (series and (n_scenes < 3 or not a.trend)) or (
                not series and _QUESTION.search(t[:m.start()])):
            continue  # "has the bike-lane area grown" over a series is a trend of the area
        noun = _named(re.split(r"\s(?:is|are|was|were|has|have|had|will|would)\b",
                               _subject(pattern, m, t))[0], vocab)
        if noun is None:
            return  # a generic word, an index topic, or a known class (read elsewhere)
        if pattern is _MAP and noun in _WATER:
            a.water = True  # "map the sea on both scenes"
            return
        _outline(a, noun)
        said = m.group("stat") if pattern is _NOUN_AREA else m.group(0)
        if pattern in (_MAP, _MEASURE):  # "map the plastic mulch and give me the area in ha"
            a.object_area = a.units is not None or (
                pattern is _MEASURE and not a.length_units) or re.search(
                r"\b(?:area|areas|how much (?:ground|land|space)|size)\b", t[m.end():]) is not None
            a.statistic = "length" if re.search(r"\blength\b", t[m.end():]) or (
                a.length_units and not a.units) else a.statistic
            return
        if pattern is _AREA and m.group(1) and m.group(2) != "length":
            a.statistic = "mean"  # "the mean size of the looting pits" (a mean length: length)
        elif re.search(r"\blength|\blong(?:est)?\b", said) or (pattern is _HOW_MUCH and m.group(
                1)) or (pattern is _WHICH and re.match(r"[^.?!;]*\bhow long\b", t[m.end():])):
            a.statistic = "length"
        else:
            a.object_area = True
        return


def _subject(pattern: re.Pattern[str], m: re.Match[str], t: str) -> str:
    """The words naming what an amount phrase asks about: the subject of "what area do the X
    cover", else the words after the phrase (the named noun of "the X area")."""
    if pattern is _NOUN_AREA:
        return m.group("noun")
    rest = t[m.end():m.end() + 80]
    if pattern is not _HOW_MUCH:
        return rest
    cover = _COVER.match(re.sub(r"^(?:does |do )?(?:the |all the |each |every )?", "", rest))
    return cover.group(1) if cover else rest  # "what area do the airports serve": no subject


def _known_amount(a: Analysis, t: str, vocab: Vocabulary) -> bool:
    """Read an amount of a known class ("what ground area do the tents cover", "how long is the
    new pier"): its outlines' area or length. Whether one was read."""
    for pattern in (_HOW_MUCH, _HOW_LONG):
        m = pattern.search(t)
        if m is None or (pattern is _HOW_MUCH and not a.classes) or (
                pattern is _HOW_LONG and a.counting):
            continue
        said = _named(re.split(r"\s(?:in|on|at|inside|within|near|by|along)\b",
                               _subject(pattern, m, t))[0], vocab, known=True)
        known = said and (vocab.canonical_class(said) or vocab.canonical_class(said.split()[-1]))
        if pattern is _HOW_MUCH and known in a.classes:
            a.detect = a.object_area = True  # "what ground area do the tents cover"
            return True
        if pattern is _HOW_LONG and known and (not a.classes or known in a.classes):
            a.detect, a.classes, a.vqa, a.question = True, [known], False, False
            if m.group(1) == "long":
                a.statistic = "length"  # "how long is the new pier": its outline's length
            else:
                a.object_area = True  # "how large is the greenhouse": its area
            return True
    return False


def _named(said: str, vocab: Vocabulary, known: bool = False) -> str | None:
    """The thing a phrase names (its class when ``known`` allows one), or None for a generic
    word, an index topic or an abstract noun."""
    noun = outlined_noun("outline the " + said, vocab)
    if noun is None or noun.split()[-1] in _ABSTRACT or (
            len(noun.split()) == 1 and participle(noun)):
        return None
    canonical = vocab.canonical_class(noun)
    return canonical if known and canonical else None if canonical else noun


def _outline(a: Analysis, noun: str) -> None:
    """Outline ``noun`` by name instead of detecting it or asking the picture."""
    a.segment, a.classes, a.detect, a.vqa, a.question, a.caption = (
        True, [noun], False, False, False, False)
