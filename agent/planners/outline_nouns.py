"""What an outline asks for by name when no known class names it ("outline the seagrass beds"
-> seagrass): the outlined noun without its habitat or state words ("the brown sediment plume"
-> sediment plume), further nouns of the same list, and outlines split into named parts.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.slots import find_indices, places_only, topic_index
from agent.planners.vocab import PRONOUNS, SAME_PLURAL, Vocabulary, participle, singular

ADVERB = re.compile(r"^(?!(?:assembly|anomaly|family|butterfly|dragonfly|firefly)$)\w{4,}ly$")
"""An adverb opens no object ("identify statistically significant clusters")."""


VERBS = r"outline|delineate|segment|trace|digiti[sz]e|extract"
"""The verbs that ask for an outline (a regex alternation)."""
OUTLINE_VERB = re.compile(rf"\b(?:{VERBS})\s+"
                      r"(?:(?:every|each|all|any|the|individual|visible|main|dense|its|their|whole|"
                      r"entire)\s+)*"
                      r"([a-z-]+)(?:\s+([a-z-]+))?(?:\s+([a-z-]+))?(?:\s+([a-z-]+))?")
_HABITAT = frozenset(("bed", "beds", "meadow", "meadows", "patch", "patches", "area", "areas",
                      "cover", "extent", "extents", "zone", "zones", "stand", "stands", "mat",
                      "mats", "outline", "outlines", "polygon", "polygons", "thicket", "thickets",
                      "colony", "colonies", "reef", "reefs", "on", "in", "at", "from", "with",
                      "and", "or", "near", "along", "over", "across", "inside", "within", "for",
                      "by", "around", "between", "visible", "seen", "canopy", "canopies",
                      "forest", "forests", "xfilex", "xfolderx", "image", "images", "scene",
                      "through", "into", "to", "of", "under", "beside", "next", "that", "which",
                      "where", "off", "behind", "below", "above", "beyond", "upstream",
                      "downstream", "onto", "against", "among", "outside", "than", "itself",
                      "themselves", "alone", "only", "so", "now", "still", "currently", "today",
                      "yet"))
_NO_CLASS = frozenset(("area", "region", "extent", "boundary", "parcel", "feature",
                       "shape", "everything", "land", "zone", "patch", "slick", "spill", "oil",
                       "object", "outline", "edge", "border", "footprint", "crown", "plot",
                       "site", "lake", "river", "coast", "coastline", "shoreline", "channel"))


_SPILL = re.compile(r"\b(?:oil )?(slick|spill|sheen)s?\b")
_GENERIC = frozenset(("study", "whole", "entire", "target", "sample", "test", "flooded", "burned",
                      "burnt", "affected", "damaged", "cleared", "inundated", "water", "open",
                      "built", "urban", "forest", "forested", "farm", "crop", "agricultural",
                      "same", "largest", "biggest", "main", "other", "surrounding", "protected"))
"""First words that leave a generic head generic ("the study area", "the flooded area"); other
words name the thing ("paddy fields", "oil slicks", "shipbreaking plots")."""


_SEPARATE = re.compile(r"\b(?:separate|split|divide)\b[^.?!;]{0,50}?\binto\s+(?:the\s+)?"
                       r"([a-z][a-z -]{0,25}?)\s+(?:and|or)\s+(?:the\s+)?([a-z][a-z -]{0,25}?)"
                       r"(?=\s+(?:and|then|to|so|for|with)\b|\s*[.,;?!(]|$)")
"""An outline into named parts ("separate the green spaces into trees and grass")."""


_NOUN_ING = frozenset(("parking", "landing", "loading", "housing", "mining", "fishing", "shipping",
                       "swimming", "nesting", "drying", "processing", "holding"))
"""Words in -ing that name a kind of thing ("parking lots", "fishing ponds"), no verb."""
UNLAWFUL = frozenset(("illegal", "illicit", "unauthorised", "unauthorized", "unlit"))
"""Words that say how a thing is run, not what it is ("the illegal refineries", "unlit flares")."""
_WORN = frozenset((
"derelict", "abandoned", "discarded", "lost", "stranded", "old", "new",
                   "existing", "remaining", "drainage", "eroding", "eroded", "active",
                   "actively", "brown", "red", "white", "black", "grey", "gray", "yellow", "dark",
                   "bright", "turbid", "muddy", "mown", "public", "visible", "large", "small",
                   "surface", "pale", "thick", "thin", "dense", "fresh", "recent", "exposed",
                   "discoloured", "discolored", "open", "pinkish", "both", "wet", "whatever",
                   "bare", "irrigated", "lit", "emerged", "emergent", "orange", "pink",
                   "purple", "outer", "inner", "intertidal", "subtidal", "largest", "biggest",
                   "smallest", "longest", "shortest", "widest", "narrowest")) | UNLAWFUL
"""State and colour words before an outlined noun that are no part of its name ("the brown
sediment plume" -> sediment plume)."""


_GROUPED = frozenset(("silo", "tank", "greenhouse", "hangar", "warehouse", "vineyard", "orchard",
                      "plantation"))
"""Things laid out in blocks ("the silo blocks" are silos, "the vineyard blocks" vineyards)."""
_LINED = frozenset(("fence", "trench", "tree", "hedge", "wall", "ditch", "railway", "rail"))
"""Things whose "line" is the thing itself ("trace the fence line"; a power line is a line)."""
_SHELLFISH = frozenset(("mussel", "oyster", "clam", "cockle", "scallop", "shellfish"))
"""Animals whose bed or reef is the thing outlined ("the oyster reefs")."""


_USE_PONDS = re.compile(r"(?:evaporation|salt|brine|crystalli[sz]\w*|leach|lithium|leachate|"
                          r"shrimp|prawn|aquaculture|tailings|sewage|settling|oxidation|manure|slurry|"
                          r"effluent|wastewater|waste)\s+"
                          r"(?:pond|ponds|pans?|lagoons?)\b")
"""Ponds named by their use: outlined by name, not mapped as open water."""


def outline_named(a: Analysis, t: str, vocab: Vocabulary, rgb: bool = False,
                  n_scenes: int = 0) -> None:
    """Name what an outline asks for when it is no known class ("outline the seagrass beds" ->
    segment ``classes=["seagrass"]``): the segmenter's detector then says whether its model
    knows it, instead of outlining everything and calling it seagrass. On visible bands only
    (``rgb``) an index topic ("the vegetation") is outlined by name too. A change word outlines
    no change on one scene or a series of three or more (outlines per date, their trend)."""
    verb = OUTLINE_VERB.search(t)
    if a.water and a.segment and verb and _USE_PONDS.match(t, verb.start(1)):
        a.water = False  # "outline the evaporation / shrimp ponds": works, no open water
    if verb and n_scenes <= 1 and (a.indices or a.water) and not (a.classes or a.files.boxes) \
            and (noun := outlined_noun(t, vocab, rgb)) and not vocab.canonical_class(noun):
        clause = re.split(r"[.?!;]", t[verb.start():], maxsplit=1)[0]
        if not (vocab.has("water_strong", t) or vocab.has("water_weak", clause)
                or find_indices(t, vocab) or topic_index(t[verb.start():], vocab) is not None):
            a.indices, a.water, a.threshold, a.change = [], False, None, False
            a.trend = a.trend_strong = False
            a.segment, a.classes = True, [noun]  # "segment the shade nets ... their area": an
            return  # index or water named only in the background asks for neither
    parts = _SEPARATE.search(t) if a.segment and not a.detect else None
    if parts:  # "separate ... into trees and grass": both are outlined by name
        a.classes = [vocab.canonical_class(p) or singular(p) for p in parts.groups()]
        return
    if places_only(a.classes, t, vocab) and (noun := outlined_noun(
            t, vocab, rgb)) and not vocab.canonical_class(noun):
        a.classes = [noun]  # "outline the scorch mark on the runway": the runway only places it
        return
    if not a.segment or a.classes or a.everything or a.points or a.files.boxes or a.water \
            or a.indices or a.biomass or (a.change and n_scenes in (0, 2)) or a.classify \
            or a.search:
        return
    noun = outlined_noun(t, vocab, rgb) or outlined_noun(_MAP_LENGTH.sub("outline ", t), vocab, rgb)
    if not noun and (spill := _SPILL.search(t)):
        noun = f"oil {spill.group(1)}"  # "identify oil slicks in the radar scene": no outline verb
    noun = noun or outlined_noun(_SIZE_OF.sub("outline ", t), vocab, rgb)
    if noun:
        a.classes = [noun, *_more_outlined(t, vocab)]


_MAP_LENGTH = re.compile(r"\bmap (?=(?:the |all |every )?(?!(?:\w+ ){0,2}(?:rivers?|streams?|"
                         r"channels?|shorelines?|coastlines?|waterlines?|water)\b)(?:\w+ ){0,2}"
                         r"\w+s\b[^.?!;]{0,60}\b(?:total |combined |their |its )+length\b)")
"""A map asked for its length ("map the drainage ditches, their total length"): an outline (the
same words as the ``segment`` cue of prompts/intents.yaml that makes it one)."""


_SIZE_OF = re.compile(r"\b(?:footprint|size|area)(?: area)?s?(?: in [a-z0-9]+)? of "
                      r"(?=(?:the |each |every |all |an? |individual )?[a-z])")
"""A size asked of things no outline verb names ("the mean footprint of the log stacks", "the
area of each grain bin"): they are what is outlined."""


_MOREOUTLINE_VERBD = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:the\s+)?((?:[a-z]+ )?[a-z]+s)"
                            r"(?=\s*(?:,|\band\b|\bon\b|\bin\b|\binside\b|\.|$))")
"""Further plural nouns of an outline list ("outline the fairways, greens and bunkers")."""


def _more_outlined(t: str, vocab: Vocabulary) -> list[str]:
    """The nouns listed after the first one of "outline the A, B and C" (plurals only, no
    known class, no topic word)."""
    m = OUTLINE_VERB.search(t)
    out: list[str] = []
    plural = [i for i, w in enumerate(m.groups() if m else (), 1) if w and singular(w) != w]
    if m is None or not plural:
        return out
    at = m.end(plural[0])  # after the first plural noun: "the hedges| and fences"
    while (more := _MOREOUTLINE_VERBD.match(t, at)) is not None:
        word = more.group(1)
        if any(w in vocab.label_stopwords or w in _HABITAT for w in word.split()) \
                or vocab.canonical_class(word) or topic_index(word, vocab) is not None:
            break
        out.append(singular(word))
        at = more.end()
    return out


_PART_OF = [[part, "of"] for part in ("stretch", "section", "length", "piece")]
"""A part of the thing outlined ("the stretch of wall")."""
_COVERED_BY = re.compile(rf"\b({VERBS})\s+"
                         r"(?:the\s+|all\s+(?:the\s+)?|any\s+)?"
                         r"(?:areas?|parts?|places?|ground|land|surfaces?)\s+"
                         r"(?:covered (?:by|with|in)|under|taken up by|occupied by)\s+")
""""the areas covered by straw mulch": what covers them is outlined."""


def own_noun(t: str, vocab: Vocabulary) -> str | None:
    """The noun an outline asks for by itself (:func:`outlined_noun`), not a part of an object
    named elsewhere ("the house ... outline the roof": the building's)."""
    noun = outlined_noun(t, vocab)
    return None if noun is None or noun in _PARTS else noun  # (a "green roof" is its own)


_PARTS = frozenset(("roof", "roofs", "rooftop", "rooftops", "footprint", "footprints", "crown",
                    "crowns", "outline", "outlines", "edge", "edges", "boundary", "perimeter"))
"""Nouns that name a part of an object, not an object of their own."""


def outlined_noun(t: str, vocab: Vocabulary, rgb: bool = False) -> str | None:
    """What "outline the ..." names when no class does ("the seagrass beds" -> seagrass), or
    None (a known index topic on multispectral scenes, a generic word)."""
    m = OUTLINE_VERB.search(_COVERED_BY.sub(r"\1 the ", t))
    if m is None:
        return None
    words: list[str] = []
    found = [w for w in m.groups() if w]
    worn = ""
    for k, word in enumerate(found):
        if not words and (found[k:k + 2] in _PART_OF or found[k - 1:k + 1] in _PART_OF):
            continue  # "the stretch of wall" is wall
        if "-" in word and word.endswith("ed") and not words and (
                found[k + 1:k + 2] and (found[k + 1] in _HABITAT or found[k + 1] in _NO_CLASS)):
            words.append(word.split("-")[0])  # "the litter-covered patches" are litter
            break
        if words and (participle(word) or word in (
                "caught", "stuck", "left", "held", "laid", "built", "made", "dug", "grown",
                "put", "set", "torn", "spread", "sunk", "shown", "seen", "found", "kept")):
            break  # "the floating garbage piled against the fence"
        if len(words) == 1 and word in ("row", "rows", "fencing"):
            words.append("fence" if word == "fencing" else word)  # "the vine rows"
            break
        if not words and word in ("canopy", "forest") and found[k + 1:k + 2] and singular(
                found[k + 1]) == "gap":
            words = [word, found[k + 1]]
            break  # "the canopy gaps" are gaps (a canopy is no habitat of them)
        if words and words[-1] in _SHELLFISH and singular(word) in ("bed", "reef", "bank"):
            words.append(word)
            break  # "the mussel beds": the bed is the thing (a seagrass bed is seagrass)
        if word in vocab.not_objects or word in vocab.label_stopwords or word in _HABITAT \
                or (not words and word in PRONOUNS) \
                or not word.replace("-", "").isalpha() or (
                    words and word.endswith("ing") and word not in _NOUN_ING):
            if not words and worn and singular(word) in ("patch", "ground", "soil", "area"):
                words = [word]  # "the bare patches" are named by their state
            break  # "the vegetation growing in the trackbed"
        if not words and word in _WORN and found[k + 1:k + 2] != ["tide"]:
            worn = word
            continue  # "the derelict fishing nets" (a red tide is named so)
        words.append(word)
        after = found[k + 1] if k + 1 < len(found) else word
        if (singular(word) != word or word in SAME_PLURAL) and not (
                word in SAME_PLURAL and after != word and after.isalpha() and after not in _HABITAT
                and not ADVERB.search(after)
                and after not in vocab.label_stopwords and after not in vocab.not_objects
                and not participle(after) and not after.endswith("ing")):
            break  # up to the plural: "seagrass beds", "sand bars" ("fish cages", "fish trap": on)
    if not words and found and singular(found[0]) in ("reef", "colony", "meadow", "thicket"):
        words = [found[0]]  # "outline the reef": a habitat word said alone is the thing
    if len(words) > 1 and (words[-1] in ("network", "networks", "cast") or (
            words[-1] in ("line", "lines") and words[-2] in _LINED) or (
            words[-1] in ("block", "blocks") and words[-2] in _GROUPED)):
        words = words[:-1]  # "the hedgerow network", "the shadow cast", "the fence line"
    noun = singular(" ".join(words).replace("-", " ")) if words else ""
    if noun == "cleared":
        noun = "clearing"  # "the cleared patches" are clearings
    if noun in ("slick", "sheen") and not worn:
        noun = f"oil {noun}"  # "outline the slick": an oil slick
    if noun in ("patch", "ground", "soil", "peat", "sand", "rock", "earth") and worn:
        noun = f"{worn} {noun}"  # "the bare patches": the state names the patch
    if not noun or noun in _NO_CLASS or (noun.split()[-1] in _NO_CLASS and (
            len(noun.split()) == 1 or noun.split()[0] in _GENERIC)) or (
            not rgb and topic_index(noun, vocab) is not None) or ADVERB.search(noun.split()[0]):
        return None
    if noun.split()[0] in ("truck", "vehicle", "car", "lorry", "bus") and noun.split()[1:2] == [
            "parking"]:
        return noun.split(" ", 1)[1]  # "the truck parking lot" is a parking lot
    if noun.endswith(" field") and noun.split()[0] in ("agricultural", "crop", "farm", "arable",
                                                       "cultivated", "cropped"):
        return "field"  # "the agricultural fields" are fields
    return noun
